"""The sponsor's match on the public pages, as a phone and a desktop show it: named and
read as a meter, no axe-core violation, valid HTML, in English and Spanish."""

import datetime
import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from playwright.sync_api import expect

from campaigns.models import Campaign, Match
from tests.campaigns.gifts import give
from tests.quality import assert_no_axe_violations, assert_valid_html


@pytest.mark.parametrize("page_fixture", ["mobile_page", "page"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_match_banner_reads_as_a_meter(request, page_fixture, lang, live_server):
    page = request.getfixturevalue(page_fixture)
    call_command("load_demo", stdout=io.StringIO())
    campaign = Campaign.objects.get(slug="oca-2017-appeal")
    match = Match.objects.create(
        campaign=campaign,
        sponsor="Hartford Foundation",
        ratio=Match.Ratio.ONE,
        cap_dollars=5000,
        starts_on=timezone.localdate() - datetime.timedelta(days=1),
        ends_on=timezone.localdate() + datetime.timedelta(days=10),
        note="Thanks to our neighbors",
        note_es="Gracias a nuestros vecinos",
    )
    with transaction.atomic():  # as the ledger books a gift
        give(campaign, amount=320000)
    match.refresh_from_db()
    assert match.matched_cents >= 320000  # the demo's own gifts of the last days count too
    with translation.override(lang):
        figures = match.figures()
    prefix = "" if lang == "en" else f"/{lang}"
    for path in (f"/campaigns/{campaign.slug}/", f"/campaigns/{campaign.slug}/feed/"):
        response = page.goto(f"{live_server.url}{prefix}{path}")
        assert response.status == 200
        meter = page.get_by_role("progressbar", name=figures)
        expect(meter).to_be_visible()
        expect(page.locator(".match-headline")).to_be_visible()
        assert_no_axe_violations(page)
        assert_valid_html(page.content())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_match_about_to_start_is_announced_without_a_meter(mobile_page, lang, live_server):
    page = mobile_page
    call_command("load_demo", stdout=io.StringIO())
    campaign = Campaign.objects.get(slug="oca-2017-appeal")
    match = Match.objects.create(
        campaign=campaign,
        sponsor="Hartford Foundation",
        ratio=Match.Ratio.TWO,
        cap_dollars=5000,
        starts_on=timezone.localdate() + datetime.timedelta(days=3),
        ends_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    with translation.override(lang):
        headline, figures = match.headline(), match.figures()
    prefix = "" if lang == "en" else f"/{lang}"
    assert page.goto(f"{live_server.url}{prefix}/campaigns/{campaign.slug}/").status == 200
    expect(page.locator(".match-headline")).to_have_text(headline)
    expect(page.locator(".match-figures")).to_have_text(figures)
    expect(page.locator(".match progress")).to_have_count(0)
    assert_no_axe_violations(page)
    assert_valid_html(page.content())
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.locator(".match").screenshot(path=str(Path(folder) / f"match-upcoming-{lang}.png"))


@pytest.mark.django_db(transaction=True)
def test_the_sponsors_report_passes_axe(page, live_server, campaign):
    from django.contrib.auth.models import User

    from tests.browser.test_backoffice import _bookkeepers

    user = User.objects.create_user("bea", "bea@example.org", "pw-bea-match-1", is_staff=True)
    user.groups.add(_bookkeepers())
    match = Match.objects.create(
        campaign=campaign,
        sponsor="Hartford Foundation",
        cap_dollars=5000,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    with transaction.atomic():
        give(campaign, amount=12000)
        give(campaign, amount=3000, display_as="anonymous")
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "bea")
    page.fill("#id_password", "pw-bea-match-1")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("bea")
    page.goto(f"{live_server.url}/admin/donations/gift/matches/{match.pk}/")
    expect(page.locator("#match-total")).to_have_text("$150.00")
    expect(page.locator("#match-rows tbody tr")).to_have_count(2)
    assert_no_axe_violations(page, context="#content-main")
