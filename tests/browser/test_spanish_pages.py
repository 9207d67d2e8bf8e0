"""The Spanish pages on a 360 px phone and a 1280 px desktop: no axe-core violation, no
Nu HTML validator error, and a language switch that works from the keyboard."""

import datetime

import pytest
from django.utils import timezone

from campaigns import demo, demo_es, feed
from campaigns.models import FeedItem
from tests.quality import assert_no_axe_violations, assert_valid_html

WIDTHS = pytest.mark.parametrize("page_fixture", ["mobile_page", "page"])


def _publish(campaign, n):
    start = timezone.now() - datetime.timedelta(days=1)
    for i in range(n):
        feed.publish(
            campaign_id=campaign.pk,
            key=f"browser-es:{i}",
            kind=FeedItem.Kind.MONTHLY if i % 2 else FeedItem.Kind.DONATED,
            display_name=f"Ana {i}" if i % 3 else "",
            message="¡Gracias por su trabajo!" if i == 1 else "",
            occurred_at=start + datetime.timedelta(minutes=i),
        )


def _check(page, response):
    assert response.status == 200, f"{page.url} answered {response.status}"
    assert page.evaluate("document.documentElement.lang") == "es"
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


@WIDTHS
def test_the_spanish_appeal_page(request, page_fixture, live_server, campaign):
    page = request.getfixturevalue(page_fixture)
    _publish(campaign, 3)
    response = page.goto(live_server.url + "/es/")
    assert page.get_by_role("heading", level=1, name=demo_es.TITLE).is_visible()
    assert page.get_by_role("link", name="English").is_visible()
    _check(page, response)


@WIDTHS
def test_the_spanish_feed_page(request, page_fixture, live_server, campaign):
    page = request.getfixturevalue(page_fixture)
    _publish(campaign, feed.PAGE_SIZE + 2)
    response = page.goto(f"{live_server.url}/es/campaigns/{campaign.slug}/feed/")
    assert page.locator(".feed-item").count() == feed.PAGE_SIZE
    _check(page, response)


def test_a_campaign_page_with_english_stand_ins_for_staff(live_server, make_campaign, editor, page):
    # What an editor previews before the translation is done: English texts marked
    # lang="en" with a badge each, still valid and accessible.
    campaign = make_campaign(is_published=False, title_es="Campaña de primavera", sections=2)
    spanish_page = f"/es/campaigns/{campaign.slug}/"
    page.goto(f"{live_server.url}/admin/login/?next={spanish_page}")
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill("pw-edna-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + spanish_page)
    assert page.get_by_role("heading", level=1, name="Campaña de primavera").is_visible()
    assert page.locator(".copy-fallback").first.is_visible()
    _check(page, page.goto(live_server.url + spanish_page))


def test_it_switches_language_from_the_keyboard(live_server, campaign, page):
    page.goto(live_server.url + "/")
    switch = page.get_by_role("navigation", name="Language").get_by_role("link")
    # The skip link, the site's name, then the switch.
    for _ in range(3):
        page.keyboard.press("Tab")
    assert switch.evaluate("link => link === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/es/")
    assert page.get_by_role("heading", level=1, name=demo_es.TITLE).is_visible()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(live_server.url + "/")
    assert page.get_by_role("heading", level=1, name=demo.CAMPAIGN_FIELDS["title"]).is_visible()
