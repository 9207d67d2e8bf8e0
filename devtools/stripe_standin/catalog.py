"""Customers, products and prices, and customer portal sessions.

Products need not exist beforehand: a `price_data[product]` naming an unknown product
creates it, so the site's configured STRIPE_PRODUCT_ID works against a fresh stand-in.
"""

from . import locales, objects
from .errors import (
    StripeError,
    as_dict,
    merge_metadata,
    one_of,
    require,
    require_nested,
    to_int,
    valid_url,
)
from .store import diff, snapshot

INTERVALS = ("day", "week", "month", "year")
DEFAULT_PRODUCT_NAME = "Donation"


def create_customer(store, params):
    customer = objects.customer(
        email=params.get("email") or None,
        name=params.get("name") or None,
        description=params.get("description") or None,
        phone=params.get("phone") or None,
        metadata=merge_metadata({}, params.get("metadata")),
    )
    return store.add(customer)


def update_customer(store, customer_id, params, origin):
    with store.lock:
        customer = store.get("customer", customer_id)
        before = snapshot(customer)
        for field in ("email", "name", "description", "phone"):
            if field in params:
                customer[field] = params[field] or None
        if "metadata" in params:
            customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
        changes = diff(before, objects.public(customer))
        records = (
            [store.emit("customer.updated", customer, previous=changes, origin=origin)]
            if changes
            else []
        )
    return customer, records


def _product_for(store, price_data, param):
    """The product a `price_data` names. Stripe answers 404 for an unknown product id;
    the stand-in creates it instead (named "Donation"), so that the site's configured
    STRIPE_PRODUCT_ID works against a fresh stand-in without any seeding."""
    if price_data.get("product_data"):
        product_data = as_dict(price_data["product_data"], f"{param}[product_data]")
        name = require_nested(product_data, "name", f"{param}[product_data]")
        return store.add(objects.product(name=name))
    product_id = require_nested(price_data, "product", param)
    with store.lock:
        existing = store.objects.get(product_id)
        if existing is None:
            product = objects.product(name=DEFAULT_PRODUCT_NAME, product_id=product_id)
            existing = store.add(product)
    return existing


def price_from_params(store, item, param, *, recurring_required):
    """A price for a line item or subscription item: `price` (an id) or `price_data`."""
    if item.get("price"):
        return store.get("price", item["price"], f"{param}[price]")
    price_data = as_dict(require_nested(item, "price_data", param), f"{param}[price_data]")
    p = f"{param}[price_data]"
    currency = require_nested(price_data, "currency", p).lower()
    unit_amount = to_int(
        require_nested(price_data, "unit_amount", p), f"{p}[unit_amount]", minimum=0
    )
    if currency not in objects.ZERO_DECIMAL_CURRENCIES and 0 < unit_amount < 50:
        raise StripeError(
            "The Checkout Session's total amount due must add up to at least $0.50 usd",
            code="amount_too_small",
            param=f"{p}[unit_amount]",
        )
    recurring = as_dict(price_data.get("recurring"), f"{p}[recurring]")
    interval = None
    if recurring:
        interval = one_of(
            require_nested(recurring, "interval", f"{p}[recurring]"),
            INTERVALS,
            f"{p}[recurring][interval]",
        )
    if recurring_required and not interval:
        raise StripeError(
            "You must provide at least one recurring price in `subscription` mode when "
            "using prices.",
            param=f"{p}[recurring]",
        )
    if not recurring_required and interval:
        raise StripeError(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=f"{p}[recurring]",
        )
    product = _product_for(store, price_data, p)
    interval_count = to_int(
        recurring.get("interval_count", 1), f"{p}[recurring][interval_count]", minimum=1
    )
    price = objects.price(
        currency=currency,
        unit_amount=unit_amount,
        product_id=product["id"],
        interval=interval,
        interval_count=interval_count,
    )
    return store.add(price)


def create_portal_session(store, params, base_url):
    customer_id = require(params, "customer")
    store.get("customer", customer_id, "customer")
    session = objects.portal_session(
        base_url=base_url,
        customer_id=customer_id,
        return_url=valid_url(params, "return_url"),
        locale=locales.portal_locale(params),
    )
    return store.add(session)
