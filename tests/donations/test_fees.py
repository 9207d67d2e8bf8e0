"""Stripe's fee and the net of every online gift, refunds' and disputes' transactions,
and the gross, fees, covered fees and net the report and the export show."""

import csv
import io
import json

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from devtools.stripe_standin import sign_payload
from donations import stripe_gateway
from donations.models import BalanceTransaction, Gift, Pledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def pay(make_pledge, stripe_standin):
    """A pledge paid on the stand-in's checkout page; returns (pledge, session)."""

    def pay(email="ana@example.org", *, amount=5000, fee=0, frequency="once"):
        pledge = make_pledge(email=email, amount=amount + fee, frequency=frequency)
        if fee:  # the donor chose to cover the fee: the gift is the amount less it
            Pledge.objects.filter(pk=pledge.pk).update(gift_cents=amount, fee_cents=fee)
        session = stripe_gateway.create_checkout_session(
            pledge=pledge, success_url="http://testserver/t/", cancel_url="http://testserver/"
        )
        return pledge, stripe_standin.pay(session["id"])

    return pay


@pytest.fixture
def deliver_new(client, settings, stripe_standin):
    """Delivers the stand-in's events not delivered yet, in order; returns them."""
    sent = set()

    def deliver(*, again=False, prefix=""):
        events = [
            {k: v for k, v in record.items() if k != "delivery"}
            for record in stripe_standin.events
            if (again or record["id"] not in sent) and record["type"].startswith(prefix)
        ]
        for event in events:
            body = json.dumps(event).encode()
            response = client.post(
                "/stripe/webhook/",
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
            )
            assert response.status_code == 200, response.content
            sent.add(event["id"])
        return events

    return deliver


def _stripe_txn(gift):
    charge = stripe_gateway.retrieve_charge(gift.stripe_charge_id)
    return stripe_gateway.retrieve_balance_transaction(charge["balance_transaction"])


def test_it_books_a_one_time_gift_with_stripes_fee_and_net(pay, deliver_new):
    pledge, _ = pay(amount=5000)
    deliver_new()
    gift = Gift.objects.get(pledge=pledge)

    txn = _stripe_txn(gift)
    assert txn["fee"] == 175  # 2.9% of $50 + 30¢
    assert gift.stripe_balance_transaction_id == txn["id"]
    assert (gift.stripe_fee_cents, gift.stripe_net_cents) == (175, 4825)
    line = gift.balance_lines.get()
    assert (line.kind, line.amount_cents, line.fee_cents, line.net_cents) == (
        "charge",
        5000,
        175,
        4825,
    )


def test_it_books_each_monthly_charge_with_its_own_fee(pay, deliver_new, stripe_standin):
    _, session = pay(amount=2000, frequency="monthly")
    stripe_standin.renew(session["subscription"])
    deliver_new()
    charges = Gift.objects.filter(frequency="monthly").order_by("given_at", "pk")
    assert charges.count() == 2
    assert [g.stripe_fee_cents for g in charges] == [88, 88]  # 2.9% of $20 + 30¢
    assert len({g.stripe_balance_transaction_id for g in charges}) == 2
    for gift in charges:
        assert gift.stripe_balance_transaction_id == _stripe_txn(gift)["id"]


def test_a_replayed_event_books_the_fee_once(pay, deliver_new):
    pay(amount=5000)
    deliver_new()
    deliver_new(again=True)
    assert BalanceTransaction.objects.count() == 1
    assert Gift.objects.get().stripe_fee_cents == 175


def test_it_books_refunds_and_a_lost_disputes_amount_and_fee(pay, deliver_new, stripe_standin):
    _, refunded = pay("bo@example.org", amount=4000)
    _, disputed = pay("cy@example.org", amount=10000)
    stripe_standin.refund(refunded["payment_intent"], amount=1500)
    stripe_standin.refund(refunded["payment_intent"], amount=500)
    dispute = stripe_standin.dispute(disputed["payment_intent"])
    stripe_standin.close_dispute(dispute["id"], won=False)
    deliver_new()

    refunds = BalanceTransaction.objects.filter(kind="refund").order_by("amount_cents")
    assert [(r.amount_cents, r.fee_cents) for r in refunds] == [(-1500, 0), (-500, 0)]
    gift = Gift.objects.get(stripe_payment_intent_id=refunded["payment_intent"])
    assert {r.gift_id for r in refunds} == {gift.pk}
    assert gift.refunded_cents == 2000

    line = BalanceTransaction.objects.get(kind="dispute")
    assert (line.amount_cents, line.fee_cents, line.net_cents) == (-10000, 1500, -11500)
    assert line.gift.stripe_payment_intent_id == disputed["payment_intent"]
    assert line.gift.status == Gift.Status.DISPUTE_LOST


