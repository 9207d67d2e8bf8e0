"""The notice of a tribute gift: an e-mail telling someone a gift honors a person.

The donor may name someone to tell (name, address, a message of their own). The
notice is written once the gift's money has arrived (its payment succeeded: an
unpaid, pending or failed pledge writes none), one per tribute, so a replayed or
reordered event, or a later charge of a monthly gift, finds the row and sends
nothing more. It goes out after the booking commits, through the task queue, in
the language of the pledge. It states the amount only when the donor ticked the box.
A mail server that refuses or is down leaves it unsent, with its attempts and the
reason; it is tried again with a back-off (where the task backend can defer) and by
`manage.py send_pending_receipts`, so none is lost and none is sent twice (a row
lock and `sent_at`).
"""

import logging

from django.db import DatabaseError, transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.formatting import format_money
from campaigns.organization import Organization
from oca_site.redaction import log_unexpected

from . import mail
from .mail import short_error
from .models import Gift, Tribute, TributeKind, TributeNotice

logger = logging.getLogger(__name__)


def notice_when_paid(gift):
    """Writes the notice of a paid tribute gift (once) and queues it after the commit.

    Called for every change of a gift (donations.gift_sync); only a gift that carries
    a tribute and whose payment succeeded writes one. The row is unique by tribute:
    the second caller, in any order of events, finds it and queues nothing.
    """
    if not gift.tribute_kind or not gift.pledge_id or gift.payment != Gift.Payment.SUCCEEDED:
        return None
    tribute = Tribute.objects.filter(pledge_id=gift.pledge_id).first()
    if tribute is None or not tribute.notify_email:
        return None
    notice, created = TributeNotice.objects.get_or_create(tribute=tribute, defaults={"gift": gift})
    if created:
        transaction.on_commit(lambda: send_tribute_notice.enqueue(notice.pk))
    return notice


def notice_sentence(gift, tribute):
    """The notice's sentence, "Ana Lopez made a gift to OCA in memory of Rosa.", in the
    active language, with the amount only when the donor asked for it: what the
    organization kept, should part of it be refunded before the notice could go."""
    values = {
        "donor": gift.donor_name,
        "org": Organization.current().legal_name,
        "name": tribute.honoree,
        "amount": format_money(
            gift.amount_cents - gift.refunded_cents, gift.currency, always_cents=True
        ),
    }
    memory = tribute.kind == TributeKind.MEMORY
    if tribute.notify_amount and memory:
        text = _("%(donor)s made a gift of %(amount)s to %(org)s in memory of %(name)s.")
    elif tribute.notify_amount:
        text = _("%(donor)s made a gift of %(amount)s to %(org)s in honor of %(name)s.")
    elif memory:
        text = _("%(donor)s made a gift to %(org)s in memory of %(name)s.")
    else:
        text = _("%(donor)s made a gift to %(org)s in honor of %(name)s.")
    return text % values


def build_notice(notice):
    """The notice's e-mail, in the language of the pledge the gift paid."""
    gift, tribute = notice.gift, notice.tribute
    with mail.in_language(gift.language):
        if tribute.kind == TributeKind.MEMORY:
            subject = _("A gift in memory of %(name)s") % {"name": tribute.honoree}
        else:
            subject = _("A gift in honor of %(name)s") % {"name": tribute.honoree}
        context = {
            "subject": subject,
            "name": tribute.notify_name,
            "sentence": notice_sentence(gift, tribute),
            "donor_name": gift.donor_name,
            "message": tribute.notify_message,
            "org_name": Organization.current().legal_name,
            "site_url": mail.site_address(),
        }
    return mail.build(
        "tribute_notice", tribute.notify_email, subject, context, language=gift.language
    )


# Noted on a notice held back because its gift no longer counts (staff see it).
NOT_COUNTED = "Not sent: the gift no longer counts (refunded, disputed or voided)."


def deliver_notice(notice_id):
    """Sends one notice if it is still due; returns True when sent.

    Never raises for this notice's trouble (a mail error, a bug): the error is noted
    on the row, without addresses, and the notice is tried again later.
    """
    try:
        return _deliver_notice(notice_id)
    except Exception as error:
        log_unexpected(logger, "Tribute notice %s not sent: unexpected error", notice_id)
        try:
            TributeNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(
                attempts=F("attempts") + 1, error=short_error(error)
            )
        except DatabaseError as db_error:
            logger.warning(
                "Tribute notice %s could not be marked: %s", notice_id, short_error(db_error)
            )
        return False


def _deliver_notice(notice_id):
    with transaction.atomic():
        notice = (
            TributeNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("gift", "tribute")
            .filter(pk=notice_id, sent_at__isnull=True)
            .first()
        )
        if notice is None:
            return False
        if not notice.gift.counted:
            # Refunded in full, lost to a dispute or voided before the notice could go
            # (a mail outage, its retries): no one is told of a gift that was taken back.
            # It stays unsent, and goes if the gift counts again.
            notice.error = NOT_COUNTED
            notice.save(update_fields=["error"])
            return False
        notice.attempts += 1
        error = mail.deliver(build_notice(notice))
        if error is not None:
            logger.warning(
                "Tribute notice %s not sent (attempt %s): %s", notice.pk, notice.attempts, error
            )
            notice.error = error
            notice.save(update_fields=["attempts", "error"])
            mail.retry_later(send_tribute_notice, notice.pk, notice.attempts)
            return False
        notice.sent_at = timezone.now()
        notice.error = ""
        notice.save(update_fields=["attempts", "error", "sent_at"])
    return True


def send_due_notices():
    """Tries every notice not sent yet of a gift that still counts, each on its own;
    returns how many were sent."""
    due = TributeNotice.objects.filter(sent_at__isnull=True, gift__counted=True).values_list(
        "pk", flat=True
    )
    return sum(deliver_notice(pk) for pk in list(due))


@task()
def send_tribute_notice(notice_id):
    deliver_notice(notice_id)
