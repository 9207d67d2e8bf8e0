"""Stripe's webhook: verify, check, dedupe, apply, in one transaction per event.

The event id is stored (unique) in the same transaction as the event's effects: a
second delivery of an event finds it and changes nothing, and two deliveries racing
on two app servers are serialised by the unique index (the second waits for the
first to commit, then sees a duplicate). A failure rolls everything back and answers
500, so Stripe delivers the event again later.

Before any of that, the fields each handler reads are checked against the types
Stripe sends (the shapes in HANDLERS): a signed event of another shape is answered
400 and books nothing. Anyone who holds the signing secret, or a bug on Stripe's
side, could send one; a donation must never be booked from an amount that is a
string.

HANDLERS is the one table of event types: for each, the handler that applies it, the
shape it reads, and what must be fetched from Stripe before its transaction.
"""

import logging
import os
import re
import traceback
from collections.abc import Callable
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import adjustments, alerts, balance, ledger, monthly, payouts, stripe_facts, stripe_gateway
from .models import ProcessedEvent
from .stripe_gateway import MalformedEvent
from .views import bad_length, declared_length

logger = logging.getLogger(__name__)

# Stripe's events are a few kilobytes; anything far larger is not from Stripe.
MAX_BODY_BYTES = 256 * 1024


# What each event does -----------------------------------------------------------
#
# A handler takes the event's object, the event, and what its prefetch fetched. It
# runs inside the event's transaction; a prefetch runs before, outside it, so that a
# slow Stripe never holds a database lock. HANDLERS (below) names both for each type.


def _at(event):
    return stripe_facts.event_created(event)


def _payment_of_paid_session(session):
    """The PaymentIntent of a paid one-time session, with its charge.

    The card or wallet used is on the charge, not on the session.
    """
    payment_intent = session.get("payment_intent")
    if (
        session.get("mode") == "payment"
        and isinstance(payment_intent, str)
        and session.get("payment_status") == "paid"
    ):
        return {"payment_intent": stripe_gateway.retrieve_payment_intent(payment_intent)}
    return {}


def _payment_of_invoice(invoice):
    """The PaymentIntent that paid an invoice, with its charge.

    Invoices name their payment only when asked (see the gateway); one that does
    names its PaymentIntent by id, whose charge (the card, the fee) is then fetched,
    as well as Stripe can say now (the gift does not wait for it).
    """
    if stripe_facts.invoice_lists_payments(invoice):
        payment_intent = stripe_facts.invoice_payment_intent(invoice)
        fetched = balance.fetch_payment_intent(payment_intent) if payment_intent else None
        return {"payment_intent": fetched} if fetched else {}
    return {"payment_intent": stripe_gateway.retrieve_invoice_payment_intent(invoice["id"])}


def _with_charge_balance(prefetch):
    """`prefetch`, then the balance transaction (fee, net) of the charge it found."""

    def run(obj):
        fetched = prefetch(obj)
        payment_intent = fetched.get("payment_intent") or stripe_facts.expanded(
            obj.get("payment_intent")
        )
        txn = balance.fetch_charge_balance(payment_intent)
        return {**fetched, "balance_transaction": txn} if txn else fetched

    return run


def _refunds_of_charge(charge):
    """The charge's refunds with their balance transactions (as well as Stripe can say now)."""
    return {"refunds": balance.fetch_refunds(charge["id"])}


def _payout_transactions(payout):
    """What a payout paid out: its balance transactions, every page.

    Stripe lists them for automatic payouts only; a manual payout is booked without
    lines (and shown as not listed). Their fields are checked as an event's are.
    """
    if payout.get("automatic") is False:
        return {}
    transactions = stripe_gateway.payout_balance_transactions(payout["id"])
    for index, txn in enumerate(transactions):
        check_shape(txn, BALANCE_TRANSACTION, f"balance_transactions[{index}]")
    return {"transactions": transactions}


def _book_session(session, event, payment_intent=None, balance_transaction=None):
    ledger.book_checkout_session(
        session,
        payment_intent=payment_intent,
        occurred_at=_at(event),
        balance_transaction=balance_transaction,
    )


def _book_failed_session(session, event):
    ledger.book_checkout_session(session, occurred_at=_at(event), failed=True)