def test_a_dispute_before_its_gift_waits_and_is_claimed(pay, deliver_new, stripe_standin):
    _, session = pay(amount=3000)
    stripe_standin.dispute(session["payment_intent"])
    deliver_new(prefix="charge.dispute.")  # before the gift's own events
    line = BalanceTransaction.objects.get(kind="dispute")
    assert line.gift is None and not line.matched

    deliver_new()  # the gift's events arrive at last
    line.refresh_from_db()
    assert line.gift.stripe_payment_intent_id == session["payment_intent"]
    assert line.gift.status == Gift.Status.DISPUTED
    assert line.gift.stripe_fee_cents == 117  # 2.9% of $30 + 30¢


def test_the_report_shows_gross_fees_covered_and_net(pay, deliver_new, bookkeeper_client):
    covered, _ = pay("ana@example.org", amount=5000, fee=185)  # $51.85 charged
    pay("bo@example.org", amount=2000)
    deliver_new()
    gift = Gift.objects.get(pledge=covered)
    assert gift.amount_cents == 5185
    fees = sum(Gift.objects.values_list("stripe_fee_cents", flat=True))
    assert fees == gift.stripe_fee_cents + 88
    today = timezone.localdate(gift.given_at).isoformat()

    response = bookkeeper_client.get(
        reverse("admin:donations_gift_report"), {"start": today, "end": today}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Gross (what donors paid)" in html and "$71.85" in html
    assert f"−${fees / 100:.2f}" in html
    assert f'<td id="report-net">${(7185 - fees) / 100:.2f}</td>' in html
    assert '<td id="report-covered">$1.85</td>' in html


def test_the_gift_export_has_fee_covered_and_net_columns(pay, deliver_new, bookkeeper_client):
    pay("ana@example.org", amount=5000, fee=185)
    deliver_new()
    gift = Gift.objects.get()
    response = bookkeeper_client.get(reverse("admin:donations_gift_export"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["amount"] == "51.85"
    assert row["stripe_fee"] == f"{gift.stripe_fee_cents / 100:.2f}"
    assert row["fee_covered"] == "1.85"
    assert row["net"] == f"{(5185 - gift.stripe_fee_cents) / 100:.2f}"
    assert row["balance_transaction"] == gift.stripe_balance_transaction_id


def test_a_negative_net_is_exported_as_a_number(
    pay, deliver_new, stripe_standin, bookkeeper_client
):
    # Stripe keeps its fee on a full refund and adds one for a lost dispute: the net of
    # each is below zero, and must reach the spreadsheet as a number it can add up, not
    # as text behind the apostrophe that defuses formulas.
    _, refunded = pay("bo@example.org", amount=4000)
    _, disputed = pay("cy@example.org", amount=10000)
    stripe_standin.refund(refunded["payment_intent"], amount=4000)
    dispute = stripe_standin.dispute(disputed["payment_intent"])
    stripe_standin.close_dispute(dispute["id"], won=False)
    deliver_new()

    response = bookkeeper_client.get(reverse("admin:donations_gift_export"))
    text = b"".join(response.streaming_content).decode().removeprefix("\ufeff")
    nets = {row["donor_email"]: row["net"] for row in csv.DictReader(io.StringIO(text))}

    for email in ("bo@example.org", "cy@example.org"):
        gift = Gift.objects.get(donor__email=email)
        fees = gift.balance_lines.aggregate(total=Sum("fee_cents"))["total"]
        assert fees > 0
        assert nets[email] == f"{-fees / 100:.2f}", nets
