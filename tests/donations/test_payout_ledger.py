"""A month of Stripe money to the bank: every payout reconciles to the cent and every
fee is booked once, whatever the order and repetition of the webhook events."""

import datetime
import json
import random

import pytest
from django.db import transaction
from django.db.models import Sum

from devtools.stripe_standin import sign_payload
from donations import stripe_gateway
from donations.models import BalanceTransaction, Deposit, Gift, StripePayout

pytestmark = pytest.mark.django_db

# A Thursday: cards become available two business days after the charge.
MONTH_START = datetime.datetime(2026, 10, 1, 14, 0, tzinfo=datetime.UTC)


@pytest.fixture
def give(make_pledge, stripe_standin):
    """Opens a Checkout Session for a new pledge and pays it on the stand-in's page."""

    def pay(email, *, amount, frequency="once"):
        pledge = make_pledge(
            email=email, name=email.split("@")[0].title(), amount=amount, frequency=frequency
        )
        session = stripe_gateway.create_checkout_session(
            pledge=pledge,
            success_url="http://testserver/give/thanks/",
            cancel_url="http://testserver/",
        )
        return stripe_standin.pay(session["id"])

    return pay


@pytest.fixture
def a_month(give, stripe_standin):
    """October at the stand-in: gifts, monthly gifts and their renewals, a full and a
    partial refund, a lost dispute, and two automatic payouts. Returns the events."""
    standin = stripe_standin
    standin.set_clock(MONTH_START)
    once = []
    for i, amount in enumerate([2500, 5000, 10000, 25000, 7500]):
        once.append(give(f"once{i}@example.org", amount=amount))
        standin.advance_clock(days=1)
    # Thursday the 8th: still pending at the first payout, swept by the second.
    standin.set_clock(MONTH_START + datetime.timedelta(days=7))
    monthly = [
        give(f"monthly{i}@example.org", amount=amount, frequency="monthly")
        for i, amount in enumerate([1000, 2000, 3500])
    ]
    standin.set_clock(MONTH_START + datetime.timedelta(days=8))
    assert len(standin.run_payouts()) == 1

    standin.set_clock(MONTH_START + datetime.timedelta(days=13))
    later = [give(f"later{i}@example.org", amount=amount) for i, amount in enumerate([4000, 999])]
    for session in monthly:
        standin.renew(session["subscription"])
    standin.refund(once[0]["payment_intent"])
    standin.refund(later[0]["payment_intent"], amount=1000)
    dispute = standin.dispute(once[2]["payment_intent"])
    standin.close_dispute(dispute["id"], won=False)
    standin.set_clock(MONTH_START + datetime.timedelta(days=25))
    assert len(standin.run_payouts()) == 1
    return [{k: v for k, v in record.items() if k != "delivery"} for record in standin.events]


def _deliver(client, settings, events):
    for event in events:
        body = json.dumps(event).encode()
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
        )
        assert response.status_code == 200, response.content


def _money_snapshot():
    """What the ledger says of money at Stripe, without our own ids and times."""
    return {
        "lines": sorted(
            BalanceTransaction.objects.values_list(
                "stripe_id",
                "kind",
                "amount_cents",
                "fee_cents",
                "net_cents",
                "gift__stripe_charge_id",
                "payout__stripe_payout_id",
            )
        ),
        "payouts": sorted(
            StripePayout.objects.values_list(
                "stripe_payout_id",
                "status",
                "amount_cents",
                "lines_total_cents",
                "difference_cents",
                "reconciliation",
                "deposit__deposited_on",
            )
        ),
        "gifts": sorted(
            Gift.objects.values_list(
                "stripe_charge_id",
                "amount_cents",
                "refunded_cents",
                "status",
                "stripe_balance_transaction_id",
                "stripe_fee_cents",
                "stripe_net_cents",
            )
        ),
    }


def test_it_reconciles_every_payout_to_the_cent_whatever_the_order(
    client, settings, a_month, stripe_standin
):
    events = a_month
    payout_events = [e for e in events if e["type"].startswith("payout.")]
    assert {e["type"] for e in payout_events} == {"payout.created", "payout.paid"}

    # The ledger the events give in the order Stripe sent them...
    savepoint = transaction.savepoint_create()
    _deliver(client, settings, events)
    in_order = _money_snapshot()
    transaction.savepoint_rollback(savepoint)
    assert not BalanceTransaction.objects.exists()

    # ... is the one they give shuffled, half of them twice.
    rng = random.Random(20261031)
    shuffled = events + rng.sample(events, k=len(events) // 2)
    rng.shuffle(shuffled)
    _deliver(client, settings, shuffled)
    assert _money_snapshot() == in_order

    # Two payouts, each a Stripe payout deposit that reached the bank and whose lines
    # add up to the cent to the amount Stripe sent.
    payouts = list(StripePayout.objects.select_related("deposit").order_by("created"))
    assert len(payouts) == 2
    for payout in payouts:
        truth = stripe_gateway.payout_balance_transactions(payout.stripe_payout_id)
        swept = [t for t in truth if t["type"] != "payout"]
        stripe_amount = -next(t for t in truth if t["type"] == "payout")["amount"]
        assert payout.amount_cents == stripe_amount == sum(t["net"] for t in swept)
        assert payout.status == "paid" and payout.reached_bank
        assert payout.reconciliation == StripePayout.Reconciliation.BALANCED
        assert payout.lines_total_cents == payout.amount_cents
        assert payout.difference_cents == 0
        assert payout.deposit.kind == Deposit.Kind.STRIPE_PAYOUT
        assert payout.deposit.bank_reference == payout.stripe_payout_id
        # Every line is booked, once, with Stripe's own figures.
        lines = payout.lines.exclude(kind=BalanceTransaction.Kind.PAYOUT)
        assert sorted(lines.values_list("stripe_id", "amount_cents", "fee_cents")) == sorted(
            (t["id"], t["amount"], t["fee"]) for t in swept
        )
        # ... and each concerns a gift the ledger knows.
        assert not lines.filter(gift__isnull=True).exists()
    first, second = payouts
    assert first.lines.filter(kind="charge").count() == 5
    # The second holds the monthly gifts, their renewals, two later gifts, a full and
    # a partial refund and the lost dispute with its fee.
    kinds = sorted(second.lines.exclude(kind="payout").values_list("kind", flat=True))
    assert kinds == ["charge"] * 8 + ["dispute"] + ["refund"] * 2
    dispute = second.lines.get(kind="dispute")
    assert (dispute.amount_cents, dispute.fee_cents) == (-10000, 1500)
    assert dispute.gift.status == Gift.Status.DISPUTE_LOST

    # Every online gift knows its fee and net: its charge's, booked once.
    gifts = Gift.objects.exclude(method=Gift.Method.CHECK)
    assert gifts.count() == 13
    for gift in gifts:
        charge = stripe_gateway.retrieve_charge(gift.stripe_charge_id)
        txn = stripe_gateway.retrieve_balance_transaction(charge["balance_transaction"])
        assert gift.stripe_balance_transaction_id == txn["id"]
        assert (gift.stripe_fee_cents, gift.stripe_net_cents) == (txn["fee"], txn["net"])
        assert gift.balance_lines.filter(kind="charge").count() == 1
    fees = BalanceTransaction.objects.filter(kind="charge").aggregate(total=Sum("fee_cents"))
    assert fees["total"] == gifts.aggregate(total=Sum("stripe_fee_cents"))["total"]
    assert BalanceTransaction.objects.count() == len(in_order["lines"])
