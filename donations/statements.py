"""Year-end giving statements: one e-mail per donor and year, listing each gift.

A YearEndStatement row (unique per donor and year) is created and locked before the
mail goes out and marked sent after, in one transaction per donor: running the
command again, or twice at once, sends nobody a second statement, and a mail that
fails leaves the row unsent, so the next run sends it.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.formatting import format_date, format_money
from oca_site.redaction import log_unexpected

from . import mail, offline, pdfs
from .mail import short_error
from .models import Donor, Gift, YearEndStatement
from .receipts import (
    irs_statements,
    organization_context,
    payment_method_label,
    recurring_label,
)
from .reports import local_range

logger = logging.getLogger(__name__)
NONCASH_METHODS = (Gift.Method.STOCK, Gift.Method.IN_KIND)
# A fund's grant is the sponsoring organization's gift, deductible by no one who reads
# the advisor's statement (its receipt says so, donations.offline.DAF_NOTE): a
# statement of "your tax-deductible gifts" neither lists nor totals it.
NOT_STATED = Q(method=Gift.Method.DAF)

STATEMENT_IRS_WORDING = gettext_lazy(
    "No goods or services were provided in exchange for these contributions."
)


def year_range(year):
    return local_range(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def gifts_of(donor, year):
    """The donor's counted gifts given in `year` (local dates), oldest first, a fund's
    grant aside (NOT_STATED)."""
    begin, stop = year_range(year)
    return (
        Gift.objects.filter(donor=donor, counted=True, given_at__gte=begin, given_at__lt=stop)
        .exclude(NOT_STATED)
        .select_related("campaign", "offline_details")
        .order_by("given_at", "pk")
    )


def donors_for(year):
    """Donors with at least one counted gift in `year` that a statement lists (gifts_of),
    with the count and net total."""
    begin, stop = year_range(year)
    in_year = Q(gifts__counted=True, gifts__given_at__gte=begin, gifts__given_at__lt=stop) & ~Q(
        gifts__method=Gift.Method.DAF
    )
    return (
        Donor.objects.annotate(
            year_gifts=Count("gifts", filter=in_year),
            year_cents=Sum(
                F("gifts__amount_cents") - F("gifts__refunded_cents"), filter=in_year, default=0
            ),
        )
        .filter(year_gifts__gt=0)
        .order_by("name", "pk")
    )


def stated_cents(gift):
    """What the statement counts of a gift: its net amount, or 0 for a gift of
    property (stock, in kind), which it describes instead of valuing, as a receipt
    does (donations.offline)."""
    if gift.method in NONCASH_METHODS:
        return 0
    return gift.amount_cents - gift.refunded_cents


def _stated_amount(gift):
    if gift.method in NONCASH_METHODS:
        return offline.noncash_description(gift)
    return format_money(stated_cents(gift), gift.currency, always_cents=True)


def statement_context(donor, year, gifts):
    total = sum(stated_cents(gift) for gift in gifts)
    return organization_context() | {
        "year": year,
        "donor_name": donor.name,
        "gifts": [
            {
                "date": format_date(gift.given_at),
                "amount": _stated_amount(gift),
                "method": payment_method_label(gift),
                "kind": recurring_label(gift),
            }
            for gift in gifts
        ],
        "total": format_money(total, gifts[-1].currency, always_cents=True),
        "total_cents": total,
        **irs_statements(STATEMENT_IRS_WORDING),
    }


def statement_filename(year):
    return f"giving-statement-{year}.pdf"


def statement_pdf(donor, year, gifts):
    """The statement as a PDF in the donor's language; the same bytes for the same
    gifts (its metadata dated the last day of the year)."""
    with mail.in_language(donor.language):
        context = statement_context(donor, year, gifts) | {
            "title": _("%(year)s giving statement") % {"year": year}
        }
        created = datetime.datetime(year, 12, 31, 12, tzinfo=datetime.UTC)
        return pdfs.render("pdf/statement.html", context, created=created)


def build_statement(donor, year, gifts):
    """The statement, in the donor's language (that of their latest paid gift), with
    the same statement as a PDF attached."""
    with mail.in_language(donor.language):
        context = statement_context(donor, year, gifts)
        subject = _("Your %(year)s giving statement from %(org)s") % {
            "year": year,
            "org": context["org_name"],
        }
    message = mail.build("year_end_statement", donor.email, subject, context, donor.language)
    message.attach(statement_filename(year), statement_pdf(donor, year, gifts), pdfs.PDF_TYPE)
    return message


@dataclass
class Outcome:
    """What a run did (or, in a dry run, would do), donor by donor."""

    sent: list = field(default_factory=list)
    would_send: list = field(default_factory=list)
    already_sent: list = field(default_factory=list)
    needs_print: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def send_year_end_statements(year, *, dry_run=False):
    """E-mails each donor with counted gifts in `year` their statement, once.

    A dry run reads only: it sends nothing and writes nothing. Donors without an
    e-mail address are returned as needing a printed statement.
    """
    outcome = Outcome()
    sent_already = set(
        YearEndStatement.objects.filter(year=year, sent_at__isnull=False).values_list(
            "donor_id", flat=True
        )
    )
    for donor in donors_for(year).iterator(chunk_size=500):
        if not donor.email:
            outcome.needs_print.append(donor)
        elif donor.pk in sent_already:
            outcome.already_sent.append(donor)
        elif dry_run:
            outcome.would_send.append(donor)
        else:
            try:
                _send_one(donor, year, outcome)
            except Exception as error:
                # A bug or a database error with this donor's statement (its transaction
                # rolled back, so the next run tries it again): the others still go out.
                log_unexpected(
                    logger, "Statement %s for donor %s not sent: unexpected error", year, donor.pk
                )
                outcome.failed.append((donor, short_error(error)))
    return outcome


def _send_one(donor, year, outcome):
    with transaction.atomic():
        statement, _created = YearEndStatement.objects.get_or_create(
            donor=donor, year=year, defaults={"total_cents": 0, "gift_count": 0}
        )
        # Another run may be sending this very statement: wait for it, then look again.
        statement = YearEndStatement.objects.select_for_update().get(pk=statement.pk)
        if statement.sent_at:
            outcome.already_sent.append(donor)
            return
        gifts = list(gifts_of(donor, year))
        if not gifts:  # the gifts were refunded or voided since the list was read
            return
        message = build_statement(donor, year, gifts)
        statement.total_cents = sum(stated_cents(gift) for gift in gifts)
        statement.gift_count = len(gifts)
        error = mail.deliver(message)
        if error is not None:
            logger.warning("Statement %s for donor %s not sent: %s", year, donor.pk, error)
            statement.save(update_fields=["total_cents", "gift_count"])
            outcome.failed.append((donor, error))
            return
        statement.sent_at = timezone.now()
        statement.save(update_fields=["total_cents", "gift_count", "sent_at"])
        outcome.sent.append(donor)
