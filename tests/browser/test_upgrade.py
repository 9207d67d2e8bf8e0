"""A one-time gift made monthly from the thank-you page, on the card just used."""

import re

from django.core import mail
from playwright.sync_api import expect

from campaigns.formatting import format_date
from donations.models import Frequency, Gift, MonthlyGift, Pledge
from donations.upgrades import one_month_after
from tests.quality import assert_no_axe_violations, assert_valid_html


def test_a_donor_makes_a_one_time_gift_monthly_without_entering_a_card_again(
    live_server, campaign, standin, page
):
    campaign.offers_monthly_upgrade = True
    campaign.save()

    page.goto(live_server.url + campaign.get_absolute_url())
    form = page.locator("#donation-form")
    form.get_by_label("$100").check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_role("button", name="Give $100 now", exact=True).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ana — your $100 gift is confirmed"
    )

    # The offer: the amount of the campaign's tier ($100 once: $25 a month), what will
    # be charged, from when, on which card.
    one_time = Gift.objects.get()
    offer = page.locator(".upgrade")
    expect(offer.get_by_role("heading", level=2)).to_have_text("Make it monthly at $25?")
    first_charge = one_month_after(one_time.given_at)
    expect(offer).to_contain_text(
        f"We will charge $25 every month from {format_date(first_charge)}, "
        "on the Visa ending 4242, until you cancel."
    )
    assert_no_axe_violations(page)
    assert_valid_html(page.content())
    mail.outbox.clear()  # the receipt of the one-time gift

    offer.get_by_role("button", name="Yes, give $25 every month").click()

    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.locator(".upgrade").get_by_role("heading", level=2)).to_have_text(
        "Your monthly gift is set up"
    )
    expect(page.get_by_role("button", name="Yes, give $25 every month")).to_have_count(0)
    assert_valid_html(page.content())

    # On Stripe: a subscription on the card the one-time gift saved, first billed a
    # month after the gift.
    intent = standin.store.get("payment_intent", one_time.stripe_payment_intent_id)
    assert intent["setup_future_usage"] == "off_session"
    (subscription,) = standin.store.of_kind("subscription")
    assert subscription["default_payment_method"] == intent["payment_method"]
    assert subscription["customer"] == intent["customer"]
    assert subscription["billing_cycle_anchor"] == int(first_charge.timestamp())
    monthly = MonthlyGift.objects.get()
    assert monthly.stripe_subscription_id == subscription["id"]
    assert monthly.donor == one_time.donor
    assert Gift.objects.count() == 1  # nothing charged today
    assert [m.subject for m in mail.outbox] == ["Your monthly gift is set up"]
    assert "/give/manage/" in mail.outbox[0].body

    # Stripe bills the month (the stand-in renews when told; its clock stays at our
    # own, since the site refuses events dated ahead of it): the charge is on the saved
    # card, booked as a monthly gift of the same donor.
    invoice = standin.renew(subscription["id"])
    standin.wait_for_deliveries()
    charge = Gift.objects.get(frequency=Frequency.MONTHLY)
    assert (charge.amount_cents, charge.stripe_invoice_id) == (2500, invoice["id"])
    assert (charge.monthly_gift, charge.donor) == (monthly, one_time.donor)
    assert charge.pledge == Pledge.objects.get(upgraded_from=one_time.pledge)
    stripe_charge = standin.store.get("charge", charge.stripe_charge_id)
    assert stripe_charge["payment_method"] == intent["payment_method"]
    assert (charge.card_brand, charge.card_last4) == ("visa", "4242")
    assert charge.counted
