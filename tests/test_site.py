import contextlib
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import OperationalError, connection
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


def test_it_answers_healthz_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_it_answers_503_on_healthz_when_the_database_does_not(client, db):
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("down"),
    ):
        response = client.get("/healthz")
    assert response.status_code == 503


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["give.ctoca.org"])
@pytest.mark.parametrize("host", ["give.ctoca.org", "10.0.3.17:8080"])
def test_it_answers_healthz_to_the_load_balancers_own_probe(client, db, host):
    """The probe comes in plain HTTP with no X-Forwarded-Proto, often addressed to the
    server's own IP: a redirect to https or a 400 would read as a dead server."""
    response = client.get("/healthz", HTTP_HOST=host)
    assert (response.status_code, response.content) == (200, b"ok\n")
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("down"),
    ):
        assert client.get("/healthz", HTTP_HOST=host).status_code == 503


def test_only_healthz_is_spared_the_redirect_and_the_host_check(client, db):
    with override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["give.ctoca.org"]):
        assert client.get("/robots.txt", HTTP_HOST="give.ctoca.org").status_code == 301
        assert client.get("/healthz/", HTTP_HOST="10.0.3.17").status_code == 400
        assert client.get("/robots.txt", HTTP_HOST="10.0.3.17").status_code == 400


def test_it_answers_503_with_the_friendly_page_when_the_database_is_down(client, db):
    with mock.patch(
        "campaigns.models.CampaignQuerySet.featured",
        side_effect=OperationalError("down"),
    ):
        response = client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "We’ll be right back" in response.content.decode()


def test_it_serves_robots_txt(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert "Disallow: /stripe/" in response.content.decode()


def test_it_points_favicon_ico_at_the_svg(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_it_shows_the_friendly_500_page(client, db):
    client.raise_request_exception = False
    with mock.patch("campaigns.models.CampaignQuerySet.featured", side_effect=RuntimeError("bug")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_it_sends_the_security_headers(client, campaign):
    response = client.get("/", secure=True)
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


def test_it_sends_pages_gzipped_to_browsers_that_accept_it(client, campaign):
    plain = client.get("/")
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert html.startswith("<!doctype html>")
    assert campaign.title in html
    assert len(response.content) < len(plain.content) / 2


def _manage(*args, env_overrides):
    # The test run's own switches stay out: production never sets them, and Django's
    # deploy check rightly complains about DJANGO_ALLOW_ASYNC_UNSAFE.
    skipped = ("STRIPE_", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skipped)}
    env |= env_overrides
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-a-long-and-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "give.ctoca.org",
    "SITE_URL": "https://give.ctoca.org",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "MAIL_URL": "smtp+tls://giving:secret@smtp.example.org:587",
    "STRIPE_SECRET_KEY": "sk_live_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_live",
    "STRIPE_PRODUCT_ID": "prod_live",
    "STRIPE_API_BASE": "",
    "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
}


def test_it_passes_check_deploy_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("site_url", "words"),
    [
        ("", "does not start with https://"),
        ("http://give.ctoca.org", "does not start with https://"),
        ("https://localhost", "names no public host"),
        ("https://give.example.org", "names a host that ALLOWED_HOSTS does not allow"),
    ],
)
def test_check_deploy_names_a_site_url_donors_would_be_sent_back_to_in_vain(site_url, words):
    env = PRODUCTION_ENV | {"SITE_URL": site_url}
    if not site_url:
        del env["SITE_URL"]
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert result.returncode != 0
    assert "oca_site.W002" in result.stderr and words in result.stderr


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    env = PRODUCTION_ENV | {"SECRET_KEY": ""}
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_every_setting_read_from_the_environment_is_explained_in_env_example():
    """The README sends operators to .env.example for each variable."""
    read = set(
        re.findall(
            r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', (ROOT / "oca_site/settings.py").read_text()
        )
    )
    explained = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert read - explained == set()


# The donation form's settings, checked before any donor clicks --------------------


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("PLEDGE_RATE_LIMIT", "10 per hour", "must look like 10/h"),
        ("THANK_YOU_UNKNOWN_RATE_LIMIT", "30/w", "must look like 10/h"),
        ("PLEDGE_RATE_LIMIT", "0/h", "must look like 10/h"),
        ("DONATION_FEE_PERCENT", 100.0, "from 0 to under 100"),
        ("DONATION_BANK_FEE_PERCENT", -0.8, "from 0 to under 100"),
        ("DONATION_FEE_FIXED_CENTS", -30, "must not be negative"),
        ("DONATION_BANK_FEE_CAP_CENTS", -1, "must not be negative"),
        ("DONATION_BANK_MAX_CENTS", 10_000_000_000, "must be from 500 to 2147483647"),
        ("DONATION_BANK_MAX_CENTS", 100, "must be from 500 to 2147483647"),
    ],
)
def test_it_names_a_giving_setting_the_donation_form_could_not_use(settings, name, value, words):
    from donations.system_checks import check_giving_settings

    setattr(settings, name, value)
    (error,) = check_giving_settings(None)
    assert error.id == "donations.E004"
    assert name in error.msg and words in error.msg


