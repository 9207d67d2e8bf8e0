"""The month's journal entries for the accounting books, as QuickBooks Online imports them.

Money at Stripe is kept in the books in a clearing account ("Stripe"): what donors
give goes in gross, Stripe's fees, refunds and disputes go out of it, and each payout
moves what is left to the bank. So each day with Stripe activity is one journal
entry, built from that day's balance transactions (donations.models.payouts):

    charge           Dr Stripe        Cr Contributions  (gross)
    refund           Dr Refunds       Cr Stripe
    dispute          Dr Disputes      Cr Stripe         (and back when won)
    any fee          Dr Stripe fees   Cr Stripe
    adjustment       Dr/Cr Stripe fees, Cr/Dr Stripe
and each payout, each deposit of checks (and cash), and each bank transfer or fund
grant that reached the bank on its own, is an entry of its own:
    payout           Dr Bank          Cr Stripe         (on its arrival date)
    payout returned  Dr Stripe        Cr Bank           (the day Stripe books it back;
                                                        none before it arrived)
    check deposit    Dr Bank          Cr Contributions
    transfer, grant  Dr Bank          Cr Contributions
So is each gift that never reaches the bank, on the day it was received:
    stock            Dr Donated securities  Cr Stock contributions
    in kind          Dr In-kind assets      Cr In-kind contributions
Stock is booked at its fair value on the day received, the value the gift was logged
at (donations.models.offline: the mean of the day's high and low, or the weighted
means of the nearest trading days). An in-kind gift is booked at the bookkeeper's
estimate (ASU 2020-07, contributed nonfinancial assets); one without an estimate is
not booked at all: its $0 amount is the receipt's wording (the IRS leaves its value to
the donor), not a value for the books. A voided gift is not booked, as a voided check
leaves its deposit.

Every pair has one debit and one credit of the same amount, so each entry balances
(debits == credits) by construction; `check_balanced` proves it on the lines before a
file is written. The account names are settings (ACCOUNTING_ACCOUNTS, from the
environment, see .env.example), so they match the organisation's chart of accounts.

The file: the columns QuickBooks Online's "Import journal entries" reads (Journal No.,
Journal Date, Account Name, Debits, Credits, Description, Name), dates as MM/DD/YYYY,
amounts as plain numbers with the other side left empty. Lines of one entry share a
Journal No. It is streamed and formula-safe as every export (donations.exports).
"""

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.formatting import dollars

from .exports import csv_lines
from .models import DIRECT_TO_BANK_METHODS, BalanceTransaction, Deposit, Gift, StripePayout

Kind = BalanceTransaction.Kind

QBO_COLUMNS = [
    "Journal No.",
    "Journal Date",
    "Account Name",
    "Debits",
    "Credits",
    "Description",
    "Name",
]

# The account the amount of each kind of balance transaction goes to (its other
# side is always the Stripe clearing account); its fee goes to "fees".
COUNTER_ACCOUNT = {
    Kind.CHARGE: "contributions",
    Kind.REFUND: "refunds",
    Kind.REFUND_FAILURE: "refunds",
    Kind.DISPUTE: "disputes",
    Kind.DISPUTE_REVERSAL: "disputes",
    Kind.STRIPE_FEE: "fees",
    Kind.ADJUSTMENT: "fees",
    Kind.OTHER: "fees",
    Kind.PAYOUT: "bank",
    Kind.PAYOUT_FAILURE: "bank",
}
MEMO = {
    Kind.CHARGE: "Online gifts",
    Kind.REFUND: "Refunds",
    Kind.REFUND_FAILURE: "Refunds returned",
    Kind.DISPUTE: "Disputed gifts",
    Kind.DISPUTE_REVERSAL: "Disputes won back",
    Kind.STRIPE_FEE: "Stripe fees",
    Kind.ADJUSTMENT: "Stripe adjustments",
    Kind.OTHER: "Other Stripe activity",
}

DIRECT_MEMO = {Gift.Method.TRANSFER: "Bank transfer", Gift.Method.DAF: "Donor-advised fund grant"}
# A gift that never reaches the bank: the account its value goes to, the one it comes
# from, and what the line says.
NONCASH_ACCOUNTS = {
    Gift.Method.STOCK: ("securities", "stock_contributions"),
    Gift.Method.IN_KIND: ("in_kind", "in_kind_contributions"),
}


@dataclass(frozen=True)
class JournalLine:
    entry: str  # the journal number: lines of one entry share it
    date: datetime.date
    account: str
    debit_cents: int
    credit_cents: int
    memo: str
    reference: str


