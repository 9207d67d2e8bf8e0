"""Mailed checks and bank deposits: logging, correcting, voiding, closing.

Online gifts get their money facts from Stripe (donations.ledger); checks get theirs
from a bookkeeper, through these functions. Each one runs in a single transaction, ends
with `ledger.sync_gift` so that totals, the goal and the public feed follow, and records
who did what in django.contrib.admin's LogEntry, which the admin's History page shows.

A closed deposit stands for a deposit slip the bank has accepted: its checks can no
longer change amount, donor or check details, and none can join or leave it. A
correction is a void plus a new entry.
"""

import datetime

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from campaigns.formatting import format_date, format_money
from campaigns.models import FeedItem

from . import ledger
from .models import Deposit, DisplayChoice, Donor, Frequency, Gift

# What a closed deposit freezes on each of its checks.
LOCKED_FIELDS = (
    "donor",
    "campaign",
    "amount_cents",
    "check_number",
    "check_date",
    "received_on",
    "deposit",
)
# What `change_check_gift` may change on a check that is not locked.
EDITABLE_FIELDS = (*LOCKED_FIELDS, "display_as", "memo")
# Far above any real check ($10 million), well below the integer column's limit.
MAX_CHECK_CENTS = 1_000_000_000
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
                "amount": format_money(first.amount_cents, first.currency, always_cents=True),
                "donor": first.donor.name,
                "date": format_date(first.created_at),
            },
            code="duplicate",
        )


# Checks the forms share with the service ------------------------------------------


def validate_amount(cents):
    if cents is None or cents <= 0:
        raise ValidationError(
            _("The amount must be more than $0. To take back a check, void it."),
            code="not_positive",
        )
    if cents > MAX_CHECK_CENTS:
        raise ValidationError(_("That amount is too large to be a check."), code="too_large")


def validate_received_on(received_on, today=None):
    today = today or timezone.localdate()
    if received_on is None:
        raise ValidationError(_("Enter the date the check arrived."), code="required")
    if received_on > today:
        raise ValidationError(
            _("The date received cannot be in the future (today is %(today)s).")
            % {"today": format_date(today)},
            code="future",
        )


def validate_deposit_open(deposit):
    if deposit is not None and deposit.is_closed:
        raise ValidationError(
            _(
                "%(deposit)s is closed: no check can join or leave it. Choose an open "
                "deposit, or none."
            )
            % {"deposit": deposit},
            code="deposit_closed",
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
    validate_deposit_open(deposit)
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
    check_number = (check_number or "").strip()
    errors = {}
    for field, check in (
        ("amount_cents", lambda: validate_amount(amount_cents)),
        ("received_on", lambda: validate_received_on(received_on)),
    ):
        try:
            check()
        except ValidationError as error:
            errors[field] = error
    if not check_number:
        errors["check_number"] = ValidationError(_("Enter the check number."), code="required")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        donor = Donor.objects.select_for_update().get(pk=donor.pk)
        deposit = _locked_open_deposit(deposit)
        duplicates = find_duplicates(
            donor=donor, check_number=check_number, amount_cents=amount_cents
        )
        if not confirm_duplicate and duplicates.exists():
            raise DuplicateCheck(duplicates)
        wants_receipt = send_receipt and bool(donor.email)
        gift = Gift(
            campaign=campaign,
            donor=donor,
            donor_name=donor.name,
            frequency=Frequency.ONCE,
            method=Gift.Method.CHECK,
            amount_cents=amount_cents,
            currency=currency,
            given_at=_given_at(received_on),
            payment=Gift.Payment.SUCCEEDED,
            display_as=display_as,
            check_number=check_number,
            check_date=check_date,
            received_on=received_on,
            deposit=deposit,
            memo=memo,
            logged_by=user,
            receipt_status=Gift.Receipt.PENDING if wants_receipt else Gift.Receipt.NOT_NEEDED,
        )
        gift.derive_status()
        gift.save()
        ledger.sync_gift(gift)
        log(
            user,
            gift,
            ADDITION,
            _("Logged check no. %(number)s for %(amount)s.")
            % {"number": check_number, "amount": _money(gift)},
        )
    return gift


def change_check_gift(gift, *, user, confirm_duplicate=False, **changes):
    """Corrects a check that is not locked; returns the gift as saved.

    `changes` maps field names of EDITABLE_FIELDS to new values; unchanged ones are
    ignored. A check in a closed deposit may only change how it shows in the feed and
    its memo; a voided one nothing. Running it twice with the same values changes
    nothing the second time.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
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
        if "amount_cents" in changed:
            validate_amount(changes["amount_cents"])
        if "received_on" in changed:
            validate_received_on(changes["received_on"])
        if "check_number" in changes:
            changes["check_number"] = (changes["check_number"] or "").strip()
            if not changes["check_number"]:
                raise ValidationError(_("Enter the check number."), code="required")

        old_campaign_id = gift.campaign_id
        for name in changed:
            setattr(gift, name, changes[name])
        if "donor" in changed:
            # A check logged against the wrong donor carries the right one's name.
            gift.donor_name = gift.donor.name
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
        ledger.sync_gift(gift)
        if old_campaign_id != gift.campaign_id:
            ledger.refresh_progress(old_campaign_id)
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
    """Voids a bounced or mistaken check: its row stays, its money stops counting.

    Sets voided_at/by/reason; `sync_gift` then takes it out of the campaign's totals,
    the goal and the feed. Allowed in a closed deposit (that is how a correction
    starts). A second call raises instead of voiding twice.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            _("Give the reason for voiding, such as “bounced check”."), code="required"
        )
    max_length = Gift._meta.get_field("void_reason").max_length
    if len(reason) > max_length:
        raise ValidationError(
            _("Keep the reason under %(max)s characters.") % {"max": max_length},
            code="too_long",
        )
    with transaction.atomic():
        gift = Gift.objects.select_for_update().select_related("donor").get(pk=gift.pk)
        if gift.method != Gift.Method.CHECK:
            raise ValidationError(
                _("Only checks can be voided; refund an online gift in Stripe."),
                code="not_a_check",
            )
        if gift.voided_at:
            raise ValidationError(
                _("Check no. %(number)s was already voided on %(date)s.")
                % {"number": gift.check_number, "date": format_date(gift.voided_at)},
                code="already_voided",
            )
        gift.voided_at = timezone.now()
        gift.voided_by = user
        gift.void_reason = reason
        gift.derive_status()
        gift.save()
        ledger.sync_gift(gift)
        log(user, gift, CHANGE, _("Voided: %(reason)s") % {"reason": reason})
    return gift


