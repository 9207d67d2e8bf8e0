"""Mailed checks and bank deposits: logging, correcting, voiding, closing.

Online gifts get their money facts from Stripe (donations.ledger); checks get theirs
from a bookkeeper, through these functions. The rules of a check are Gift.clean(),
those of a deposit Deposit.ensure_open() and Deposit.close(); each function here runs
them in a single transaction with the rows it depends on locked, ends with
`gift_sync.sync_gift` so that totals, the goal and the public feed follow, and records
who did what in django.contrib.admin's LogEntry, which the admin's History page shows.

A closed deposit stands for a deposit slip the bank has accepted: its checks can no
longer change amount, donor or check details, and none can join or leave it. A
correction is a void plus a new entry.
"""

import datetime

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from campaigns.formatting import format_date, format_money
from campaigns.models import FeedItem

from .gift_sync import refresh_progress, sync_gift
from .models import Deposit, DisplayChoice, Donor, Frequency, Gift

# The fields of a check a bookkeeper enters, in the order the form shows them; all
# of them may be corrected while the check is not locked.
CHECK_FIELDS = (
    "donor",
    "amount_cents",
    "campaign",
    "check_number",
    "check_date",
    "received_on",
    "deposit",
    "display_as",
    "memo",
)
# What a closed deposit freezes on each of its checks: all but how it shows in the
# feed and the staff's memo.
LOCKED_FIELDS = tuple(name for name in CHECK_FIELDS if name not in ("display_as", "memo"))
# The expected total's column holds at most about $21 million.
MAX_DEPOSIT_CENTS = 2_000_000_000


class DuplicateCheck(ValidationError):
    """The same donor, check number and amount are already logged (and not voided)."""

    def __init__(self, duplicates):
        self.duplicates = list(duplicates)
        first = self.duplicates[0]
        super().__init__(
            _(
                "Check no. %(number)s for %(amount)s from %(donor)s was already logged "
                "on %(date)s. If this really is a second check, tick “This is not a "
                "duplicate” and save again."
            )
            % {
                "number": first.check_number,
                "amount": _money(first),
                "donor": first.donor.name,
                "date": format_date(first.created_at),
            },
            code="duplicate",
        )


def find_duplicates(*, donor, check_number, amount_cents, exclude_pk=None):
    """Checks already logged with the same donor, number and amount, voided ones aside."""
    if donor is None or not check_number or not amount_cents:
        return Gift.objects.none()
    return (
        Gift.objects.filter(
            method=Gift.Method.CHECK,
            donor=donor,
            check_number__iexact=check_number.strip(),
            amount_cents=amount_cents,
            voided_at__isnull=True,
        )
        .exclude(pk=exclude_pk)
        .select_related("donor")
        .order_by("created_at")
    )


def is_locked(gift):
    """Whether a check's money facts are frozen: voided, or in a closed deposit."""
    return bool(gift.voided_at) or bool(gift.deposit_id and gift.deposit.is_closed)


# Checks ----------------------------------------------------------------------------


def _given_at(received_on):
    """The gift's time for totals, statements and the feed: when the check arrived.

    A check logged the day it arrives takes the current time, so that the feed shows
    it in order; an older one takes noon of its day, which stays on that local date.
    """
    if received_on == timezone.localdate():
        return timezone.now()
    noon = datetime.datetime.combine(received_on, datetime.time(12))
    return timezone.make_aware(noon)


def _locked_open_deposit(deposit):
    if deposit is None:
        return None
    deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
    deposit.ensure_open()
    return deposit


def record_check_gift(
    *,
    donor,
    campaign,
    amount_cents,
    check_number,
    received_on,
    user,
    check_date=None,
    display_as=DisplayChoice.ANONYMOUS,
    memo="",
    deposit=None,
    currency="usd",
    send_receipt=True,
    confirm_duplicate=False,
):
    """Books one mailed check as a succeeded one-time gift and returns it.

    It counts toward the campaign's total and donor goal and shows in the feed as the
    donor chose (anonymous unless asked). The e-mail receipt goes out after commit when
    `send_receipt` is set and the donor has an address. Not idempotent by design: a
    second identical entry raises DuplicateCheck unless `confirm_duplicate` is set, and
    the donor's row is locked meanwhile so two bookkeepers entering the same check at
    once are serialised and the second one sees the first.
    """
    gift = Gift(
        campaign=campaign,
        frequency=Frequency.ONCE,
        method=Gift.Method.CHECK,
        amount_cents=amount_cents,
        currency=currency,
        payment=Gift.Payment.SUCCEEDED,
        display_as=display_as,
        check_number=(check_number or "").strip(),
        check_date=check_date,
        received_on=received_on,
        memo=memo,
        logged_by=user,
    )
    gift.clean()

    with transaction.atomic():
        gift.donor = Donor.objects.select_for_update().get(pk=donor.pk)
        gift.donor_name = gift.donor.name
        gift.language = gift.donor.language  # its receipt in the donor's language
        gift.deposit = _locked_open_deposit(deposit)
        duplicates = find_duplicates(
            donor=gift.donor, check_number=gift.check_number, amount_cents=amount_cents
        )
        if not confirm_duplicate and duplicates.exists():
            raise DuplicateCheck(duplicates)
        gift.given_at = _given_at(received_on)
        wants_receipt = send_receipt and bool(gift.donor.email)
        gift.receipt_status = Gift.Receipt.PENDING if wants_receipt else Gift.Receipt.NOT_NEEDED
        gift.derive_status()
        gift.save()
        sync_gift(gift)
        log(
            user,
            gift,
            ADDITION,
            _("Logged check no. %(number)s for %(amount)s.")
            % {"number": gift.check_number, "amount": _money(gift)},
        )
    return gift


