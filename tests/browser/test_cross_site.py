"""The donation form has no CSRF token (the page is the same for everyone, so that it
can be cached); in Chromium, a post another site makes is refused, while our own
page's form works, with or without JavaScript."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from donations.models import Pledge


@pytest.fixture
def other_site(live_server, campaign):
    """A page on another site (localhost, not 127.0.0.1) whose form posts a donation
    to ours, as a forging page would."""
    target = f"{live_server.url}/give/{campaign.slug}/"
    page = f"""<!doctype html><html lang="en"><title>Win a prize</title>
<form method="post" action="{target}">
<input name="amount" value="50"><input name="frequency" value="once">
<input name="name" value="Forged Name"><input name="email" value="victim@example.org">
<input name="display_as" value="full"><input name="website" value="">
<button>Claim</button></form></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_post_from_another_site_is_refused(page, other_site, standin):
    page.goto(other_site)
    with page.expect_response(re.compile(r"/give/")) as posted:
        page.get_by_role("button", name="Claim").click()
    assert posted.value.status == 403
    # Chromium calls localhost and 127.0.0.1 the same site (another origin): refused
    # as cross-site is.
    assert posted.value.request.header_value("sec-fetch-site") in ("same-site", "cross-site")
    expect(page.locator("body")).to_contain_text("only be sent from our own page")
    assert not Pledge.objects.exists()


def test_our_own_form_is_accepted_without_javascript(live_server, campaign, standin, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + campaign.get_absolute_url())
        form = page.locator("#donation-form")
        form.get_by_label("Your name").fill("Dee Ray")
        form.get_by_label("E-mail").fill("dee@example.org")
        with page.expect_request(re.compile(r"/give/")) as posted:
            form.get_by_role("button", name=re.compile("Continue to payment|Give")).click()
        assert posted.value.header_value("sec-fetch-site") == "same-origin"
        page.wait_for_url(standin.url + "/checkout/**")
    finally:
        context.close()
    pledge = Pledge.objects.get()
    assert pledge.name == "Dee Ray"
