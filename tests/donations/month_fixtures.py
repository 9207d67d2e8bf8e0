"""A closed month of money for the month-end and journal tests: October 2026.

Gifts, their Stripe balance transactions (with fees), a refund, a lost dispute, one
payout that reached the bank, a deposit of checks, and a few things that do not
match (a transaction with no gift, a check in no deposit).
"""

import datetime

import pytest
from django.utils import timezone

from donations.models import BalanceTransaction, Deposit, Gift, StripePayout

Kind = BalanceTransaction.Kind
ZONE = timezone.get_default_timezone()


def at(day, hour=12):
    return datetime.datetime(2026, 10, day, hour, tzinfo=ZONE)


def _line(stripe_id, kind, amount, fee, created, gift=None, payout=None):
    return BalanceTransaction.objects.create(
        stripe_id=stripe_id,
        kind=kind,
        amount_cents=amount,
        fee_cents=fee,
        net_cents=amount - fee,
        created=created,
        gift=gift,
        payout=payout,
        charge_id=f"ch_{stripe_id}",
    )


def _online(campaign, donor, pi, amount, fee, given_at, **fields):
    return Gift.objects.create(
        campaign=campaign,
        donor=donor,
        amount_cents=amount,
        given_at=given_at,
        method=Gift.Method.CARD,
        stripe_payment_intent_id=pi,
        stripe_charge_id=f"ch_{pi}",
        stripe_balance_transaction_id=f"txn_{pi}" if fee is not None else None,
        stripe_fee_cents=fee,
        stripe_net_cents=amount - fee if fee is not None else None,
        **fields,
    )


@pytest.fixture
def october(campaign, donor, bookkeeper):
    return build_october(campaign, donor, bookkeeper)


def build_october(campaign, donor, bookkeeper):
    """Makes the month (see the module); returns the payout, the deposit, a gift."""
    # September: one gift, so October opens with its net at Stripe.
    september = _online(campaign, donor, "pi_sep", 2000, 88, at(1) - datetime.timedelta(days=5))
    _line("txn_pi_sep", Kind.CHARGE, 2000, 88, september.given_at, september)

    big = _online(campaign, donor, "pi_big", 10000, 320, at(3))
    mid = _online(campaign, donor, "pi_mid", 5000, 175, at(3, 15))
    small = _online(campaign, donor, "pi_small", 2500, 103, at(9))
    nofee = _online(campaign, donor, "pi_nofee", 1500, None, at(12))
    for gift in (big, mid, small):
        _line(
            f"txn_{gift.stripe_payment_intent_id}",
            Kind.CHARGE,
            gift.amount_cents,
            gift.stripe_fee_cents,
            gift.given_at,
            gift,
        )
    # A charge Stripe has and the ledger does not.
    _line("txn_stranger", Kind.CHARGE, 4000, 146, at(10))

    mid.refunded_cents = 5000
    mid.derive_status()
    mid.save()
    _line("txn_refund_mid", Kind.REFUND, -5000, 0, at(6), mid)
    small.dispute = Gift.Dispute.LOST
    small.derive_status()
    small.save()
    _line("txn_dispute_small", Kind.DISPUTE, -2500, 1500, at(14), small)

    # The payout of the 5th sweeps September's gift and the two of the 3rd, less the refund.
    lines_net = 1912 + 9680 + 4825 - 5000
    payout_deposit = Deposit.objects.create(
        kind=Deposit.Kind.STRIPE_PAYOUT,
        deposited_on=datetime.date(2026, 10, 7),
        bank_reference="po_october",
        expected_total_cents=lines_net,
        closed_at=at(7),
    )
    payout = StripePayout.objects.create(
        deposit=payout_deposit,
        stripe_payout_id="po_october",
        amount_cents=lines_net,
        status=StripePayout.Status.PAID,
        arrival_date=datetime.date(2026, 10, 7),
        created=at(5),
        reconciliation=StripePayout.Reconciliation.BALANCED,
        lines_total_cents=lines_net,
        difference_cents=0,
    )
    _line("txn_payout", Kind.PAYOUT, -lines_net, 0, at(5), payout=payout)

    # Checks: two in a closed deposit of the 20th, one still in none.
    checks = Deposit.objects.create(
        deposited_on=datetime.date(2026, 10, 20),
        bank_reference='=HYPERLINK("http://evil")',
        expected_total_cents=15000,
    )
    for number, amount in (("101", 10000), ("102", 5000)):
        Gift.objects.create(
            campaign=campaign,
            donor=donor,
            amount_cents=amount,
            method=Gift.Method.CHECK,
            check_number=number,
            received_on=datetime.date(2026, 10, 18),
            given_at=at(18),
            deposit=checks,
        )
    checks.closed_at, checks.closed_by = at(20), bookkeeper
    checks.save()
    Gift.objects.create(
        campaign=campaign,
        donor=donor,
        amount_cents=2000,
        method=Gift.Method.CHECK,
        check_number="103",
        received_on=datetime.date(2026, 10, 28),
        given_at=at(28),
    )
    return {"payout": payout, "deposit": checks, "nofee": nofee}
