"""Booking money into the ledger from what Stripe says: one-time and recurring gifts
(monthly or yearly; donations.models.MonthlyGift holds both).

Each function takes a Stripe object as the plain dict Stripe sent (from a webhook or
fetched through stripe_gateway; donations.stripe_facts reads the facts out of it) and
must run inside a transaction. All of them are safe to run twice, concurrently, and in any order
relative to each other and to the refunds and disputes of donations.adjustments:

- a gift is found or created by its unique Stripe id (PaymentIntent or Invoice), with
  its row locked, so a replay or a race books it once;
- every fact is merged monotonically: a payment that succeeded or failed stays so
  (Gift.merge_payment), a canceled monthly gift stays canceled, and an older
  subscription update never overwrites a newer one;
- a refund or dispute that arrives before its payment is booked waits, parked, and
  the booking merges it (adjustments.apply_parked); the two take turns on the
  payment, so that neither misses the other's uncommitted row.
"""

import logging
import uuid
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import adjustments, alerts, balance, bank_failures, stripe_facts
from .donors import donor_for_payment
from .gift_sync import save_gift, sync_feed
from .models import Frequency, Gift, Interval, MonthlyGift, PaymentMethod, Pledge, Tribute

logger = logging.getLogger(__name__)


def _locked_get_or_create(model, defaults, **lookup):
    """The row for `lookup`, locked until the transaction ends; created if missing.

    When two transactions create the same row at once, the unique index makes the
    second wait for the first and then fail; it then finds the first one's row.
    """
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **defaults), True
    except IntegrityError:
        return model.objects.select_for_update().get(**lookup), False


def _pledge_from_metadata(metadata):
    """The pledge named in a Stripe object's metadata, or None when it is not ours."""
    return pledge_by_id(stripe_facts.metadata_pledge_id(metadata))


def pledge_by_id(pledge_id):
    """The pledge with this public id (any text), or None."""
    try:
        public_id = uuid.UUID(str(pledge_id))
    except (TypeError, ValueError, AttributeError):
        return None
    return Pledge.objects.select_related("donor", "campaign").filter(public_id=public_id).first()


def _charge_defaults(payment, pledge=None):
    """A new gift's fields from the PaymentIntent that paid it (stripe_facts.payment_facts).

    Until its charge is at hand, a gift pledged from a bank account is one: a debit is
    pending for days, and may fail, without any event bringing the charge that says so.
    """
    method = payment.method
    pledged_bank = pledge is not None and pledge.payment_method == PaymentMethod.BANK
    if pledged_bank and not payment.charge_known:
        method = Gift.Method.BANK
    return {
        "method": Gift.Method(method),
        "card_brand": payment.card_brand,
        "card_last4": payment.card_last4,
        "stripe_charge_id": payment.charge_id,
    }


def _fill_in_charge(gift, payment):
    """A charge's details, once at hand, say how a gift was paid; they do not change after."""
    if payment.charge_known and not gift.card_last4:
        gift.method = Gift.Method(payment.method)
        gift.card_brand, gift.card_last4 = payment.card_brand, payment.card_last4
        gift.stripe_charge_id = gift.stripe_charge_id or payment.charge_id


def _tribute_defaults(pledge):
    """A new gift's tribute, copied from the pledge it pays (none without one)."""
    tribute = Tribute.objects.filter(pledge=pledge).first() if pledge is not None else None
    if tribute is None:
        return {}
    return {"tribute_kind": tribute.kind, "tribute_name": tribute.honoree}


# One-time gifts --------------------------------------------------------------------


