"""The `/v1/...` endpoints the site calls through stripe-python's `StripeClient`.

Each handler takes the decoded params and answers `(status, body, records)`: the JSON
body Stripe would send and the event records the call produced (delivered after the
answer, as Stripe does). Unknown ids answer 404 `resource_missing`, missing params 400
`parameter_missing`, in Stripe's error shape.
"""

import re

from . import balance, catalog, checkout, lifecycle, payouts, subscriptions
from .errors import StripeError, one_of, require, to_bool
from .store import created_between

_ID = r"(?P<id>[A-Za-z0-9_]+)"


def _retrieve(kind):
    def handler(standin, params, object_id, origin):
        obj = standin.store.get(kind, object_id)
        return 200, standin.store.render(obj, params.get("expand")), []

    return handler


def _answer(standin, params, obj, records=()):
    return 200, standin.store.render(obj, params.get("expand")), list(records)


def create_customer(standin, params, _id, _origin):
    return _answer(standin, params, catalog.create_customer(standin.store, params))


def update_customer(standin, params, object_id, origin):
    customer, records = catalog.update_customer(standin.store, object_id, params, origin)
    return _answer(standin, params, customer, records)


def list_customers(standin, params, _id, _origin):
    filters = {"email": params["email"]} if params.get("email") else {}
    customers = standin.store.find("customer", **filters)
    return 200, standin.store.page(customers, params, "/v1/customers"), []


def create_checkout_session(standin, params, _id, _origin):
    session = checkout.create_checkout_session(standin.store, params, standin.url)
    return _answer(standin, params, session)


def list_checkout_sessions(standin, params, _id, _origin):
    filters = {
        name: params[name]
        for name in ("customer", "payment_intent", "subscription", "status")
        if params.get(name)
    }
    found = standin.store.find("checkout.session", **filters)
    return 200, standin.store.page(found, params, "/v1/checkout/sessions"), []


def checkout_line_items(standin, params, object_id, _origin):
    session = standin.store.get("checkout.session", object_id)
    url = f"/v1/checkout/sessions/{object_id}/line_items"
    return 200, standin.store.page(list(session["_line_items"]), params, url), []


def expire_checkout_session(standin, params, object_id, origin):
    session, records = checkout.expire_session(standin.store, object_id, origin)
    return _answer(standin, params, session, records)


def list_subscriptions(standin, params, _id, _origin):
    filters = {"customer": params["customer"]} if params.get("customer") else {}
    status = params.get("status")
    found = standin.store.find("subscription", **filters)
    if status and status != "all":
        found = [s for s in found if s["status"] == status]
    elif not status:
        # Stripe leaves canceled subscriptions out unless asked with status=all.
        found = [s for s in found if s["status"] != "canceled"]
    return 200, standin.store.page(found, params, "/v1/subscriptions"), []


def create_subscription(standin, params, _id, origin):
    subscription, records = subscriptions.create_subscription(standin.store, params, origin)
    return _answer(standin, params, subscription, records)


def list_customer_payment_methods(standin, params, object_id, _origin):
    standin.store.get("customer", object_id)
    filters = {"customer": object_id}
    if params.get("type"):
        filters["type"] = params["type"]
    found = standin.store.find("payment_method", **filters)
    url = f"/v1/customers/{object_id}/payment_methods"
    return 200, standin.store.page(found, params, url), []


def update_subscription(standin, params, object_id, origin):
    subscription, records = lifecycle.update_subscription(standin.store, object_id, params, origin)
    return _answer(standin, params, subscription, records)


def cancel_subscription(standin, params, object_id, origin):
    subscription, records = lifecycle.cancel_subscription(
        standin.store, object_id, origin=origin, params=params
    )
    return _answer(standin, params, subscription, records)


def list_invoices(standin, params, _id, _origin):
    filters = {name: params[name] for name in ("customer", "status") if params.get(name)}
    found = standin.store.find("invoice", **filters)
    if params.get("subscription"):
        wanted = params["subscription"]
        found = [i for i in found if i["parent"]["subscription_details"]["subscription"] == wanted]
    return 200, standin.store.page(found, params, "/v1/invoices"), []


