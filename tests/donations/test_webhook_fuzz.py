"""Signed webhook events of any shape: Stripe (or whoever holds the secret) never gets
a 500 for one, and no shape Stripe never sends books a gift.

The events are correctly signed, so they pass the signature check and reach the
code that reads them. Three families: arbitrary JSON (in the envelope and in the
object), Stripe's real example shapes with any one value swapped for another type or
removed, and the fields the handlers read swapped for a type Stripe never sends
there, for a pledge of ours (the shape that would otherwise book a gift).
"""

import copy
import time

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations import stripe_gateway
from donations.models import Gift, MonthlyGift

from . import stripe_payloads as sp
from .webhook_helpers import WEBHOOK_URL

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HANDLED_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
]
# Keys the handlers look for, so that arbitrary objects reach the code that reads them.
FIELD_NAMES = [
    "id",
    "object",
    "mode",
    "status",
    "payment_status",
    "amount_total",
    "amount_paid",
    "amount_due",
    "amount_refunded",
    "currency",
    "metadata",
    "pledge_id",
    "customer",
    "subscription",
    "payment_intent",
    "latest_charge",
    "invoice",
    "parent",
    "subscription_details",
    "payments",
    "data",
    "payment",
    "status_transitions",
    "paid_at",
    "canceled_at",
    "ended_at",
    "items",
    "price",
    "unit_amount",
    "charge",
    "payment_method_details",
    "card",
    "brand",
    "last4",
    "wallet",
    "billing_reason",
]
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "paid", "payment", "subscription", "active", "lost", "usd", "0"])
    | st.text(max_size=12)
)
KEYS = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
JSON = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
JSON_OBJECTS = st.dictionaries(KEYS, JSON, max_size=6)


@pytest.fixture
def stripe_answers(monkeypatch):
    """Stripe's answers to the lookups a payment needs, for any id (no network)."""
    monkeypatch.setattr(
        stripe_gateway, "retrieve_payment_intent", lambda pi_id: sp.payment_intent(pi_id, 5000)
    )
    monkeypatch.setattr(
        stripe_gateway,
        "retrieve_invoice_payment_intent",
        lambda invoice_id: sp.payment_intent(f"pi_for_{invoice_id}", 5000),
    )
    # The fee of a charge, its refunds and a payout's lines: known, or nothing to list.
    monkeypatch.setattr(
        stripe_gateway,
        "retrieve_balance_transaction",
        lambda txn_id: sp.balance_transaction(txn_id, 5000, "ch_fuzz"),
    )
    monkeypatch.setattr(stripe_gateway, "refunds_of_charge", lambda charge_id: [])
    monkeypatch.setattr(stripe_gateway, "payout_balance_transactions", lambda payout_id: [])


class _RollBack(Exception):
    pass


@pytest.fixture
def warmed_up(client, make_pledge, stripe_answers):
    """Every handler run once, then rolled back.

    Hypothesis draws constants from the project's modules as they are first
    imported; one imported halfway through a run (the URLconf on the first request,
    the receipts on the first booking) would change what it draws, and it would
    report the strategy as flaky.
    """
    try:
        with transaction.atomic():
            for event in _examples(sp.pledge_metadata(make_pledge())):
                _post(client, event)
            raise _RollBack
    except _RollBack:
        pass
    assert _nothing_booked()


def _post(client, event):
    body, signature = sp.signed(event, "whsec_test_suite")
    return client.post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def _nothing_booked():
    return Gift.objects.count() == 0 and MonthlyGift.objects.count() == 0


# Arbitrary JSON ----------------------------------------------------------------------


@FUZZ
@given(
    event_type=st.sampled_from(HANDLED_TYPES) | JSON,
    created=st.just("now") | JSON,
    data=JSON_OBJECTS.map(lambda obj: {"object": obj}) | JSON,
    extra=st.dictionaries(st.sampled_from(["object", "id", "livemode"]), JSON, max_size=2),
)
def test_it_never_fails_on_a_signed_event_of_arbitrary_shape(
    client, warmed_up, event_type, created, data, extra
):
    event = {
        "id": sp.new_id("evt"),
        "object": "event",
        "type": event_type,
        "created": int(time.time()) if created == "now" else created,
        "data": data,
    } | extra
    response = _post(client, event)
    assert response.status_code in (200, 400), response.content
    assert _nothing_booked()


