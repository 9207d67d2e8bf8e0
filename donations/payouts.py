"""Stripe payouts as bank deposits, reconciled to the cent against their lines.

A payout is Stripe sweeping part of the Stripe balance to the bank: one sum on the
bank statement for many gifts less their fees, refunds and disputes. Each payout is
booked as a Deposit of kind `stripe_payout` (listed beside the check deposits) with
a StripePayout of its Stripe facts; its lines are the balance transactions it paid
out (donations.balance), and it reconciles when their nets add up to its amount.

Safe to run twice, concurrently and in any order of its events: the payout is found
or created by its unique id with its row locked, its status only moves forward
(`STATUS_RANK`), its lines are booked once each by their txn id, and the
reconciliation is recomputed from the rows each time.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from campaigns.formatting import format_money

from . import stripe_facts
from .balance import book_balance_transaction
from .models import BalanceTransaction, Deposit, StripePayout

# A payout moves pending → in transit → paid, and may fail or be canceled (even
# after "paid", when the bank returns it a few days later); failed and canceled are
# final. A later event of a lower rank (arriving late) changes nothing.
STATUS_RANK = {
    StripePayout.Status.PENDING: 0,
    StripePayout.Status.IN_TRANSIT: 1,
    StripePayout.Status.PAID: 2,
    StripePayout.Status.FAILED: 3,
    StripePayout.Status.CANCELED: 3,
}


def _locked_payout(facts):
    """The payout's row, locked; created with its deposit (born closed) when new."""
    payout = (
        StripePayout.objects.select_for_update()
        .select_related("deposit")
        .filter(stripe_payout_id=facts.payout_id)
        .first()
    )
    if payout is not None:
        return payout
    try:
        with transaction.atomic():
            deposit = Deposit.objects.create(
                kind=Deposit.Kind.STRIPE_PAYOUT,
                deposited_on=facts.arrival_date,
                bank_reference=facts.payout_id,
                expected_total_cents=max(facts.amount, 0),
                # No check may join it; Stripe's records settle it (Deposit.ensure_open).
                closed_at=timezone.now(),
            )
            return StripePayout.objects.create(
                deposit=deposit,
                stripe_payout_id=facts.payout_id,
                amount_cents=facts.amount,
                currency=facts.currency,
                status=facts.status,
                arrival_date=facts.arrival_date,
                balance_transaction_id=facts.balance_transaction_id,
                failure_code=facts.failure_code,
                failure_message=facts.failure_message,
                created=facts.created,
            )
    except IntegrityError:
        return (
            StripePayout.objects.select_for_update()
            .select_related("deposit")
            .get(stripe_payout_id=facts.payout_id)
        )


def _merge_status(payout, facts):
    """Moves the status forward only; the arrival date and failure come with it."""
    new = facts.status if facts.status in STATUS_RANK else payout.status
    if STATUS_RANK[new] > STATUS_RANK[payout.status]:
        payout.status = new
    if STATUS_RANK[new] >= STATUS_RANK[payout.status]:
        payout.arrival_date = facts.arrival_date
    payout.failure_code = payout.failure_code or facts.failure_code
    payout.failure_message = payout.failure_message or facts.failure_message
    payout.balance_transaction_id = payout.balance_transaction_id or facts.balance_transaction_id
    deposit = payout.deposit
    if deposit.deposited_on != payout.arrival_date:
        deposit.deposited_on = payout.arrival_date
        deposit.save(update_fields=["deposited_on"])


def book_payout(payout_obj, *, transactions=None):
    """Books a payout (`payout.*`, or a listing) as a Stripe payout deposit.

    `transactions` are the balance transactions Stripe lists for it (with their
    sources expanded); each is booked once as one of its lines, and the payout is
    reconciled. None leaves the lines as they are. Returns the StripePayout. Safe
    twice and in any order (see the module).
    """
    facts = stripe_facts.payout_facts(payout_obj)
    payout = _locked_payout(facts)
    _merge_status(payout, facts)
    if transactions is not None:
        for txn in transactions:
            line = book_balance_transaction(txn, payout=payout)
            if (
                line.kind == BalanceTransaction.Kind.PAYOUT
                and line.source_id == payout.stripe_payout_id
            ):
                # Its own transaction, when the payout object did not name it.
                payout.balance_transaction_id = payout.balance_transaction_id or line.stripe_id
        payout.lines_listed_at = timezone.now()
    _reconcile(payout)
    payout.save()
    return payout


def paid_out_lines(payout):
    """The lines a payout paid out: every transaction it listed but its own."""
    return payout.lines.exclude(
        Q(stripe_id=payout.balance_transaction_id)
        | Q(kind=BalanceTransaction.Kind.PAYOUT, source_id=payout.stripe_payout_id)
    )


def _reconcile(payout):
    """Compares the sum of the lines' nets with the payout's amount; sets the result."""
    if payout.lines_listed_at is None:
        payout.reconciliation = StripePayout.Reconciliation.NOT_LISTED
        payout.lines_total_cents = payout.difference_cents = None
        return
    total = paid_out_lines(payout).aggregate(total=Sum("net_cents", default=0))["total"]
    payout.lines_total_cents = total
    payout.difference_cents = payout.amount_cents - total
    payout.reconciliation = (
        StripePayout.Reconciliation.BALANCED
        if payout.difference_cents == 0
        else StripePayout.Reconciliation.UNBALANCED
    )


def signed_money(cents, currency="usd"):
    """Money with its sign in front: "−$15.00" for money that left the balance."""
    text = format_money(abs(cents), currency, always_cents=True)
    return f"−{text}" if cents < 0 else text


def payout_page(payout):
    """What a payout deposit's admin page shows: its lines (each with its gift, or
    marked unmatched), their sums by kind, and how they compare with the payout."""
    lines = list(paid_out_lines(payout).select_related("gift").order_by("created", "pk"))
    by_kind = {}
    for line in lines:
        sums = by_kind.setdefault(line.kind, {"count": 0, "amount": 0, "fee": 0, "net": 0})
        sums["count"] += 1
        sums["amount"] += line.amount_cents
        sums["fee"] += line.fee_cents
        sums["net"] += line.net_cents
    currency = payout.currency
    kinds = [
        {
            "label": label,
            "count": by_kind[value]["count"],
            "amount": signed_money(by_kind[value]["amount"], currency),
            "fee": signed_money(-by_kind[value]["fee"], currency),
            "net": signed_money(by_kind[value]["net"], currency),
        }
        for value, label in BalanceTransaction.Kind.choices
        if value in by_kind
    ]
    rows = [
        {
            "line": line,
            "unmatched": not line.matched,
            "amount": signed_money(line.amount_cents, line.currency),
            "fee": signed_money(-line.fee_cents, line.currency),
            "net": signed_money(line.net_cents, line.currency),
        }
        for line in lines
    ]
    difference = payout.difference_cents
    return {
        "lines": rows,
        "kinds": kinds,
        "unmatched_count": sum(1 for row in rows if row["unmatched"]),
        "payout_amount": signed_money(payout.amount_cents, currency),
        "lines_total": None
        if payout.lines_total_cents is None
        else signed_money(payout.lines_total_cents, currency),
        "difference": None if difference is None else signed_money(difference, currency),
        "fees_total": signed_money(-sum(row["line"].fee_cents for row in rows), currency),
    }
