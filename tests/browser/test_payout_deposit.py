"""A Stripe payout's deposit page in Chromium at 1280 px: its lines, reconciled to the cent."""

import datetime
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from campaigns.demo import load_demo_campaign
from donations import stripe_gateway
from donations.models import Deposit, Pledge, StripePayout
from tests.quality import assert_no_axe_violations

from .test_backoffice import _bookkeepers

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-bea-browser-2"
MONDAY = datetime.datetime(2026, 10, 5, 15, 0, tzinfo=datetime.UTC)


def _give(standin, campaign, name, amount):
    pledge = Pledge.objects.create(
        campaign=campaign,
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        gift_cents=amount,
        amount_cents=amount,
        display_as="full",
        status=Pledge.Status.OPEN,
    )
    session = stripe_gateway.create_checkout_session(
        pledge=pledge, success_url="http://testserver/t/", cancel_url="http://testserver/"
    )
    return standin.pay(session["id"])


def test_a_bookkeeper_reads_a_reconciled_payout(live_server, page, standin):
    campaign = load_demo_campaign()[0]
    user = User.objects.create_user("bea", "bea@example.org", PASSWORD, is_staff=True)
    user.groups.add(_bookkeepers())
    standin.set_clock(MONDAY)
    sessions = [
        _give(standin, campaign, name, amount)
        for name, amount in [("Ana Lopez", 5000), ("Bo Carter", 2500), ("Cy Diaz", 10000)]
    ]
    standin.refund(sessions[1]["payment_intent"], amount=500)
    standin.set_clock(MONDAY + datetime.timedelta(days=4))
    (stripe_payout,) = standin.run_payouts()
    standin.wait_for_deliveries()
    payout = StripePayout.objects.get(stripe_payout_id=stripe_payout["id"])
    assert payout.reconciliation == StripePayout.Reconciliation.BALANCED

    # One Deposits list: the check deposits and the payouts, each with its state.
    Deposit.objects.create(
        deposited_on=datetime.date(2026, 10, 9), bank_reference="SLIP-12", expected_total_cents=5000
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/donations/deposit/")
    page.fill("#id_username", "bea")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/admin/donations/deposit/")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("Paid, reconciled")
    expect(page.locator("#result_list")).to_contain_text("SLIP-12")
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.click("#toggle-nav-sidebar")  # the room a bookkeeper makes for the figures
        page.screenshot(path=str(Path(folder) / "deposits-list-1280.png"), full_page=True)
    payout_deposit = Deposit.objects.get(kind=Deposit.Kind.STRIPE_PAYOUT)
    page.get_by_role("link", name=str(payout_deposit)).click()

    # $175 less fees of $1.75, $1.03 and $3.20, less the $5 refunded.
    expect(page.locator(".payout-amount")).to_have_text("$164.02")
    expect(page.locator(".payout-lines-total")).to_have_text("$164.02")
    expect(page.locator(".payout-difference")).to_contain_text("(reconciled to the cent)")
    expect(page.locator("tr.payout-line")).to_have_count(4)
    expect(page.locator("tr.payout-line-unmatched")).to_have_count(0)
    expect(page.get_by_role("link", name="Ana Lopez")).to_be_visible()
    assert_no_axe_violations(page)
    if folder:
        page.screenshot(path=str(Path(folder) / "payout-reconciled-1280.png"), full_page=True)