def _book_invoice(invoice, event, payment_intent=None, balance_transaction=None):
    ledger.book_invoice(
        invoice,
        payment_intent=payment_intent,
        occurred_at=_at(event),
        balance_transaction=balance_transaction,
    )


def _record_invoice_failure(invoice, event):
    monthly_gift = ledger.record_invoice_failure(invoice, occurred_at=_at(event))
    if monthly_gift is not None:
        monthly.ask_to_update_card(monthly_gift, invoice_id=invoice["id"])
        alerts.monthly_charge_failed(monthly_gift, invoice["id"])


def _update_subscription(subscription, event):
    change = ledger.apply_subscription(subscription, occurred_at=_at(event))
    monthly.confirm_change(change)


def _end_subscription(subscription, event):
    change = ledger.apply_subscription(subscription, occurred_at=_at(event), deleted=True)
    monthly.confirm_change(change)


def _refund(charge, event, refunds=()):
    adjustments.apply_refund(charge, event=event)
    refund = stripe_facts.refund_facts(charge)
    balance.book_refund_balances(
        refunds, charge_id=refund.charge_id, payment_intent_id=refund.payment_intent_id
    )


def _open_dispute(dispute, event):
    adjustments.apply_dispute(dispute, event=event, closed=False)
    balance.book_dispute_balances(dispute)


def _close_dispute(dispute, event):
    adjustments.apply_dispute(dispute, event=event, closed=True)
    balance.book_dispute_balances(dispute)


def _book_payout(payout, event, transactions=None):
    payouts.book_payout(payout, transactions=transactions)


# The shape of what the handlers read ------------------------------------------------
#
# A dict is an object (or null) whose listed fields are checked, a one-item list a
# list (or null) of such items, a Leaf one value. Fields not listed are not read and
# not checked; a listed field may be absent or null unless it is `required`.


class Leaf:
    def __init__(self, what, test, *, required=False):
        self.what, self.test, self.required = what, test, required

    def check(self, value, path):
        if value is None:
            if self.required:
                raise MalformedEvent(f"{path} is missing")
        elif not self.test(value):
            raise MalformedEvent(f"{path} is not {self.what}")


class Ref:
    """A reference to another Stripe object: its id, or the object itself (expanded)."""

    def __init__(self, shape=None):
        self.shape = shape or {"id": REQUIRED_ID}

    def check(self, value, path):
        if isinstance(value, dict):
            check_shape(value, self.shape, path)
        else:
            ID.check(value, path)


def _integer(low, high):
    # bool is an int in Python, and true is no amount.
    return lambda value: type(value) is int and low <= value <= high


_STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
# The largest amount our columns hold (PostgreSQL integer); Stripe's own limit is lower.
MAX_CENTS = 2**31 - 1
# The last second datetime can represent (9999-12-31).
MAX_TIMESTAMP = 253_402_300_799

ID = Leaf("a Stripe id", lambda value: isinstance(value, str) and _STRIPE_ID.fullmatch(value))
REQUIRED_ID = Leaf(ID.what, ID.test, required=True)
TEXT = Leaf("text", lambda value: isinstance(value, str) and len(value) <= 5000)
AMOUNT = Leaf("an amount in cents", _integer(0, MAX_CENTS))
TIME = Leaf("a time", _integer(0, MAX_TIMESTAMP))
CURRENCY = Leaf(
    "a currency code", lambda value: isinstance(value, str) and re.fullmatch("[a-z]{3}", value)
)
METADATA = Leaf(
    "metadata (text values)",
    lambda value: isinstance(value, dict) and all(isinstance(v, str) for v in value.values()),
)
CARD_BRAND = Leaf("a card brand", lambda value: isinstance(value, str) and len(value) <= 20)
LAST4 = Leaf(
    "four digits", lambda value: isinstance(value, str) and re.fullmatch("[0-9]{4}", value)
)

