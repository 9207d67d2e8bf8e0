"""Reading Stripe's objects: the plain facts the ledger books from.

These functions alone know where Stripe keeps each fact in its JSON (API version
donations.stripe_gateway.API_VERSION). The webhook has already checked the types of the
fields they read (the shapes in donations.webhooks). Nothing here calls Stripe.
"""

import datetime
from typing import NamedTuple

from django.utils import timezone

# How a gift was paid, in the words of Gift.Method.
CARD, WALLET, BANK = "card", "wallet", "bank"
_WALLET_TYPES = frozenset({"link", "apple_pay", "google_pay", "amazon_pay", "cashapp"})
_BANK_TYPES = frozenset({"us_bank_account", "ach_debit", "sepa_debit"})


def expanded_id(value):
    """The id of a reference to another object: its id, or the object when expanded."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def expanded(value):
    """The referenced object when it came expanded, else None (only its id came)."""
    return value if isinstance(value, dict) else None


def to_datetime(timestamp):
    """Stripe's Unix seconds as an aware datetime; None when there is no time."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC) if timestamp else None


def metadata_pledge_id(metadata):
    """The pledge id create_checkout_session wrote into an object's metadata, or None."""
    return (metadata or {}).get("pledge_id")


class ChargeMethod(NamedTuple):
    method: str  # CARD, WALLET or BANK
    card_brand: str
    card_last4: str


def charge_method(charge):
    """Card, wallet (Apple Pay, Google Pay, Link) or bank, from a charge's details.

    A card with no brand or digits when the charge does not say (or is not at hand).
    """
    details = (charge or {}).get("payment_method_details") or {}
    kind = details.get("type")
    if kind == "card":
        card = details.get("card") or {}
        method = WALLET if card.get("wallet") else CARD
        return ChargeMethod(method, card.get("brand") or "", card.get("last4") or "")
    if kind in _WALLET_TYPES:
        return ChargeMethod(WALLET, "", "")
    if kind in _BANK_TYPES:
        return ChargeMethod(BANK, "", "")
    return ChargeMethod(CARD, "", "")


class PaymentFacts(NamedTuple):
    payment_intent_id: str | None
    charge_id: str | None
    method: str
    card_brand: str
    card_last4: str
    # Whether the charge came expanded: only then do method, brand and digits say
    # anything (otherwise they are charge_method's default).
    charge_known: bool


def payment_facts(payment_intent):
    """What a PaymentIntent (its id, or the object with its latest charge) says."""
    charge = payment_intent.get("latest_charge") if isinstance(payment_intent, dict) else None
    method = charge_method(expanded(charge))
    return PaymentFacts(
        payment_intent_id=expanded_id(payment_intent),
        charge_id=expanded_id(charge),
        method=method.method,
        card_brand=method.card_brand,
        card_last4=method.card_last4,
        charge_known=expanded(charge) is not None,
    )


class InvoiceSubscription(NamedTuple):
    subscription_id: str | None
    # The subscription's metadata as it was when the invoice was made (our pledge id).
    metadata: dict


def invoice_subscription(invoice):
    """The subscription an invoice bills, from `parent.subscription_details`.

    Since API version basil; the top-level `invoice.subscription` is gone.
    """
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    return InvoiceSubscription(
        expanded_id(details.get("subscription")), details.get("metadata") or {}
    )


def invoice_lists_payments(invoice):
    """Whether an invoice came with its payments (Stripe includes them only when asked)."""
    return bool((invoice.get("payments") or {}).get("data"))


def invoice_payment_intent(invoice):
    """The id of the PaymentIntent that paid an invoice, from the payments it came with."""
    for payment in ((invoice.get("payments") or {}).get("data")) or []:
        payment_intent = (payment.get("payment") or {}).get("payment_intent")
        if payment_intent:
            return expanded_id(payment_intent)
    return None


def invoice_paid_at(invoice):
    """When an invoice was paid, by Stripe's clock; None when it does not say."""
    return to_datetime((invoice.get("status_transitions") or {}).get("paid_at"))


def subscription_amount(subscription):
    """A subscription's monthly amount in cents (its first item's price), or None."""
    items = (subscription.get("items") or {}).get("data") or []
    return (items[0].get("price") or {}).get("unit_amount") if items else None


def subscription_period_end(subscription):
    """When the period a subscription last billed ends (its next charge); None when it
    does not say. Since API version basil the period lives on each item."""
    items = (subscription.get("items") or {}).get("data") or []
    return to_datetime(items[0].get("current_period_end")) if items else None


def invoice_period_end(invoice):
    """The end of the period a subscription invoice paid for: the next charge."""
    lines = (invoice.get("lines") or {}).get("data") or []
    return to_datetime((lines[0].get("period") or {}).get("end")) if lines else None


def subscription_ended_at(subscription):
    """When a subscription was canceled or ended; None when it does not say."""
    return to_datetime(subscription.get("canceled_at") or subscription.get("ended_at"))


class RefundFacts(NamedTuple):
    payment_intent_id: str | None
    charge_id: str | None
    # Cumulative: everything refunded on the charge so far.
    amount_refunded: int


def refund_facts(charge):
    """What a refunded charge (`charge.refunded`) says."""
    return RefundFacts(
        payment_intent_id=expanded_id(charge.get("payment_intent")),
        charge_id=charge.get("id"),
        amount_refunded=charge.get("amount_refunded") or 0,
    )


class DisputeFacts(NamedTuple):
    dispute_id: str | None
    payment_intent_id: str | None
    charge_id: str | None
    lost: bool


def dispute_facts(dispute):
    """What a dispute (`charge.dispute.*`) says."""
    return DisputeFacts(
        dispute_id=dispute.get("id"),
        payment_intent_id=expanded_id(dispute.get("payment_intent")),
        charge_id=expanded_id(dispute.get("charge")),
        lost=dispute.get("status") == "lost",
    )


def event_object(event):
    """The object an event is about (a checkout session, an invoice, a charge...)."""
    return event["data"]["object"]


def event_created(event):
    """When Stripe created an event (now, for one that does not say)."""
    return to_datetime(event.get("created")) or timezone.now()
