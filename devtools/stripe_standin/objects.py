"""Builders of Stripe API objects: customers, products, prices, checkout and portal
sessions, events and list envelopes.

Every builder returns a plain dict with the full field set of the object in the API
version the site pins (API_VERSION, see `shared/stripe-objects/`), with realistic
test-mode values: ids carry Stripe's prefixes, `livemode` is false, times are Unix
seconds. Keys that start with an underscore are the stand-in's own bookkeeping and
never leave it (`public`).
"""

import calendar
import contextlib
import copy
import json
import secrets
import string
import threading
import time
from datetime import UTC, datetime

# The stand-in answers in the version the site asks for, as Stripe does.
from donations.stripe_gateway import API_VERSION

_ALPHABET = string.ascii_letters + string.digits
# Stripe's checkout session ids are long (they double as a bearer secret in the URL).
_ID_LENGTHS = {"cs_test_": 58, "cus_": 14, "si_": 14, "prod_": 14}
ZERO_DECIMAL_CURRENCIES = {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
ZERO_DECIMAL_CURRENCIES |= {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}


def new_id(prefix):
    length = _ID_LENGTHS.get(prefix, 24)
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Clock:
    """The stand-in's time: the real time, or a moment a test set, frozen until it is
    set or advanced again (as Stripe's test clocks are). Every `created`, `available_on`
    and event time the stand-in writes comes from it, so a test can make a month of
    gifts with the dates a month of gifts has."""

    def __init__(self):
        self.frozen_at = None

    def now(self):
        return int(time.time()) if self.frozen_at is None else self.frozen_at

    def set(self, moment):
        """Freezes the clock at `moment` (Unix seconds or an aware datetime); None
        returns it to the real time."""
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                raise ValueError("The stand-in's clock needs an aware datetime (UTC).")
            moment = int(moment.timestamp())
        self.frozen_at = None if moment is None else int(moment)
        return self.now()

    def advance(self, seconds):
        return self.set(self.now() + int(seconds))


_local = threading.local()


@contextlib.contextmanager
def using_clock(clock):
    """Makes `now()` read `clock` in this thread: each request and control call runs
    in one, so two stand-ins in one process keep their own times."""
    previous = getattr(_local, "clock", None)
    _local.clock = clock
    try:
        yield clock
    finally:
        _local.clock = previous


def now():
    clock = getattr(_local, "clock", None)
    return clock.now() if clock is not None else int(time.time())


def add_month(timestamp):
    """The same day and time a month later, clamped to the month's end, as Stripe bills."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def add_year(timestamp):
    """The same day and time a year later; February 29 becomes February 28, as Stripe bills."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    day = min(moment.day, calendar.monthrange(moment.year + 1, moment.month)[1])
    return int(moment.replace(year=moment.year + 1, day=day).timestamp())


def add_period(timestamp, price_obj):
    """The end of one billing period of a recurring price that starts at `timestamp`:
    its `recurring.interval` (month or year; day and week as Stripe counts them) times
    its `interval_count`."""
    recurring = price_obj.get("recurring") or {}
    interval = recurring.get("interval", "month")
    for _ in range(recurring.get("interval_count") or 1):
        if interval == "year":
            timestamp = add_year(timestamp)
        elif interval == "month":
            timestamp = add_month(timestamp)
        else:
            timestamp += (7 if interval == "week" else 1) * 86400
    return timestamp


def format_amount(amount, currency):
    """`$52.00` for dollars, `5,200 JPY` for zero-decimal currencies."""
    currency = currency.lower()
    if currency in ZERO_DECIMAL_CURRENCIES:
        return f"{amount:,} {currency.upper()}"
    # Integer arithmetic: money is never a float, not even for display.
    major = f"{amount // 100:,}.{amount % 100:02d}"
    return f"${major}" if currency == "usd" else f"{major} {currency.upper()}"


def public(obj):
    """A deep copy of `obj` without the stand-in's own `_` keys. Objects hold only JSON
    values, and a JSON round trip copies them several times faster than deepcopy (lists
    of a hundred large objects are copied on every page)."""
    return json.loads(json.dumps({key: value for key, value in obj.items() if key[0] != "_"}))


def list_object(data, url, has_more=False):
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def empty_address():
    return dict.fromkeys(("city", "country", "line1", "line2", "postal_code", "state"))


def customer(*, email=None, name=None, metadata=None, description=None, phone=None):
    return {
        "id": new_id("cus_"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": description,
        "discount": None,
        "email": email,
        "invoice_prefix": "".join(secrets.choice(string.hexdigits.upper()[:16]) for _ in range(8)),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": metadata or {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def product(*, name, product_id=None):
    created = now()
    return {
        "id": product_id or new_id("prod_"),
        "object": "product",
        "active": True,
        "created": created,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }


def price(*, currency, unit_amount, product_id, interval=None, interval_count=1):
    recurring = None
    if interval:
        recurring = {
            "interval": interval,
            "interval_count": interval_count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    return {
        "id": new_id("price_"),
        "object": "price",
        "active": False,  # price_data makes an inline price, inactive outside its item
        "billing_scheme": "per_unit",
        "created": now(),
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if interval else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan_from_price(price_obj):
    """The legacy `plan` twin that subscription items still carry beside `price`."""
    recurring = price_obj["recurring"] or {}
    return {
        "id": price_obj["id"],
        "object": "plan",
        "active": price_obj["active"],
        "amount": price_obj["unit_amount"],
        "amount_decimal": price_obj["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price_obj["created"],
        "currency": price_obj["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": price_obj["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def checkout_line_item(price_obj, quantity, description):
    amount = price_obj["unit_amount"] * quantity
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price_obj["currency"],
        "description": description,
        "price": price_obj,
        "quantity": quantity,
    }


def checkout_session(*, base_url, params, line_items, customer_id, expires_in=24 * 3600):
    """An open session; `params` are the decoded create params (already validated)."""
    session_id = new_id("cs_test_")
    created = now()
    mode = params["mode"]
    amount = sum(item["amount_total"] for item in line_items)
    currency = line_items[0]["currency"] if line_items else params.get("currency")
    payment_mode = mode == "payment"
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": dict.fromkeys(
            ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")
        ),
        "customer": customer_id,
        "customer_account": None,
        "customer_creation": (params.get("customer_creation") or "if_required")
        if payment_mode and not customer_id
        else None,
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": created + expires_in,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        }
        if payment_mode
        else None,
        "livemode": False,
        "locale": params.get("locale"),
        "managed_payments": {"enabled": False},
        "metadata": params.get("metadata") or {},
        "mode": mode,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": params.get("payment_method_options") or {},
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": params.get("ui_mode") or "hosted_page",
        "url": f"{base_url}/checkout/{session_id}",
        "wallet_options": None,
        # Kept for the hosted page and for `expand[]=line_items`; never sent out.
        "_line_items": line_items,
        "_payment_intent_data": params.get("payment_intent_data") or {},
        "_subscription_data": params.get("subscription_data") or {},
    }


def customer_details(*, email, name):
    return {
        "address": empty_address(),
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def portal_session(*, base_url, customer_id, return_url, locale=None):
    session_id = new_id("bps_")
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": "bpc_standin_default",
        "created": now(),
        "customer": customer_id,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{base_url}/portal/{session_id}",
    }


def event(
    event_type,
    obj,
    *,
    previous_attributes=None,
    request_id=None,
    idempotency_key=None,
    pending_webhooks=1,
):
    """An event envelope holding a snapshot of `obj` as it is now."""
    data = {"object": public(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = copy.deepcopy(previous_attributes)
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
