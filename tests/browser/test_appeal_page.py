import re

import pytest
from playwright.sync_api import expect

from campaigns.demo import SECTIONS
from campaigns.formatting import format_money
from donations.fees import fee_to_cover
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


PHONE = {"width": 360, "height": 800}


def test_a_phone_reaches_the_form_in_one_tap_from_the_top(
    live_server, campaign, browser, browser_context_args
):
    context = browser.new_context(
        **{**browser_context_args, "viewport": PHONE, "is_mobile": True, "has_touch": True}
    )
    page = context.new_page()
    try:
        page.goto(live_server.url + "/")
        assert page.evaluate("window.scrollY") == 0
        give = page.get_by_role("link", name="Give now")
        expect(give).to_be_in_viewport()
        # The form starts within the first two screens, before the long letter.
        form_top = page.evaluate(
            "document.getElementById('give').getBoundingClientRect().top + window.scrollY"
        )
        assert form_top < 2 * PHONE["height"]

        give.tap()

        page.wait_for_url("**#give")
        # After the (smooth) scroll, the form's top is on screen, at the top.
        page.wait_for_function(
            "() => { const top = document.getElementById('give').getBoundingClientRect().top;"
            " return top >= 0 && top < 40; }"
        )
        expect(page.get_by_role("heading", name="Make a gift")).to_be_in_viewport()
        # The next Tab lands in the form: on the amount chosen for the donor.
        page.keyboard.press("Tab")
        expect(page.locator("#donation-form").get_by_label("$50")).to_be_focused()
    finally:
        context.close()


def test_presets_say_per_month_and_the_button_says_what_will_be_charged(
    live_server, campaign, page
):
    page.goto(live_server.url + "/")
    form = page.locator("#donation-form")
    submit = form.locator("#donate-submit")
    twenty_five = form.locator("label[for='id_amount_0']")
    # Each preset with what it does, beside it.
    expect(twenty_five).to_contain_text("pays for a fair-housing workshop’s handouts")
    expect(form.get_by_label("$50")).to_have_accessible_description(
        "helps a family file a fair-housing complaint"
    )
    expect(submit).to_have_text("Give $50 now")

    form.get_by_label("Monthly").check()
    # What is shown (innerText): the hidden "/month" is in the text all along.
    expect(form.locator("#amount-label-0")).to_have_text("$25/month", use_inner_text=True)
    expect(form.get_by_label("$100/month")).to_be_visible()
    expect(submit).to_have_text("Give $50 monthly")

    form.get_by_label(re.compile("to cover the processing fee")).check()
    expect(submit).to_have_text("Give $51.44 monthly")

    form.get_by_label("One time").check()
    expect(form.locator("#amount-label-0")).to_have_text("$25", use_inner_text=True)
    expect(submit).to_have_text("Give $51.44 now")

    # Another amount: the same arithmetic as the server's (donations.fees); from $500
    # the bank account is suggested, with its own fee.
    form.get_by_label("Other", exact=True).check()
    form.get_by_label("Other amount, in dollars").fill("1234.5")
    bank_fee = fee_to_cover(123450, method="bank")
    expect(submit).to_have_text(f"Give {format_money(123450 + bank_fee)} now")
    form.get_by_label("Card or wallet").check()
    expect(submit).to_have_text(f"Give {format_money(123450 + fee_to_cover(123450))} now")
    form.get_by_label(re.compile("to cover the processing fee")).uncheck()
    expect(submit).to_have_text("Give $1,234.50 now")
    # No amount yet: the button says what it does, no total.
    form.get_by_label("Other amount, in dollars").fill("")
    expect(submit).to_have_text("Continue to payment")


def test_the_spanish_button_says_the_total_in_spanish(live_server, campaign, page):
    page.goto(live_server.url + "/es/")
    form = page.locator("#donation-form")
    form.get_by_label("Mensual").check()
    expect(form.locator("#amount-label-1")).to_have_text("$50/mes", use_inner_text=True)
    expect(form.locator("#donate-submit")).to_have_text("Donar $50 al mes")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_passes_axe_in_both_colour_schemes(live_server, campaign, page, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(live_server.url + "/")
    expect(page.locator(".site-header")).to_have_css(
        "background-color", "rgb(255, 255, 255)" if scheme == "light" else "rgb(34, 28, 23)"
    )
    # Contrast included: every text and control meets WCAG AA in this scheme.
    assert_no_axe_violations(page)
