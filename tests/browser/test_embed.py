"""The donate button in another site's page, in Chromium: shown in the frame when that
site's origin is allowed, and the click opens our form with the amount chosen; refused
by the browser when it is not. Also the button page's own quality, and the admin page
where editors copy the snippets.

The other site is a small server on localhost, while the live server is 127.0.0.1:
another origin, as www.ctoca.org is to the giving site.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from campaigns import embed
from tests.conftest import migration_group
from tests.quality import assert_no_axe_violations, assert_valid_html


@pytest.fixture
def main_site(live_server, settings):
    """OCA's main site on another origin, whose page frames the button that the test
    sets in `main_site.snippet`."""
    settings.SITE_URL = live_server.url

    class Site:
        snippet = ""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"""<!doctype html><html lang="en"><title>OCA</title>
<h1>Open Communities Alliance</h1>{Site.snippet}</html>""".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Site.origin = f"http://localhost:{server.server_address[1]}"
    yield Site
    server.shutdown()
    server.server_close()


def test_an_allowed_site_shows_the_button_and_it_opens_the_form(
    page, main_site, make_campaign, settings
):
    settings.EMBED_ALLOWED_ORIGINS = [main_site.origin]
    campaign = make_campaign(preset_amounts="25, 50, 100")
    main_site.snippet = embed.snippets(campaign, language="en", amount=65, frequency="monthly")[
        "iframe"
    ]
    page.goto(main_site.origin + "/")
    frame = page.frame_locator("iframe")
    button = frame.get_by_role("link", name="Give $65 monthly (opens in a new tab)")
    expect(button).to_be_visible()
    expect(frame.locator(".goal")).to_contain_text("of 50 donors")

    with page.context.expect_page() as opened:
        button.click()
    form_page = opened.value
    form_page.wait_for_load_state()
    assert (
        form_page.url == f"{settings.SITE_URL}/campaigns/spring/?amount=65&frequency=monthly#give"
    )
    expect(form_page.locator("#id_other_amount")).to_have_value("65")
    expect(form_page.locator("input[name=frequency][value=monthly]")).to_be_checked()
    # The main site's page stays where it was.
    assert page.url == main_site.origin + "/"


@pytest.mark.parametrize("allowed", [[], ["https://www.ctoca.org"]])
def test_a_site_not_allowed_gets_an_empty_frame(page, main_site, make_campaign, settings, allowed):
    settings.EMBED_ALLOWED_ORIGINS = allowed
    campaign = make_campaign()
    main_site.snippet = embed.snippets(campaign, language="en")["iframe"]
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refused:
        page.goto(main_site.origin + "/")
    assert "violates the following Content Security Policy directive" in refused.value.text
    assert "blocked" in refused.value.text
    expected = "'none'" if not allowed else "https://www.ctoca.org"
    assert expected in refused.value.text
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("link")).to_have_count(0)


@pytest.mark.parametrize(
    "path", ["/campaigns/spring/embed/", "/es/campaigns/spring/embed/50/once/"]
)
def test_the_button_page_passes_axe_and_the_html_validator(page, live_server, make_campaign, path):
    make_campaign()
    response = page.goto(live_server.url + path)
    assert response.status == 200
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


PASSWORD = "pw-edna-embed-1"


def _wait_until_loaded(image):
    """Until the browser has decoded the image (a broken one never gets a width)."""
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=5000
    )


def test_an_editor_copies_the_snippet_and_previews_both(page, live_server, make_campaign, settings):
    settings.SITE_URL = live_server.url
    settings.EMBED_ALLOWED_ORIGINS = ["https://www.ctoca.org"]
    campaign = make_campaign()
    user = User.objects.create_user("edna", "edna@example.org", PASSWORD, is_staff=True)
    user.groups.add(migration_group("campaigns", "0002_editors_group", "create_editors", "Editors"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "edna")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/campaigns/campaign/{campaign.pk}/change/")
    _wait_until_loaded(page.get_by_role("img", name="QR code of the campaign’s page"))
    assert_no_axe_violations(page, context=".field-reach")
    page.get_by_role("link", name="QR code and donate button").first.click()
    expect(page.get_by_role("heading", name="QR code for print")).to_be_visible()
    # The codes load as images.
    images = page.locator(".reach-qr img")
    expect(images).to_have_count(2)
    for image in images.all():
        _wait_until_loaded(image)

    # Choosing an amount updates the snippets and the previews at once.
    page.get_by_label("Amount, in whole dollars").fill("40")
    page.get_by_label("Frequency").select_option("monthly")
    expect(page.locator("#link-snippet")).to_contain_text("Give $40 monthly")
    expect(page.locator("#iframe-snippet")).to_contain_text("/campaigns/spring/embed/40/monthly/")
    preview = page.frame_locator("iframe.reach-preview").first
    expect(
        preview.get_by_role("link", name="Give $40 monthly (opens in a new tab)")
    ).to_be_visible()
    # The plain link's preview shows it with its own inline style.
    link = page.frame_locator("iframe.reach-preview").last.get_by_role("link")
    expect(link).to_have_text("Give $40 monthly")
    expect(link).to_have_css("background-color", "rgb(185, 61, 10)")

    page.get_by_role("button", name="Copy the snippet").first.click()
    expect(page.get_by_role("status").first).to_have_text("Copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#iframe-snippet").input_value()
    assert copied.startswith(f'<iframe src="{live_server.url}/campaigns/spring/embed/40/monthly/"')
    assert_no_axe_violations(page)
