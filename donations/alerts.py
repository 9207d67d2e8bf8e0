"""Staff who hear about gifts: an e-mail per large gift, per new or cancelled monthly
gift and per failed monthly charge, and a daily digest, as each staff user chose
(StaffAlertPreference, on the admin's "My gift alerts" page). A failed bank payment
goes to those who would have heard of the gift by its size (or, monthly, who follow
failed charges).

Each alert is a StaffAlert row, unique by (user, kind, key), written in the
transaction that books what it reports; a task sends it after that commits. A
replayed or duplicated Stripe event finds the row and queues nothing, and the send
locks the row and skips a sent one, so no alert goes out twice. Only staff who may
see gifts (donations.view_gift) get them, in the language they chose. An alert names
the donor, the amount, the campaign and how it was paid (card, check...), never a
card's brand, last digits or fingerprint: mail is no place for them.
"""

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.formatting import format_date, format_money
from oca_site.redaction import log_unexpected

from . import mail
from .mail import short_error
from .models import (
    Donor,
    Frequency,
    Gift,
    MonthlyGift,
    MonthlyNotice,
    PaymentFailureNotice,
    StaffAlert,
    is_recurring,
)
from .models import StaffAlertPreference as Preference
from .reports import local_range

logger = logging.getLogger(__name__)

Kind = StaffAlert.Kind
PERMISSION = "donations.view_gift"
# The longest list of gifts a digest spells out; the totals count them all.
DIGEST_GIFT_LINES = 50
# An alert that failed this often is left alone (its error is on the row).
MAX_ATTEMPTS = 10


# Queuing, inside the booking's transaction ------------------------------------------


def _recipients(*conditions, **choice):
    """The preferences, with `choice` (and `conditions`), of active staff who may see
    gifts and have an address."""
    prefs = (
        Preference.objects.filter(*conditions, user__is_active=True, user__is_staff=True, **choice)
        .exclude(user__email="")
        .select_related("user")
    )
    return [pref for pref in prefs if pref.user.has_perm(PERMISSION)]


def _queue(kind, key, prefs, *, skip_user_id=None):
    """One alert per user and (kind, key), sent after the transaction commits."""
    for pref in prefs:
        if pref.user_id == skip_user_id:
            continue
        alert, created = StaffAlert.objects.get_or_create(user=pref.user, kind=kind, key=str(key))
        if created:
            transaction.on_commit(lambda pk=alert.pk: send_staff_alert.enqueue(pk))


def gift_counted(gift):
    """A gift counts (donations.gift_sync): alerts for its size, and for a monthly gift
    that starts with it. Not for demo data, nor to the bookkeeper who logged it."""
    if gift.is_demo:
        return
    _queue(
        Kind.GIFT,
        gift.pk,
        _recipients(gifts_from_cents__isnull=False, gifts_from_cents__lte=gift.amount_cents),
        skip_user_id=gift.logged_by_id,
    )
    if gift.starts_monthly and gift.monthly_gift_id:
        _queue(Kind.MONTHLY_STARTED, gift.monthly_gift_id, _recipients(monthly_started=True))


def monthly_canceled(monthly):
    """A monthly gift that had been paid was cancelled (donations.ledger)."""
    if monthly.donor_id:
        _queue(Kind.MONTHLY_CANCELED, monthly.pk, _recipients(monthly_canceled=True))


def monthly_charge_failed(monthly, invoice_id):
    """A charge of a running monthly gift failed: once per invoice, however often
    Stripe retries it."""
    if monthly.donor_id:
        _queue(Kind.MONTHLY_FAILED, f"{monthly.pk}:{invoice_id}", _recipients(monthly_failed=True))


def bank_payment_failed(notice):
    """A bank payment failed (donations.bank_failures): for staff who would have heard
    of the gift had it gone through, by its size, or who follow failed monthly charges
    (a yearly gift's first debit is one too, as monthly_charge_failed counts it)."""
    wants = Q(gifts_from_cents__isnull=False, gifts_from_cents__lte=notice.amount_cents)
    if is_recurring(notice.pledge.frequency):
        wants |= Q(monthly_failed=True)
    _queue(Kind.BANK_FAILED, notice.key, _recipients(wants))


# What an alert says ---------------------------------------------------------------


def _admin_url(name, *args):
    return settings.SITE_URL + reverse(name, args=args)


def _gift_lines(gift):
    return [
        (_("Donor"), gift.donor_name or gift.donor.name),
        (_("Amount"), format_money(gift.amount_cents, gift.currency, always_cents=True)),
        (_("How often"), gift.get_frequency_display()),
        (_("Paid by"), gift.get_method_display()),
        (_("Campaign"), gift.campaign.title),
        (_("Date"), format_date(gift.given_at)),
    ]


