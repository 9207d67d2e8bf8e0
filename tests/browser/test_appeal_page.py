import pytest

from campaigns.demo import SECTIONS
from tests.quality import assert_no_axe_violations, assert_valid_html


@pytest.mark.parametrize("page_fixture", ["page", "mobile_page"])
def test_it_passes_axe_and_the_html_validator(request, live_server, campaign, page_fixture):
    page = request.getfixturevalue(page_fixture)
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    for heading, _ in SECTIONS:
        assert page.get_by_role("heading", name=heading).is_visible()
    assert_no_axe_violations(page)
    assert_valid_html(page.content())
    # Nothing is loaded from anywhere but this site.
    assert page.evaluate(
        "performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin))"
    )


def test_it_is_readable_on_a_320_pixel_screen(live_server, campaign, mobile_page):
    mobile_page.set_viewport_size({"width": 320, "height": 640})
    mobile_page.goto(live_server.url + "/")
    # No sideways scrolling: the page fits the narrowest phones.
    assert mobile_page.evaluate("document.documentElement.scrollWidth") <= 320
    assert mobile_page.get_by_role("link", name="Give now").is_visible()


def test_it_links_to_each_section_by_anchor(live_server, campaign, page):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name=SECTIONS[3][0]).click()
    anchor = page.url.split("#", 1)[1]
    assert anchor.startswith("you-can-help-us-spread-the-word")
    target = page.locator(f"[id='{anchor}']")
    assert target.get_by_role("heading", name=SECTIONS[3][0]).is_visible()


def test_it_lets_an_editor_preview_a_draft_in_the_browser(live_server, make_campaign, editor, page):
    draft = make_campaign(is_published=False, title="Unpublished winter appeal")
    page.goto(live_server.url + draft.get_absolute_url())
    assert page.get_by_role("heading", name="We couldn’t find that page").is_visible()
    page.goto(live_server.url + "/admin/login/?next=" + draft.get_absolute_url())
    page.get_by_label("Username").fill("edna")
    page.get_by_label("Password").fill("pw-edna-123")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("heading", name="Unpublished winter appeal").is_visible()
    assert page.get_by_text("Draft preview").is_visible()