def list_invoice_payments(standin, params, _id, _origin):
    found = standin.store.find("invoice_payment", **_given(params, "invoice"))
    payment = params.get("payment") or {}
    if isinstance(payment, dict) and payment.get("payment_intent"):
        found = [p for p in found if p["payment"]["payment_intent"] == payment["payment_intent"]]
    if params.get("status"):
        found = [p for p in found if p["status"] == params["status"]]
    return 200, standin.store.page(found, params, "/v1/invoice_payments"), []


def create_refund(standin, params, _id, origin):
    target = params.get("payment_intent") or params.get("charge")
    if not target:
        raise StripeError(
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            code="parameter_missing",
            param="payment_intent",
        )
    refund, records = lifecycle.refund(
        standin.store,
        target,
        params.get("amount"),
        reason=params.get("reason") or None,
        metadata=params.get("metadata") or {},
        origin=origin,
    )
    return _answer(standin, params, refund, records)


def _given(params, *names):
    """The filters among `names` that the request gave, for `Store.find`."""
    return {name: params[name] for name in names if params.get(name)}


def list_charges(standin, params, _id, _origin):
    found = standin.store.find("charge", **_given(params, "customer", "payment_intent"))
    return 200, standin.store.page(found, params, "/v1/charges"), []


def list_refunds(standin, params, _id, _origin):
    found = standin.store.find("refund", **_given(params, "charge", "payment_intent"))
    return 200, standin.store.page(found, params, "/v1/refunds"), []


def list_disputes(standin, params, _id, _origin):
    found = standin.store.find("dispute", **_given(params, "charge", "payment_intent"))
    return 200, standin.store.page(found, params, "/v1/disputes"), []


def list_payouts(standin, params, _id, _origin):
    if params.get("status"):
        one_of(params["status"], payouts.STATUSES, "status")
    found = standin.store.find("payout", **_given(params, "status", "destination"))
    found = created_between(found, params.get("arrival_date"), "arrival_date")
    return 200, standin.store.page(found, params, "/v1/payouts"), []


def list_balance_transactions(standin, params, _id, _origin):
    """`?payout=po_...` lists what that payout swept and its own `payout` transaction
    (Stripe lists these for automatic payouts only, which all of the stand-in's are)."""
    store = standin.store
    found = store.find("balance_transaction", **_given(params, "source", "type", "currency"))
    if params.get("payout"):
        store.get("payout", params["payout"], "payout")
        found = [txn for txn in found if txn["_payout"] == params["payout"]]
    return 200, store.page(found, params, "/v1/balance_transactions"), []


def retrieve_balance(standin, params, _id, _origin):
    return 200, balance.balance(standin.store), []


def list_events(standin, params, _id, _origin):
    """Events of every delivery outcome, as Stripe keeps them: `type` (`*` wildcards
    as in `charge.dispute.*`), `types[]`, `delivery_success`."""
    store = standin.store
    found = store.find("event")
    if params.get("type") and params.get("types"):
        raise StripeError(
            "You may only specify one of these parameters: type, types.", param="types"
        )
    wanted = [params["type"]] if params.get("type") else list(params.get("types") or [])
    if wanted:
        found = [e for e in found if any(_type_matches(e["type"], w) for w in wanted)]
    if params.get("delivery_success") not in (None, ""):
        success = to_bool(params["delivery_success"], "delivery_success")
        with store.lock:
            delivered = {r.event["id"] for r in store.events if r.delivered}
        found = [e for e in found if (e["id"] in delivered) == success]
    return 200, store.page(found, params, "/v1/events"), []


def _type_matches(event_type, pattern):
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def create_portal_session(standin, params, _id, _origin):
    require(params, "customer")
    session = catalog.create_portal_session(standin.store, params, standin.url)
    return _answer(standin, params, session)