def book_checkout_session(
    session, *, payment_intent=None, occurred_at=None, failed=False, balance_transaction=None
):
    """Books what a completed Checkout Session says.

    Payment mode: the one-time gift, keyed by its PaymentIntent (pending for a
    delayed method until `checkout.session.async_payment_succeeded`; `failed=True`
    for `..._failed`). Subscription mode: the monthly gift, keyed by its
    subscription; its charges are booked by `book_invoice`, including the first
    when the session comes with its invoice expanded (the thank-you page).
    `balance_transaction`, when fetched, is the charge's: its fee and net are booked
    with the gift (donations.balance, once by its id).
    Returns the gift or monthly gift, or None when the session is not ours.
    """
    pledge = _pledge_from_metadata(session.get("metadata"))
    if pledge is None:
        logger.info("Checkout session %s has no pledge of ours", session.get("id"))
        return None
    occurred_at = occurred_at or timezone.now()
    if pledge.status != Pledge.Status.COMPLETED:
        Pledge.objects.filter(pk=pledge.pk).update(
            status=Pledge.Status.COMPLETED, stripe_checkout_session_id=session["id"]
        )

    customer_id = stripe_facts.expanded_id(session.get("customer"))
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    if session.get("mode") == "subscription":
        monthly = _ensure_monthly_gift(
            stripe_facts.expanded_id(session.get("subscription")),
            pledge,
            amount_cents=session.get("amount_total"),
            # A bank debit still clearing: the monthly gift starts once it is paid.
            status=MonthlyGift.Status.ACTIVE if paid else MonthlyGift.Status.INCOMPLETE,
        )
        if monthly is not None and paid:
            _attach_payer(monthly, pledge, customer_id)
        invoice = stripe_facts.expanded(session.get("invoice"))
        if invoice is not None and invoice.get("status") == "paid":
            book_invoice(invoice, occurred_at=occurred_at)
        return monthly

    payment = stripe_facts.payment_facts(payment_intent or session.get("payment_intent"))
    if not payment.payment_intent_id:
        return None
    if failed:
        state = Gift.Payment.FAILED
    elif session.get("payment_status") == "paid":
        state = Gift.Payment.SUCCEEDED
    else:
        state = Gift.Payment.PENDING
    donor = donor_for_payment(pledge, customer_id=customer_id)
    gift, created = _locked_get_or_create(
        Gift,
        defaults={
            "campaign_id": pledge.campaign_id,
            "donor": donor,
            "donor_name": pledge.name,
            "pledge": pledge,
            "frequency": Frequency.ONCE,
            "amount_cents": session.get("amount_total") or pledge.amount_cents,
            "currency": session.get("currency") or pledge.currency,
            "given_at": occurred_at,
            "display_as": pledge.display_as,
            "public_message": pledge.public_message,
            "language": pledge.language,
            "fundraiser_id": pledge.fundraiser_id,
            "payment": state,
            **_tribute_defaults(pledge),
            **_charge_defaults(payment, pledge),
        },
        stripe_payment_intent_id=payment.payment_intent_id,
    )
    failed_before = not created and gift.payment == Gift.Payment.FAILED
    if not created:
        gift.merge_payment(state)
        _fill_in_charge(gift, payment)
        # Dated by its earliest event (Checkout's completion): a bank debit's
        # settlement, days later, may come first, and must not move the gift's date.
        gift.given_at = min(gift.given_at, occurred_at)
    adjustments.apply_parked(gift)
    save_gift(gift, created=created)
    balance.book_gift_balance(gift, balance_transaction)
    if gift.payment == Gift.Payment.FAILED and not failed_before:
        # A failed payment is final (merge_payment): this is its one booking.
        bank_failures.payment_failed(
            pledge, key=payment.payment_intent_id, amount_cents=gift.amount_cents
        )
    return gift


# Monthly gifts ---------------------------------------------------------------------


def _ensure_monthly_gift(
    subscription_id, pledge, *, amount_cents=None, status=MonthlyGift.Status.ACTIVE
):
    """The recurring gift of a subscription, locked; created in `status` when new.

    A later event changes the status by its own time (book_invoice,
    apply_subscription), so which of them created the row does not matter. Its
    interval is the pledge's frequency, whichever event comes first: the pledge chose
    the price Checkout billed, and a change of amount keeps its interval.
    """
    if not subscription_id:
        return None
    monthly, _ = _locked_get_or_create(
        MonthlyGift,
        defaults={
            "donor_id": pledge.donor_id,  # None until its first charge is paid
            "campaign_id": pledge.campaign_id,
            "pledge": pledge,
            "amount_cents": amount_cents or pledge.amount_cents,
            "currency": pledge.currency,
            "interval": pledge.interval or Interval.MONTH,
            "status": status,
        },
        stripe_subscription_id=subscription_id,
    )
    return monthly


