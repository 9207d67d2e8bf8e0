"""The bookkeepers' dashboard on the admin's home page: what needs a look today.

Today's gifts, the month so far, deposits still open, and receipts that failed or
have waited too long. A handful of aggregate queries whatever the size of the ledger,
so the admin's home page stays fast.
"""

import datetime

from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone

from .models import DEPOSIT_METHODS, Deposit, Gift
from .reports import NET

# A receipt is normally sent within seconds of its gift; the hourly safety net
# (send_pending_receipts) retries the rest. One still pending after this long is stuck.
RECEIPT_PATIENCE = datetime.timedelta(hours=1)
# How many open deposits and stuck receipts the dashboard lists (the count is complete).
LISTED = 8


def shows_dashboard(user):
    """Whether `user` gets the dashboard: whoever may see the gift report, i.e. the
    Bookkeepers group (and superusers), not Editors.

    A permission rather than the group's name, so that a renamed group or a
    bookkeeper given the permission directly still gets it; and the admin has loaded
    the user's permissions already, so asking costs no query.
    """
    return user.is_active and user.is_staff and user.has_perm("donations.view_reports")


def stuck_receipts():
    """Counted gifts whose receipt failed, or is still pending after RECEIPT_PATIENCE."""
    waited = timezone.now() - RECEIPT_PATIENCE
    return Gift.objects.filter(counted=True).filter(
        Q(receipt_status=Gift.Receipt.FAILED)
        | Q(receipt_status=Gift.Receipt.PENDING, created_at__lt=waited)
    )


def figures():
    """Everything the dashboard shows, as a dict; five queries."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate(timezone=zone)
    day_start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    month_start = day_start.replace(day=1)

    in_month = Q(counted=True, given_at__gte=month_start)
    in_day = Q(counted=True, given_at__gte=day_start)
    gifts = Gift.objects.filter(in_month).aggregate(
        today_gifts=Count("pk", filter=in_day),
        today_cents=Sum(F("amount_cents") - F("refunded_cents"), filter=in_day, default=0),
        month_gifts=Count("pk"),
        month_donors=Count("donor", distinct=True),
        month_cents=NET,
    )

    open_deposits = Deposit.objects.filter(closed_at__isnull=True)
    in_deposit = Q(gifts__method__in=DEPOSIT_METHODS, gifts__voided_at__isnull=True)
    deposits = open_deposits.aggregate(
        count=Count("pk", distinct=True),
        oldest=Min("deposited_on"),
        total_cents=Sum("gifts__amount_cents", filter=in_deposit, default=0),
    )
    listed_deposits = list(
        open_deposits.with_check_totals().order_by("deposited_on", "pk")[:LISTED]
    )

    stuck = stuck_receipts()
    receipts = {
        "count": stuck.count(),
        "listed": list(stuck.select_related("donor").order_by("created_at", "pk")[:LISTED]),
    }
    return {
        "today": today,
        "month_start": month_start.date(),
        **gifts,
        "deposits": deposits | {"listed": listed_deposits},
        "receipts": receipts,
        "patience_minutes": int(RECEIPT_PATIENCE.total_seconds() // 60),
    }
