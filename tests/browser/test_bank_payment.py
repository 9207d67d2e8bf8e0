"""A $2,000 gift from a bank account (ACH) in Chromium: the form suggests the bank and
covers its capped fee, the stand-in's page offers only the bank, the thank-you page
says the payment is processing, and the campaign's goal and feed count the gift only
once Stripe says the debit settled; the receipt follows."""

import re

from django.core import mail
from playwright.sync_api import expect

from campaigns.formatting import format_money
from donations.fees import bank_fee_to_cover
from donations.models import Gift
from tests.quality import assert_no_axe_violations, assert_valid_html


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _campaign_page(page, url):
    response = page.goto(url)
    assert response.status == 200
    return page.locator("#goal-label"), page.locator("#activity")


def test_a_two_thousand_dollar_gift_from_a_bank_counts_once_it_settles(
    live_server, campaign, standin, page
):
    url = live_server.url + campaign.get_absolute_url()
    goal, feed = _campaign_page(page, url)
    expect(goal).to_have_text("0 of 100 donors")
    form = page.locator("#donation-form")
    card = form.get_by_label("Card or wallet")
    bank = form.get_by_label("Bank account (ACH)")
    suggestion = form.locator("[data-bank-suggestion]")
    fee = page.locator("#fee-amount")

    # A small gift: card first, its fee.
    form.get_by_label("$50").check()
    expect(card).to_be_checked()
    expect(suggestion).to_be_hidden()
    expect(fee).to_have_text("$1.44")

    # From $500 the bank is chosen for the donor and its lower fee said; the fee
    # shown is the bank's (the script's integer formula, as donations.fees).
    form.get_by_label("Other", exact=True).check()
    other = form.get_by_label("Other amount, in dollars")
    other.fill("600")
    expect(bank).to_be_checked()
    expect(suggestion).to_be_visible()
    expect(fee).to_have_text(format_money(bank_fee_to_cover(60000), always_cents=True))
    other.fill("2000")
    expect(fee).to_have_text("$5.00")  # the cap, where a card would cost $45.30
    card.check()
    expect(fee).to_have_text("$45.30")
    bank.check()
    expect(fee).to_have_text("$5.00")
    _check_quality(page)

    form.get_by_label(re.compile("to cover the processing fee")).check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_label("My full name").check()
    form.get_by_role("button", name="Give $2,005 now", exact=True).click()

    # Stripe's page offers the bank account only.
    page.wait_for_url(standin.url + "/checkout/**")
    expect(page.locator("#amount")).to_contain_text("$2,005.00")
    expect(page.locator("#pay")).to_have_count(0)
    page.locator("#delayed").click()

    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ana — we’re confirming your payment"
    )
    expect(page.get_by_role("main")).to_contain_text("a few business days")
    _check_quality(page)
    session_id = page.url.rsplit("=", 1)[-1]

    gift = Gift.objects.get()
    assert (gift.status, gift.counted, gift.method) == ("pending", False, "bank")
    assert gift.pledge.payment_method == "bank"
    assert [m for m in mail.outbox if m.to == ["ana@example.org"]] == []
    goal, feed = _campaign_page(page, url)
    expect(goal).to_have_text("0 of 100 donors")
    expect(feed).not_to_contain_text("Ana Lopez")

    # The bank confirms the debit: Stripe sends checkout.session.async_payment_succeeded.
    standin.complete_delayed(session_id)
    gift.refresh_from_db()
    assert (gift.status, gift.counted, gift.amount_cents) == ("succeeded", True, 200500)
    goal, feed = _campaign_page(page, url)
    expect(goal).to_have_text("1 of 100 donors")
    expect(feed.locator(".feed-line")).to_contain_text(["Ana Lopez donated"])
    (receipt,) = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert "$2,005.00" in receipt.body
    assert "Bank account (ACH)" in receipt.body