def _attach_payer(monthly, pledge, customer_id):
    """Money arrived for a monthly gift: it now belongs to the pledge's donor.

    Safe twice: a monthly gift keeps the donor and customer it was first given.
    """
    fields = []
    if monthly.donor_id is None and pledge is not None:
        monthly.donor = donor_for_payment(pledge, customer_id=customer_id)
        fields.append("donor")
    if customer_id and not monthly.stripe_customer_id:
        monthly.stripe_customer_id = customer_id
        fields.append("stripe_customer_id")
    if fields:
        monthly.save(update_fields=fields)
    if "donor" in fields and monthly.status == MonthlyGift.Status.CANCELED:
        # Its cancellation arrived first, when it had no donor to alert staff about.
        alerts.monthly_canceled(monthly)
    return monthly.donor


def _locked_monthly_gift(subscription_id, metadata, *, amount_cents=None):
    """The monthly gift of a subscription, locked; created from the pledge named in
    the metadata snapshot when its own events arrive before the checkout session.
    None when the subscription is not ours."""
    monthly = (
        MonthlyGift.objects.select_for_update()
        .filter(stripe_subscription_id=subscription_id)
        .first()
    )
    if monthly is None:
        pledge = _pledge_from_metadata(metadata)
        if pledge is None:
            return None
        monthly = _ensure_monthly_gift(subscription_id, pledge, amount_cents=amount_cents)
    return monthly


def book_invoice(invoice, *, payment_intent=None, occurred_at=None, balance_transaction=None):
    """Books one paid charge of a recurring gift (`invoice.paid`), the first one
    included, with the gift's frequency (monthly or yearly).

    Keyed by the invoice id. Linked to its monthly gift through
    `invoice.parent.subscription_details`; when the invoice arrives before the
    checkout session that started the subscription, the metadata snapshot there
    (pledge id) is enough to create the monthly gift itself. `payment_intent`, when
    given, is the one that paid the invoice (with its charge): it names the method
    and the id that refunds and disputes of this charge will refer to;
    `balance_transaction`, when fetched, its charge's fee and net (donations.balance).
    """
    subscription = stripe_facts.invoice_subscription(invoice)
    amount = invoice.get("amount_paid") or 0
    if not subscription.subscription_id or amount <= 0:
        return None
    monthly = _locked_monthly_gift(
        subscription.subscription_id, subscription.metadata, amount_cents=amount
    )
    if monthly is None:
        logger.info("Invoice %s belongs to no monthly gift of ours", invoice.get("id"))
        return None
    pledge = monthly.pledge if monthly.pledge_id else _pledge_from_metadata(subscription.metadata)
    donor = _attach_payer(monthly, pledge, stripe_facts.expanded_id(invoice.get("customer")))
    if donor is None:
        logger.warning("Invoice %s paid a monthly gift with no pledge", invoice.get("id"))
        return None
    # Stripe's clock, as the other events' times; ours when the invoice does not say.
    paid_at = stripe_facts.invoice_paid_at(invoice) or occurred_at or timezone.now()
    payment = stripe_facts.payment_facts(payment_intent)
    pi_id = payment.payment_intent_id or stripe_facts.invoice_payment_intent(invoice)
    starts_monthly = invoice.get("billing_reason") == "subscription_create" or _starts_upgrade(
        monthly, pledge, invoice["id"], paid_at
    )
    gift, created = _locked_get_or_create(
        Gift,
        defaults={
            "campaign_id": monthly.campaign_id,
            "donor": donor,
            "donor_name": pledge.name if pledge else donor.name,
            "pledge": pledge,
            "monthly_gift": monthly,
            "frequency": monthly.frequency,
            "amount_cents": amount,
            "currency": invoice.get("currency") or monthly.currency,
            "given_at": paid_at,
            "display_as": pledge.display_as if pledge else "anonymous",
            "public_message": pledge.public_message if pledge else "",
            # Every charge of a monthly gift in the language it was started in.
            "language": pledge.language if pledge else donor.language,
            # Every charge of a monthly gift started through a supporter's page counts for it.
            "fundraiser_id": pledge.fundraiser_id if pledge else None,
            "payment": Gift.Payment.SUCCEEDED,
            "stripe_payment_intent_id": pi_id,
            **_charge_defaults(payment),
            "starts_monthly": starts_monthly,
            # The tribute goes with the gift as it starts; its renewals are plain charges.
            **(_tribute_defaults(pledge) if starts_monthly else {}),
        },
        stripe_invoice_id=invoice["id"],
    )
    if not created:
        gift.merge_payment(Gift.Payment.SUCCEEDED)
        gift.stripe_payment_intent_id = gift.stripe_payment_intent_id or pi_id
        _fill_in_charge(gift, payment)
    # A paid charge says the gift is active as of its payment, even when it already
    # reads active: an older "past due" that arrives later must not win over it.
    if monthly.status != MonthlyGift.Status.CANCELED and (
        monthly.status_as_of is None or paid_at >= monthly.status_as_of
    ):
        monthly.status, monthly.status_as_of = MonthlyGift.Status.ACTIVE, paid_at
        monthly.save(update_fields=["status", "status_as_of"])
    if monthly.status != MonthlyGift.Status.CANCELED:
        _advance_next_charge(monthly, stripe_facts.invoice_period_end(invoice))
        monthly.save(update_fields=["next_charge_at"])
    adjustments.apply_parked(gift)
    save_gift(gift, created=created)
    if created and gift.starts_monthly and pledge and pledge.upgraded_from_id:
        _no_other_start(monthly, gift)
    balance.book_gift_balance(gift, balance_transaction)
    return gift


