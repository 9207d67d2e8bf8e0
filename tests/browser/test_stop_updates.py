"""The signed "stop updates" page of an update e-mail, in Chromium: at 360 px and
1280 px, in English and Spanish, free of axe-core violations and Nu validator errors;
its one button withdraws the consent without any login."""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from devtools.stripe_standin import StripeStandin
from donations import supporters
from donations.models import Donor, UpdatesConsent
from tests.quality import assert_no_axe_violations, assert_valid_html

WIDTHS = pytest.mark.parametrize("page_fixture", ["mobile_page", "page"])
LANGUAGES = pytest.mark.parametrize("lang", ["en", "es"])


def _t(lang, text):
    with translation.override(lang):
        return translation.gettext(text)


@pytest.fixture
def standin(live_server, settings):
    standin = StripeStandin(webhook_url=None, webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    standin.start()
    settings.STRIPE_API_BASE = standin.url
    settings.SITE_URL = live_server.url
    yield standin
    standin.stop()


@WIDTHS
@LANGUAGES
def test_a_supporter_stops_updates_with_one_button(
    request, page_fixture, lang, live_server, campaign, standin, client
):
    page = request.getfixturevalue(page_fixture)
    prefix = "" if lang == "en" else f"/{lang}"
    gift = {
        "amount": "50",
        "frequency": "once",
        "name": "Zoë Peña",
        "email": "zoe@example.org",
        "display_as": "private",
        "updates": "on",
    }
    response = client.post(f"{prefix}/give/{campaign.slug}/", gift)
    session_id = response["Location"].rsplit("/", 1)[-1]
    standin.pay(session_id)
    assert client.get(f"{prefix}/give/thanks/", {"session_id": session_id}).status_code == 200
    donor = Donor.objects.get()
    assert supporters.is_subscribed(donor)

    response = page.goto(supporters.unsubscribe_url(donor))
    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(_t(lang, "Stop updates from OCA?"))
    assert_no_axe_violations(page)
    assert_valid_html(page.content())

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=_t(lang, "Stop updates")).click()
    assert navigation.value.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _t(lang, "You won’t receive updates from us")
    )
    assert_no_axe_violations(page)
    assert_valid_html(page.content())
    consent = UpdatesConsent.objects.get()
    assert (consent.withdrawn_source, consent.language) == ("link", lang)
