"""Figures for the bookkeepers' report: a campaign (or all) over a range of local dates.

Every figure is one aggregate query, whatever the size of the ledger: the page runs a
fixed number of queries and never loops over gifts in Python.
"""

import datetime

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from campaigns.models import Match

from .fee_totals import fee_totals
from .models import Gift, Interval, MonthlyGift, TributeKind

NET = Sum(F("amount_cents") - F("refunded_cents"), default=0)
# The methods the report always lists, with zeros when none was used.
REPORTED_METHODS = [Gift.Method.CARD, Gift.Method.WALLET, Gift.Method.CHECK]
# The tribute gifts the report lists by name (all are counted); the export has them all.
TRIBUTES_LISTED = 200


def local_range(start, end):
    """The aware datetimes [start of `start`, start of the day after `end`) in local time."""
    zone = timezone.get_default_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    stop = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return begin, stop


def gifts_between(start, end, campaign=None):
    """Gifts of every status given on local dates start..end (both included)."""
    begin, stop = local_range(start, end)
    gifts = Gift.objects.filter(given_at__gte=begin, given_at__lt=stop)
    if campaign is not None:
        gifts = gifts.filter(campaign=campaign)
    return gifts


def campaign_report(*, start, end, campaign=None):
    """Totals, methods, months, refunds, voids, monthly and yearly donors and tribute
    gifts, as a dict."""
    gifts = gifts_between(start, end, campaign)
    counted = gifts.filter(counted=True)
    totals = counted.aggregate(
        gifts=Count("pk"),
        donors=Count("donor", distinct=True),
        raised_cents=NET,
        tribute_gifts=Count("pk", filter=~Q(tribute_kind="")),
    )

    by_method = {
        row["method"]: row
        for row in counted.values("method")
        .annotate(gifts=Count("pk"), net_cents=NET)
        .order_by("method")
    }
    methods = [
        {
            "method": method,
            "label": Gift.Method(method).label,
            "gifts": by_method.get(method, {}).get("gifts", 0),
            "net_cents": by_method.get(method, {}).get("net_cents", 0),
        }
        for method in [*REPORTED_METHODS, *sorted(set(by_method) - set(REPORTED_METHODS))]
    ]

    months = list(
        counted.annotate(month=TruncMonth("given_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(gifts=Count("pk"), donors=Count("donor", distinct=True), net_cents=NET)
        .order_by("month")
    )

    adjustments = gifts.aggregate(
        refunds=Count("pk", filter=Q(refunded_cents__gt=0)),
        refunded=Sum("refunded_cents", filter=Q(refunded_cents__gt=0), default=0),
        voids=Count("pk", filter=Q(status=Gift.Status.VOIDED)),
        voided_cents=Sum("amount_cents", filter=Q(status=Gift.Status.VOIDED), default=0),
        disputes_lost=Count("pk", filter=Q(status=Gift.Status.DISPUTE_LOST)),
        # Stripe disputes what was not refunded; the refund is counted above.
        disputed_cents=Sum(
            F("amount_cents") - F("refunded_cents"),
            filter=Q(status=Gift.Status.DISPUTE_LOST),
            default=0,
        ),
    )
    # Named apart above: an aggregate named as a field hides the field from F().
    adjustments["refunded_cents"] = adjustments.pop("refunded")

    # Recurring gifts are a state, not an event: these are the ones active today, the
    # monthly and the yearly apart (a month's and a year's amounts don't add up).
    recurring = MonthlyGift.objects.filter(status=MonthlyGift.Status.ACTIVE)
    if campaign is not None:
        recurring = recurring.filter(campaign=campaign)
    monthly, yearly = Q(interval=Interval.MONTH), Q(interval=Interval.YEAR)
    recurring_totals = recurring.aggregate(
        monthly_donors=Count("donor", distinct=True, filter=monthly),
        monthly_cents=Sum("amount_cents", filter=monthly, default=0),
        yearly_donors=Count("donor", distinct=True, filter=yearly),
        yearly_cents=Sum("amount_cents", filter=yearly, default=0),
    )

    # Gifts in honor or in memory of someone, for the thank-you letters staff write.
    tributes = list(
        counted.exclude(tribute_kind="")
        .order_by("given_at", "pk")
        .values("pk", "given_at", "donor_name", "tribute_kind", "tribute_name")[:TRIBUTES_LISTED]
    )
    for row in tributes:
        row["tribute_label"] = TributeKind(row["tribute_kind"]).label
    # Sponsors' matches over the range, with what each has matched (donations.matching):
    # the sponsor's money, apart from the gifts' totals above.
    matches = Match.objects.filter(starts_on__lte=end, ends_on__gte=start).select_related(
        "campaign"
    )
    if campaign is not None:
        matches = matches.filter(campaign=campaign)

    return {
        "campaign": campaign,
        "start": start,
        "end": end,
        "gifts": totals["gifts"],
        "donors": totals["donors"],
        "raised_cents": totals["raised_cents"],
        "tribute_gifts": totals["tribute_gifts"],
        "tributes": tributes,
        "methods": methods,
        "months": months,
        **adjustments,
        **recurring_totals,
        # Gross, Stripe's fees, fees donors covered, and net (donations.fee_totals).
        "money": fee_totals(gifts),
        "matches": list(matches),
    }
