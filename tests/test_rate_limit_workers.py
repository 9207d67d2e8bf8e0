"""The pledge rate limit with several app servers, served as in production.

Found by the security review: with DEBUG off and no CACHE_URL the cache was each
process's own memory, so each gunicorn worker counted a client's pledges apart and
"10 an hour" let up to 10 per worker through. Here gunicorn serves the site with three
workers, DEBUG off and no CACHE_URL, on this test's PostgreSQL database, after a
`migrate` as a deploy runs it. Posts that arrive at once must be counted too, which
Django's own database cache does not do (see oca_site.cache).
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import caches
from django.core.cache.backends import db as db_cache
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings

from campaigns.demo import load_demo_campaign

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 3
LIMIT = 10


def _database_url():
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


def _production_env(tmp_path):
    # The test run's own switches stay out (CACHE_URL above all); production sets none.
    skipped = ("STRIPE_", "DEBUG", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "PROXY_COUNT")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skipped)}
    return env | {
        "DEBUG": "false",
        "SECRET_KEY": "rate-limit-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": _database_url(),
        "STRIPE_SECRET_KEY": "sk_test_workers",
        "STRIPE_WEBHOOK_SECRET": "whsec_workers",
        "STRIPE_PRODUCT_ID": "prod_workers",
        "STRIPE_API_BASE": "",
        "MAIL_URL": "consolemail://",
        "PLEDGE_RATE_LIMIT": f"{LIMIT}/h",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "oca_site.settings",
    }


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process, log):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture
def site(transactional_db, tmp_path):
    """The site served by gunicorn with WORKERS workers; yields its base URL."""
    if connection.vendor != "postgresql":
        pytest.skip("the app servers share the test database: PostgreSQL only")
    env = _production_env(tmp_path)
    (tmp_path / "static").mkdir()
    # What a deploy runs; it creates the cache table too.
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    if "oca_cache" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            # A kept test database (--reuse-db) may hold an earlier run's counters.
            cursor.execute("DELETE FROM oca_cache")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "oca_site.wsgi", "--workers", str(WORKERS)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/healthz", process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _browser_headers(page):
    """What a browser sends with the form: the page's CSRF cookie when it sets one
    (marked Secure, which urllib would keep from plain http, so sent by hand)."""
    with urllib.request.urlopen(page, timeout=10) as response:
        html = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Sec-Fetch-Site": "same-origin",
    }
    csrf = [c.split(";")[0] for c in cookies if c.startswith("csrftoken=")]
    if csrf:
        headers["Cookie"] = csrf[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return headers, token.group(1) if token else ""


def _post(url, body, headers):
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _spam(token):
    # A filled-in honeypot: the form refuses it (400) without calling Stripe, and the
    # limit, which comes before the form, counts it all the same.
    return urlencode(
        {
            "csrfmiddlewaretoken": token,
            "amount": "50",
            "frequency": "once",
            "name": "Spam Bot",
            "email": "bot@example.org",
            "display_as": "first",
            "website": "https://spam.example",
        }
    ).encode()


def _not_at_the_end_of_an_hour():
    # "10/h" counts per clock hour: 30 posts must not straddle two of them.
    left = 3600 - time.time() % 3600
    if left < 60:
        time.sleep(left + 1)


@pytest.fixture
def give_url(site):
    campaign = load_demo_campaign()[0]
    return f"{site}/give/{campaign.slug}/", f"{site}{campaign.get_absolute_url()}"


def test_it_counts_one_address_across_all_workers(give_url):
    give, page = give_url
    headers, token = _browser_headers(page)
    _not_at_the_end_of_an_hour()
    statuses = [_post(give, _spam(token), headers) for _ in range(3 * LIMIT)]
    assert [status == 429 for status in statuses] == [False] * LIMIT + [True] * (2 * LIMIT)
    assert set(statuses[:LIMIT]) == {400}


def test_it_counts_one_address_across_all_workers_when_posts_come_at_once(give_url):
    give, page = give_url
    headers, token = _browser_headers(page)
    _not_at_the_end_of_an_hour()
    with ThreadPoolExecutor(max_workers=3 * LIMIT) as pool:
        statuses = list(pool.map(lambda _: _post(give, _spam(token), headers), range(3 * LIMIT)))
    assert statuses.count(429) == 2 * LIMIT
    assert statuses.count(400) == LIMIT


def test_it_counts_both_of_two_increments_that_race(transactional_db, monkeypatch):
    """The database cache's incr() on its own: the second of two app servers to read
    the counter reads it after the first has written it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    shared = {"default": {"BACKEND": "oca_site.cache.DatabaseCache", "LOCATION": "test_race"}}
    first_read, second_read = threading.Event(), threading.Event()
    get = db_cache.DatabaseCache.get

    def get_slowly(self, key, *args, **kwargs):
        value = get(self, key, *args, **kwargs)
        if threading.current_thread().name == "first":
            first_read.set()
            second_read.wait(1)  # the second one's read, unless something holds it back
        else:
            second_read.set()
        return value

    def incr():
        try:
            caches["default"].incr("hits")
        finally:
            connections.close_all()

    with override_settings(CACHES=shared):
        call_command("createcachetable")
        try:
            caches["default"].set("hits", 0)
            monkeypatch.setattr(db_cache.DatabaseCache, "get", get_slowly)
            first = threading.Thread(target=incr, name="first")
            second = threading.Thread(target=incr, name="second")
            first.start()
            assert first_read.wait(10)
            second.start()
            for thread in (first, second):
                thread.join(20)
            assert caches["default"].get("hits") == 2
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE test_race")
