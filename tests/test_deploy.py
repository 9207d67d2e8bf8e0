"""The production configuration in deploy/ and docker-compose.yml.

nginx is Debian's (scripts/install-test-tools installs it), run on deploy/nginx.conf
as deployed except for its port (bench.harness.nginx). Most tests put it in front of a
small upstream of their own that answers with the headers the site sends, so that they
show what the configuration does with each kind of answer; one puts it in front of the
site itself. Docker is not here: docker-compose.yml is checked by reading it.
"""

import gzip
import http.client
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from bench import harness

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "public, max-age=0, s-maxage=30, stale-while-revalidate=60"
PAGE = "<!doctype html><title>Appeal</title>" + "<p>Open communities for everyone.</p>" * 40


# --- nginx -t ------------------------------------------------------------------------


def test_it_passes_nginx_own_check_as_it_stands(tmp_path):
    # As it stands: the file itself, with the upstream.conf beside it, in a prefix
    # folder of the test's own (no root-owned path is written).
    result = subprocess.run(
        [
            harness.nginx_binary(),
            "-t",
            "-p",
            f"{tmp_path}/",
            "-c",
            str(harness.NGINX_CONF),
            "-g",
            f"pid {tmp_path}/nginx.pid;",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_it_fails_nginx_check_of_a_broken_copy(tmp_path):
    # The check above can fail: the same file with one directive misspelt does.
    text = harness.NGINX_CONF.read_text()
    assert text.count("gzip on;") == 1
    text = text.replace("gzip on;", "gzip_onn on;")
    (tmp_path / "nginx.conf").write_text(text)
    (tmp_path / "upstream.conf").write_text("server 127.0.0.1:8000;\n")
    result = subprocess.run(
        [
            harness.nginx_binary(),
            "-t",
            "-p",
            f"{tmp_path}/",
            "-c",
            str(tmp_path / "nginx.conf"),
            "-g",
            f"pid {tmp_path}/nginx.pid;",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "gzip_onn" in result.stderr


def test_it_honours_the_apps_cache_headers_rather_than_overriding_them():
    text = harness.NGINX_CONF.read_text()
    directives = re.sub(r"#.*", "", text)
    assert "proxy_ignore_headers" not in directives
    assert "proxy_cache_valid" not in directives


# --- nginx in front of a small upstream ----------------------------------------------


class Upstream(ThreadingHTTPServer):
    """Answers as the site does, counting the requests each path gets and keeping the
    headers of the last one."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), UpstreamHandler)
        self.hits = {}
        self.seen = {}
        self.lock = threading.Lock()

    def count(self, path, headers):
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            self.seen[path] = headers
            return self.hits[path]


class UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        number = self.server.count(self.path, dict(self.headers))
        cache_control = PUBLIC
        etag = '"v1"'
        text = PAGE
        if path.startswith("/private"):
            cache_control = "private, no-store"
        elif path.startswith("/short"):
            # Expires after a second; each render says which it is.
            cache_control = "public, max-age=0, s-maxage=1, stale-while-revalidate=60"
            etag = f'"v{number}"'
            text = f"{PAGE}<p>render {number}</p>"
        elif path.startswith("/failing"):
            # Fine once, then down (as with the database stopped: the site's 503).
            cache_control = "public, max-age=0, s-maxage=1"
            if number > 1:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.send_header("Cache-Control", "private, no-store")
                self.end_headers()
                return
        elif path.startswith("/slow"):
            time.sleep(0.5)
        elif path.startswith("/static/"):
            cache_control = "max-age=315360000, public, immutable"
        elif path.startswith("/upload"):
            text = f"received {len(body)} bytes"
            cache_control = "private, no-store"
        if self.command == "GET" and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Cache-Control", cache_control)
            self.end_headers()
            return
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache_control)
        self.send_header("ETag", etag)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_HEAD = do_GET
    do_POST = do_GET


@pytest.fixture(scope="module")
def upstream():
    server = Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def nginx(upstream, tmp_path_factory):
    log = tmp_path_factory.mktemp("nginx") / "access.log"
    host, port = upstream.server_address
    with harness.nginx(f"{host}:{port}", access_log=log) as url:
        yield url.removeprefix("http://")


def fetch(address, path, *, method="GET", headers=None, body=None):
    """One request on its own connection; returns (status, headers, body)."""
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_it_serves_a_public_page_from_its_cache_the_second_time(nginx, upstream):
    first = fetch(nginx, "/public-page")
    second = fetch(nginx, "/public-page")

    assert (first[0], first[1]["X-Cache-Status"]) == (200, "MISS")
    assert (second[0], second[1]["X-Cache-Status"]) == (200, "HIT")
    assert second[2] == first[2] == PAGE.encode()
    # The app's headers reach the visitor as they were.
    assert second[1]["Cache-Control"] == PUBLIC
    assert second[1]["ETag"] == '"v1"'
    assert upstream.hits["/public-page"] == 1


def test_it_answers_a_matching_if_none_match_with_304_from_its_cache(nginx, upstream):
    fetch(nginx, "/public-etag")
    status, headers, body = fetch(nginx, "/public-etag", headers={"If-None-Match": '"v1"'})

    assert (status, headers["X-Cache-Status"], body) == (304, "HIT", b"")
    assert upstream.hits["/public-etag"] == 1


def test_it_never_serves_or_keeps_a_page_for_a_visitor_with_a_session(nginx, upstream):
    fetch(nginx, "/public-session")  # now in the cache

    with_session = fetch(nginx, "/public-session", headers={"Cookie": "sessionid=abc"})

    assert with_session[1]["X-Cache-Status"] == "BYPASS"
    assert upstream.hits["/public-session"] == 2
    assert upstream.seen["/public-session"]["Cookie"] == "sessionid=abc"


def test_it_does_not_keep_what_it_fetched_for_a_session(nginx, upstream):
    fetch(nginx, "/public-kept", headers={"Cookie": "sessionid=abc"})
    anonymous = fetch(nginx, "/public-kept")

    assert anonymous[1]["X-Cache-Status"] == "MISS"
    assert upstream.hits["/public-kept"] == 2


def test_it_bypasses_the_cache_for_a_csrf_cookie_too(nginx, upstream):
    fetch(nginx, "/public-csrf")
    with_token = fetch(nginx, "/public-csrf", headers={"Cookie": "csrftoken=xyz; theme=dark"})

    assert with_token[1]["X-Cache-Status"] == "BYPASS"
    assert upstream.hits["/public-csrf"] == 2


def test_it_keeps_a_page_for_anonymous_visitors_whatever_other_cookie_they_send(nginx, upstream):
    fetch(nginx, "/public-other-cookie")
    again = fetch(nginx, "/public-other-cookie", headers={"Cookie": "theme=dark"})

    assert again[1]["X-Cache-Status"] == "HIT"
    assert upstream.hits["/public-other-cookie"] == 1


def test_it_never_keeps_a_private_answer(nginx, upstream):
    fetch(nginx, "/private-page")
    second = fetch(nginx, "/private-page")

    assert second[1]["X-Cache-Status"] == "MISS"
    assert second[1]["Cache-Control"] == "private, no-store"
    assert upstream.hits["/private-page"] == 2


def test_it_always_passes_a_post_on(nginx, upstream):
    for _ in range(2):
        status, headers, _ = fetch(nginx, "/public-form", method="POST", body=b"amount=25")
        assert status == 200

    assert upstream.hits["/public-form"] == 2


def test_it_sends_one_request_per_page_to_the_app_however_many_ask_at_once(nginx, upstream):
    # The upstream takes half a second: the others wait for its answer (the lock).
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: fetch(nginx, "/slow-page"), range(10)))

    assert all(status == 200 for status, _, _ in answers)
    assert upstream.hits["/slow-page"] == 1


def test_it_serves_an_expired_page_while_it_fetches_the_new_one(nginx, upstream):
    first = fetch(nginx, "/short-page")
    # Its s-maxage is 1 s, which nginx counts in whole seconds of its clock.
    time.sleep(2.2)
    stale = fetch(nginx, "/short-page")
    # The background update: the next visitor gets the new render.
    deadline = time.monotonic() + 5
    while True:
        fresh = fetch(nginx, "/short-page")
        if b"render 2" in fresh[2] or time.monotonic() > deadline:
            break
        time.sleep(0.05)

    assert b"render 1" in first[2]
    assert stale[1]["X-Cache-Status"] in ("STALE", "UPDATING")
    assert b"render 1" in stale[2]
    assert b"render 2" in fresh[2]
    assert fresh[1]["X-Cache-Status"] == "HIT"
    assert upstream.hits["/short-page"] == 2


def test_it_serves_the_last_good_page_while_the_app_fails(nginx, upstream):
    fetch(nginx, "/failing-page")
    time.sleep(2.2)  # expired, and this page allows no stale copy by its headers
    answers = [fetch(nginx, "/failing-page") for _ in range(3)]

    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert all(body == PAGE.encode() for _, _, body in answers)
    assert answers[0][1]["X-Cache-Status"] == "STALE"
    assert upstream.hits["/failing-page"] >= 2


def test_it_compresses_when_asked_and_says_so(nginx):
    status, headers, body = fetch(nginx, "/public-gzip", headers={"Accept-Encoding": "gzip"})
    plain = fetch(nginx, "/public-gzip")

    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(body) == PAGE.encode()
    assert plain[1]["Content-Encoding"] is None
    assert plain[2] == PAGE.encode()


def test_it_keeps_static_files_for_visitors_with_a_session_too(nginx, upstream):
    path = "/static/site.0123456789ab.css"
    fetch(nginx, path, headers={"Cookie": "sessionid=abc"})
    again = fetch(nginx, path, headers={"Cookie": "sessionid=abc"})

    assert again[1]["X-Cache-Status"] == "HIT"
    assert again[1]["Cache-Control"] == "max-age=315360000, public, immutable"
    assert upstream.hits[path] == 1


def test_it_tells_the_app_who_asked_and_how(nginx, upstream):
    fetch(
        nginx,
        "/private-forwarded",
        headers={
            "Host": "give.example.org",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
        },
    )
    seen = upstream.seen["/private-forwarded"]

    # The load balancer's list, with the address nginx saw appended.
    assert seen["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "https"
    assert seen["X-Forwarded-Host"] == "give.example.org"
    assert seen["Host"] == "give.example.org"


def test_it_says_http_when_no_load_balancer_said_otherwise(nginx, upstream):
    fetch(nginx, "/private-direct")

    assert upstream.seen["/private-direct"]["X-Forwarded-Proto"] == "http"


def test_it_accepts_uploads_up_to_ten_megabytes(nginx, upstream):
    small = fetch(nginx, "/upload", method="POST", body=b"x" * (9 * 1024 * 1024))
    large = fetch(nginx, "/upload", method="POST", body=b"x" * (10 * 1024 * 1024 + 1))

    assert small[0] == 200
    assert small[2] == f"received {9 * 1024 * 1024} bytes".encode()
    assert large[0] == 413
    assert upstream.hits["/upload"] == 1


# --- nginx in front of the site itself -----------------------------------------------


def test_it_caches_the_sites_public_page_but_not_for_a_session(campaign, live_server):
    with harness.nginx(live_server.url.removeprefix("http://")) as url:
        address = url.removeprefix("http://")
        browser = {"Accept-Encoding": "gzip, deflate, br, zstd"}
        first = fetch(address, "/", headers=browser)
        second = fetch(address, "/", headers=browser)
        with_session = fetch(address, "/", headers=browser | {"Cookie": "sessionid=abc"})

    assert (first[0], first[1]["X-Cache-Status"]) == (200, "MISS")
    assert (second[0], second[1]["X-Cache-Status"]) == (200, "HIT")
    assert "s-maxage=" in second[1]["Cache-Control"]
    assert second[1]["Content-Encoding"] == "gzip"
    assert campaign.title in gzip.decompress(second[2]).decode()
    assert with_session[1]["X-Cache-Status"] == "BYPASS"
    assert "private" in with_session[1]["Cache-Control"]


# --- docker-compose.yml --------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_has_the_services_an_operator_needs(compose):
    assert {"app", "worker", "db", "redis", "nginx"} <= set(compose["services"])


def test_it_runs_app_and_worker_from_the_same_image(compose):
    app, worker = compose["services"]["app"], compose["services"]["worker"]

    assert app["image"] == worker["image"]
    assert app["build"] == worker["build"] == "."
    assert worker["command"] == ["python", "manage.py", "db_worker"]
    # The app runs the image's own command: gunicorn, on the port nginx sends to.
    assert "command" not in app
    assert '"gunicorn", "oca_site.wsgi", "--bind", "0.0.0.0:8000"' in (
        (ROOT / "Dockerfile").read_text()
    )
    assert (
        (ROOT / "deploy" / "upstream-compose.conf").read_text().strip().endswith("server app:8000;")
    )


def test_it_takes_the_environment_from_an_env_file(compose):
    for name in ("app", "worker", "migrate"):
        service = compose["services"][name]
        assert service["env_file"] == ".env" or ".env" in service["env_file"]
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["CACHE_URL"] == "redis://redis:6379/1"


def test_it_migrates_before_the_app_and_worker_start(compose):
    services = compose["services"]
    assert services["migrate"]["command"][:3] == ["python", "manage.py", "migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("app", "worker"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_it_gives_the_database_a_volume_and_a_healthcheck(compose):
    db = compose["services"]["db"]

    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_it_mounts_deploy_nginx_conf_into_nginx(compose):
    nginx = compose["services"]["nginx"]
    mounts = {}
    for volume in nginx["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source

    assert nginx["image"] == "nginx:stable"
    assert mounts["/etc/nginx/nginx.conf"] == "./deploy/nginx.conf"
    # nginx.conf includes upstream.conf from its own folder.
    assert "include upstream.conf;" in harness.NGINX_CONF.read_text()
    assert mounts["/etc/nginx/upstream.conf"] == "./deploy/upstream-compose.conf"
    for source in mounts.values():
        if source.startswith("./"):
            assert (ROOT / source).is_file(), source
    # The port nginx listens on is the one published.
    assert any(port.endswith(":8080") for port in nginx["ports"])
    assert harness.NGINX_LISTEN in harness.NGINX_CONF.read_text()


# --- the README's cron lines -----------------------------------------------------------

# The commands that finish what an outage held back, and that nothing else runs again.
RETRYING_COMMANDS = (
    "send_pending_receipts",
    "send_year_end_statements",
    "send_staff_digest",
    "move_hidden_photos",
)


def test_the_readme_schedules_every_command_that_finishes_what_an_outage_held_back():
    readme = (ROOT / "README.md").read_text()
    (crontab,) = re.findall(r"```cron\n(.*?)```", readme, re.S)
    scheduled = set(re.findall(r"manage\.py (\w+)", crontab))
    assert set(RETRYING_COMMANDS) <= scheduled
    # The same, for a site started with docker compose.
    compose = (ROOT / "docker-compose.yml").read_text()
    assert set(RETRYING_COMMANDS) <= set(re.findall(r"python manage\.py (\w+)", compose))