class UnbalancedJournal(ValueError):
    """An entry whose debits and credits differ: a bug, never written to a file."""


def accounts():
    """The chart-of-accounts names, by role (settings.ACCOUNTING_ACCOUNTS)."""
    return settings.ACCOUNTING_ACCOUNTS


def _pair(entry, date, debit, credit, cents, memo, reference):
    """One amount moved from `credit` to `debit`: two lines, or none for zero.

    A negative amount moves the other way, so no line ever holds a negative figure.
    """
    if cents == 0:
        return []
    if cents < 0:
        debit, credit, cents = credit, debit, -cents
    return [
        JournalLine(entry, date, debit, cents, 0, memo, reference),
        JournalLine(entry, date, credit, 0, cents, memo, reference),
    ]


def journal_lines(month):
    """The month's journal lines: one entry per day of Stripe activity, one per payout,
    one per closed check deposit, one per bank transfer or fund grant and one per gift
    of stock or in kind (with an estimate), in date order."""
    names = accounts()
    begin, end = month.bounds()
    zone = timezone.get_default_timezone()
    days = (
        BalanceTransaction.objects.filter(created__gte=begin, created__lt=end)
        .exclude(kind__in=[Kind.PAYOUT, Kind.PAYOUT_FAILURE])
        .annotate(day=TruncDate("created", tzinfo=zone))
        .values("day", "kind")
        .annotate(count=Count("pk"), amount=Sum("amount_cents"), fee=Sum("fee_cents"))
        .order_by("day", "kind")
    )
    entries = defaultdict(list)  # (date, order, reference) -> lines
    for row in days:
        day, kind = row["day"], row["kind"]
        reference = f"stripe-{day.isoformat()}"
        memo = f"{MEMO.get(kind, MEMO[Kind.OTHER])} ({row['count']}), {day.isoformat()}"
        entry = entries[(day, 0, reference)]
        counter = names[COUNTER_ACCOUNT.get(kind, "fees")]
        # The amount comes into (or leaves) the Stripe balance from its counter account.
        entry += _pair(None, day, names["stripe"], counter, row["amount"], memo, reference)
        fee_memo = f"Stripe fees on {MEMO.get(kind, MEMO[Kind.OTHER]).lower()}, {day.isoformat()}"
        entry += _pair(None, day, names["fees"], names["stripe"], row["fee"], fee_memo, reference)

    payouts = StripePayout.objects.filter(
        arrival_date__gte=month.first_day, arrival_date__lte=month.last_day
    ).order_by("arrival_date", "pk")
    returned_on = _return_days(
        [p.stripe_payout_id for p in payouts if p.status == StripePayout.Status.FAILED]
    )
    for payout in payouts:
        # A payout the bank returned was booked as it arrived (the month's file may
        # be in the books already); its return is an entry of its own, below. One
        # that failed before its arrival date never reached the bank: no entry.
        returned = returned_on.get(payout.stripe_payout_id, payout.arrival_date)
        if payout.status == StripePayout.Status.PAID or (
            payout.status == StripePayout.Status.FAILED and returned >= payout.arrival_date
        ):
            memo = f"Stripe payout {payout.stripe_payout_id}"
            entries[(payout.arrival_date, 1, payout.stripe_payout_id)] += _pair(
                None,
                payout.arrival_date,
                names["bank"],
                names["stripe"],
                payout.amount_cents,
                memo,
                payout.stripe_payout_id,
            )

    for line in _payout_returns(begin, end):
        day = timezone.localdate(line.created, zone)
        if day < line.arrival_date:
            continue  # returned before it arrived: it never reached the bank
        memo = f"Stripe payout returned {line.source_id}"
        entries[(day, 1, line.stripe_id)] += _pair(
            None, day, names["stripe"], names["bank"], line.net_cents, memo, line.source_id
        )

    deposits = (
        Deposit.objects.filter(
            kind=Deposit.Kind.CHECKS,
            closed_at__isnull=False,
            deposited_on__gte=month.first_day,
            deposited_on__lte=month.last_day,
        )
        .with_check_totals()
        .order_by("deposited_on", "pk")
    )
    for deposit in deposits:
        reference = deposit.bank_reference or f"deposit-{deposit.pk}"
        memo = f"Check deposit of {deposit.deposited_on.isoformat()} ({deposit.check_count} checks)"
        entries[(deposit.deposited_on, 2, reference)] += _pair(
            None,
            deposit.deposited_on,
            names["bank"],
            names["contributions"],
            deposit.check_total_cents,
            memo,
            reference,
        )

    direct = Gift.objects.filter(
        method__in=DIRECT_TO_BANK_METHODS,
        deposit__isnull=True,
        voided_at__isnull=True,
        received_on__gte=month.first_day,
        received_on__lte=month.last_day,
    ).order_by("received_on", "pk")
    for gift in direct:
        reference = gift.reference or f"gift-{gift.pk}"
        memo = f"{DIRECT_MEMO[gift.method]} of {gift.received_on.isoformat()}"
        entries[(gift.received_on, 3, reference)] += _pair(
            None,
            gift.received_on,
            names["bank"],
            names["contributions"],
            gift.amount_cents,
            memo,
            reference,
        )

    for gift in _noncash_gifts(month):
        reference = f"gift-{gift.pk}"  # the shares or a description may repeat
        debit, credit = NONCASH_ACCOUNTS[gift.method]
        entries[(gift.received_on, 4, reference)] += _pair(
            None,
            gift.received_on,
            names[debit],
            names[credit],
            _noncash_value(gift),
            _noncash_memo(gift),
            reference,
        )

    lines = []
    number = 0
    for key in sorted(entries):
        if not entries[key]:
            continue
        number += 1
        entry = f"{month}-{number:03d}"
        lines += [dataclasses.replace(line, entry=entry) for line in entries[key]]
    check_balanced(lines)
    return lines


