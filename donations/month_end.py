"""The month-end close: one month of money, from the donor to the bank.

The Stripe balance is the sum of its balance transactions (charges, refunds,
disputes, fees, adjustments and payouts, each with its net), so the balance at any
moment is the sum of the nets of the transactions created before it: the opening
balance is that sum at the first of the month, the closing balance at the first of
the next, and the month's transactions, by kind, are the difference between the two.
Beside it: the gifts of the month by method and by campaign, the payouts and check
deposits that reached the bank, the bank transfers and fund grants that reached it on
their own (stock and in-kind gifts never do: they are in the gifts by method only,
in-kind ones at $0), and every item a bookkeeper must look at before
closing (the "unmatched" list).

Every figure is an aggregate query; the page runs a fixed number of queries however
many gifts the month holds. Only the unmatched lists are rows, and each is capped.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money

from .models import (
    DIRECT_TO_BANK_METHODS,
    GIFT_KINDS,
    BalanceTransaction,
    Deposit,
    Gift,
    PendingAdjustment,
    StripePayout,
)
from .reports import local_range

# The most rows of one kind the unmatched list shows (the count says how many).
UNMATCHED_SHOWN = 50
ONLINE_METHODS = [Gift.Method.CARD, Gift.Method.WALLET, Gift.Method.BANK]


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text):
        """A month from "YYYY-MM"; None when the text is not one, or is one of the
        first or last year a date can hold (its month before or after, which the
        month's bounds and the page compare with, cannot be a date)."""
        try:
            day = datetime.date.fromisoformat(f"{text}-01")
        except (TypeError, ValueError):
            return None
        if not datetime.MINYEAR < day.year < datetime.MAXYEAR:
            return None
        return cls(day.year, day.month)

    @property
    def first_day(self):
        return datetime.date(self.year, self.month, 1)

    @property
    def last_day(self):
        return self.next().first_day - datetime.timedelta(days=1)

    def next(self):
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self):
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self):
        """The aware datetimes [first of the month, first of the next), local time."""
        return local_range(self.first_day, self.last_day)

    def __str__(self):
        return f"{self.year:04d}-{self.month:02d}"


def signed_money(cents):
    """Cents with their sign before the dollar sign: "−$12.50" (a minus, not a hyphen)."""
    text = format_money(abs(cents or 0), always_cents=True)
    return f"\u2212{text}" if (cents or 0) < 0 else text


def stripe_balance_at(moment):
    """The Stripe balance at `moment`: the nets of every transaction created before it."""
    return BalanceTransaction.objects.filter(created__lt=moment).aggregate(
        total=Sum("net_cents", default=0)
    )["total"]


def balance_activity(month):
    """The month's balance transactions by kind: count, amount, fee and net."""
    begin, end = month.bounds()
    rows = (
        BalanceTransaction.objects.filter(created__gte=begin, created__lt=end)
        .values("kind")
        .annotate(
            count=Count("pk"),
            amount_cents=Sum("amount_cents"),
            fee_cents=Sum("fee_cents"),
            net_cents=Sum("net_cents"),
        )
        .order_by("kind")
    )
    labels = dict(BalanceTransaction.Kind.choices)
    return [
        row
        | {
            "label": labels.get(row["kind"], row["kind"]),
            "amount": signed_money(row["amount_cents"]),
            "fee": signed_money(-row["fee_cents"]),
            "net": signed_money(row["net_cents"]),
        }
        for row in rows
    ]


def gifts_by(gifts, field):
    """Counted gifts grouped by `field`: count, gross, refunded, Stripe fees, net."""
    return list(
        gifts.filter(counted=True)
        .values(field)
        .annotate(
            count=Count("pk"),
            gross=Sum("amount_cents", default=0),
            refunded=Sum("refunded_cents", default=0),
            fees=Sum("stripe_fee_cents", default=0),
        )
        .annotate(net=F("gross") - F("refunded") - F("fees"))
        .order_by(field)
    )


