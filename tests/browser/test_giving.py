"""Giving in a real browser: the donation form, the stand-in's checkout page, and the
thank-you page, with the webhook events delivered to the live server."""

import re

from django.core import mail
from playwright.sync_api import expect

from donations.models import Gift, MonthlyGift, Pledge
from tests.quality import assert_no_axe_violations, assert_valid_html

IRS = "No goods or services were provided in exchange for this contribution."


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _open_form(page, url):
    response = page.goto(url)
    assert response.status == 200
    return page.locator("#donation-form")


def test_a_donor_gives_fifty_dollars_monthly_with_the_fee_covered(
    live_server, campaign, standin, page, mobile_page
):
    url = live_server.url + campaign.get_absolute_url()
    form = _open_form(page, url)
    _check_quality(page)

    form.get_by_label("$50").check()
    form.get_by_label("Monthly").check()
    # The script shows the exact fee for the chosen amount: $50 → $1.44.
    form.get_by_label("$100").check()
    expect(page.locator("#fee-amount")).to_have_text("$2.56")
    form.get_by_label("$50").check()
    expect(page.locator("#fee-amount")).to_have_text("$1.44")
    form.get_by_label(re.compile("to cover the processing fee")).check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_role("button", name="Give $51.44 monthly", exact=True).click()

    # Stripe's page (the stand-in's) shows what will be charged.
    page.wait_for_url(standin.url + "/checkout/**")
    expect(page.locator("#amount")).to_contain_text("$51.44")
    page.locator("#pay").click()

    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ana — your $51.44 monthly gift is confirmed"
    )
    expect(page.get_by_role("main").get_by_role("link", name="Manage my giving")).to_be_visible()
    _check_quality(page)

    monthly = MonthlyGift.objects.get()
    assert (monthly.amount_cents, monthly.status) == (5144, "active")
    gift = Gift.objects.get()
    assert (gift.amount_cents, gift.frequency, gift.counted) == (5144, "monthly", True)
    assert gift.monthly_gift == monthly
    receipts = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert len(receipts) == 1
    assert IRS in receipts[0].body
    assert "$51.44" in receipts[0].body

    # The same pages on a phone.
    thanks_url = page.url
    _open_form(mobile_page, url)
    _check_quality(mobile_page)
    mobile_page.goto(thanks_url)
    expect(mobile_page.get_by_role("heading", level=1)).to_contain_text("is confirmed")
    _check_quality(mobile_page)
    assert Gift.objects.count() == 1  # a reload books nothing more


def test_a_donor_gives_once_and_a_declined_card_books_nothing(live_server, campaign, standin, page):
    url = live_server.url + campaign.get_absolute_url()
    form = _open_form(page, url)
    form.get_by_label("$100").check()
    form.get_by_label("Your name").fill("Ben Ortiz")
    form.get_by_label("E-mail").fill("ben@example.org")
    form.get_by_role("button", name="Give $100 now", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ben — your $100 gift is confirmed"
    )
    assert Gift.objects.get().amount_cents == 10000

    # A second gift, declined on Stripe's page.
    form = _open_form(page, url)
    form.get_by_label("Other", exact=True).check()
    form.get_by_label("Other amount, in dollars").fill("75")
    form.get_by_label("Monthly").check()
    form.get_by_label("Your name").fill("Cy Park")
    form.get_by_label("E-mail").fill("cy@example.org")
    form.get_by_role("button", name="Give $75 monthly", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#decline").click()
    expect(page.locator("#error")).to_have_text("Your card was declined.")
    assert page.url.startswith(standin.url + "/checkout/")
    assert Gift.objects.count() == 1
    assert MonthlyGift.objects.count() == 0

    # Cancel: back to the form, choices kept, told that nothing was charged.
    page.locator("#cancel").click()
    page.wait_for_url(re.compile(r"cancelled=1"))
    expect(page.get_by_text("Your gift was not completed; nothing was charged.")).to_be_visible()
    form = page.locator("#donation-form")
    expect(form.get_by_label("Other", exact=True)).to_be_checked()
    expect(form.get_by_label("Other amount, in dollars")).to_have_value("75")
    expect(form.get_by_label("Monthly")).to_be_checked()
    _check_quality(page)
    assert Pledge.objects.filter(status=Pledge.Status.OPEN).count() == 1


def test_a_mistake_is_explained_and_the_summary_gets_the_focus(
    live_server, campaign, standin, page, mobile_page
):
    url = live_server.url + campaign.get_absolute_url()
    for current in (page, mobile_page):
        form = _open_form(current, url)
        form.get_by_label("Your name").fill("Ana <b>")
        form.get_by_role("button", name="Give $50 now", exact=True).click()
        summary = current.locator("#error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Enter your e-mail address")
        expect(summary).to_contain_text("can’t be part of a name")
        expect(current.get_by_label("Your name")).to_have_value("Ana <b>")
        expect(current.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
        _check_quality(current)
    assert Pledge.objects.count() == 0


def test_the_form_works_without_javascript(live_server, campaign, standin, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        form = _open_form(page, live_server.url + campaign.get_absolute_url())
        # Without the script both the presets and the other-amount field are shown;
        # a typed amount is the one meant.
        form.get_by_label("Other amount, in dollars").fill("30")
        form.get_by_label("Your name").fill("Dee Ray")
        form.get_by_label("E-mail").fill("dee@example.org")
        form.get_by_role("button", name="Continue to payment").click()
        page.wait_for_url(standin.url + "/checkout/**")
        expect(page.locator("#amount")).to_contain_text("$30")
    finally:
        context.close()


def test_a_strangers_unpaid_pledge_with_a_donors_address_changes_nothing(
    live_server, campaign, standin, browser, page
):
    """A stranger types Victor's address with another name and never pays; Victor then
    gives. The feed, his thank-you page and his receipt carry the name he typed."""
    url = live_server.url + campaign.get_absolute_url()
    stranger = browser.new_context()
    try:
        form = _open_form(stranger.new_page(), url)
        form.get_by_label("Your name").fill("Hacked Byattacker")
        form.get_by_label("E-mail").fill("victor@example.org")
        form.get_by_label("My full name").check()
        form.get_by_role("button", name="Give $50 now", exact=True).click()
        form.page.wait_for_url(standin.url + "/checkout/**")  # and leaves without paying
    finally:
        stranger.close()

    form = _open_form(page, url)
    form.get_by_label("Your name").fill("Victor Ruiz")
    form.get_by_label("E-mail").fill("victor@example.org")
    form.get_by_label("My full name").check()
    form.get_by_role("button", name="Give $50 now", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you, Victor —")

    page.goto(url)
    expect(page.locator(".feed-item").first).to_contain_text("Victor Ruiz")
    expect(page.get_by_text("Hacked")).to_have_count(0)
    receipts = [m for m in mail.outbox if m.to == ["victor@example.org"]]
    assert len(receipts) == 1
    assert receipts[0].body.startswith("Dear Victor Ruiz,")
    assert "Hacked" not in receipts[0].body