def _starts_upgrade(monthly, pledge, invoice_id, paid_at):
    """Whether this paid charge starts a gift made monthly from the thank-you page.

    Its subscription begins with nothing to pay (donations.upgrades: the first charge
    is a month after the one-time gift), so no invoice says `subscription_create`:
    its earliest paid charge is its start, for the feed ("started a monthly
    donation") and the staff's alert, as the first charge of any monthly gift.
    """
    if pledge is None or not pledge.upgraded_from_id:
        return False
    earlier = Gift.objects.filter(monthly_gift=monthly, given_at__lt=paid_at)
    return not earlier.exclude(stripe_invoice_id=invoice_id).exists()


def _no_other_start(monthly, start):
    """A later charge booked first (Stripe's events in any order) took the start:
    it becomes a plain charge again, and its feed line is withdrawn. The monthly gift
    is locked (book_invoice), so two charges never decide this at once."""
    for later in Gift.objects.filter(monthly_gift=monthly, starts_monthly=True).exclude(
        pk=start.pk
    ):
        later.starts_monthly = False
        later.save(update_fields=["starts_monthly"])
        sync_feed(later)


def record_invoice_failure(invoice, *, occurred_at):
    """A monthly charge failed (`invoice.payment_failed`): the gift is past due.

    Returns the monthly gift (so the caller can ask the donor to update their card),
    or None when it is not ours or is already canceled. The failed first charge of a
    gift pledged from a bank account is no card to update: the gift stays
    incomplete, the donor and staff are told (donations.bank_failures, once per
    invoice), and None is returned.
    """
    subscription = stripe_facts.invoice_subscription(invoice)
    monthly = _locked_monthly_gift(
        subscription.subscription_id, subscription.metadata, amount_cents=invoice.get("amount_due")
    )
    if monthly is None or monthly.status == MonthlyGift.Status.CANCELED:
        return None
    if monthly.donor_id is None and _first_bank_charge(monthly, invoice):
        # Nothing was ever paid: the gift never started, and the donor is told once.
        bank_failures.payment_failed(
            monthly.pledge, key=invoice["id"], amount_cents=invoice.get("amount_due") or 0
        )
        if monthly.status_as_of is None or occurred_at >= monthly.status_as_of:
            monthly.status, monthly.status_as_of = MonthlyGift.Status.INCOMPLETE, occurred_at
            monthly.save(update_fields=["status", "status_as_of"])
        return None
    if monthly.status_as_of is None or occurred_at >= monthly.status_as_of:
        monthly.status, monthly.status_as_of = MonthlyGift.Status.PAST_DUE, occurred_at
        monthly.save(update_fields=["status", "status_as_of"])
    return monthly


