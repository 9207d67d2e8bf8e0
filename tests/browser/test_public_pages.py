"""The public pages besides the appeal (test_appeal_page.py checks that one), on a
360 px phone and a 1280 px desktop: no axe-core violation, no Nu HTML validator error.

Each page is reached the way a visitor reaches it: the thank-you page after a gift
paid on the Stripe stand-in, the manage pages through the e-mailed link, the 429 page
by going over the rate limit, the 500 page from a view that raises (with DEBUG off, as
in production) and the 503 page while every database query fails.
"""

import io
import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError
from django.urls import path
from django.utils import translation
from playwright.sync_api import expect

from campaigns.models import Campaign
from devtools.stripe_standin import StripeStandin
from oca_site import urls as site_urls
from tests.quality import assert_no_axe_violations, assert_valid_html

WIDTHS = pytest.mark.parametrize("page_fixture", ["mobile_page", "page"])
# Every page in English (at /) and in Spanish (under /es/); expected wording comes from
# the site's catalog, so a page left in English fails in Spanish.
LANGUAGES = pytest.mark.parametrize("lang", ["en", "es"])


def _t(lang, text, **values):
    with translation.override(lang):
        translated = translation.gettext(text)
    return translated % values if values else translated


def _prefix(lang):
    return "" if lang == "en" else f"/{lang}"


def _broken_view(request):
    raise RuntimeError("a bug in a view")


# The site's own URLs and error handlers, plus one view with a bug (for the 500 page).
urlpatterns = [path("broken/", _broken_view), *site_urls.urlpatterns]
handler404 = site_urls.handler404
handler500 = site_urls.handler500


@pytest.fixture
def recording_standin(live_server, settings):
    """The stand-in Stripe, delivering no events: the thank-you page books the gift."""
    standin = StripeStandin(webhook_url=None, webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    standin.start()
    settings.STRIPE_API_BASE = standin.url
    settings.SITE_URL = live_server.url
    yield standin
    standin.stop()


def _check(page, response, status=200):
    assert response.status == status, f"{page.url} answered {response.status}"
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _manage_link():
    for message in mail.outbox:
        match = re.search(r"https?://\S+/give/manage/[^/\s]+/", message.body)
        if match:
            return match.group(0)
    raise AssertionError("no manage link was e-mailed")


@WIDTHS
@LANGUAGES
def test_the_pages_after_a_monthly_gift(
    request, page_fixture, lang, live_server, campaign, recording_standin, client, settings
):
    page = request.getfixturevalue(page_fixture)
    settings.PLEDGE_RATE_LIMIT = "1/d"
    gift = {
        "amount": "50",
        "frequency": "monthly",
        "name": "Ana Lopez",
        "email": "ana@example.org",
        "display_as": "first",
    }
    response = client.post(f"{_prefix(lang)}/give/{campaign.slug}/", gift)
    assert response.status_code == 303
    session_id = response["Location"].rsplit("/", 1)[-1]
    recording_standin.pay(session_id)

    url = f"{live_server.url}{_prefix(lang)}/give/thanks/?session_id={session_id}"
    response = page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _t(
            lang,
            "Thank you, %(first_name)s — your %(amount)s monthly gift is confirmed",
            first_name="Ana",
            amount="$50",
        )
    )
    _check(page, response)

    with page.expect_navigation() as navigation:
        page.get_by_role("main").get_by_role("link", name=_t(lang, "Manage my giving")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_t(lang, "Manage my giving"))
    _check(page, navigation.value)

    page.get_by_label(_t(lang, "The e-mail address you gave with")).fill("ana@example.org")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=_t(lang, "E-mail me a link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_t(lang, "Check your e-mail"))
    _check(page, navigation.value)

    link = _manage_link()
    assert f"{_prefix(lang)}/give/manage/" in link
    response = page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _t(lang, "My giving, %(name)s", name="Ana")
    )
    _check(page, response)

    # A second link asked for within the limit's window (one a day here).
    page.goto(f"{live_server.url}{_prefix(lang)}/give/manage/")
    page.get_by_label(_t(lang, "The e-mail address you gave with")).fill("ana@example.org")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=_t(lang, "E-mail me a link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_t(lang, "Please wait a moment"))
    _check(page, navigation.value, status=429)


@WIDTHS
@LANGUAGES
def test_the_message_and_error_pages(request, page_fixture, lang, live_server):
    page = request.getfixturevalue(page_fixture)
    pages = [
        ("/", 200, "No appeal is running right now"),
        ("/no-such-page/", 404, "We couldn’t find that page"),
        ("/give/thanks/?session_id=nonsense", 404, "We couldn’t find that gift"),
        ("/give/manage/not-a-real-link/", 404, "This link doesn’t work"),
    ]
    for url, status, heading in pages:
        response = page.goto(live_server.url + _prefix(lang) + url)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_have_text(_t(lang, heading))
        _check(page, response, status)


@WIDTHS
@pytest.mark.urls(__name__)
def test_the_500_page(request, page_fixture, live_server, settings):
    page = request.getfixturevalue(page_fixture)
    assert not settings.DEBUG  # otherwise Django would show its technical page
    response = page.goto(live_server.url + "/broken/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Something went wrong on our side")
    _check(page, response, status=500)


@WIDTHS
def test_the_spanish_500_page(request, page_fixture, live_server, campaign, settings):
    """A view under /es/ that fails: the error page speaks the page's language."""
    page = request.getfixturevalue(page_fixture)
    assert not settings.DEBUG
    with mock.patch("campaigns.views.render_campaign", side_effect=RuntimeError("a bug")):
        response = page.goto(f"{live_server.url}/es/campaigns/{campaign.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _t("es", "Something went wrong on our side")
    )
    _check(page, response, status=500)


@WIDTHS
@LANGUAGES
def test_the_503_page_while_the_database_is_down(
    request, page_fixture, lang, live_server, campaign, settings
):
    page = request.getfixturevalue(page_fixture)
    assert not settings.DEBUG
    outage = mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection to server failed: Connection refused"),
    )
    with outage:
        response = page.goto(live_server.url + _prefix(lang) + campaign.get_absolute_url())
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.get_by_role("heading", level=1)).to_have_text(_t(lang, "We’ll be right back"))
        assert response.headers["retry-after"] == "30"
        _check(page, response, status=503)


@WIDTHS
def test_the_feed_page(request, page_fixture, live_server):
    page = request.getfixturevalue(page_fixture)
    call_command("load_demo", stdout=io.StringIO())
    campaign = Campaign.objects.get(slug="oca-2017-appeal")
    response = page.goto(f"{live_server.url}/campaigns/{campaign.slug}/feed/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Supporters of")
    expect(page.locator("[data-feed-list] > li").first).to_be_visible()
    _check(page, response)
