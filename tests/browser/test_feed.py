"""The goal meter, the activity feed and the share links, in Chromium.

The demo campaign (84 donors, 88 reactions) is served by live_server; the database is
emptied after each test, and what the rest of the suite needs from the migrations is
made again on demand (tests.conftest.migration_group).
"""

import io
import re
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from campaigns import feed
from campaigns.models import Campaign
from campaigns.templatetags.activity import iso_datetime
from tests.quality import assert_no_axe_violations, assert_valid_html

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "oca-2017-appeal"


@pytest.fixture
def demo(live_server):
    call_command("load_demo", stdout=io.StringIO())
    return Campaign.objects.get(slug=SLUG)


def _expected_times(campaign):
    """The feed's times, newest first, as the <time datetime> attributes give them."""
    items = feed.visible_items(campaign.pk).order_by("-occurred_at", "-id")
    return [iso_datetime(item.occurred_at) for item in items]


def _url(live_server, path):
    return live_server.url + path


def _raw_html(url, status=200):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (live_server)
            code, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        code, body = error.code, error.read()
    assert code == status
    return body.decode()


def _progressbar_values(page):
    cdp = page.context.new_cdp_session(page)
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        if node.get("role", {}).get("value") == "progressbar":
            props = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
            return node["name"]["value"], node["value"]["value"], props["valuemax"]
    raise AssertionError("no progressbar in the accessibility tree")


def _shown_times(page):
    return page.eval_on_selector_all(
        "[data-feed-list] > li time", "times => times.map(t => t.getAttribute('datetime'))"
    )


def test_it_announces_the_goal_meter_and_passes_axe(page, live_server, demo):
    page.goto(_url(live_server, demo.get_absolute_url()))
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_accessible_name("84 of 100 donors")
    assert _progressbar_values(page) == ("84 of 100 donors", 84, 100)
    expect(page.locator(".goal-facts")).to_have_text(re.compile(r"^84% of the goal\d+ days left$"))
    expect(page.get_by_text("Showing 88 reactions")).to_be_visible()
    assert_no_axe_violations(page)


def test_it_serves_valid_html(live_server, demo):
    assert_valid_html(_raw_html(_url(live_server, demo.get_absolute_url())))
    assert_valid_html(_raw_html(_url(live_server, f"/campaigns/{SLUG}/feed/")))
    broken = _raw_html(_url(live_server, f"/campaigns/{SLUG}/feed/?after=broken"), status=400)
    assert_valid_html(broken)
    broken = _raw_html(_url(live_server, f"/campaigns/{SLUG}/feed/after/broken/"), status=400)
    assert_valid_html(broken)


def test_it_shows_more_in_place_and_moves_focus_to_the_new_items(page, live_server, demo):
    expected = _expected_times(demo)
    assert len(expected) == 88
    page.goto(_url(live_server, demo.get_absolute_url()))
    assert _shown_times(page) == expected[:20]

    page.get_by_role("link", name="Show more").focus()
    # The next items come from their own public address, which any HTTP cache keeps.
    with page.expect_response(re.compile(r"/feed/after/[\w-]+/items/$")) as fetched:
        page.keyboard.press("Enter")
    assert fetched.value.status == 200
    assert "public" in fetched.value.headers["cache-control"]
    expect(page.locator("[data-feed-list] > li")).to_have_count(40)
    assert page.url == _url(live_server, demo.get_absolute_url())  # stayed on the page
    expect(page.locator("[data-feed-list] > li:nth-child(21)")).to_be_focused()
    expect(page.locator("[data-feed-status]")).to_have_text(
        "More reactions are shown below the earlier ones."
    )

    for count in (60, 80, 88):
        page.get_by_role("link", name="Show more").click()
        expect(page.locator("[data-feed-list] > li")).to_have_count(count)
    expect(page.get_by_role("link", name="Show more")).to_have_count(0)
    # "Showing 88 reactions": every one, in order, none twice.
    assert _shown_times(page) == expected
    assert_no_axe_violations(page)


def test_it_shows_more_as_a_page_of_its_own_without_javascript(browser, live_server, demo):
    expected = _expected_times(demo)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(_url(live_server, demo.get_absolute_url()))
        assert _shown_times(page) == expected[:20]
        page.get_by_role("link", name="Show more").click()
        assert re.search(rf"/campaigns/{SLUG}/feed/after/[\w-]+/$", page.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Supporters of")
        assert _shown_times(page) == expected[20:40]
        page.get_by_role("link", name="Show more").click()
        assert _shown_times(page) == expected[40:60]
        # Without JavaScript, "Copy link" would do nothing, so it is not shown.
        page.goto(_url(live_server, demo.get_absolute_url()))
        expect(page.get_by_role("button", name="Copy link")).to_have_count(0)
        expect(page.get_by_role("link", name="Share on Facebook")).to_be_visible()
    finally:
        context.close()


def test_the_feed_page_shows_more_in_place_and_leads_to_the_form(page, live_server, demo):
    expected = _expected_times(demo)
    page.goto(_url(live_server, f"/campaigns/{SLUG}/feed/"))
    assert _shown_times(page) == expected[:20]
    # The demo reads as a campaign under way: its newest reactions are hours old.
    expect(page.locator("[data-feed-list] > li time").first).to_have_text(
        re.compile(r"^\d+ hours? ago$")
    )
    page.get_by_role("link", name="Show more").click()
    expect(page.locator("[data-feed-list] > li")).to_have_count(40)
    assert page.url == _url(live_server, f"/campaigns/{SLUG}/feed/")
    assert _shown_times(page) == expected[:40]
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Join them: give to this campaign").click()
    page.wait_for_url(re.compile(rf"/campaigns/{SLUG}/#give$"))
    expect(page.locator("#donation-form")).to_be_in_viewport()


def test_it_copies_the_link_with_javascript(page, live_server, demo):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(_url(live_server, demo.get_absolute_url()))
    button = page.get_by_role("button", name="Copy link")
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("[data-share-status]")).to_have_text("Link copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.endswith(f"/campaigns/{SLUG}/")


def test_it_fits_a_phone_screen(mobile_page, live_server, demo):
    mobile_page.goto(_url(live_server, demo.get_absolute_url()))
    expect(mobile_page.get_by_role("progressbar")).to_be_visible()
    width = mobile_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360
    assert_no_axe_violations(mobile_page)


def test_the_browser_says_how_long_ago_each_reaction_was(page, live_server, demo):
    """The cached HTML carries dates; static/js/feed.js turns them into relative times,
    here and in the items "Show more" adds."""
    html = _raw_html(_url(live_server, demo.get_absolute_url()))
    assert " ago</time>" not in html
    page.goto(_url(live_server, demo.get_absolute_url()))
    first = page.locator("[data-feed-list] > li time").first
    # Turned into relative times as the feed comes near the screen.
    first.scroll_into_view_if_needed()
    expect(first).to_have_text(re.compile(r"^(\d+ \w+ ago|now|yesterday|last \w+)$"))
    page.get_by_role("link", name="Show more").click()
    last = page.locator("[data-feed-list] > li time").last
    expect(last).to_have_text(re.compile(r"ago$|^last \w+$"))