def _first_bank_charge(monthly, invoice):
    """Whether `invoice` is the first charge of a monthly gift pledged from a bank account."""
    return (
        monthly.pledge_id is not None
        and monthly.pledge.payment_method == PaymentMethod.BANK
        and invoice.get("billing_reason") == "subscription_create"
    )


SUBSCRIPTION_STATUSES = {
    "active": MonthlyGift.Status.ACTIVE,
    "trialing": MonthlyGift.Status.ACTIVE,
    "past_due": MonthlyGift.Status.PAST_DUE,
    "unpaid": MonthlyGift.Status.PAST_DUE,
    "incomplete": MonthlyGift.Status.INCOMPLETE,
    "incomplete_expired": MonthlyGift.Status.CANCELED,
    "canceled": MonthlyGift.Status.CANCELED,
    "paused": MonthlyGift.Status.PAST_DUE,
}


class SubscriptionChange(NamedTuple):
    """What a subscription event changed that the donor is told about: "amount" (the
    monthly amount on file moved) or "canceled" (the gift ended just now), else ""."""

    monthly: MonthlyGift | None
    kind: str = ""


def apply_subscription(subscription, *, occurred_at, deleted=False):
    """Applies `customer.subscription.updated` / `.deleted`: status, amount, next charge.

    Canceled is final. Otherwise the newest event (by Stripe's `created`) wins. Returns
    a SubscriptionChange; its kind is set only when this very call changed the amount
    or canceled the gift, so a replayed event, or Stripe's echo of an amount already
    set from "My giving", reports no change (and the donor gets no second e-mail).
    """
    monthly = _locked_monthly_gift(subscription["id"], subscription.get("metadata"))
    if monthly is None:
        return SubscriptionChange(None)
    if monthly.status == MonthlyGift.Status.CANCELED:
        return SubscriptionChange(monthly)
    status = (
        MonthlyGift.Status.CANCELED
        if deleted
        else SUBSCRIPTION_STATUSES.get(subscription.get("status"), monthly.status)
    )
    kind = ""
    if status == MonthlyGift.Status.CANCELED:
        monthly.status = status
        monthly.canceled_at = stripe_facts.subscription_ended_at(subscription) or occurred_at
        monthly.status_as_of = occurred_at
        monthly.next_charge_at = None
        kind = "canceled"
        # Reached once: a canceled monthly gift returns above.
        alerts.monthly_canceled(monthly)
    elif monthly.status_as_of is None or occurred_at >= monthly.status_as_of:
        monthly.status, monthly.status_as_of = status, occurred_at
        unit_amount = stripe_facts.subscription_amount(subscription)
        if unit_amount and unit_amount != monthly.amount_cents:
            monthly.amount_cents = unit_amount
            # A first event may only fill in the amount Checkout charged: that is no
            # change the donor made.
            kind = "amount" if monthly.charges.exists() else ""
        _advance_next_charge(monthly, stripe_facts.subscription_period_end(subscription))
    monthly.save()
    return SubscriptionChange(monthly, kind)


def _advance_next_charge(monthly, period_end):
    """The next charge only moves forward: an older event cannot bring back a past date."""
    if period_end and (monthly.next_charge_at is None or period_end > monthly.next_charge_at):
        monthly.next_charge_at = period_end
