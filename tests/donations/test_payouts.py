"""Stripe payouts as deposits: status, reconciliation, unmatched lines, and the one
Deposits view that lists them beside the check deposits."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.formatting import format_date
from devtools.stripe_standin import sign_payload
from donations import checks, payouts, stripe_gateway
from donations.models import BalanceTransaction, Deposit, Gift, StripePayout

pytestmark = pytest.mark.django_db

# A Monday: the week's cards are available by Wednesday.
MONDAY = datetime.datetime(2026, 10, 5, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def deliver(client, settings, stripe_standin):
    """Delivers the stand-in's events not delivered yet whose type starts with `prefix`."""
    sent = set()

    def deliver(prefix=""):
        for record in stripe_standin.events:
            if record["id"] in sent or not record["type"].startswith(prefix):
                continue
            event = {k: v for k, v in record.items() if k != "delivery"}
            body = json.dumps(event).encode()
            response = client.post(
                "/stripe/webhook/",
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
            )
            assert response.status_code == 200, response.content
            sent.add(record["id"])

    return deliver


@pytest.fixture
def paid_week(make_pledge, stripe_standin):
    """Three gifts on Monday, one refunded in part; returns a function that runs the
    payout schedule on Friday (paid unless told otherwise)."""
    stripe_standin.set_clock(MONDAY)
    sessions = []
    for email, amount in [("ana@example.org", 5000), ("bo@example.org", 2500), ("cy@x.org", 999)]:
        pledge = make_pledge(email=email, name=email.split("@")[0].title(), amount=amount)
        session = stripe_gateway.create_checkout_session(
            pledge=pledge, success_url="http://testserver/t/", cancel_url="http://testserver/"
        )
        sessions.append(stripe_standin.pay(session["id"]))
    stripe_standin.refund(sessions[1]["payment_intent"], amount=500)

    def run(paid=True):
        stripe_standin.set_clock(MONDAY + datetime.timedelta(days=4))
        (payout,) = stripe_standin.run_payouts(paid=paid)
        return payout

    return run


def test_a_paid_payout_is_a_reconciled_deposit(paid_week, deliver):
    stripe_payout = paid_week()
    deliver()
    payout = StripePayout.objects.select_related("deposit").get()
    # 5000 + 2500 + 999 less their fees (175, 103, 59), less the 500 refunded.
    assert stripe_payout["amount"] == 8499 - 337 - 500 == payout.amount_cents
    assert payout.status == "paid" and payout.reached_bank
    assert payout.reconciliation == "balanced"
    assert (payout.lines_total_cents, payout.difference_cents) == (7662, 0)
    assert payout.deposit.kind == Deposit.Kind.STRIPE_PAYOUT
    assert payout.deposit.deposited_on == datetime.date(2026, 10, 12)  # next business day
    assert payout.deposit.is_closed  # no check may join it


def test_a_failed_payout_is_marked_and_did_not_reach_the_bank(paid_week, deliver, stripe_standin):
    stripe_payout = paid_week()
    stripe_standin.fail_payout(stripe_payout["id"], code="account_closed")
    deliver()
    payout = StripePayout.objects.get()
    assert payout.status == "failed" and not payout.reached_bank
    assert payout.failure_code == "account_closed"
    # Its lines still add up: Stripe paid them out, the bank sent them back.
    assert payout.reconciliation == "balanced"


def test_a_late_paid_event_does_not_undo_a_failure(paid_week, deliver, stripe_standin):
    stripe_payout = paid_week()
    stripe_standin.fail_payout(stripe_payout["id"])
    deliver("payout.failed")
    deliver()  # payout.created and payout.paid arrive after the failure
    assert StripePayout.objects.get().status == "failed"


def test_a_canceled_payout_is_marked(paid_week, deliver, stripe_standin):
    stripe_payout = paid_week(paid=False)
    deliver()
    assert StripePayout.objects.get().status == "pending"
    stripe_standin.cancel_payout(stripe_payout["id"])
    deliver()
    payout = StripePayout.objects.get()
    assert payout.status == "canceled" and not payout.reached_bank


def test_a_payout_whose_lines_do_not_add_up_is_flagged_with_the_difference(
    paid_week, stripe_standin
):
    stripe_payout = paid_week()
    listed = stripe_gateway.payout_balance_transactions(stripe_payout["id"])
    missing = next(t for t in listed if t["type"] == "charge")
    payout = payouts.book_payout(
        stripe_payout, transactions=[t for t in listed if t["id"] != missing["id"]]
    )
    assert payout.reconciliation == StripePayout.Reconciliation.UNBALANCED
    assert payout.difference_cents == missing["net"]
    # Listed again in full (as the next event does), it reconciles.
    payout = payouts.book_payout(stripe_payout, transactions=listed)
    assert payout.reconciliation == StripePayout.Reconciliation.BALANCED
    assert payout.difference_cents == 0