CHARGE = {
    "id": REQUIRED_ID,
    "payment_intent": Ref(),
    "amount_refunded": AMOUNT,
    "payment_method_details": {"type": TEXT, "card": {"brand": CARD_BRAND, "last4": LAST4}},
}
PAYMENT_INTENT = {"id": REQUIRED_ID, "latest_charge": Ref(CHARGE)}
INVOICE = {
    "id": REQUIRED_ID,
    "customer": Ref(),
    "amount_paid": AMOUNT,
    "amount_due": AMOUNT,
    "currency": CURRENCY,
    "status": TEXT,
    "billing_reason": TEXT,
    "status_transitions": {"paid_at": TIME},
    "parent": {"subscription_details": {"subscription": Ref(), "metadata": METADATA}},
    "payments": {"data": [{"payment": {"payment_intent": Ref(PAYMENT_INTENT)}}]},
    "lines": {"data": [{"period": {"end": TIME}}]},
}
CHECKOUT_SESSION = {
    "id": REQUIRED_ID,
    "mode": TEXT,
    "status": TEXT,
    "payment_status": TEXT,
    "amount_total": AMOUNT,
    "currency": CURRENCY,
    "metadata": METADATA,
    "customer": Ref(),
    "customer_details": {"email": TEXT, "name": TEXT},
    "subscription": Ref(),
    "payment_intent": Ref(PAYMENT_INTENT),
    "invoice": Ref(INVOICE),
}
SUBSCRIPTION = {
    "id": REQUIRED_ID,
    "status": TEXT,
    "customer": Ref(),
    "metadata": METADATA,
    "canceled_at": TIME,
    "ended_at": TIME,
    "items": {"data": [{"price": {"unit_amount": AMOUNT}, "current_period_end": TIME}]},
}
SIGNED_CENTS = Leaf("an amount in cents", _integer(-MAX_CENTS, MAX_CENTS), required=True)
BALANCE_TRANSACTION = {
    "id": REQUIRED_ID,
    "amount": SIGNED_CENTS,
    "fee": SIGNED_CENTS,
    "currency": CURRENCY,
    "type": TEXT,
    "reporting_category": TEXT,
    "description": TEXT,
    "created": TIME,
    "available_on": TIME,
    "source": Ref({"id": REQUIRED_ID, "charge": Ref(), "payment_intent": Ref()}),
}
DISPUTE = {
    "id": REQUIRED_ID,
    "status": TEXT,
    "payment_intent": Ref(),
    "charge": Ref(),
    "balance_transactions": [BALANCE_TRANSACTION],
}
PAYOUT = {
    "id": REQUIRED_ID,
    "amount": SIGNED_CENTS,
    "currency": CURRENCY,
    "status": TEXT,
    "automatic": Leaf("true or false", lambda value: isinstance(value, bool)),
    "arrival_date": TIME,
    "created": TIME,
    "balance_transaction": Ref(),
    "failure_code": TEXT,
    "failure_message": TEXT,
}


def check_shape(value, shape, path="object"):
    """Raises MalformedEvent unless `value` has `shape` (see above)."""
    if isinstance(shape, dict):
        if value is None:
            return
        if not isinstance(value, dict):
            raise MalformedEvent(f"{path} is not an object")
        for key, field in shape.items():
            check_shape(value.get(key), field, f"{path}.{key}")
    elif isinstance(shape, list):
        if value is None:
            return
        if not isinstance(value, list):
            raise MalformedEvent(f"{path} is not a list")
        for index, item in enumerate(value):
            if item is None:
                raise MalformedEvent(f"{path}[{index}] is missing")
            check_shape(item, shape[0], f"{path}[{index}]")
    else:
        shape.check(value, path)


class Route(NamedTuple):
    handle: Callable  # (object, event, **prefetched), inside the transaction
    shape: dict  # what `handle` reads, checked before anything else
    prefetch: Callable | None = None  # (object) -> keyword arguments of `handle`


