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


class SavedCard(NamedTuple):
    customer_id: str
    payment_method_id: str


def saved_card(payment_intent):
    """The customer and payment method a paid PaymentIntent saved for later charges
    without the donor (`setup_future_usage="off_session"`), or None."""
    if not isinstance(payment_intent, dict) or payment_intent.get("status") != "succeeded":
        return None
    if payment_intent.get("setup_future_usage") != "off_session":
        return None
    customer_id = expanded_id(payment_intent.get("customer"))
    payment_method_id = expanded_id(payment_intent.get("payment_method"))
    if not customer_id or not payment_method_id:
        return None
    return SavedCard(customer_id, payment_method_id)


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


# Balance transactions and payouts ---------------------------------------------------

# What a balance transaction is to the ledger, in the words of BalanceTransaction.Kind.
# Stripe's `reporting_category` is the grouping it recommends for accounting; `type`
# is the fallback for a transaction that does not carry one.
_KIND_BY_CATEGORY = {
    "charge": "charge",
    "refund": "refund",
    "refund_failure": "refund_failure",
    "dispute": "dispute",
    "dispute_reversal": "dispute_reversal",
    "fee": "stripe_fee",
    "payout": "payout",
    "payout_reversal": "payout_failure",
    "other_adjustment": "adjustment",
}
_KIND_BY_TYPE = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund_failure",
    "payment_failure_refund": "refund_failure",
    "stripe_fee": "stripe_fee",
    "payout": "payout",
    "payout_failure": "payout_failure",
    "payout_cancel": "payout_failure",
    "adjustment": "adjustment",
}


class BalanceFacts(NamedTuple):
    txn_id: str
    kind: str
    stripe_type: str
    reporting_category: str
    amount: int
    fee: int
    net: int
    currency: str
    source_id: str
    # The charge and PaymentIntent it concerns, when its source says (or the caller
    # knows); "" when unknown.
    charge_id: str
    payment_intent_id: str
    description: str
    created: datetime.datetime
    available_on: datetime.datetime | None


def _balance_kind(txn, source_id):
    kind = _KIND_BY_CATEGORY.get(txn.get("reporting_category") or "")
    if kind is None:
        kind = _KIND_BY_TYPE.get(txn.get("type") or "", "other")
        if kind == "adjustment" and source_id.startswith("dp_"):
            # A dispute's debit, or its reversal when the money comes back.
            kind = "dispute" if (txn.get("amount") or 0) < 0 else "dispute_reversal"
    return kind


def balance_facts(txn, *, charge_id=None, payment_intent_id=None):
    """What a balance transaction says: its kind, amount, fee and net, and what it is
    about. Its source may be an id or the object (expanded): a charge names its
    PaymentIntent, a refund or dispute its charge and PaymentIntent."""
    source = txn.get("source")
    source_id = expanded_id(source) or ""
    source_obj = expanded(source) or {}
    if source_id.startswith(("ch_", "py_")):
        charge_id = charge_id or source_id
    else:
        charge_id = charge_id or expanded_id(source_obj.get("charge"))
    payment_intent_id = payment_intent_id or expanded_id(source_obj.get("payment_intent"))
    amount, fee = txn.get("amount") or 0, txn.get("fee") or 0
    return BalanceFacts(
        txn_id=txn["id"],
        kind=_balance_kind(txn, source_id),
        stripe_type=txn.get("type") or "",
        reporting_category=txn.get("reporting_category") or "",
        amount=amount,
        fee=fee,
        # Stripe states net = amount - fee; it is computed here so the two never disagree.
        net=amount - fee,
        currency=txn.get("currency") or "usd",
        source_id=source_id,
        charge_id=charge_id or "",
        payment_intent_id=payment_intent_id or "",
        description=(txn.get("description") or "")[:300],
        created=to_datetime(txn.get("created")) or timezone.now(),
        available_on=to_datetime(txn.get("available_on")),
    )


def charge_balance_transaction(payment_intent):
    """The balance transaction of a PaymentIntent's latest charge: the object when it
    came expanded, else its id (or None while the charge has none)."""
    charge = expanded(payment_intent.get("latest_charge")) if payment_intent else None
    return (charge or {}).get("balance_transaction")


class PayoutFacts(NamedTuple):
    payout_id: str
    amount: int
    currency: str
    status: str
    arrival_date: datetime.date
    balance_transaction_id: str
    failure_code: str
    failure_message: str
    created: datetime.datetime


def payout_facts(payout):
    """What a payout (`payout.*`) says; its arrival date as the date in UTC, as Stripe
    gives it (midnight UTC of the day the bank is expected to show it)."""
    created = to_datetime(payout.get("created")) or timezone.now()
    arrival = to_datetime(payout.get("arrival_date")) or created
    return PayoutFacts(
        payout_id=payout["id"],
        amount=payout.get("amount") or 0,
        currency=payout.get("currency") or "usd",
        status=payout.get("status") or "pending",
        arrival_date=arrival.date(),
        balance_transaction_id=expanded_id(payout.get("balance_transaction")) or "",
        failure_code=(payout.get("failure_code") or "")[:100],
        failure_message=(payout.get("failure_message") or "")[:500],
        created=created,
    )