def test_lines_of_charges_the_ledger_does_not_know_are_unmatched_until_booked(
    paid_week, deliver, bookkeeper_client
):
    paid_week()
    deliver("payout.")  # the gifts' own events are late
    payout = StripePayout.objects.get()
    assert payout.reconciliation == "balanced"
    assert payout.lines.filter(gift__isnull=True).exclude(kind="payout").count() == 4
    page = bookkeeper_client.get(
        reverse("admin:donations_deposit_change", args=[payout.deposit_id])
    ).content.decode()
    assert page.count('class="payout-line payout-line-unmatched"') == 4
    assert "4 lines concern charges the ledger does not know yet" in page

    deliver()
    assert not payout.lines.filter(gift__isnull=True).exclude(kind="payout").exists()
    assert Gift.objects.filter(stripe_fee_cents__isnull=True).count() == 0


def test_the_deposit_page_lists_a_payouts_lines_with_links_to_their_gifts(
    paid_week, deliver, bookkeeper_client
):
    paid_week()
    deliver()
    payout = StripePayout.objects.get()
    response = bookkeeper_client.get(
        reverse("admin:donations_deposit_change", args=[payout.deposit_id])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "(reconciled to the cent)" in page
    for gift in Gift.objects.all():
        assert reverse("admin:donations_gift_change", args=[gift.pk]) in page
    assert page.count('class="payout-line"') == 4  # three charges and a refund
    assert "−$5.00" in page  # the refund
    assert "$76.62" in page  # the amount sent to the bank
    assert "Close deposit" not in page and "Log a check into this deposit" not in page


def test_one_deposits_list_shows_checks_and_payouts(
    paid_week, deliver, bookkeeper_client, deposit, stripe_standin
):
    stripe_payout = paid_week()
    stripe_standin.fail_payout(stripe_payout["id"])
    deliver()
    page = bookkeeper_client.get(reverse("admin:donations_deposit_changelist")).content.decode()
    assert str(deposit) in page
    payout_deposit = Deposit.objects.get(kind=Deposit.Kind.STRIPE_PAYOUT)
    assert str(payout_deposit) == (
        f"Stripe payout of {format_date(payout_deposit.deposited_on)} ({stripe_payout['id']})"
    )
    assert str(payout_deposit) in page
    assert "Failed" in page
    only_payouts = bookkeeper_client.get(
        reverse("admin:donations_deposit_changelist"), {"kind__exact": "stripe_payout"}
    ).content.decode()
    assert str(deposit) not in only_payouts and stripe_payout["id"] in only_payouts


def test_checks_cannot_join_a_payout_deposit_nor_close_it(paid_week, deliver, bookkeeper):
    paid_week()
    deliver()
    deposit = Deposit.objects.get(kind=Deposit.Kind.STRIPE_PAYOUT)
    with pytest.raises(ValidationError) as error:
        deposit.ensure_open()
    assert error.value.code == "stripe_payout"
    with pytest.raises(ValidationError) as error:
        checks.close_deposit(deposit, bookkeeper)
    assert error.value.code == "stripe_payout"


def test_a_payout_of_another_shape_is_refused_and_books_nothing(client, settings):
    from . import stripe_payloads as sp

    event = sp.event("payout.paid", {"id": "po_bad", "object": "payout", "amount": "12.00"})
    body, signature = sp.signed(event, settings.STRIPE_WEBHOOK_SECRET)
    response = client.post(
        "/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert response.status_code == 400
    assert not StripePayout.objects.exists() and not BalanceTransaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_payout_listed_while_its_gifts_are_booked_ends_the_same(
    paid_week, stripe_standin, settings
):
    """Two app servers: one books the week's gifts while the other receives the
    payout's two events at once. One deposit, every line with its gift, no deadlock."""
    import threading

    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI runs it)")
    paid_week()
    records = [{k: v for k, v in r.items() if k != "delivery"} for r in stripe_standin.events]
    gift_events = [e for e in records if not e["type"].startswith("payout.")]
    payout_events = [e for e in records if e["type"].startswith("payout.")]
    barrier = threading.Barrier(1 + len(payout_events))
    statuses = []

    def post_all(events):
        try:
            barrier.wait()
            for event in events:
                body = json.dumps(event).encode()
                response = Client().post(
                    "/stripe/webhook/",
                    body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
                )
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_all, args=(gift_events,))] + [
        threading.Thread(target=post_all, args=([event],)) for event in payout_events
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * len(records)

    payout = StripePayout.objects.get()
    assert Deposit.objects.filter(kind=Deposit.Kind.STRIPE_PAYOUT).count() == 1
    assert payout.status == "paid" and payout.reconciliation == "balanced"
    lines = payout.lines.exclude(kind="payout")
    assert lines.count() == 4 and not lines.filter(gift__isnull=True).exists()
    assert not Gift.objects.filter(stripe_fee_cents__isnull=True).exists()
