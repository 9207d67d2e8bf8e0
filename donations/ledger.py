"""Booking money into the ledger from what Stripe says.

Each function takes a Stripe object as the plain dict Stripe sent (from a webhook or
fetched through stripe_gateway) and must run inside a transaction. All of them are
safe to run twice, concurrently, and in any order relative to each other:

- a gift is found or created by its unique Stripe id (PaymentIntent or Invoice), with
  its row locked, so a replay or a race books it once;
- every fact is merged monotonically: a payment that succeeded or failed stays so,
  refunds only grow (Stripe sends the cumulative `amount_refunded`), a closed dispute
  is not reopened, a canceled monthly gift stays canceled, and an older subscription
  update never overwrites a newer one;
- a refund or dispute for a payment not booked yet is parked (PendingAdjustment) and
  applied when the payment is booked; the two take turns on the payment
  (`_take_turns_on_payment`), so that neither misses the other's uncommitted row.
"""

import datetime
import logging
import uuid

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from campaigns import feed, progress
from campaigns.models import FeedItem

from .donors import donor_for_payment
from .models import (
    Frequency,
    Gift,
    MonthlyGift,
    PendingAdjustment,
    Pledge,
)

logger = logging.getLogger(__name__)


def from_timestamp(value):
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if value else timezone.now()


def _id(value):
    """A Stripe reference that may be an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


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
    return pledge_by_id((metadata or {}).get("pledge_id"))


def pledge_by_id(pledge_id):
    """The pledge with this public id (any text), or None."""
    try:
        public_id = uuid.UUID(str(pledge_id))
    except (TypeError, ValueError, AttributeError):
        return None
    return Pledge.objects.select_related("donor", "campaign").filter(public_id=public_id).first()


def _method_from_charge(charge):
    """Card, wallet (Apple Pay, Google Pay, Link) or bank, from a charge's details."""
    details = (charge or {}).get("payment_method_details") or {}
    kind = details.get("type")
    if kind == "card":
        card = details.get("card") or {}
        if card.get("wallet"):
            return Gift.Method.WALLET, card.get("brand") or "", card.get("last4") or ""
        return Gift.Method.CARD, card.get("brand") or "", card.get("last4") or ""
    if kind in ("link", "apple_pay", "google_pay", "amazon_pay", "cashapp"):
        return Gift.Method.WALLET, "", ""
    if kind in ("us_bank_account", "ach_debit", "sepa_debit"):
        return Gift.Method.BANK, "", ""
    return Gift.Method.CARD, "", ""


def _merge_payment(current, new):
    """A payment that succeeded or failed is final; pending only fills an unknown state."""
    if current in (Gift.Payment.SUCCEEDED, Gift.Payment.FAILED):
        return current
    return new


# One-time gifts --------------------------------------------------------------------


