"""A bank payment that did not go through: the donor and staff are told, kindly, once.

A payment from a bank account (ACH) is pending for a few business days after
Checkout; Stripe then says it failed (`checkout.session.async_payment_failed`, and for
a monthly gift `invoice.payment_failed` of its first invoice). Nothing was counted
(donations.gift_sync counts only paid gifts), so there is nothing to undo: the donor
is told that no money was taken and how to try again, and staff who follow gifts of
that size (or failed monthly charges) get an alert.

The notice row is unique by the failed payment (PaymentIntent or invoice) and written
in the transaction that books the failure; the e-mail goes out after that commits.
A duplicated or reordered event finds the row and sends nothing more. A mail server
that refuses or is down leaves it unsent, with its attempts and the reason; it is
tried again with a back-off (where the task backend can defer) and by
`manage.py send_pending_receipts`, so none is lost and none is sent twice (a row lock
and `sent_at`).
"""

import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.formatting import format_money
from campaigns.organization import Organization
from oca_site.redaction import log_unexpected

from . import alerts, mail
from .mail import short_error
from .models import Frequency, PaymentFailureNotice, first_name

logger = logging.getLogger(__name__)


def payment_failed(pledge, *, key, amount_cents):
    """Records that the bank payment `key` of `pledge` failed; queues the donor's
    e-mail and the staff's alerts, once per `key`. Inside the booking's transaction."""
    notice, created = PaymentFailureNotice.objects.get_or_create(
        key=key, defaults={"pledge": pledge, "amount_cents": amount_cents}
    )
    if created:
        transaction.on_commit(lambda: send_failure_notice.enqueue(notice.pk))
        alerts.bank_payment_failed(notice)
    return notice


def build_failure_notice(notice):
    """The e-mail to the donor, in the pledge's language."""
    pledge = notice.pledge
    language = pledge.language
    with mail.in_language(language):
        context = {
            "name": first_name(pledge.name),
            "amount": format_money(notice.amount_cents, pledge.currency, always_cents=True),
            "is_monthly": pledge.frequency == Frequency.MONTHLY,
            "is_annual": pledge.frequency == Frequency.ANNUAL,
            "campaign": pledge.campaign.in_language("title", language=language),
            "org_name": Organization.current().legal_name,
            # Back to the appeal, in the donor's language, to give again.
            "url": settings.SITE_URL + pledge.campaign.get_absolute_url(),
        }
        subject = _("Your bank payment to %(org)s didn’t go through") % {"org": context["org_name"]}
    return mail.build("bank_payment_failed", pledge.email, subject, context, language=language)


def deliver_failure_notice(notice_id):
    """Sends one notice if it is still due; True when sent. Never raises for this
    notice's trouble: the error is noted on the row, without addresses, and logged."""
    try:
        return _deliver(notice_id)
    except Exception as error:
        log_unexpected(logger, "Failed payment notice %s not sent: unexpected error", notice_id)
        try:
            PaymentFailureNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(
                attempts=F("attempts") + 1, error=short_error(error)
            )
        except DatabaseError as db_error:
            logger.warning(
                "Failed payment notice %s could not be marked: %s", notice_id, short_error(db_error)
            )
        return False


def _deliver(notice_id):
    with transaction.atomic():
        notice = (
            PaymentFailureNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("pledge__campaign")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None or not notice.pledge.email:
            return False
        notice.attempts += 1
        error = mail.deliver(build_failure_notice(notice))
        if error is not None:
            logger.warning("Failed payment notice %s not sent: %s", notice.pk, error)
            notice.error = error
            notice.save(update_fields=["attempts", "error"])
            mail.retry_later(send_failure_notice, notice.pk, notice.attempts)
            return False
        notice.sent_at, notice.error = timezone.now(), ""
        notice.save(update_fields=["attempts", "error", "sent_at"])
    return True


def send_due_failure_notices():
    """Tries every notice not sent yet, each on its own; returns how many were sent.

    A pledge without an address has no one to tell (its notice is never due)."""
    due = PaymentFailureNotice.objects.filter(sent_at__isnull=True).exclude(pledge__email="")
    return sum(deliver_failure_notice(pk) for pk in list(due.values_list("pk", flat=True)))


@task()
def send_failure_notice(notice_id):
    return deliver_failure_notice(notice_id)
