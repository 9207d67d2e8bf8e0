import gzip
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

from django.db import OperationalError
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


@override_settings(ADMIN_PATH="back-office/")
def test_it_reads_the_admin_path_from_settings():
    from django.conf import settings

    assert settings.ADMIN_PATH == "back-office/"


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


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    env = PRODUCTION_ENV | {"SECRET_KEY": ""}
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