def _payout_returns(begin, end):
    """The balance transactions in [begin, end) that put a failed payout's money back
    at Stripe, each with its payout's `arrival_date`. A canceled payout's never left
    Stripe: it has no entry, nor its return."""
    failed = StripePayout.objects.filter(
        status=StripePayout.Status.FAILED, stripe_payout_id=OuterRef("source_id")
    )
    return (
        BalanceTransaction.objects.filter(
            created__gte=begin, created__lt=end, kind=Kind.PAYOUT_FAILURE
        )
        .annotate(arrival_date=Subquery(failed.values("arrival_date")[:1]))
        .filter(arrival_date__isnull=False)
        .order_by("created", "pk")
    )


def _return_days(payout_ids):
    """The local day Stripe booked back each of these payouts, by payout id (those
    whose return it has not booked yet are missing)."""
    zone = timezone.get_default_timezone()
    returns = BalanceTransaction.objects.filter(
        kind=Kind.PAYOUT_FAILURE, source_id__in=payout_ids
    ).values_list("source_id", "created")
    return {payout_id: timezone.localdate(created, zone) for payout_id, created in returns}


def _noncash_gifts(month):
    """The month's gifts of stock, and of goods or services with an estimate, not
    voided, by the day they were received."""
    return (
        Gift.objects.filter(
            method__in=NONCASH_ACCOUNTS,
            voided_at__isnull=True,
            received_on__gte=month.first_day,
            received_on__lte=month.last_day,
        )
        .exclude(method=Gift.Method.IN_KIND, offline_details__estimated_value_cents__isnull=True)
        .select_related("offline_details")
        .order_by("received_on", "pk")
    )


def _noncash_value(gift):
    """Stock at the value it was logged at; goods or services at the estimate."""
    if gift.method == Gift.Method.STOCK:
        return gift.amount_cents
    return gift.offline_details.estimated_value_cents


def _noncash_memo(gift):
    details = gift.offline_details
    day = gift.received_on.isoformat()
    if gift.method == Gift.Method.STOCK:
        return f"Gift of stock, {details.shares.normalize():f} shares of {details.ticker}, {day}"
    description = " ".join(details.description.split())
    if len(description) > 80:
        description = description[:79] + "…"
    return f"In-kind gift of {day}: {description}"


def check_balanced(lines):
    """Raises UnbalancedJournal unless every entry's debits equal its credits."""
    sums = defaultdict(lambda: [0, 0])
    for line in lines:
        sums[line.entry][0] += line.debit_cents
        sums[line.entry][1] += line.credit_cents
    for entry, (debits, credits) in sums.items():
        if debits != credits:
            raise UnbalancedJournal(f"Journal entry {entry}: debits {debits} ≠ credits {credits}")


def _amount(cents):
    return dollars(cents, always_cents=True) if cents else ""


def qbo_rows(lines):
    for line in lines:
        yield [
            line.entry,
            line.date.strftime("%m/%d/%Y"),
            line.account,
            _amount(line.debit_cents),
            _amount(line.credit_cents),
            f"{line.memo} [{line.reference}]",
            "",
        ]


def journal_csv(month):
    """The month's journal as QuickBooks Online's import reads it, line by line."""
    return csv_lines(QBO_COLUMNS, qbo_rows(journal_lines(month)))