# Stripe's example shapes, one value swapped or removed ------------------------------


def _examples(pledge_metadata):
    """One real event per handled type, built from Stripe's example objects."""
    sub_id, pi_id = sp.new_id("sub"), sp.new_id("pi")
    once = sp.fixture("checkout_session")
    once.update(
        id=sp.new_id("cs"),
        mode="payment",
        status="complete",
        payment_status="paid",
        amount_total=5000,
        currency="usd",
        metadata=pledge_metadata,
        payment_intent=pi_id,
        customer=sp.new_id("cus"),
    )
    monthly = copy.deepcopy(once) | {
        "id": sp.new_id("cs"),
        "mode": "subscription",
        "payment_intent": None,
        "subscription": sub_id,
    }
    invoice = sp.invoice(sub_id, amount=5000, metadata=pledge_metadata)
    subscription = sp.subscription(sub_id, metadata=pledge_metadata)
    return [
        sp.event("checkout.session.completed", once),
        sp.event("checkout.session.completed", monthly),
        sp.event("checkout.session.async_payment_succeeded", once),
        sp.event("checkout.session.async_payment_failed", once),
        sp.event("invoice.paid", invoice),
        sp.event(
            "invoice.payment_failed", sp.invoice(sub_id, amount=5000, metadata={}, paid=False)
        ),
        sp.event("customer.subscription.updated", subscription),
        sp.event("customer.subscription.deleted", subscription),
        sp.event("charge.refunded", sp.charge(pi_id, 5000, amount_refunded=5000)),
        sp.event("charge.dispute.created", sp.dispute(pi_id, amount=5000)),
        sp.event("charge.dispute.closed", sp.dispute(pi_id, amount=5000, status="lost")),
    ]