ROUTES = [
    ("POST", "/v1/customers", create_customer),
    ("GET", "/v1/customers", list_customers),
    ("GET", f"/v1/customers/{_ID}", _retrieve("customer")),
    ("POST", f"/v1/customers/{_ID}", update_customer),
    ("POST", "/v1/checkout/sessions", create_checkout_session),
    ("GET", "/v1/checkout/sessions", list_checkout_sessions),
    ("GET", f"/v1/checkout/sessions/{_ID}", _retrieve("checkout.session")),
    ("GET", f"/v1/checkout/sessions/{_ID}/line_items", checkout_line_items),
    ("POST", f"/v1/checkout/sessions/{_ID}/expire", expire_checkout_session),
    ("GET", f"/v1/customers/{_ID}/payment_methods", list_customer_payment_methods),
    ("GET", f"/v1/payment_methods/{_ID}", _retrieve("payment_method")),
    ("POST", "/v1/subscriptions", create_subscription),
    ("GET", "/v1/subscriptions", list_subscriptions),
    ("GET", f"/v1/subscriptions/{_ID}", _retrieve("subscription")),
    ("POST", f"/v1/subscriptions/{_ID}", update_subscription),
    ("DELETE", f"/v1/subscriptions/{_ID}", cancel_subscription),
    ("GET", "/v1/invoices", list_invoices),
    ("GET", f"/v1/invoices/{_ID}", _retrieve("invoice")),
    ("GET", "/v1/invoice_payments", list_invoice_payments),
    ("GET", f"/v1/invoice_payments/{_ID}", _retrieve("invoice_payment")),
    ("GET", f"/v1/payment_intents/{_ID}", _retrieve("payment_intent")),
    ("GET", "/v1/charges", list_charges),
    ("GET", f"/v1/charges/{_ID}", _retrieve("charge")),
    ("POST", "/v1/refunds", create_refund),
    ("GET", "/v1/refunds", list_refunds),
    ("GET", f"/v1/refunds/{_ID}", _retrieve("refund")),
    ("GET", "/v1/disputes", list_disputes),
    ("GET", f"/v1/disputes/{_ID}", _retrieve("dispute")),
    ("GET", "/v1/payouts", list_payouts),
    ("GET", f"/v1/payouts/{_ID}", _retrieve("payout")),
    ("GET", "/v1/balance_transactions", list_balance_transactions),
    ("GET", f"/v1/balance_transactions/{_ID}", _retrieve("balance_transaction")),
    ("GET", "/v1/balance", retrieve_balance),
    ("GET", "/v1/events", list_events),
    ("GET", f"/v1/prices/{_ID}", _retrieve("price")),
    ("GET", f"/v1/products/{_ID}", _retrieve("product")),
    ("GET", f"/v1/events/{_ID}", _retrieve("event")),
    ("POST", "/v1/billing_portal/sessions", create_portal_session),
]
_COMPILED = [(method, re.compile(pattern + "$"), handler) for method, pattern, handler in ROUTES]


def handle(standin, method, path, params, origin):
    """Runs the endpoint for `method path`; returns (status, body, records)."""
    for route_method, pattern, handler in _COMPILED:
        match = pattern.match(path)
        if match and route_method == method:
            try:
                return handler(standin, params, match.groupdict().get("id"), origin)
            except StripeError as error:
                return error.status, error.body(), []
    message = (
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/."
    )
    return 404, StripeError(message).body(), []


def auth_error(message):
    return 401, StripeError(message, status=401).body()


def unavailable_body(status):
    """The body of an answer forced by `fail_next`."""
    if status == 429:
        message = "Too many requests hit the API too quickly."
        return {
            "error": {"type": "invalid_request_error", "code": "rate_limit", "message": message}
        }
    message = "An unknown error occurred (the Stripe stand-in was told to fail this request)."
    return {"error": {"type": "api_error", "message": message}}


def idempotency_mismatch(key):
    message = (
        "Keys for idempotent requests can only be used with the same parameters they "
        f"were first used with. Try using a key other than '{key}' if you meant to "
        "execute a different request."
    )
    return 400, {"error": {"type": "idempotency_error", "message": message}}


def idempotency_in_flight(key):
    message = (
        "There is currently another in-progress request using this Stripe token (probably "
        f"the same idempotency key '{key}'). Please retry later."
    )
    return 409, {
        "error": {
            "type": "invalid_request_error",
            "code": "idempotency_key_in_use",
            "message": message,
        }
    }