def month_end_figures(month):
    """Everything the month-end page shows, as a dict."""
    begin, end = month.bounds()
    gifts = Gift.objects.filter(given_at__gte=begin, given_at__lt=end)
    opening = stripe_balance_at(begin)
    activity = balance_activity(month)
    closing = stripe_balance_at(end)
    methods = dict(Gift.Method.choices)
    by_method = [row | {"label": methods[row["method"]]} for row in gifts_by(gifts, "method")]
    by_campaign = gifts_by(gifts, "campaign__title")
    totals = gifts.filter(counted=True).aggregate(
        count=Count("pk"),
        gross_cents=Sum("amount_cents", default=0),
        fee_cents=Sum("stripe_fee_cents", default=0),
    )
    adjustments = gifts.aggregate(
        refunds=Count("pk", filter=Q(refunded_cents__gt=0)),
        refunded=Sum("refunded_cents", default=0),
        disputes=Count("pk", filter=~Q(dispute="")),
        disputes_lost=Count("pk", filter=Q(dispute=Gift.Dispute.LOST)),
        # Stripe disputes what was not refunded; the refund is counted above.
        disputes_lost_cents=Sum(
            F("amount_cents") - F("refunded_cents"),
            filter=Q(dispute=Gift.Dispute.LOST),
            default=0,
        ),
    )
    # Named apart above: an aggregate named as a field hides the field from F().
    adjustments["refunded_cents"] = adjustments.pop("refunded")
    payouts = list(
        StripePayout.objects.filter(arrival_date__gte=month.first_day)
        .filter(arrival_date__lte=month.last_day)
        .select_related("deposit")
        .order_by("arrival_date", "pk")
    )
    check_deposits = list(
        Deposit.objects.filter(kind=Deposit.Kind.CHECKS)
        .filter(deposited_on__gte=month.first_day, deposited_on__lte=month.last_day)
        .with_check_totals()
        .order_by("deposited_on", "pk")
    )
    direct_to_bank = list(
        gifts.filter(method__in=DIRECT_TO_BANK_METHODS, deposit__isnull=True, counted=True)
        .select_related("donor", "offline_details")
        .order_by("received_on", "pk")
    )
    activity_net = sum(row["net_cents"] for row in activity)
    return {
        "month": month,
        "opening": signed_money(opening),
        "closing": signed_money(closing),
        "activity": activity,
        "activity_net": signed_money(activity_net),
        "gifts": totals,
        "by_method": by_method,
        "by_campaign": by_campaign,
        **adjustments,
        "payouts": payouts,
        "paid_out_cents": sum(p.amount_cents for p in payouts if p.reached_bank),
        "check_deposits": check_deposits,
        "checks_deposited_cents": sum(d.check_total_cents for d in check_deposits),
        "direct_to_bank": direct_to_bank,
        "direct_to_bank_cents": sum(gift.amount_cents for gift in direct_to_bank),
        "unmatched": unmatched(month),
    }


@dataclass
class Unmatched:
    """One kind of item a bookkeeper must look at: a title, how many, the first rows."""

    key: str
    title: str
    count: int
    rows: list


def _capped(key, title, queryset):
    return Unmatched(key, title, queryset.count(), list(queryset[:UNMATCHED_SHOWN]))


def unmatched(month):
    """Everything of the month that does not yet match from donor to bank."""
    begin, end = month.bounds()
    gifts = Gift.objects.filter(given_at__gte=begin, given_at__lt=end)
    lists = [
        _capped(
            "lines_without_gift",
            _("Stripe transactions with no gift in the ledger"),
            BalanceTransaction.objects.filter(
                created__gte=begin, created__lt=end, gift__isnull=True, kind__in=GIFT_KINDS
            ).order_by("created", "pk"),
        ),
        _capped(
            "gifts_without_fee",
            _("Online gifts whose Stripe fee is not known yet"),
            gifts.filter(
                method__in=ONLINE_METHODS,
                payment=Gift.Payment.SUCCEEDED,
                stripe_balance_transaction_id__isnull=True,
            )
            .select_related("donor", "campaign")
            .order_by("given_at", "pk"),
        ),
        _capped(
            "payouts_not_reconciled",
            _("Payouts whose lines do not add up (or are not listed yet)"),
            StripePayout.objects.filter(
                arrival_date__gte=month.first_day, arrival_date__lte=month.last_day
            )
            .exclude(reconciliation=StripePayout.Reconciliation.BALANCED)
            .exclude(status__in=[StripePayout.Status.FAILED, StripePayout.Status.CANCELED])
            .order_by("arrival_date", "pk"),
        ),
        _capped(
            "payouts_returned",
            _("Payouts that failed or were canceled"),
            StripePayout.objects.filter(
                arrival_date__gte=month.first_day,
                arrival_date__lte=month.last_day,
                status__in=[StripePayout.Status.FAILED, StripePayout.Status.CANCELED],
            ).order_by("arrival_date", "pk"),
        ),
        _capped(
            "checks_not_deposited",
            _("Checks and cash received this month and in no deposit"),
            gifts.filter(
                method__in=[Gift.Method.CHECK, Gift.Method.CASH],
                deposit__isnull=True,
                voided_at__isnull=True,
            )
            .select_related("donor", "campaign")
            .order_by("given_at", "pk"),
        ),
        _capped(
            "deposits_open",
            _("Check deposits not closed against the bank's slip"),
            Deposit.objects.filter(
                kind=Deposit.Kind.CHECKS,
                closed_at__isnull=True,
                deposited_on__gte=month.first_day,
                deposited_on__lte=month.last_day,
            ).order_by("deposited_on", "pk"),
        ),
        _capped(
            "disputes_open",
            _("Disputes still open"),
            gifts.filter(dispute=Gift.Dispute.OPEN)
            .select_related("donor")
            .order_by("given_at", "pk"),
        ),
        _capped(
            "parked",
            _("Refunds or disputes waiting for a payment the ledger does not have"),
            PendingAdjustment.objects.filter(created__lt=end).order_by("created", "pk"),
        ),
    ]
    return [item for item in lists if item.count]