def _paths(value, prefix=()):
    """Every place in a JSON document: dict keys and list indexes, outermost first."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield (*prefix, key)
        if isinstance(child, dict | list) and child:
            yield from _paths(child, (*prefix, key))


def _json_kind(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _swapped(event, path, value):
    event = copy.deepcopy(event)
    target = event
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return event


@FUZZ
@given(data=st.data())
def test_it_never_fails_on_a_real_event_with_one_value_of_another_type(client, warmed_up, data):
    # A pledge id that is a UUID but no pledge of ours: whatever survives the swap,
    # nothing may be booked.
    not_ours = {"pledge_id": "6f1c2d9e-0000-4000-8000-000000000000", "campaign": "x"}
    event = data.draw(st.sampled_from(_examples(not_ours)))
    event["id"] = sp.new_id("evt")
    path = data.draw(st.sampled_from(list(_paths(event))))
    original = _value_at(event, path)
    replacement = data.draw(
        st.just(...) | JSON.filter(lambda value: _json_kind(value) != _json_kind(original))
    )
    response = _post(client, _swapped(event, path, replacement))
    assert response.status_code in (200, 400), (path, replacement, response.content)
    assert _nothing_booked()


def _value_at(document, path):
    for key in path:
        document = document[key]
    return document


# The fields the handlers read, of a type Stripe never sends there -------------------

STRIPE_ID = "an id"
REFERENCE = "an id or an object with one"
AMOUNT = "cents"
TIME = "seconds"
TEXT = "text"
OBJECT = "object"
LIST = "list"
METADATA = "metadata"
LAST_SECOND_OF_9999 = 253_402_300_799

# What Stripe sends in each field a handler reads (null where Stripe may send null).
READ_FIELDS = {
    "checkout.session.completed": {
        ("id",): STRIPE_ID,
        ("mode",): TEXT,
        ("payment_status",): TEXT,
        ("amount_total",): AMOUNT,
        ("currency",): TEXT,
        ("metadata",): METADATA,
        ("metadata", "pledge_id"): TEXT,
        ("payment_intent",): REFERENCE,
        ("subscription",): REFERENCE,
        ("customer",): REFERENCE,
        ("customer_details",): OBJECT,
    },
    "invoice.paid": {
        ("id",): STRIPE_ID,
        ("amount_paid",): AMOUNT,
        ("currency",): TEXT,
        ("customer",): REFERENCE,
        ("parent",): OBJECT,
        ("parent", "subscription_details"): OBJECT,
        ("parent", "subscription_details", "subscription"): REFERENCE,
        ("parent", "subscription_details", "metadata"): METADATA,
        ("payments",): OBJECT,
        ("payments", "data"): LIST,
        ("payments", "data", 0): OBJECT,
        ("payments", "data", 0, "payment"): OBJECT,
        ("payments", "data", 0, "payment", "payment_intent"): REFERENCE,
        ("status_transitions",): OBJECT,
        ("status_transitions", "paid_at"): TIME,
    },
    "customer.subscription.updated": {
        ("id",): STRIPE_ID,
        ("status",): TEXT,
        ("metadata",): METADATA,
        ("items",): OBJECT,
        ("items", "data"): LIST,
        ("items", "data", 0): OBJECT,
        ("items", "data", 0, "price"): OBJECT,
        ("items", "data", 0, "price", "unit_amount"): AMOUNT,
        ("canceled_at",): TIME,
    },
    "charge.refunded": {
        ("id",): STRIPE_ID,
        ("payment_intent",): REFERENCE,
        ("amount_refunded",): AMOUNT,
    },
    "charge.dispute.closed": {
        ("id",): STRIPE_ID,
        ("status",): TEXT,
        ("payment_intent",): REFERENCE,
        ("charge",): REFERENCE,
    },
}


def _stripe_sends(kind, value):
    """Whether Stripe could send `value` in a field of this kind."""
    if kind == STRIPE_ID:
        return (
            isinstance(value, str)
            and value.isascii()
            and value.replace("_", "").isalnum()
            and len(value) <= 255
        )
    if value is None:
        return True
    if kind == REFERENCE:
        return _stripe_sends(STRIPE_ID, value.get("id") if isinstance(value, dict) else value)
    if kind in (AMOUNT, TIME):
        return type(value) is int and 0 <= value <= (
            2**31 - 1 if kind == AMOUNT else LAST_SECOND_OF_9999
        )
    if kind == TEXT:
        return isinstance(value, str)
    if kind == METADATA:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return type(value) is {OBJECT: dict, LIST: list}[kind]


@pytest.fixture
def bookable_events(make_pledge):
    """Events that would book (or change) gifts of a pledge of ours, unchanged."""
    examples = _examples(sp.pledge_metadata(make_pledge()))
    return {event["type"]: event for event in reversed(examples)}


@FUZZ
@given(data=st.data())
def test_it_books_nothing_when_a_field_it_reads_has_a_type_stripe_never_sends(
    client, warmed_up, bookable_events, data
):
    event_type = data.draw(st.sampled_from(sorted(READ_FIELDS)))
    path, kind = data.draw(st.sampled_from(sorted(READ_FIELDS[event_type].items(), key=str)))
    wrong = data.draw(JSON.filter(lambda value: not _stripe_sends(kind, value)))
    event = _swapped(bookable_events[event_type], ("data", "object", *path), wrong)
    event["id"] = sp.new_id("evt")
    response = _post(client, event)
    assert response.status_code == 400, (event_type, path, wrong, response.content)
    assert response.content == b"Malformed event.\n"
    assert _nothing_booked()


def test_it_books_the_same_events_unchanged(client, stripe_answers, bookable_events):
    # The events above are bookable as they are: only the swapped field stops them.
    for event_type in ("checkout.session.completed", "invoice.paid"):
        response = _post(client, bookable_events[event_type])
        assert response.content == b"applied\n"
    assert Gift.objects.count() == 2
