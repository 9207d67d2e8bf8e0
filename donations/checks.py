"""Offline gifts (checks, cash, transfers, fund grants, stock, in kind) and bank
deposits: logging, correcting, voiding, closing.

Online gifts get their money facts from Stripe (donations.ledger); offline gifts get
theirs from a bookkeeper, through these functions (what differs by kind is in
donations.offline). The rules of a gift are Gift.clean() and
OfflineDetails.clean_for(), those of a deposit Deposit.ensure_open() and
Deposit.close(); each function here runs them in a single transaction with the rows
it depends on locked, ends with `gift_sync.sync_gift` so that totals, the goal and
the public feed follow, and records who did what in django.contrib.admin's LogEntry,
which the admin's History page shows.

A closed deposit stands for a deposit slip the bank has accepted: its checks can no
longer change amount, donor or check details, and none can join or leave it. A
correction is a void plus a new entry.
"""

import datetime

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.formatting import format_money
from campaigns.models import FeedItem

from . import offline
from .gift_sync import refresh_progress, sync_gift
from .models import OFFLINE_METHODS, Deposit, DisplayChoice, Donor, Frequency, Gift, OfflineDetails
from .models.offline import DETAILED_METHODS

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
# What the other offline kinds may change once logged; the rest is corrected by
# voiding the gift and logging it again.
OPEN_FIELDS = ("display_as", "memo")
# What a check's receipt states: correcting one after the receipt went out sends it
# again, so the donor keeps a receipt of what was given (and the right donor gets it).
RECEIPT_FIELDS = ("donor", "amount_cents", "check_number", "received_on")
# The expected total's column holds at most about $21 million.
MAX_DEPOSIT_CENTS = 2_000_000_000


class DuplicateCheck(ValidationError):
    """The same gift is already logged (and not voided): for a check, the same donor,
    number and amount; for the other kinds, see offline.find_duplicates."""

    def __init__(self, duplicates):
        self.duplicates = list(duplicates)
        super().__init__(offline.duplicate_message(self.duplicates[0]), code="duplicate")


def find_duplicates(*, donor, check_number, amount_cents, exclude_pk=None):
    """Checks already logged with the same donor, number and amount, voided ones aside."""
    return offline.find_duplicates(
        Gift.Method.CHECK,
        donor=donor,
        amount_cents=amount_cents,
        received_on=None,
        check_number=check_number,
    ).exclude(pk=exclude_pk)


def is_locked(gift):
    """Whether a check's money facts are frozen: voided, or in a closed deposit (the
    other offline kinds' always are, once logged)."""
    if gift.method != Gift.Method.CHECK:
        return True
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


def record_check_gift(*, check_number, **fields):
    """Books one mailed check (record_offline_gift) and returns it."""
    return record_offline_gift(method=Gift.Method.CHECK, check_number=check_number, **fields)


def record_offline_gift(
    *,
    method,
    donor,
    campaign,
    received_on,
    user,
    amount_cents=None,
    details=None,
    check_number="",
    check_date=None,
    display_as=DisplayChoice.ANONYMOUS,
    memo="",
    deposit=None,
    currency="usd",
    send_receipt=True,
    confirm_duplicate=False,
):
    """Books one offline gift as a succeeded one-time gift and returns it.

    `details` (an unsaved OfflineDetails) carries what a kind other than a check
    needs; it is saved with the gift. A stock gift's amount is its value by the IRS
    rule (OfflineDetails.value_cents), an in-kind gift's is 0 (see donations.offline):
    `amount_cents` is ignored for both. Every rule is checked before anything is
    written, so a bad entry writes nothing.

    It counts toward the campaign's total and donor goal and shows in the feed as the
    donor chose (anonymous unless asked). The e-mail receipt goes out after commit when
    `send_receipt` is set and the donor has an address. Not idempotent by design: a
    second identical entry raises DuplicateCheck unless `confirm_duplicate` is set, and
    the donor's row is locked meanwhile so two bookkeepers entering the same gift at
    once are serialised and the second one sees the first (a transfer or a grant,
    whose duplicate may be logged for another donor, also locks its reference).
    """
    if method not in OFFLINE_METHODS:
        raise ValueError(f"{method} is not an offline method")
    # Checks and cash need nothing beyond the gift's own columns.
    details = (details or OfflineDetails()) if method in DETAILED_METHODS else None
    gift = Gift(
        campaign=campaign,
        frequency=Frequency.ONCE,
        method=method,
        amount_cents=amount_cents,
        currency=currency,
        payment=Gift.Payment.SUCCEEDED,
        display_as=display_as,
        check_number=(check_number or "").strip(),
        check_date=check_date,
        received_on=received_on,
        memo=memo,
        logged_by=user,
        deposit=deposit,
    )
    _clean(gift, details)

    with transaction.atomic():
        gift.donor = Donor.objects.select_for_update().get(pk=donor.pk)
        gift.donor_name = gift.donor.name
        gift.language = gift.donor.language  # its receipt in the donor's language
        gift.deposit = _locked_open_deposit(deposit)
        _lock_reference(method, details)
        duplicates = offline.find_duplicates(
            method,
            donor=gift.donor,
            amount_cents=gift.amount_cents,
            received_on=received_on,
            details=details,
            check_number=gift.check_number,
        )
        if not confirm_duplicate and duplicates.exists():
            raise DuplicateCheck(duplicates)
        gift.given_at = _given_at(received_on)
        wants_receipt = send_receipt and bool(gift.donor.email)
        gift.receipt_status = Gift.Receipt.PENDING if wants_receipt else Gift.Receipt.NOT_NEEDED
        gift.derive_status()
        gift.save()
        if details is not None:
            details.gift = gift
            details.save()
        sync_gift(gift)
        log(user, gift, ADDITION, _logged_message(gift))
    return gift