def test_it_names_an_account_of_the_journal_set_to_nothing(settings):
    from donations.system_checks import check_accounting_accounts

    assert check_accounting_accounts(None) == []
    settings.ACCOUNTING_ACCOUNTS = settings.ACCOUNTING_ACCOUNTS | {"bank": " "}
    (error,) = check_accounting_accounts(None)
    assert error.id == "donations.E005" and "ACCOUNT_BANK is empty" in error.msg


def test_manage_py_check_stops_on_an_empty_account_name():
    result = _manage("check", env_overrides=PRODUCTION_ENV | {"ACCOUNT_BANK": ""})
    assert result.returncode != 0
    assert "donations.E005" in result.stderr and "ACCOUNT_BANK" in result.stderr


def test_the_default_giving_settings_pass_their_check():
    from donations.system_checks import check_giving_settings

    assert check_giving_settings(None) == []


def test_manage_py_check_stops_on_a_rate_limit_it_could_not_read():
    env = PRODUCTION_ENV | {"PLEDGE_RATE_LIMIT": "10 per hour"}
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "donations.E004" in result.stderr and "PLEDGE_RATE_LIMIT" in result.stderr


# The cache the rate limits count in -----------------------------------------------

SHARED_CACHE = {"default": {"BACKEND": "oca_site.cache.DatabaseCache", "LOCATION": "test_cache"}}
PROCESS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.parametrize(
    ("overrides", "backend"),
    [
        ({}, "oca_site.cache.DatabaseCache"),
        ({"CACHE_URL": "redis://127.0.0.1:6379/1"}, "oca_site.cache.RedisCache"),
        ({"DEBUG": "true"}, "django.core.cache.backends.locmem.LocMemCache"),
    ],
)
def test_it_shares_the_cache_between_app_servers_unless_debug_is_on(overrides, backend):
    env = PRODUCTION_ENV | {"CACHE_URL": ""} | overrides
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = _manage("shell", "-c", code, env_overrides=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == backend


def _cache_checks(databases=None):
    # As `check --deploy [--database default]` runs them.
    found = run_checks(include_deployment_checks=True, databases=databases)
    return [message.id for message in found if message.id in ("oca_site.W001", "oca_site.E001")]


def test_it_warns_when_production_would_count_rate_limits_per_process():
    with override_settings(DEBUG=False, CACHES=PROCESS_CACHE):
        assert _cache_checks() == ["oca_site.W001"]
    with override_settings(DEBUG=True, CACHES=PROCESS_CACHE):
        assert _cache_checks() == []
    with override_settings(DEBUG=False, CACHES=SHARED_CACHE):
        assert _cache_checks() == []


def test_it_reports_a_missing_cache_table_when_asked_to_look_at_the_database(db):
    with override_settings(DEBUG=False, CACHES=SHARED_CACHE):
        assert _cache_checks() == []  # `check --deploy` alone does not query the database
        assert _cache_checks(databases=["default"]) == ["oca_site.E001"]
        call_command("createcachetable")
        assert _cache_checks(databases=["default"]) == []


def test_it_creates_the_cache_table_when_migrating(db):
    with override_settings(CACHES=SHARED_CACHE):
        assert "test_cache" not in connection.introspection.table_names()
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
        assert "test_cache" in connection.introspection.table_names()


# `make run` (scripts/run-dev) ------------------------------------------------------

STANDIN_OFFSET = 4111  # the stand-in listens on PORT + 4111: 8000 and 12111


# What `make test` sets.
TEST_ENV = {
    "SECRET_KEY": "test-only-secret-key",
    "STRIPE_SECRET_KEY": "sk_test_suite",
    "STRIPE_WEBHOOK_SECRET": "whsec_test_suite",
    "STRIPE_PRODUCT_ID": "prod_test_donation",
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}


def _developer_shell(**extra):
    # A developer's terminal: none of the test run's settings.
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")} | extra


def _free_ports():
    """A free port whose stand-in port is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + STANDIN_OFFSET))
            except OSError:
                continue
        return port


def _listening(port):
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen()
    return sock


def _run_dev(folder, port):
    return subprocess.run(
        [folder / "scripts" / "run-dev"],
        env=_developer_shell(PORT=str(port)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_make_run_where_another_copy_listens(tmp_path):
    # run-dev alone with the virtualenv: anything it got past its checks to start would
    # fail there, and what it would write stays there.
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run-dev", tmp_path / "scripts")
    (tmp_path / ".venv").symlink_to(sys.prefix)

    port = _free_ports()
    with _listening(port):
        result = _run_dev(tmp_path, port)
    assert result.returncode == 1
    assert f"port {port} is taken" in result.stderr

    port = _free_ports()
    with _listening(port + STANDIN_OFFSET):
        result = _run_dev(tmp_path, port)
    assert result.returncode == 1
    assert f"port {port + STANDIN_OFFSET}, for the Stripe stand-in of PORT={port}" in result.stderr
    assert not (tmp_path / ".env").exists()


def _wait_for(url, process, log):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer:\n{log.read_text()}")


# Left out of the copy: what is not the project's source, and the benchmarks.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "staticfiles", "var", "db.sqlite3", ".env",
    "test-artifacts", ".hypothesis", "__pycache__", ".*_cache", "bench",
)  # fmt: skip


def test_it_gives_manage_py_commands_the_settings_of_make_run(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED)
    (copy / ".venv").symlink_to(sys.prefix)
    python = copy / ".venv" / "bin" / "python"
    port = _free_ports()
    log = tmp_path / "make-run.log"
    with open(log, "wb") as out:
        run = subprocess.Popen(
            [copy / "scripts" / "run-dev"],
            env=_developer_shell(PORT=str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", run, log)

        def run_there(*args, **env):
            return subprocess.run(
                [python, *args],
                cwd=copy,
                env=_developer_shell(**env),
                capture_output=True,
                text=True,
                timeout=120,
            )

        code = (
            "from django.conf import settings as s; print(s.DEBUG, s.SITE_URL, s.STRIPE_API_BASE)"
        )
        shown = run_there("manage.py", "shell", "-c", code)
        assert shown.returncode == 0, shown.stderr
        standin = f"http://127.0.0.1:{port + STANDIN_OFFSET}"
        assert shown.stdout.splitlines()[-1] == f"True http://127.0.0.1:{port} {standin}"
        # The stand-in there is this copy's own, reporting to this copy's site.
        with urllib.request.urlopen(standin, timeout=5) as response:
            assert response.status == 200
        standin_log = (copy / "var" / "stripe-standin.log").read_text()
        assert f"Webhook events go to http://127.0.0.1:{port}/stripe/webhook/" in standin_log

        gifts = run_there("manage.py", "export_gifts", "--campaign", "oca-2017-appeal")
        assert gifts.returncode == 0, gifts.stderr
        assert gifts.stdout.startswith("date,donor_name,donor_email,amount,")
        assert len(gifts.stdout.splitlines()) > 1  # the demo's gifts

        # Started again beside itself, it stops at once and says why.
        again = _run_dev(copy, port)
        assert again.returncode == 1
        assert f"port {port} is taken" in again.stderr

        # The tests there still check what production runs (DEBUG off, so HSTS is
        # sent), whatever that .env says.
        header_test = "tests/test_site.py::test_it_sends_the_security_headers"
        tests = run_there("-m", "pytest", "-p", "no:cacheprovider", "-q", header_test, **TEST_ENV)
        assert tests.returncode == 0, tests.stdout + tests.stderr
    finally:
        # As Ctrl-C in its terminal would: the whole group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=15)


def test_the_redis_cache_keeps_one_client_and_works():
    """Django's Redis cache builds a client per call, which cost more than Redis
    itself on every cached page; ours keeps one per connection pool."""
    from oca_site.cache import RedisCache

    cache = RedisCache("redis://127.0.0.1:6379/5", {})
    cache.set("oca-test-key", {"a": 1}, 30)
    assert cache.get_many(["oca-test-key", "missing"]) == {"oca-test-key": {"a": 1}}
    client = cache._cache.get_client("oca-test-key")
    assert cache._cache.get_client("other") is client
    assert cache._cache.get_client("x", write=True) is client  # one server: one pool
    cache.delete("oca-test-key")


def test_a_log_level_in_lower_case_is_understood():
    shown = _manage(
        "shell",
        "-c",
        "import logging; print(logging.getLevelName(logging.getLogger().level))",
        env_overrides=PRODUCTION_ENV | {"LOG_LEVEL": "warning"},
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip().splitlines()[-1] == "WARNING"