# Deposits --------------------------------------------------------------------------

_IN_DEPOSIT = Q(gifts__method=Gift.Method.CHECK, gifts__voided_at__isnull=True)


def with_check_totals(deposits):
    """Annotates deposits with the number and sum of their checks (voided ones aside)."""
    return deposits.annotate(
        check_count=Count("gifts", filter=_IN_DEPOSIT),
        check_total_cents=Sum("gifts__amount_cents", filter=_IN_DEPOSIT, default=0),
    )


def deposit_summary(deposit):
    """The deposit's checks, their count and sum against the expected total."""
    totals = deposit.gifts.filter(method=Gift.Method.CHECK, voided_at__isnull=True).aggregate(
        count=Count("pk"), total=Sum("amount_cents", default=0)
    )
    return {
        "count": totals["count"],
        "total_cents": totals["total"],
        "expected_cents": deposit.expected_total_cents,
        "difference_cents": totals["total"] - deposit.expected_total_cents,
        "difference_abs_cents": abs(totals["total"] - deposit.expected_total_cents),
        "balanced": totals["total"] == deposit.expected_total_cents,
    }


def close_deposit(deposit, user):
    """Closes a deposit whose checks add up to its expected total; locks its checks.

    The deposit row is locked, and so is every check being logged into it, so a check
    cannot slip in while it closes. A second call raises instead of closing twice.
    """
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        if deposit.is_closed:
            raise ValidationError(
                _("%(deposit)s was already closed on %(date)s.")
                % {"deposit": deposit, "date": format_date(deposit.closed_at)},
                code="already_closed",
            )
        summary = deposit_summary(deposit)
        if not summary["count"]:
            raise ValidationError(
                _("%(deposit)s has no checks yet; log its checks before closing it.")
                % {"deposit": deposit},
                code="empty",
            )
        if not summary["balanced"]:
            raise ValidationError(
                _(
                    "The checks in %(deposit)s add up to %(total)s, not the expected "
                    "%(expected)s. Correct the checks or the expected total first."
                )
                % {
                    "deposit": deposit,
                    "total": format_money(summary["total_cents"], always_cents=True),
                    "expected": format_money(summary["expected_cents"], always_cents=True),
                },
                code="unbalanced",
            )
        deposit.closed_at = timezone.now()
        deposit.closed_by = user
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
