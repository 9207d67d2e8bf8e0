"""An editor in Chromium, in a 1280 x 800 window: moving help sections with buttons and
the keyboard, duplicating a campaign, and previewing unsaved edits to a live campaign
while donors keep seeing the published page.

The database is emptied after each test and its groups made again, as in test_backoffice.
"""

import urllib.request

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from campaigns.demo import load_demo_campaign
from campaigns.models import Campaign, FeedItem
from tests.conftest import migration_group
from tests.quality import assert_no_axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-edna-browser-1"


@pytest.fixture
def setting(live_server):
    campaign = load_demo_campaign()[0]
    user = User.objects.create_user("edna", "edna@example.org", PASSWORD, is_staff=True)
    user.groups.add(migration_group("campaigns", "0002_editors_group", "create_editors", "Editors"))
    return {"campaign": campaign, "url": live_server.url}


def _log_in(page, url):
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "edna")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("edna")


def _change_page(page, setting):
    page.goto(f"{setting['url']}/admin/campaigns/campaign/{setting['campaign'].pk}/change/")


def _anonymous_html(url):
    """The public page as a donor's browser gets it: no cookie, through the page cache."""
    with urllib.request.urlopen(url) as response:
        return response.read().decode(), response.headers["ETag"]


def _headings(page):
    return page.locator("#sections-group input[name$='-heading']").evaluate_all(
        "inputs => inputs.filter(i => !i.name.includes('__prefix__')).map(i => i.value)"
    )


def _positions(page):
    return page.locator("#sections-group input[name$='-position']").evaluate_all(
        "inputs => inputs.filter(i => !i.name.includes('__prefix__')).map(i => i.value)"
    )


def test_an_editor_reorders_sections_with_buttons_and_the_keyboard(page, setting):
    url = setting["url"]
    headings = list(setting["campaign"].sections.values_list("heading", flat=True))
    _log_in(page, url)
    _change_page(page, setting)
    expect(page.locator(".section-order-hint")).to_be_visible()
    first = page.locator("#sections-0")
    expect(first.locator(".section-move-up")).to_be_disabled()

    # A click on "Move down": the first section becomes the second, positions follow.
    first.locator(".section-move-down").click()
    assert _headings(page)[:2] == [headings[1], headings[0]]
    assert _positions(page) == ["1", "2", "3", "4", "5"]
    status = page.locator(".section-order-status")
    expect(status).to_have_text(f"“{headings[0]}” is now section 2 of 5.")
    expect(status).to_have_attribute("aria-live", "polite")
    # The focus stays on the button, so the editor can press it again.
    assert page.evaluate("document.activeElement.className") == "section-move-down"

    # Keyboard only: Enter on the focused button, then Alt+Arrow Up from a field.
    page.keyboard.press("Enter")
    assert _headings(page)[2] == headings[0]
    last_heading = page.locator("#sections-4 input[name$='-heading']")
    last_heading.focus()
    page.keyboard.press("Alt+ArrowUp")
    assert _headings(page)[3:] == [headings[4], headings[3]]
    expect(status).to_have_text(f"“{headings[4]}” is now section 4 of 5.")
    assert page.evaluate("document.activeElement.name").endswith("-heading")

    # A short window must not matter: the buttons are where the section is.
    page.set_viewport_size({"width": 1280, "height": 600})
    rows = page.locator("#sections-group .inline-related:not(.empty-form)")
    rows.nth(2).locator(".section-move-up").click()
    expected = [headings[1], headings[0], headings[2], headings[4], headings[3]]
    assert _headings(page) == expected
    assert_no_axe_violations(page, context=".sortable-sections")

    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    saved = Campaign.objects.get(pk=setting["campaign"].pk).sections.all()
    assert [section.heading for section in saved] == expected
    html, _etag = _anonymous_html(url + "/")
    positions = [html.index(heading) for heading in expected]
    assert positions == sorted(positions)


def test_an_editor_duplicates_a_campaign(page, setting):
    original = setting["campaign"]
    FeedItem.objects.create(campaign=original, kind="donated", source_key="gift:browser-1")
    Campaign.objects.filter(pk=original.pk).update(donor_count=12)
    _log_in(page, setting["url"])
    _change_page(page, setting)

    page.get_by_role("button", name="Duplicate campaign").click()

    expect(page.locator(".messagelist")).to_contain_text("is a copy of")
    expect(page.locator("#id_slug")).to_have_value(f"{original.slug}-copy")
    expect(page.locator("#id_title")).to_have_value(original.title)
    expect(page.locator("#id_title_es")).to_have_value(original.title_es)
    expect(page.locator("#id_is_published")).not_to_be_checked()
    assert len(_headings(page)) == 5
    copy = Campaign.objects.get(slug=f"{original.slug}-copy")
    assert page.url.endswith(f"/admin/campaigns/campaign/{copy.pk}/change/")
    assert (copy.donor_count, copy.feed_items.count(), copy.gifts.count()) == (0, 0, 0)
    assert Campaign.objects.get(pk=original.pk).is_published


def test_an_editor_previews_unsaved_changes_to_a_live_campaign(page, setting):
    url = setting["url"]
    before, etag = _anonymous_html(url + "/")
    assert "Help us take our mission to the next level" in before
    _log_in(page, url)
    _change_page(page, setting)
    page.fill("#id_title", "Half-edited title, not for donors")
    page.fill("#sections-0 input[name$='-heading']", "A section rewritten in the preview")

    with page.expect_popup() as popup:
        page.get_by_role("button", name="Preview changes").first.click()
    preview = popup.value
    preview.wait_for_load_state()

    expect(preview.locator("h1")).to_have_text("Half-edited title, not for donors")
    expect(preview.locator(".preview-banner")).to_contain_text("Preview — not published.")
    expect(preview.locator(".help-sections")).to_contain_text("A section rewritten in the preview")
    assert_no_axe_violations(preview)

    # Nothing reached the database, the public page or its cache.
    assert Campaign.objects.get(pk=setting["campaign"].pk).title == (
        "Help us take our mission to the next level"
    )
    after, etag_after = _anonymous_html(url + "/")
    assert "Half-edited title" not in after and "A section rewritten" not in after
    assert etag_after == etag
    # The form is still there, unsaved, in the first tab.
    expect(page.locator("#id_title")).to_have_value("Half-edited title, not for donors")