# Every event type the site handles.
HANDLERS = {
    "checkout.session.completed": Route(
        _book_session, CHECKOUT_SESSION, prefetch=_with_charge_balance(_payment_of_paid_session)
    ),
    "checkout.session.async_payment_succeeded": Route(
        _book_session, CHECKOUT_SESSION, prefetch=_with_charge_balance(_payment_of_paid_session)
    ),
    "checkout.session.async_payment_failed": Route(_book_failed_session, CHECKOUT_SESSION),
    "invoice.paid": Route(
        _book_invoice, INVOICE, prefetch=_with_charge_balance(_payment_of_invoice)
    ),
    "invoice.payment_failed": Route(_record_invoice_failure, INVOICE),
    "customer.subscription.updated": Route(_update_subscription, SUBSCRIPTION),
    "customer.subscription.deleted": Route(_end_subscription, SUBSCRIPTION),
    "charge.refunded": Route(_refund, CHARGE, prefetch=_refunds_of_charge),
    "charge.dispute.created": Route(_open_dispute, DISPUTE),
    "charge.dispute.closed": Route(_close_dispute, DISPUTE),
    # A payout is booked as a deposit with the lines Stripe lists for it.
    "payout.created": Route(_book_payout, PAYOUT, prefetch=_payout_transactions),
    "payout.updated": Route(_book_payout, PAYOUT, prefetch=_payout_transactions),
    "payout.paid": Route(_book_payout, PAYOUT, prefetch=_payout_transactions),
    "payout.failed": Route(_book_payout, PAYOUT, prefetch=_payout_transactions),
    "payout.canceled": Route(_book_payout, PAYOUT, prefetch=_payout_transactions),
}


def process_event(event):
    """Applies one verified event once. Returns "applied", "duplicate" or "ignored".

    Raises MalformedEvent, before anything is written or fetched, when the object
    is not of the shape its handler reads."""
    route = HANDLERS.get(event["type"])
    if route is None:
        return "ignored"
    obj = stripe_facts.event_object(event)
    check_shape(obj, route.shape)
    if ProcessedEvent.objects.filter(event_id=event["id"]).exists():
        return "duplicate"
    prefetched = route.prefetch(obj) if route.prefetch else {}
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(
                event_id=event["id"], type=event["type"], created=_at(event)
            )
            route.handle(obj, event, **prefetched)
    except IntegrityError:
        if ProcessedEvent.objects.filter(event_id=event["id"]).exists():
            return "duplicate"
        raise
    return "applied"


def _where(error):
    """file:line of the innermost frame of ours that the error passed through."""
    frames = traceback.extract_tb(error.__traceback__)
    frame = ([f for f in frames if "/donations/" in f.filename] or frames)[-1]
    return f"{os.path.basename(frame.filename)}:{frame.lineno}"


def _malformed(reason, *args):
    logger.warning("Rejected a signed webhook: " + reason, *args)
    return HttpResponseBadRequest("Malformed event.\n", content_type="text/plain")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    length = declared_length(request)
    if length is None:
        return bad_length(request)
    if length > MAX_BODY_BYTES:
        return HttpResponse("Request body too large.\n", status=413, content_type="text/plain")
    try:
        event = stripe_gateway.parse_webhook(request.body, request.headers.get("Stripe-Signature"))
    except stripe_gateway.InvalidSignature as error:
        logger.warning("Rejected a webhook: %s", error)
        return HttpResponseBadRequest("Invalid signature.\n", content_type="text/plain")
    except MalformedEvent as error:
        return _malformed("%s", error)
    try:
        outcome = process_event(event)
    except MalformedEvent as error:
        return _malformed("event %s (%s): %s", event["id"], event["type"], error)
    except stripe_gateway.StripeUnavailable:
        # Stripe will deliver the event again; by then the API should answer.
        logger.warning("Event %s deferred: Stripe API unavailable", event["id"])
        return HttpResponse("Try again later.\n", status=503, content_type="text/plain")
    except (OperationalError, InterfaceError):
        # The database is unreachable: oca_site's DatabaseUnavailableMiddleware answers
        # 503 with Retry-After (Stripe delivers again) and logs one line, no traceback.
        raise
    except (TypeError, KeyError, AttributeError, ValueError, ValidationError) as error:
        # A value of a shape the checks do not describe (a field a handler reads but
        # nobody listed): still the event's fault, not a failure of ours. Everything
        # was rolled back. The line names where it broke, so that the field can be
        # added to the shapes; not the error's text, which may quote the donor.
        return _malformed(
            "event %s (%s) could not be read: %s at %s",
            event["id"],
            event["type"],
            type(error).__name__,
            _where(error),
        )
    except Exception:
        logger.exception("Event %s (%s) failed", event["id"], event["type"])
        return HttpResponse("Processing failed.\n", status=500, content_type="text/plain")
    return HttpResponse(f"{outcome}\n", content_type="text/plain")
