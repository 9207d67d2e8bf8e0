"""What a browser, a bot or an attacker sees of the site's defences: the headers of the
public pages, the cookies of the admin, login throttling and the admin's address. (The
size limits of the endpoints that take a body from anyone are tested with each:
tests/donations/test_webhooks.py and test_abuse.py.)"""

import importlib
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import clear_url_caches, resolve
from django.urls.exceptions import Resolver404
from django.utils.csp import CSP

PASSWORD = "pw-root-123"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Each login attempt hashes a password; the real hasher makes that slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _csp_directives(response):
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


class _ScriptAudit(HTMLParser):
    """Collects what a strict CSP would block: inline handlers, styles and scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.handlers, self.styles, self.scripts = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
        if "style" in attrs:
            self.styles.append(tag)
        if tag == "script":
            self.scripts.append(attrs)


def _audit(response):
    audit = _ScriptAudit()
    audit.feed(response.content.decode())
    audit.close()
    return audit


@pytest.fixture
def public_pages(campaign):
    return [
        "/",
        campaign.get_absolute_url(),
        f"/campaigns/{campaign.slug}/feed/",
        "/give/manage/",
        "/give/thanks/?session_id=not-a-session",
        "/no-such-page/",
    ]


def test_it_allows_scripts_only_from_self(client, public_pages):
    # No nonce: no page has an inline script, and a cached public page's headers are
    # the same for every visitor.
    assert settings.SECURE_CSP["script-src"] == [CSP.SELF]
    for url in public_pages:
        response = client.get(url)
        csp = _csp_directives(response)
        assert csp["script-src"] == ["'self'"], url
        assert csp["default-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'none'"]
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_it_renders_public_pages_with_nothing_inline_that_csp_would_block(client, public_pages):
    for url in public_pages:
        response = client.get(url)
        nonces = [s[len("'nonce-") : -1] for s in _csp_directives(response)["script-src"][1:]]
        audit = _audit(response)
        assert audit.handlers == [], url
        assert audit.styles == [], url
        for script in audit.scripts:
            src = script.get("src")
            if src:
                # Only this site's own files: the policy names no other host.
                assert src.startswith("/") and not src.startswith("//"), (url, src)
            else:
                assert script.get("nonce") in nonces, (url, script)


def test_it_finds_an_inline_handler_when_there_is_one():
    # The audit itself must be able to fail.
    audit = _ScriptAudit()
    audit.feed('<p><a href="#" onclick="x()">a</a><script>alert(1)</script><b style="c">')
    assert audit.handlers == [("a", "onclick")]
    assert audit.scripts == [{}]
    assert audit.styles == ["b"]


def test_it_renders_the_campaign_page_with_the_donation_form_and_its_script(client, campaign):
    # The page under audit must be the real one, form and scripts included.
    audit = _audit(client.get(campaign.get_absolute_url()))
    sources = [script.get("src", "") for script in audit.scripts]
    assert any(src.endswith(".js") for src in sources)


def test_it_sends_hsts_on_secure_requests_only(client, campaign):
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in client.get("/")


def test_it_sends_the_privacy_and_framing_headers(client, campaign):
    response = client.get("/", secure=True)
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert _csp_directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(item.split("=") for item in response["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"


def test_it_sends_the_headers_on_error_pages_too(client, db):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert response["X-Frame-Options"] == "DENY"
    assert "Permissions-Policy" in response
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_it_sets_secure_httponly_session_and_csrf_cookies_on_admin_login(client, superuser):
    login_url = f"/{settings.ADMIN_PATH}login/"
    form = client.get(login_url, secure=True)
    csrf = form.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"

    response = client.post(
        login_url,
        {"username": "root", "password": PASSWORD, "next": f"/{settings.ADMIN_PATH}"},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session.value
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def _login(client, password, username="root"):
    return client.post(
        f"/{settings.ADMIN_PATH}login/",
        {"username": username, "password": password, "next": f"/{settings.ADMIN_PATH}"},
    )


def test_it_locks_out_the_admin_login_after_five_failures(client, superuser):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        response = _login(client, "wrong")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    # The fifth failure reaches the limit and is answered with the lock-out page.
    assert _login(client, "wrong").status_code == 429

    response = _login(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(f"/{settings.ADMIN_PATH}").status_code == 302  # still to the login


def test_it_lets_the_right_password_in_after_four_failures(client, superuser):
    for _attempt in range(4):
        _login(client, "wrong")
    response = _login(client, PASSWORD)
    assert response.status_code == 302
    assert client.get(f"/{settings.ADMIN_PATH}").status_code == 200


def test_it_locks_out_the_attackers_address_not_the_proxy_everyone_comes_through(
    client, superuser, settings
):
    """Behind the load balancer and nginx (PROXY_COUNT=2) every request comes from
    nginx's address: throttling by that address would let anyone lock a staff member
    out from everywhere with five wrong passwords."""
    settings.AXES_IPWARE_PROXY_COUNT = 2

    def login(password, client_address):
        return client.post(
            f"/{settings.ADMIN_PATH}login/",
            {"username": "root", "password": password, "next": f"/{settings.ADMIN_PATH}"},
            REMOTE_ADDR="10.0.0.2",  # nginx
            HTTP_X_FORWARDED_FOR=f"{client_address}, 10.0.0.1",  # as the load balancer saw it
        )

    for _attempt in range(5):
        login("wrong", "203.0.113.7")
    assert login(PASSWORD, "203.0.113.7").status_code == 429
    assert login(PASSWORD, "198.51.100.9").status_code == 302


def test_it_locks_out_one_username_not_the_others(client, superuser, editor):
    for _attempt in range(5):
        _login(client, "wrong")
    assert _login(client, PASSWORD).status_code == 429
    assert _login(client, "pw-edna-123", username="edna").status_code == 302


@pytest.fixture
def reload_urls():
    """Rebuilds the URLconf from the current settings; restores it afterwards."""

    def reload():
        importlib.reload(importlib.import_module(settings.ROOT_URLCONF))
        clear_url_caches()

    yield reload
    reload()


def test_it_serves_the_admin_at_the_configured_path(client, superuser, reload_urls):
    with override_settings(ADMIN_PATH="back-office-7f3c/"):
        reload_urls()
        assert resolve("/back-office-7f3c/").app_name == "admin"
        with pytest.raises(Resolver404):
            resolve("/admin/")
        response = client.get("/back-office-7f3c/")
        assert response.status_code == 302
        assert response["Location"].startswith("/back-office-7f3c/login/")
        assert client.get("/admin/").status_code == 404


def test_it_serves_the_admin_at_admin_by_default(reload_urls):
    reload_urls()
    assert settings.ADMIN_PATH == "admin/"
    assert resolve("/admin/").app_name == "admin"