def _monthly_lines(monthly):
    name = monthly.pledge.name if monthly.pledge_id else monthly.donor.name
    return [
        (_("Donor"), name),
        (
            _("Amount"),
            (_("%(amount)s a year") if monthly.is_yearly else _("%(amount)s a month"))
            % {"amount": format_money(monthly.amount_cents, monthly.currency, always_cents=True)},
        ),
        (_("Campaign"), monthly.campaign.title),
        (_("Started"), format_date(monthly.started_at)),
    ]


def _gift_alert(alert):
    gift = Gift.objects.select_related("donor", "campaign").get(pk=int(alert.key))
    amount = format_money(gift.amount_cents, gift.currency, always_cents=True)
    subject = _("Gift of %(amount)s from %(name)s") % {
        "amount": amount,
        "name": gift.donor_name or gift.donor.name,
    }
    return subject, {
        "lines": _gift_lines(gift),
        "url": _admin_url("admin:donations_gift_change", gift.pk),
    }


def _monthly_alert(alert):
    monthly_id = int(alert.key.split(":", 1)[0])
    monthly = MonthlyGift.objects.select_related("donor", "campaign", "pledge").get(pk=monthly_id)
    lines = _monthly_lines(monthly)
    yearly = monthly.is_yearly
    if alert.kind == Kind.MONTHLY_STARTED:
        subject = (
            _("New yearly gift from %(name)s") if yearly else _("New monthly gift from %(name)s")
        ) % {"name": lines[0][1]}
    elif alert.kind == Kind.MONTHLY_CANCELED:
        subject = (
            _("Yearly gift cancelled by %(name)s")
            if yearly
            else _("Monthly gift cancelled by %(name)s")
        ) % {"name": lines[0][1]}
        if monthly.canceled_at:
            lines.append((_("Cancelled"), format_date(monthly.canceled_at)))
    else:
        subject = (
            _("A yearly charge of %(name)s failed")
            if yearly
            else _("A monthly charge of %(name)s failed")
        ) % {"name": lines[0][1]}
        lines.append((_("What happens"), _("The donor was asked by e-mail to update their card.")))
    return subject, {
        "lines": lines,
        "url": _admin_url("admin:donations_monthlygift_change", monthly.pk),
    }


def _bank_failed_alert(alert):
    notice = PaymentFailureNotice.objects.select_related("pledge__campaign").get(key=alert.key)
    pledge = notice.pledge
    subject = _("A bank payment from %(name)s didn’t go through") % {"name": pledge.name}
    lines = [
        (_("Donor"), pledge.name),
        (_("Amount"), format_money(notice.amount_cents, pledge.currency, always_cents=True)),
        (_("How often"), pledge.get_frequency_display()),
        (_("Paid by"), pledge.get_payment_method_display()),
        (_("Campaign"), pledge.campaign.title),
        (_("Date"), format_date(notice.created_at)),
        (
            _("What happens"),
            _("Nothing was counted. The donor was told by e-mail and invited to try again."),
        ),
    ]
    if is_recurring(pledge.frequency):
        # A recurring gift whose first debit failed books no failed gift, only itself.
        url = _admin_url("admin:donations_monthlygift_changelist")
    else:
        url = _admin_url("admin:donations_gift_changelist") + "?status__exact=failed"
    return subject, {"lines": lines, "url": url}


def digest_figures(day):
    """What happened on local date `day`: the gifts, totals, new donors, monthly gifts
    started and cancelled, and failed charges. Demo data aside."""
    begin, stop = local_range(day, day)
    gifts = (
        Gift.objects.counted()
        .filter(given_at__gte=begin, given_at__lt=stop, is_demo=False)
        .select_related("campaign", "donor")
        .order_by("given_at", "pk")
    )
    gift_list = list(gifts)
    return {
        "gifts": gift_list,
        "gift_count": len(gift_list),
        "total_cents": sum(g.amount_cents - g.refunded_cents for g in gift_list),
        "new_donors": Donor.objects.filter(
            created_at__gte=begin, created_at__lt=stop, is_demo=False
        ).count(),
        "monthly_started": sum(1 for g in gift_list if g.starts_monthly),
        "monthly_canceled": MonthlyGift.objects.filter(
            canceled_at__gte=begin, canceled_at__lt=stop, donor__isnull=False
        ).count(),
        # Card notices only: the others confirm a new amount or a cancellation.
        "failed_charges": MonthlyNotice.objects.filter(
            kind=MonthlyNotice.Kind.CARD, created_at__gte=begin, created_at__lt=stop
        ).count()
        + Gift.objects.filter(
            given_at__gte=begin, given_at__lt=stop, status=Gift.Status.FAILED, is_demo=False
        ).count(),
    }


