"""Acknowledgements of gifts: one e-mail receipt per counted gift.

A receipt is sent by a background task once the booking transaction has committed.
Its state is on the gift (pending, sent, failed): a mail server that refuses or is
down leaves it failed and it is tried again (by the task queue with a back-off where
the backend can defer, and by `manage.py send_pending_receipts`), so none is lost;
a row lock and the state check make sure none is sent twice. A receipt that cannot
be built or sent (a refused address, a line break in a header, a bug, a database
error on its row) fails alone: it is marked failed and the others go out.
"""

import logging
from collections import Counter

from django.conf import settings
from django.db import DatabaseError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.formatting import format_date, format_money
from campaigns.organization import Organization
from oca_site.redaction import log_unexpected

from . import mail, offline, pdfs
from .mail import short_error
from .models import Frequency, Gift

logger = logging.getLogger(__name__)

IRS_STATEMENT = gettext_lazy(
    "No goods or services were provided in exchange for this contribution."
)
DUE = [Gift.Receipt.PENDING, Gift.Receipt.FAILED]


def schedule_receipt(gift):
    """Queues the receipt of `gift` for after the current transaction commits."""
    transaction.on_commit(lambda: send_receipt.enqueue(gift.pk))


def organization_context():
    """The organization as receipts, statements and letters name it (its details as they
    stand now, campaigns.organization), in the active language (the site's address is
    that of its pages in it)."""
    organization = Organization.current()
    return {
        "org_name": organization.legal_name,
        "org_ein": organization.ein,
        "org_address": ", ".join(organization.address_lines()),
        "org_address_lines": organization.address_lines(),
        "org_phone": organization.phone,
        "org_email": organization.email,
        "org_logo_url": organization.logo_url,
        "site_url": mail.site_address(),
    }


def irs_statements(wording):
    """The no-goods-or-services statement: `wording` in the active language, and in
    English beside it when that is another (the English one is what the IRS reads)."""
    statement = str(wording)
    with translation.override("en"):
        english = str(wording)
    return {
        "irs_statement": statement,
        "irs_statement_english": "" if english == statement else english,
    }


def receipt_context(gift):
    """What a receipt says, made under the language it is written in.

    A charge of a recurring gift (monthly or yearly) also says what the donor needs to
    keep or change the gift: the amount each month or year, the next charge (when
    Stripe said it) and where to change or cancel it.
    """
    monthly = gift.frequency == Frequency.MONTHLY
    annual = gift.frequency == Frequency.ANNUAL
    plan = gift.monthly_gift if (monthly or annual) and gift.monthly_gift_id else None
    next_charge = plan.next_charge_at if plan and plan.status != "canceled" else None
    kind = offline.receipt_facts(gift)
    return organization_context() | {
        "gift": gift,
        # A fund's grant is addressed to the fund, its donor of record.
        "donor_name": kind["addressee"],
        # Stock and in-kind gifts are described, not valued (detail_rows say what).
        "shows_amount": kind["shows_amount"],
        "detail_rows": kind["detail_rows"],
        "kind_statements": [irs_statements(note) for note in kind["notes"]],
        "deductible_note": kind["deductible_note"],
        "amount": stated_amount(gift),
        "date": format_date(gift.given_at),
        "method": payment_method_label(gift),
        # "In memory of Rosa": a tribute gift says whom it honors.
        "tribute": gift.tribute_line,
        "is_monthly": monthly,
        "is_annual": annual,
        "monthly_amount": (
            format_money(plan.amount_cents, plan.currency, always_cents=True) if plan else ""
        ),
        "next_charge": format_date(next_charge) if next_charge else "",
        **irs_statements(IRS_STATEMENT),
        # Where the donor asks for the link to "My giving" (download receipts, change
        # or cancel a monthly gift): a signed link would be out of date long before
        # the receipt is read again.
        "manage_url": settings.SITE_URL + reverse("donations:manage"),
    }


def stated_amount(gift):
    """The amount a receipt states: what the organization kept, which is the
    contribution (the IRS's reading, and the year-end statement's); after a partial
    refund, with what was given and what was refunded, so that it matches the charge
    on the donor's card statement and its refund."""
    amount = format_money(gift.amount_cents, gift.currency, always_cents=True)
    if not gift.refunded_cents:
        return amount
    return _("%(kept)s (%(given)s given, %(refunded)s refunded)") % {
        "kept": format_money(
            gift.amount_cents - gift.refunded_cents, gift.currency, always_cents=True
        ),
        "given": amount,
        "refunded": format_money(gift.refunded_cents, gift.currency, always_cents=True),
    }


def recurring_label(gift):
    """ "monthly gift" or "yearly gift" for a charge of a recurring gift; "" otherwise."""
    if gift.frequency == Frequency.MONTHLY:
        return _("monthly gift")
    if gift.frequency == Frequency.ANNUAL:
        return _("yearly gift")
    return ""