def change_check_gift(gift, *, user, confirm_duplicate=False, **changes):
    """Corrects a check that is not locked; returns the gift as saved.

    `changes` maps field names of CHECK_FIELDS to new values; unchanged ones are
    ignored. A check in a closed deposit may only change how it shows in the feed and
    its memo; a voided one nothing. Running it twice with the same values changes
    nothing the second time.
    """
    unknown = set(changes) - set(CHECK_FIELDS)
    if unknown:
        raise TypeError(f"change_check_gift() cannot change {sorted(unknown)}")
    with transaction.atomic():
        gift = Gift.objects.select_for_update().select_related("donor").get(pk=gift.pk)
        if gift.method != Gift.Method.CHECK:
            raise ValidationError(
                _("Only checks are changed here: an online gift follows what Stripe says."),
                code="not_a_check",
            )
        if gift.voided_at:
            raise ValidationError(
                _("This check is voided and can no longer change."), code="voided"
            )
        changed = [name for name, value in changes.items() if _differs(gift, name, value)]
        if not changed:
            return gift
        current_deposit = (
            Deposit.objects.select_for_update().get(pk=gift.deposit_id) if gift.deposit_id else None
        )
        locked = [name for name in changed if name in LOCKED_FIELDS]
        if current_deposit and current_deposit.is_closed and locked:
            raise ValidationError(
                _(
                    "This check belongs to %(deposit)s, which is closed: its amount, "
                    "donor and check details can no longer change. Void it and log a "
                    "new entry instead."
                )
                % {"deposit": current_deposit},
                code="deposit_closed",
            )
        if "deposit" in changed:
            _locked_open_deposit(changes["deposit"])
        if "check_number" in changes:
            changes["check_number"] = (changes["check_number"] or "").strip()

        old_campaign_id = gift.campaign_id
        for name in changed:
            setattr(gift, name, changes[name])
        gift.clean()
        if "donor" in changed:
            # A check logged against the wrong donor carries the right one's name.
            gift.donor_name = gift.donor.name
        gift.language = gift.donor.language  # its receipt in the donor's language
        if {"donor", "check_number", "amount_cents"} & set(changed) and not confirm_duplicate:
            duplicates = find_duplicates(
                donor=gift.donor,
                check_number=gift.check_number,
                amount_cents=gift.amount_cents,
                exclude_pk=gift.pk,
            )
            if duplicates.exists():
                raise DuplicateCheck(duplicates)
        if "received_on" in changed:
            gift.given_at = _given_at(gift.received_on)
        gift.derive_status()
        gift.save()
        _refresh_feed_item(gift)
        sync_gift(gift)
        if old_campaign_id != gift.campaign_id:
            refresh_progress(old_campaign_id)
        labels = [str(Gift._meta.get_field(name).verbose_name) for name in changed]
        log(
            user,
            gift,
            CHANGE,
            _("Changed %(fields)s.") % {"fields": get_text_list(labels, _("and"))},
        )
    return gift


def _differs(gift, name, value):
    field = Gift._meta.get_field(name)
    current = getattr(gift, field.attname)
    if field.is_relation:
        return current != (value.pk if value is not None else None)
    return current != value


def _refresh_feed_item(gift):
    """Brings the gift's feed item in line after a correction.

    campaigns.feed.publish adds an item once and never rewrites it (replayed Stripe
    events must not), but a bookkeeper's correction of the display choice, the
    campaign or the date has to show.
    """
    FeedItem.objects.filter(source_key=gift.feed_key).update(
        campaign_id=gift.campaign_id,
        display_name=gift.public_name,
        occurred_at=gift.given_at,
    )


def void_gift(gift, reason, user):
    """Voids a bounced or mistaken check (Gift.void): its row stays, its money stops
    counting; returns it.

    `sync_gift` then takes it out of the campaign's totals, the goal and the feed.
    Allowed in a closed deposit (that is how a correction starts). The gift's row is
    locked first, so a second call, even at the same moment, raises instead of
    voiding twice.
    """
    with transaction.atomic():
        gift = Gift.objects.select_for_update().select_related("donor").get(pk=gift.pk)
        gift.void(reason, user)
        gift.save()
        sync_gift(gift)
        log(user, gift, CHANGE, _("Voided: %(reason)s") % {"reason": gift.void_reason})
    return gift


# Deposits --------------------------------------------------------------------------


def close_deposit(deposit, user):
    """Closes a deposit whose checks add up to its expected total (Deposit.close).

    The deposit row is locked, and so is every check being logged into it, so a check
    cannot slip in while it closes. A second call raises instead of closing twice.
    """
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        summary = deposit.close(user)
        deposit.save(update_fields=["closed_at", "closed_by"])
        log(
            user,
            deposit,
            CHANGE,
            _("Closed: %(count)s check(s), %(total)s.")
            % {
                "count": summary["count"],
                "total": format_money(summary["total_cents"], always_cents=True),
            },
        )
    return deposit


# History ---------------------------------------------------------------------------


def log(user, obj, action_flag, message):
    """Adds a line to the object's History page in admin."""
    return LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=action_flag,
        change_message=message,
        single_object=True,
    )


def _money(gift):
    return format_money(gift.amount_cents, gift.currency, always_cents=True)