def _digest_alert(alert):
    day = datetime.date.fromisoformat(alert.key)
    figures = digest_figures(day)
    lines = [
        (_("Gifts"), str(figures["gift_count"])),
        (_("Total"), format_money(figures["total_cents"], always_cents=True)),
        (_("New donors"), str(figures["new_donors"])),
        (_("New monthly or yearly gifts"), str(figures["monthly_started"])),
        (_("Cancelled monthly or yearly gifts"), str(figures["monthly_canceled"])),
        (_("Failed payments"), str(figures["failed_charges"])),
    ]
    items = [
        _("%(amount)s from %(name)s (%(how)s, %(campaign)s)")
        % {
            "amount": format_money(gift.amount_cents, gift.currency, always_cents=True),
            "name": gift.donor_name or gift.donor.name,
            "how": {Frequency.MONTHLY: _("monthly"), Frequency.ANNUAL: _("yearly")}.get(
                gift.frequency, _("one time")
            ),
            "campaign": gift.campaign.title,
        }
        for gift in figures["gifts"][:DIGEST_GIFT_LINES]
    ]
    more = max(0, figures["gift_count"] - DIGEST_GIFT_LINES)
    subject = _("Gifts of %(date)s: %(count)s, %(total)s") % {
        "date": format_date(day),
        "count": figures["gift_count"],
        "total": format_money(figures["total_cents"], always_cents=True),
    }
    query = f"?start={day.isoformat()}&end={day.isoformat()}"
    return subject, {
        "lines": lines,
        "items": items,
        "more": more,
        "url": _admin_url("admin:donations_gift_report") + query,
    }


BUILDERS = {
    Kind.GIFT: _gift_alert,
    Kind.MONTHLY_STARTED: _monthly_alert,
    Kind.MONTHLY_CANCELED: _monthly_alert,
    Kind.MONTHLY_FAILED: _monthly_alert,
    Kind.BANK_FAILED: _bank_failed_alert,
    Kind.DIGEST: _digest_alert,
}


def build_alert(alert, language):
    with mail.in_language(language):
        subject, context = BUILDERS[alert.kind](alert)
        context |= {
            "headline": subject,
            "choices_url": _admin_url("admin:donations_gift_alerts"),
        }
    return mail.build("staff_alert", alert.user.email, subject, context, language=language)


# Sending, after the commit --------------------------------------------------------


def deliver_staff_alert(alert_id):
    """Sends one alert if it is still due; returns True when sent. Never raises for the
    alert's own trouble: the error is noted on its row (without addresses) and logged,
    and `send_due_staff_alerts` tries it again."""
    try:
        return _deliver(alert_id)
    except Exception as error:
        log_unexpected(logger, "Staff alert %s not sent: unexpected error", alert_id)
        try:
            StaffAlert.objects.filter(pk=alert_id, sent_at__isnull=True).update(
                attempts=F("attempts") + 1, error=short_error(error)
            )
        except DatabaseError as db_error:
            logger.warning("Staff alert %s could not be marked: %s", alert_id, db_error)
        return False


def _deliver(alert_id):
    with transaction.atomic():
        alert = (
            StaffAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=alert_id, sent_at__isnull=True)
            .first()
        )
        if alert is None:
            return False
        user = alert.user
        if not (user.is_active and user.is_staff and user.email and user.has_perm(PERMISSION)):
            # No longer staff who may see gifts: never sent, and not tried again.
            alert.attempts = MAX_ATTEMPTS
            alert.error = "recipient no longer receives gift alerts"
            alert.save(update_fields=["attempts", "error"])
            return False
        pref = Preference.objects.filter(user=user).first()
        alert.attempts += 1
        error = mail.deliver(build_alert(alert, pref.language if pref else "en"))
        if error is not None:
            logger.warning("Staff alert %s not sent: %s", alert.pk, error)
            alert.error = error
            alert.save(update_fields=["attempts", "error"])
            return False
        alert.sent_at, alert.error = timezone.now(), ""
        alert.save(update_fields=["attempts", "error", "sent_at"])
    return True


@task()
def send_staff_alert(alert_id):
    return deliver_staff_alert(alert_id)


def send_due_staff_alerts(older_than=datetime.timedelta(minutes=5)):
    """Tries again the alerts a mail outage held back; returns how many were sent."""
    due = StaffAlert.objects.filter(
        sent_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
        created_at__lt=timezone.now() - older_than,
    ).values_list("pk", flat=True)
    return sum(deliver_staff_alert(pk) for pk in list(due))


def send_daily_digests(day):
    """The digest of local date `day` to everyone who asked for one, once each (a
    second run for the same day sends nothing). Returns how many were sent."""
    sent = 0
    for pref in _recipients(daily_digest=True):
        alert, _created = StaffAlert.objects.get_or_create(
            user=pref.user, kind=Kind.DIGEST, key=day.isoformat()
        )
        sent += deliver_staff_alert(alert.pk)
    return sent
