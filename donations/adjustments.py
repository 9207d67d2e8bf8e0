"""Refunds and disputes: money taken back after a payment, in whatever order it comes.

Each function takes the Stripe object as the plain dict Stripe sent and must run
inside a transaction. All are safe to run twice, concurrently, and in any order
relative to the booking of the payment (donations.ledger):

- the gift is found by its PaymentIntent or charge, with its row locked;
- the facts only move one way (Gift.merge_refund, Gift.merge_dispute): refunds
  only grow, since Stripe sends the cumulative amount, and a closed dispute is not
  reopened;
- a refund or dispute for a payment not booked yet is parked (PendingAdjustment,
  once per event) and merged by `apply_parked` when the payment is booked; the two
  take turns on the payment (`take_turns_on_payment`), so that neither misses the
  other's uncommitted row.
"""

from django.db import connection
from django.db.models import Q

from . import stripe_facts
from .gift_sync import save_gift
from .models import Gift, PendingAdjustment

# The class of the advisory locks taken on payments (the other half of the lock key
# is a hash of the PaymentIntent id).
PAYMENT_LOCK_CLASS = 4242


def take_turns_on_payment(payment_intent_id):
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
    take_turns_on_payment(payment_intent_id)
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
            "created": stripe_facts.event_created(event),
        },
    )


def apply_refund(charge, *, event):
    """`charge.refunded`: full or partial. Refunds only grow, so the largest wins."""
    refund = stripe_facts.refund_facts(charge)
    gift = _gift_for_payment(refund.payment_intent_id, refund.charge_id)
    if gift is None:
        if refund.payment_intent_id:
            _park(refund.payment_intent_id, event)
        return None
    gift.merge_refund(refund.amount_refunded, refund.charge_id)
    save_gift(gift)
    return gift


def apply_dispute(dispute, *, event, closed):
    """`charge.dispute.created` puts the gift on hold; `.closed` settles it."""
    facts = stripe_facts.dispute_facts(dispute)
    gift = _gift_for_payment(facts.payment_intent_id, facts.charge_id)
    if gift is None:
        if facts.payment_intent_id:
            _park(facts.payment_intent_id, event)
        return None
    gift.merge_dispute(facts.dispute_id, closed=closed, lost=facts.lost)
    save_gift(gift)
    return gift


def apply_parked(gift):
    """Merges into a gift being booked the refunds and disputes that came before it.

    Called by the booking of the payment, before it saves the gift. Each parked
    event is deleted once merged (and merged twice would change nothing).
    """
    if not gift.stripe_payment_intent_id:
        return
    take_turns_on_payment(gift.stripe_payment_intent_id)
    for parked in PendingAdjustment.objects.filter(
        stripe_payment_intent_id=gift.stripe_payment_intent_id
    ):
        kind, obj = parked.payload["type"], stripe_facts.event_object(parked.payload)
        if kind == "charge.refunded":
            refund = stripe_facts.refund_facts(obj)
            gift.merge_refund(refund.amount_refunded, refund.charge_id)
        elif kind.startswith("charge.dispute."):
            dispute = stripe_facts.dispute_facts(obj)
            gift.merge_dispute(
                dispute.dispute_id, closed=kind == "charge.dispute.closed", lost=dispute.lost
            )
        parked.delete()