def book_checkout_session(session, *, payment_intent=None, occurred_at=None, failed=False):
    """Books what a completed Checkout Session says.

    Payment mode: the one-time gift, keyed by its PaymentIntent (pending for a
    delayed method until `checkout.session.async_payment_succeeded`; `failed=True`
    for `..._failed`). Subscription mode: the monthly gift, keyed by its
    subscription; its charges are booked by `book_invoice`, including the first
    when the session comes with its invoice expanded (the thank-you page).
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

    customer_id = _id(session.get("customer"))
    if session.get("mode") == "subscription":
        monthly = _ensure_monthly_gift(
            _id(session.get("subscription")), pledge, amount_cents=session.get("amount_total")
        )
        if monthly is not None and session.get("payment_status") in ("paid", "no_payment_required"):
            _attach_payer(monthly, pledge, customer_id)
        invoice = session.get("invoice")
        if isinstance(invoice, dict) and invoice.get("status") == "paid":
            book_invoice(invoice, occurred_at=occurred_at)
        return monthly

    payment_intent = payment_intent or session.get("payment_intent")
    pi_id = _id(payment_intent)
    if not pi_id:
        return None
    if failed:
        payment = Gift.Payment.FAILED
    elif session.get("payment_status") == "paid":
        payment = Gift.Payment.SUCCEEDED
    else:
        payment = Gift.Payment.PENDING
    charge = payment_intent.get("latest_charge") if isinstance(payment_intent, dict) else None
    method, brand, last4 = _method_from_charge(charge if isinstance(charge, dict) else None)
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
            "payment": payment,
            "method": method,
            "card_brand": brand,
            "card_last4": last4,
            "stripe_charge_id": _id(charge),
        },
        stripe_payment_intent_id=pi_id,
    )
    if not created:
        gift.payment = _merge_payment(gift.payment, payment)
        if isinstance(charge, dict) and not gift.card_last4:
            gift.method, gift.card_brand, gift.card_last4 = method, brand, last4
            gift.stripe_charge_id = gift.stripe_charge_id or _id(charge)
    _apply_parked_adjustments(gift)
    _save_gift(gift, created=created)
    return gift


# Monthly gifts ---------------------------------------------------------------------


def _ensure_monthly_gift(subscription_id, pledge, *, amount_cents=None):
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
            "status": MonthlyGift.Status.ACTIVE,
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


def _subscription_of_invoice(invoice):
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return _id(details.get("subscription")), details.get("metadata") or {}


def _payment_intent_of_invoice(invoice):
    for payment in ((invoice.get("payments") or {}).get("data")) or []:
        pi = (payment.get("payment") or {}).get("payment_intent")
        if pi:
            return _id(pi)
    return None


def book_invoice(invoice, *, payment_intent=None, occurred_at=None):
    """Books one paid monthly charge (`invoice.paid`), the first one included.

    Keyed by the invoice id. Linked to its monthly gift through
    `invoice.parent.subscription_details`; when the invoice arrives before the
    checkout session that started the subscription, the metadata snapshot there
    (pledge id) is enough to create the monthly gift itself. `payment_intent`, when
    given, is the one that paid the invoice (with its charge): it names the method
    and the id that refunds and disputes of this charge will refer to.
    """
    subscription_id, metadata = _subscription_of_invoice(invoice)
    amount = invoice.get("amount_paid") or 0
    if not subscription_id or amount <= 0:
        return None
    monthly = _locked_monthly_gift(subscription_id, metadata, amount_cents=amount)
    if monthly is None:
        logger.info("Invoice %s belongs to no monthly gift of ours", invoice.get("id"))
        return None
    pledge = monthly.pledge if monthly.pledge_id else _pledge_from_metadata(metadata)
    donor = _attach_payer(monthly, pledge, _id(invoice.get("customer")))
    if donor is None:
        logger.warning("Invoice %s paid a monthly gift with no pledge", invoice.get("id"))
        return None
    occurred_at = occurred_at or timezone.now()
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    pi_id = _id(payment_intent) or _payment_intent_of_invoice(invoice)
    charge = payment_intent.get("latest_charge") if isinstance(payment_intent, dict) else None
    method, brand, last4 = _method_from_charge(charge if isinstance(charge, dict) else None)
    gift, created = _locked_get_or_create(
        Gift,
        defaults={
            "campaign_id": monthly.campaign_id,
            "donor": donor,
            "donor_name": pledge.name if pledge else donor.name,
            "pledge": pledge,
            "monthly_gift": monthly,
            "frequency": Frequency.MONTHLY,
            "amount_cents": amount,
            "currency": invoice.get("currency") or monthly.currency,
            "given_at": from_timestamp(paid_at) if paid_at else occurred_at,
            "display_as": pledge.display_as if pledge else "anonymous",
            "public_message": pledge.public_message if pledge else "",
            "payment": Gift.Payment.SUCCEEDED,
            "stripe_payment_intent_id": pi_id,
            "stripe_charge_id": _id(charge),
            "method": method,
            "card_brand": brand,
            "card_last4": last4,
            "starts_monthly": invoice.get("billing_reason") == "subscription_create",
        },
        stripe_invoice_id=invoice["id"],
    )
    if not created:
        gift.payment = _merge_payment(gift.payment, Gift.Payment.SUCCEEDED)
        gift.stripe_payment_intent_id = gift.stripe_payment_intent_id or pi_id
        if isinstance(charge, dict) and not gift.card_last4:
            gift.method, gift.card_brand, gift.card_last4 = method, brand, last4
            gift.stripe_charge_id = gift.stripe_charge_id or _id(charge)
    # A paid charge says the gift is active as of its payment (Stripe's clock, as the
    # other events' times), even when it already reads active: an older "past due"
    # that arrives later must not win over it.
    active_as_of = from_timestamp(paid_at) if paid_at else occurred_at
    if monthly.status != MonthlyGift.Status.CANCELED and (
        monthly.status_as_of is None or active_as_of >= monthly.status_as_of
    ):
        monthly.status, monthly.status_as_of = MonthlyGift.Status.ACTIVE, active_as_of
        monthly.save(update_fields=["status", "status_as_of"])
    _apply_parked_adjustments(gift)
    _save_gift(gift, created=created)
    return gift


def record_invoice_failure(invoice, *, occurred_at):
    """A monthly charge failed (`invoice.payment_failed`): the gift is past due.

    Returns the monthly gift (so the caller can ask the donor to update their card),
    or None when it is not ours or is already canceled.
    """
    subscription_id, metadata = _subscription_of_invoice(invoice)
    monthly = _locked_monthly_gift(
        subscription_id, metadata, amount_cents=invoice.get("amount_due")
    )
    if monthly is None or monthly.status == MonthlyGift.Status.CANCELED:
        return None
    if monthly.status_as_of is None or occurred_at >= monthly.status_as_of:
        monthly.status, monthly.status_as_of = MonthlyGift.Status.PAST_DUE, occurred_at
        monthly.save(update_fields=["status", "status_as_of"])
    return monthly


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


def apply_subscription(subscription, *, occurred_at, deleted=False):
    """Applies `customer.subscription.updated` / `.deleted`: status and amount.

    Canceled is final. Otherwise the newest event (by Stripe's `created`) wins.
    """
    monthly = _locked_monthly_gift(subscription["id"], subscription.get("metadata"))
    if monthly is None:
        return None
    if monthly.status == MonthlyGift.Status.CANCELED:
        return monthly
    status = (
        MonthlyGift.Status.CANCELED
        if deleted
        else SUBSCRIPTION_STATUSES.get(subscription.get("status"), monthly.status)
    )
    if status == MonthlyGift.Status.CANCELED:
        monthly.status = status
        monthly.canceled_at = (
            from_timestamp(subscription.get("canceled_at") or subscription.get("ended_at"))
            if (subscription.get("canceled_at") or subscription.get("ended_at"))
            else occurred_at
        )
        monthly.status_as_of = occurred_at
    elif monthly.status_as_of is None or occurred_at >= monthly.status_as_of:
        monthly.status, monthly.status_as_of = status, occurred_at
        items = (subscription.get("items") or {}).get("data") or []
        unit_amount = ((items[0].get("price") or {}).get("unit_amount")) if items else None
        if unit_amount:
            monthly.amount_cents = unit_amount
    monthly.save()
    return monthly


# Refunds and disputes --------------------------------------------------------------


# The class of the advisory locks taken on payments (the other half of the lock key
# is a hash of the PaymentIntent id).
PAYMENT_LOCK_CLASS = 4242


def _take_turns_on_payment(payment_intent_id):
    """Holds a lock on one payment until the transaction ends (PostgreSQL).

    A refund that finds no gift parks itself; the payment's booking then looks for
    what was parked. Run at the same moment, each would miss the other's uncommitted
    row and the refund would stay parked for ever. With this lock taken by both, the
    second one to get it sees what the first committed. (SQLite lets one transaction
    write at a time and refuses a write based on stale reads, so it needs none.)
    """
    if payment_intent_id and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [PAYMENT_LOCK_CLASS, payment_intent_id],
            )


def _gift_for_payment(payment_intent_id, charge_id):
    _take_turns_on_payment(payment_intent_id)
    lookup = Q()
    if payment_intent_id:
        lookup |= Q(stripe_payment_intent_id=payment_intent_id)
    if charge_id:
        lookup |= Q(stripe_charge_id=charge_id)
    if not lookup:
        return None
    return Gift.objects.select_for_update().filter(lookup).first()


def _park(payment_intent_id, event):
    PendingAdjustment.objects.get_or_create(
        event_id=event["id"],
        defaults={
            "stripe_payment_intent_id": payment_intent_id,
            "payload": event,
            "created": from_timestamp(event.get("created")),
        },
    )


def apply_refund(charge, *, event):
    """`charge.refunded`: full or partial. Refunds only grow, so the largest wins."""
    pi_id = _id(charge.get("payment_intent"))
    gift = _gift_for_payment(pi_id, charge.get("id"))
    if gift is None:
        if pi_id:
            _park(pi_id, event)
        return None
    _merge_refund(gift, charge)
    _save_gift(gift)
    return gift


def _merge_refund(gift, charge):
    refunded = min(charge.get("amount_refunded") or 0, gift.amount_cents)
    gift.refunded_cents = max(gift.refunded_cents, refunded)
    gift.stripe_charge_id = gift.stripe_charge_id or charge.get("id")


DISPUTE_OUTCOMES = {"won": Gift.Dispute.WON, "lost": Gift.Dispute.LOST}


def apply_dispute(dispute, *, event, closed):
    """`charge.dispute.created` puts the gift on hold; `.closed` settles it."""
    pi_id = _id(dispute.get("payment_intent"))
    gift = _gift_for_payment(pi_id, _id(dispute.get("charge")))
    if gift is None:
        if pi_id:
            _park(pi_id, event)
        return None
    _merge_dispute(gift, dispute, closed=closed)
    _save_gift(gift)
    return gift


def _merge_dispute(gift, dispute, *, closed):
    if gift.dispute in (Gift.Dispute.WON, Gift.Dispute.LOST):
        return  # settled: a late "created" must not reopen it
    if closed:
        # warning_closed (an inquiry that never became a dispute) counts as won.
        gift.dispute = DISPUTE_OUTCOMES.get(dispute.get("status"), Gift.Dispute.WON)
    else:
        gift.dispute = Gift.Dispute.OPEN
    gift.stripe_dispute_id = dispute.get("id") or gift.stripe_dispute_id


def _apply_parked_adjustments(gift):
    if not gift.stripe_payment_intent_id:
        return
    _take_turns_on_payment(gift.stripe_payment_intent_id)
    for parked in PendingAdjustment.objects.filter(
        stripe_payment_intent_id=gift.stripe_payment_intent_id
    ):
        obj, kind = parked.payload["data"]["object"], parked.payload["type"]
        if kind == "charge.refunded":
            _merge_refund(gift, obj)
        elif kind.startswith("charge.dispute."):
            _merge_dispute(gift, obj, closed=kind == "charge.dispute.closed")
        parked.delete()


# After every change ----------------------------------------------------------------


def _save_gift(gift, *, created=False):
    gift.derive_status()
    if created and gift.receipt_status == Gift.Receipt.PENDING and not gift.donor.email:
        gift.receipt_status = Gift.Receipt.NOT_NEEDED
    gift.save()
    sync_gift(gift)


def sync_gift(gift):
    """Brings the feed, the campaign's progress and the receipt in line with a gift.

    Called after every change to a gift, online or check; idempotent.
    """
    if gift.counted:
        kind = _feed_kind(gift)
        if kind:
            feed.publish(
                campaign_id=gift.campaign_id,
                key=gift.feed_key,
                kind=kind,
                display_name=gift.public_name,
                message=gift.public_message,
                occurred_at=gift.given_at,
                is_demo=gift.is_demo,
            )
        if gift.receipt_status == Gift.Receipt.PENDING:
            from .receipts import schedule_receipt

            schedule_receipt(gift)
    else:
        feed.withdraw(gift.feed_key)
    refresh_progress(gift.campaign_id)


def _feed_kind(gift):
    if gift.frequency == Frequency.ONCE:
        return FeedItem.Kind.DONATED
    # A monthly gift shows once, as it starts; its renewals stay off the feed.
    return FeedItem.Kind.MONTHLY if gift.starts_monthly else None


def refresh_progress(campaign_id):
    """Recomputes a campaign's donor count and total from the counted gifts.

    The campaign row is locked first, so concurrent bookings for one campaign
    recompute one after the other and the last write includes every gift.
    """
    progress.lock_campaign(campaign_id)
    totals = Gift.objects.filter(campaign_id=campaign_id, counted=True).aggregate(
        donors=Count("donor_id", distinct=True),
        amount=Sum("amount_cents"),
        refunded=Sum("refunded_cents"),
    )
    progress.set_progress(
        campaign_id,
        donor_count=totals["donors"] or 0,
        raised_cents=(totals["amount"] or 0) - (totals["refunded"] or 0),
    )
