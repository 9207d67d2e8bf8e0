"""reconcile_stripe heals the ledger from what Stripe lists, when webhooks were lost."""

import datetime
import io
import json
import random
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from devtools.stripe_standin import sign_payload
from donations import stripe_gateway
from donations.models import BalanceTransaction, Gift, MonthlyGift, StripePayout

from .webhook_helpers import ledger_snapshot as gifts_snapshot


def ledger_snapshot():
    """The gifts (webhook_helpers), with each one's fee and net, and the money at
    Stripe: every balance transaction with its gift and payout, and every payout."""
    snapshot = gifts_snapshot()
    snapshot["fees"] = sorted(
        Gift.objects.values_list(
            "stripe_payment_intent_id",
            "stripe_balance_transaction_id",
            "stripe_fee_cents",
            "stripe_net_cents",
        )
    )
    snapshot["balance"] = sorted(
        BalanceTransaction.objects.values_list(
            "stripe_id",
            "kind",
            "amount_cents",
            "fee_cents",
            "net_cents",
            "gift__stripe_payment_intent_id",
            "payout__stripe_payout_id",
        )
    )
    snapshot["payouts"] = sorted(
        StripePayout.objects.values_list(
            "stripe_payout_id", "status", "amount_cents", "reconciliation", "difference_cents"
        )
    )
    return snapshot


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
def a_month_of_gifts(give, stripe_standin):
    """One-time gifts, monthly gifts with renewals, refunds, a lost dispute, a cancel,
    and a payout; all of it made from ten days ago on."""
    stripe_standin.set_clock(int(time.time()) - 10 * 24 * 3600)
    once = [
        give(f"once{i}@example.org", amount=amount)
        for i, amount in enumerate([2500, 5000, 10000, 25000, 7500, 1500])
    ]
    monthly = [
        give(f"monthly{i}@example.org", amount=amount, frequency="monthly")
        for i, amount in enumerate([1000, 2000, 3500])
    ]
    for session in monthly:
        stripe_standin.renew(session["subscription"])
        stripe_standin.renew(session["subscription"])
    stripe_standin.refund(once[0]["payment_intent"])
    stripe_standin.refund(once[1]["payment_intent"], amount=1000)
    dispute = stripe_standin.dispute(once[2]["payment_intent"])
    stripe_standin.close_dispute(dispute["id"], won=False)
    stripe_standin.cancel_subscription(monthly[2]["subscription"])
    # A week later Stripe pays out what is available.
    stripe_standin.advance_clock(days=7)
    assert stripe_standin.run_payouts()
    return [{k: v for k, v in event.items() if k != "delivery"} for event in stripe_standin.events]


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


def _reconcile(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("reconcile_stripe", *args, stdout=out, stderr=err)
    return out.getvalue()


def _the_full_stream(client, settings, events):
    """The ledger the whole event stream gives, in a savepoint rolled back after."""
    savepoint = transaction.savepoint_create()
    _deliver(client, settings, events)
    full = ledger_snapshot()
    transaction.savepoint_rollback(savepoint)
    assert not Gift.objects.exists()
    return full


def test_it_books_what_dropped_webhooks_missed_and_nothing_on_a_second_run(
    client, settings, a_month_of_gifts
):
    events = a_month_of_gifts
    full = _the_full_stream(client, settings, events)
    # The expected ledger, independently of the webhook: 6 one-time gifts and 3 × 3
    # monthly charges; one refunded, one in part, one dispute lost; one gift canceled.
    statuses = sorted(gift[6] for gift in full["gifts"])
    assert len(full["gifts"]) == 15
    assert statuses.count("succeeded") == 12
    assert {"refunded", "partially_refunded", "dispute_lost"} <= set(statuses)
    assert sorted(m[1] for m in full["monthly"]) == ["active", "active", "canceled"]

    # Stripe's deliveries of a fifth of the events were lost for good.
    dropped = set(random.Random(15).sample(range(len(events)), k=round(len(events) * 0.2)))
    _deliver(client, settings, [e for i, e in enumerate(events) if i not in dropped])
    assert ledger_snapshot() != full

    output = _reconcile("--days", "11")
    assert ledger_snapshot() == full
    booked = int(output.rsplit("Booked ", 1)[1].split()[0])
    assert booked > 0, output

    again = _reconcile("--days", "11")
    assert "Booked 0 missing object(s)." in again
    assert "\n    booked " not in again
    assert ledger_snapshot() == full


def test_a_ledger_the_webhook_completed_needs_nothing(client, settings, a_month_of_gifts):
    _deliver(client, settings, a_month_of_gifts)
    before = ledger_snapshot()
    since = timezone.localdate() - datetime.timedelta(days=11)
    output = _reconcile("--since", since.isoformat())
    assert "Booked 0 missing object(s)." in output
    assert "Checkout Sessions: 9 listed, 0 booked now" in output
    assert ledger_snapshot() == before


def test_with_no_webhook_at_all_the_ledger_is_built_from_stripe(client, settings, a_month_of_gifts):
    full = _the_full_stream(client, settings, a_month_of_gifts)
    output = _reconcile("--days", "12")
    assert ledger_snapshot() == full
    for line in [
        "Checkout Sessions: 9 listed, 9 booked now",
        "paid invoices: 9 listed, 9 booked now",
        "subscriptions: 3 listed, 1 booked now",
        "refunds: 2 listed, 2 booked now",
        "disputes: 1 listed, 1 booked now",
        "payouts: 1 listed, 1 booked now",
        "charges: 15 listed\n",
    ]:
        assert line in output, output
    # Every gift has its fee, and the payout adds up to the cent.
    assert not Gift.objects.filter(stripe_fee_cents__isnull=True).exists()
    payout = StripePayout.objects.get()
    assert (payout.status, payout.reconciliation, payout.difference_cents) == (
        "paid",
        "balanced",
        0,
    )
    assert MonthlyGift.objects.filter(status=MonthlyGift.Status.CANCELED).count() == 1


def test_a_period_before_the_gifts_books_nothing(a_month_of_gifts):
    last_year = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    until = (timezone.localdate() - datetime.timedelta(days=300)).isoformat()
    output = _reconcile("--since", last_year, "--until", until)
    assert "Booked 0 missing object(s)." in output
    assert not Gift.objects.exists()


def test_when_stripe_fails_it_says_so_exits_non_zero_and_books_nothing_half(
    settings, stripe_standin, a_month_of_gifts
):
    settings.STRIPE_MAX_RETRIES = 0
    stripe_standin.fail_next(1, status=500)
    with pytest.raises(CommandError, match="next run tries the rest again"):
        _reconcile("--days", "11")
    assert not Gift.objects.exists()
    # The next run, Stripe answering again, books everything.
    output = _reconcile("--days", "11")
    assert Gift.objects.count() == 15, output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since must be a date"),
        (["--days", "4", "--until", "9999-12-31"], "--until must be a date before 9999-12-31"),
        (["--days", "0"], "--days must be between 1 and 366"),
        (["--since", "2026-05-02", "--until", "2026-05-01"], "must not be after"),
    ],
)
def test_bad_arguments_get_a_clear_message(db, args, message):
    with pytest.raises(CommandError, match=message):
        _reconcile(*args)
