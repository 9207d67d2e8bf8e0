"""CSV exports of gifts and donors, streamed row by row.

Rows are read with `.iterator()` and written one at a time, so memory stays flat however
large the ledger grows, and a download starts at once. Cells that a spreadsheet would
run as a formula are defused with a leading apostrophe.
"""

import csv
import datetime
import re

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.formatting import dollars

from . import offline
from .fee_totals import with_fee_figures
from .labels import plain
from .models import Gift
from .reports import local_range

GIFT_COLUMNS = [
    "date",
    "donor_name",
    "donor_email",
    "amount",
    "currency",
    "method",
    "frequency",
    "status",
    "campaign",
    "reference",
    # Stripe's figures (donations.fee_totals): its fees, the part the donor covered,
    # what stays with OCA, and the charge's balance transaction.
    "stripe_fee",
    "fee_covered",
    "net",
    "balance_transaction",
    "deposit",
    "memo",
    # The supporter's page the gift was made through (fundraising), by its name shown.
    "raised_through",
    # Offline gifts (donations.offline): what the bookkeeper entered for the kind
    # (a transfer's sender, a fund and its advisor, the stock's computation, what was
    # given in kind) and an in-kind gift's internal estimate, which is not in `amount`.
    "offline_details",
    "in_kind_estimate",
    # A tribute gift: "in honor of" or "in memory of", and the person it honors.
    "tribute",
    "tribute_name",
]
# What makes Excel, LibreOffice and Google Sheets read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number, such as the net of a refunded gift (-1.46): a spreadsheet reads it as
# a number and runs nothing, so it keeps its minus sign and adds up with the others.
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
CHUNK_SIZE = 2000


def safe_cell(value):
    text = "" if value is None else str(value)
    if PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def local_date(value):
    return timezone.localtime(value, timezone.get_default_timezone()).date().isoformat()


class _Echo:
    """A file-like object whose write() hands the line back (for csv.writer)."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """Yields the CSV text of the header and of each row, one line at a time."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


# Gifts -----------------------------------------------------------------------------


def filtered_gifts(*, campaign=None, since=None, until=None):
    """Gifts of every status, for a campaign and local dates since..until (included)."""
    gifts = Gift.objects.all()
    if campaign is not None:
        gifts = gifts.filter(campaign=campaign)
    if since is not None:
        gifts = gifts.filter(given_at__gte=local_range(since, since)[0])
    if until is not None:
        gifts = gifts.filter(given_at__lt=local_range(until, until)[1])
    return gifts


def deposit_cell(deposit):
    """A bank deposit as a bookkeeper finds it on the statement: its date and slip."""
    if deposit is None:
        return ""
    reference = f" ({deposit.bank_reference})" if deposit.bank_reference else ""
    return f"{deposit.deposited_on.isoformat()}{reference}"


def offline_cells(gift):
    """The `offline_details` and `in_kind_estimate` cells of a gift (empty for others)."""
    details = offline.details_of(gift)
    if details is None:
        return ["", ""]
    lines = offline.admin_rows(gift)
    if gift.method == Gift.Method.DAF:
        lines.append((_("Recommended by"), gift.donor_name or gift.donor.name))
    text = "; ".join(f"{label}: {value}" for label, value in lines)
    estimate = details.estimated_value_cents
    return [text, "" if estimate is None else dollars(estimate, always_cents=True)]


def gift_rows(gifts):
    """One row per gift, values in plain words (donations.labels), the campaign by title.

    `fee_covered` is the part of the amount the donor added to cover the processing
    fee, included in `amount`; `stripe_fee` and `net` are Stripe's figures once known.
    """
    gifts = with_fee_figures(
        gifts.select_related("donor", "campaign", "deposit", "fundraiser", "offline_details")
    ).order_by("given_at", "pk")
    for gift in gifts.iterator(chunk_size=CHUNK_SIZE):
        yield [
            local_date(gift.given_at),
            gift.donor_name or gift.donor.name,
            gift.donor.email,
            dollars(gift.amount_cents, always_cents=True),
            gift.currency,
            plain("method", gift.method),
            plain("frequency", gift.frequency),
            plain("status", gift.status),
            gift.campaign.title,
            gift.reference or "",
            dollars(gift.fees_cents, always_cents=True),
            dollars(gift.covered_cents, always_cents=True),
            dollars(gift.net_to_oca_cents, always_cents=True),
            gift.stripe_balance_transaction_id or "",
            deposit_cell(gift.deposit),
            gift.memo,
            gift.fundraiser.display_name if gift.fundraiser_id else "",
            *offline_cells(gift),
            plain("tribute_kind", gift.tribute_kind) if gift.tribute_kind else "",
            gift.tribute_name,
        ]


def gifts_csv(gifts):
    return csv_lines(GIFT_COLUMNS, gift_rows(gifts))


# Donors ----------------------------------------------------------------------------


def donor_columns(year):
    return [
        "donor_name",
        "donor_email",
        "street",
        "city",
        "state",
        "postal_code",
        "gifts",
        "lifetime_total",
        f"total_{year}",
        "first_gift",
        "last_gift",
    ]


def donor_rows(donors, year):
    """Each donor with counted gifts, lifetime and `year` totals, net of refunds."""
    begin, stop = local_range(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    counted = Q(gifts__counted=True)
    in_year = counted & Q(gifts__given_at__gte=begin, gifts__given_at__lt=stop)
    net = F("gifts__amount_cents") - F("gifts__refunded_cents")
    # A donor is someone who gave; no row without a gift (older, unpaid pledges made some).
    donors = (
        donors.filter(Exists(Gift.objects.filter(donor=OuterRef("pk"))))
        .annotate(
            gift_count=Count("gifts", filter=counted),
            lifetime_cents=Sum(net, filter=counted, default=0),
            year_cents=Sum(net, filter=in_year, default=0),
            first_gift=Min("gifts__given_at", filter=counted),
            last_gift=Max("gifts__given_at", filter=counted),
        )
        .order_by("name", "pk")
    )
    for donor in donors.iterator(chunk_size=CHUNK_SIZE):
        yield [
            donor.name,
            donor.email,
            donor.street,
            donor.city,
            donor.state,
            donor.postal_code,
            donor.gift_count,
            dollars(donor.lifetime_cents, always_cents=True),
            dollars(donor.year_cents, always_cents=True),
            local_date(donor.first_gift) if donor.first_gift else "",
            local_date(donor.last_gift) if donor.last_gift else "",
        ]


def donors_csv(donors, year):
    return csv_lines(donor_columns(year), donor_rows(donors, year))