def payment_method_label(gift):
    label = offline.method_label(gift)
    if label is not None:
        return label
    if gift.method == Gift.Method.CHECK:
        return (
            _("Check no. %(number)s") % {"number": gift.check_number}
            if gift.check_number
            else _("Check")
        )
    if gift.card_last4:
        return _("%(brand)s card ending in %(last4)s") % {
            "brand": (gift.card_brand or _("Card")).title(),
            "last4": gift.card_last4,
        }
    return gift.get_method_display()


def receipt_filename(gift):
    """Named by the gift's local date, the date the receipt states (in UTC, an evening
    gift of December 31 would be named after the next year)."""
    return f"receipt-{timezone.localtime(gift.given_at):%Y-%m-%d}-{gift.pk}.pdf"


def receipt_pdf(gift):
    """The receipt of `gift` as a PDF in the gift's language: the same bytes every
    time it is made (its metadata dated the day of the gift)."""
    with mail.in_language(gift.language):
        context = receipt_context(gift) | {"title": _("Receipt for your gift")}
        return pdfs.render("pdf/receipt.html", context, created=gift.given_at)


def build_receipt(gift):
    """The receipt of `gift`, in the gift's language (that of the pledge it paid),
    with the same receipt as a PDF attached."""
    with mail.in_language(gift.language):
        context = receipt_context(gift)
        subject = _("Your receipt from %(org)s") % {"org": context["org_name"]}
    message = mail.build("receipt", gift.donor.email, subject, context, language=gift.language)
    message.attach(receipt_filename(gift), receipt_pdf(gift), pdfs.PDF_TYPE)
    return message


def deliver_receipt(gift_id):
    """Sends the receipt of one gift if it is still due; returns True when sent."""
    return attempt_receipt(gift_id) == "sent"


def attempt_receipt(gift_id):
    """Tries the receipt of one gift; returns "sent", "failed" or "skipped" (not due).

    Never raises for this gift's trouble, so that a loop over many receipts (or the
    task queue) goes on with the others: a mail error is logged as a warning, anything
    else (a template or database error) with its traceback; either way the gift is
    marked failed with an address-free note and tried again later.
    """
    try:
        return _attempt_receipt(gift_id)
    except Exception as error:
        # The transaction of this gift rolled back (a database error leaves nothing
        # half-written); record the failure in a new one.
        log_unexpected(logger, "Receipt for gift %s not sent: unexpected error", gift_id)
        _mark_failed(gift_id, short_error(error))
        return "failed"


def _attempt_receipt(gift_id):
    with transaction.atomic():
        gift = (
            Gift.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("donor", "campaign", "monthly_gift")
            .filter(pk=gift_id, counted=True, receipt_status__in=DUE)
            .first()
        )
        if gift is None:
            return "skipped"
        if not gift.donor.email:
            gift.receipt_status = Gift.Receipt.NOT_NEEDED
            gift.save(update_fields=["receipt_status"])
            return "skipped"
        gift.receipt_attempts += 1
        error = mail.deliver(build_receipt(gift))
        if error is not None:
            logger.warning(
                "Receipt for gift %s not sent (attempt %s): %s",
                gift.pk,
                gift.receipt_attempts,
                error,
            )
            _record_failure(gift, error)
            return "failed"
        gift.receipt_status = Gift.Receipt.SENT
        gift.receipt_sent_at = timezone.now()
        gift.receipt_error = ""
        gift.save(
            update_fields=["receipt_status", "receipt_sent_at", "receipt_error", "receipt_attempts"]
        )
    return "sent"


def _record_failure(gift, note):
    gift.receipt_status = Gift.Receipt.FAILED
    gift.receipt_error = note[:300]
    gift.save(update_fields=["receipt_status", "receipt_error", "receipt_attempts"])
    mail.retry_later(send_receipt, gift.pk, gift.receipt_attempts)


def _mark_failed(gift_id, note):
    try:
        with transaction.atomic():
            gift = (
                Gift.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=gift_id, counted=True, receipt_status__in=DUE)
                .first()
            )
            if gift is not None:
                gift.receipt_attempts += 1
                _record_failure(gift, note)
    except DatabaseError as error:
        # The database itself is failing: the gift stays due as it was, and the next
        # run of send_pending_receipts tries it again.
        logger.warning(
            "Receipt for gift %s could not be marked failed: %s", gift_id, short_error(error)
        )


def send_due_receipts():
    """Tries every receipt that is still due, each on its own; counts the outcomes.

    One receipt that fails (a refused address, a broken name, a bug) is marked failed
    and does not stop the others. Returns a Counter of "sent", "failed" and "skipped".
    """
    due = Gift.objects.filter(counted=True, receipt_status__in=DUE).values_list("pk", flat=True)
    return Counter(attempt_receipt(pk) for pk in list(due))


def send_pending_receipts():
    """Tries every receipt that is still due; returns how many were sent."""
    return send_due_receipts()["sent"]


def resend_receipt(gift):
    """Staff asked for the receipt again (admin action): marks it due and sends it."""
    if not gift.counted or not gift.donor.email:
        return False
    Gift.objects.filter(pk=gift.pk).update(receipt_status=Gift.Receipt.PENDING)
    return deliver_receipt(gift.pk)


@task()
def send_receipt(gift_id):
    deliver_receipt(gift_id)