def _lock_reference(method, details):
    """Serialises two entries of one transfer or grant reference until commit, even
    for two donors (which the donor's row lock does not): a PostgreSQL transaction
    advisory lock on the reference. SQLite, for development, writes one transaction
    at a time anyway."""
    if method not in (Gift.Method.TRANSFER, Gift.Method.DAF) or not details.reference.strip():
        return
    if connection.vendor != "postgresql":
        return
    key = f"offline-gift:{method}:{details.reference.strip().lower()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _clean(gift, details):
    """Runs the gift's and its details' rules together, so every mistake is named at
    once; sets a stock gift's amount from its shares and prices, and an in-kind
    gift's to 0."""
    errors = {}
    if details is not None:
        try:
            details.clean_for(gift.method, received_on=gift.received_on)
        except ValidationError as error:
            errors.update(error.error_dict)
        if gift.method == Gift.Method.STOCK:
            gift.amount_cents = None if errors else details.value_cents()
        elif gift.method == Gift.Method.IN_KIND:
            gift.amount_cents = 0
    try:
        gift.clean()
    except ValidationError as error:
        for name, messages in error.error_dict.items():
            # A stock gift's amount is wrong only when its shares, prices or date are.
            if not (
                name == "amount_cents"
                and gift.method == Gift.Method.STOCK
                and (errors or "received_on" in error.error_dict)
            ):
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _logged_message(gift):
    if gift.method == Gift.Method.CHECK:
        return _("Logged check no. %(number)s for %(amount)s.") % {
            "number": gift.check_number,
            "amount": _money(gift),
        }
    if gift.method == Gift.Method.IN_KIND:
        return _("Logged an in-kind gift.")
    return _("Logged a gift (%(method)s) of %(amount)s.") % {
        "method": gift.get_method_display(),
        "amount": _money(gift),
    }


def change_check_gift(gift, *, user, confirm_duplicate=False, **changes):
    """Corrects a check that is not locked; returns the gift as saved.

    `changes` maps field names of CHECK_FIELDS to new values; unchanged ones are
    ignored. A check in a closed deposit may only change how it shows in the feed and
    its memo; a voided one nothing. Running it twice with the same values changes
    nothing the second time. A receipt already sent goes out again when what it states
    changed (RECEIPT_FIELDS).
    """
    unknown = set(changes) - set(CHECK_FIELDS)
    if unknown:
        raise TypeError(f"change_check_gift() cannot change {sorted(unknown)}")
    with transaction.atomic():
        gift = Gift.objects.select_for_update().select_related("donor").get(pk=gift.pk)
        if not gift.is_offline:
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
        if gift.method != Gift.Method.CHECK and set(changed) - set(OPEN_FIELDS):
            raise ValidationError(
                _(
                    "Once logged, only how this gift shows in the feed and its memo can "
                    "change. Void it and log a new entry instead."
                ),
                code="locked",
            )
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
        if gift.receipt_status == Gift.Receipt.SENT and set(RECEIPT_FIELDS) & set(changed):
            gift.receipt_status = Gift.Receipt.PENDING  # sync_gift sends it after commit
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
    """Voids a bounced check or any offline gift logged by mistake (Gift.void): its
    row stays, its money stops counting; returns it.

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
            ngettext(
                "Closed: %(count)s check, %(total)s.",
                "Closed: %(count)s checks, %(total)s.",
                summary["count"],
            )
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
