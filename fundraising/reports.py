"""Money raised per supporter: each page's counted gifts, net of refunds."""

from django.db.models import Count, F, Q, Sum

from campaigns.formatting import dollars
from donations.exports import csv_lines

from .models import FundraisingPage

COLUMNS = ["campaign", "supporter", "email", "status", "gifts", "donors", "raised"]


def raised_per_supporter(campaign=None):
    """Every written page (not drafts, nor a draft staff hid: it has no address yet)
    with its counted gifts, most raised first."""
    counted = Q(gifts__counted=True)
    pages = FundraisingPage.objects.exclude(status=FundraisingPage.Status.DRAFT).exclude(slug="")
    if campaign is not None:
        pages = pages.filter(campaign=campaign)
    return (
        pages.select_related("campaign")
        .annotate(
            gift_count=Count("gifts", filter=counted),
            donor_count=Count("gifts__donor", filter=counted, distinct=True),
            raised_cents=Sum(
                F("gifts__amount_cents") - F("gifts__refunded_cents"), filter=counted, default=0
            ),
        )
        .order_by("-raised_cents", "display_name", "pk")
    )


def rows(pages):
    for page in pages:
        yield [
            page.campaign.title,
            page.display_name,
            page.email,
            page.get_status_display(),
            page.gift_count,
            page.donor_count,
            dollars(page.raised_cents, always_cents=True),
        ]


def report_csv(pages):
    return csv_lines(COLUMNS, rows(pages))
