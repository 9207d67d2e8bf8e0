"""Checkout Sessions: creating them through the API, and what happens when the donor
presses a button on the stand-in's hosted checkout page.

Each state change returns the event records it produced, in the order Stripe sends
them; the server delivers them. Everything runs under the store's lock so that two
clicks on "Pay" cannot both complete a session.
"""

from . import balance, billing, locales, objects, payments
from .catalog import price_from_params
from .errors import (
    StandinError,
    StripeError,
    as_dict,
    merge_metadata,
    one_of,
    require,
    to_int,
    valid_url,
)
from .store import diff, snapshot

MODES = ("payment", "subscription", "setup")
OUTCOMES = ("success", "decline", "delayed")
# The buttons of the hosted page, by the payment method type each pays with: a card
# pays or is declined at once, a US bank debit (`delayed`) stays pending.
OUTCOME_TYPES = {"success": payments.CARD, "decline": payments.CARD, "delayed": payments.BANK}
# The types the stand-in can pay with, and the others Stripe knows for Checkout: those
# are refused as not implemented, anything else as Stripe refuses an unknown type.
PAYMENT_METHOD_TYPES = (payments.CARD, payments.BANK)
OTHER_PAYMENT_METHOD_TYPES = (
    "acss_debit", "affirm", "afterpay_clearpay", "alipay", "alma", "amazon_pay",
    "au_becs_debit", "bacs_debit", "bancontact", "billie", "blik", "boleto", "cashapp",
    "crypto", "customer_balance", "eps", "fpx", "giropay", "grabpay", "ideal",
    "kakao_pay", "klarna", "konbini", "kr_card", "link", "mobilepay", "multibanco",
    "naver_pay", "nz_bank_account", "oxxo", "p24", "pay_by_bank", "payco", "paynow",
    "paypal", "pix", "promptpay", "revolut_pay", "samsung_pay", "satispay",
    "sepa_debit", "sofort", "swish", "twint", "wechat_pay", "zip",
)  # fmt: skip
VERIFICATION_METHODS = ("automatic", "instant")


def create_checkout_session(store, params, base_url):
    mode = one_of(require(params, "mode"), MODES, "mode")
    if mode == "setup":
        raise StripeError("The stand-in does not implement `setup` mode.", param="mode")
    if params.get("customer") and params.get("customer_email"):
        raise StripeError(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    if mode == "subscription" and params.get("payment_intent_data"):
        raise StripeError(
            "You can not pass `payment_intent_data` in `subscription` mode.",
            param="payment_intent_data",
        )
    if mode == "payment" and params.get("subscription_data"):
        raise StripeError(
            "You can not pass `subscription_data` in `payment` mode.",
            param="subscription_data",
        )
    if params.get("submit_type"):
        one_of(params["submit_type"], ("auto", "book", "donate", "pay", "subscribe"), "submit_type")
    for name in ("success_url", "cancel_url"):
        valid_url(params, name)
    params["locale"] = locales.checkout_locale(params)
    expires_in = 24 * 3600
    if params.get("expires_at"):
        expires_in = to_int(params["expires_at"], "expires_at") - objects.now()
        if not 30 * 60 <= expires_in <= 24 * 3600:
            raise StripeError(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                param="expires_at",
            )
    customer_id = params.get("customer") or None
    if customer_id:
        store.get("customer", customer_id, "customer")
    line_items = require(params, "line_items")
    if not isinstance(line_items, list):
        raise StripeError("Invalid array", param="line_items")
    items = []
    for index, item in enumerate(line_items):
        param = f"line_items[{index}]"
        item = as_dict(item, param)
        price = price_from_params(store, item, param, recurring_required=mode == "subscription")
        quantity = to_int(item.get("quantity", 1), f"{param}[quantity]", minimum=1)
        name = store.objects[price["product"]]["name"]
        items.append(objects.checkout_line_item(price, quantity, name))
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise StripeError("All line items must use the same currency.", param="line_items")
    params["payment_method_types"] = _payment_method_types(params, currencies)
    params["payment_method_options"] = _payment_method_options(params)
    params["metadata"] = merge_metadata({}, params.get("metadata"))
    for field in ("payment_intent_data", "subscription_data"):
        if field in params:
            data = as_dict(params[field], field)
            data["metadata"] = merge_metadata({}, data.get("metadata"), f"{field}[metadata]")
            params[field] = data
    future_usage = (params.get("payment_intent_data") or {}).get("setup_future_usage")
    if future_usage:
        one_of(
            future_usage, ("on_session", "off_session"), "payment_intent_data[setup_future_usage]"
        )
    session = objects.checkout_session(
        base_url=base_url,
        params=params,
        line_items=items,
        customer_id=customer_id,
        expires_in=expires_in,
    )
    return store.add(session)


def _payment_method_types(params, currencies):
    """The session's `payment_method_types`, checked as Stripe checks them: each one a
    type Stripe knows (the stand-in implements card and us_bank_account), and a US bank
    debit only in US dollars. Card when none is given (Checkout's own choice)."""
    types = params.get("payment_method_types")
    if types in (None, ""):
        return [payments.CARD]
    if not isinstance(types, list) or not types:
        raise StripeError("Invalid array", param="payment_method_types")
    for index, kind in enumerate(types):
        param = f"payment_method_types[{index}]"
        if kind in OTHER_PAYMENT_METHOD_TYPES:
            raise StripeError(f"The stand-in does not implement `{kind}`.", param=param)
        one_of(kind, PAYMENT_METHOD_TYPES + OTHER_PAYMENT_METHOD_TYPES, param)
    if payments.BANK in types and currencies - {"usd"}:
        raise StripeError(
            f"The currency provided ({min(currencies - {'usd'})}) is invalid for one or more "
            "payment method types on this Checkout Session. The payment method type "
            "us_bank_account supports: usd.",
            param="payment_method_types",
        )
    return list(types)


def _payment_method_options(params):
    """`payment_method_options`: the stand-in reads `us_bank_account.verification_method`
    (`automatic` unless given, for a session that takes a bank account)."""
    options = as_dict(params.get("payment_method_options"), "payment_method_options")
    bank = options.get(payments.BANK)
    if bank is None and payments.BANK in params["payment_method_types"]:
        bank = {}
    if bank is not None:
        bank = as_dict(bank, "payment_method_options[us_bank_account]")
        param = "payment_method_options[us_bank_account][verification_method]"
        bank["verification_method"] = one_of(
            bank.get("verification_method") or "automatic", VERIFICATION_METHODS, param
        )
        options[payments.BANK] = bank
    return options


def offered_outcomes(session):
    """The buttons the hosted page shows for a session: those of its payment method types."""
    return [
        outcome for outcome in OUTCOMES if OUTCOME_TYPES[outcome] in session["payment_method_types"]
    ]


def session_email(store, session):
    if session["customer"]:
        return store.get("customer", session["customer"])["email"]
    return session["customer_email"]


def pay(store, session_id, *, outcome="success", email=None, name=None):
    """What pressing a button on the hosted page does. `success` books the payment (and
    for a subscription its first invoice), `delayed` completes the session with the
    payment still pending, `decline` changes nothing. Raises StandinError when the
    session is not open, so a second press books nothing."""
    one_of(outcome, OUTCOMES, "outcome")
    with store.lock:
        session = store.get("checkout.session", session_id)
        if session["status"] != "open":
            raise StandinError(
                "This session is no longer available.", code="checkout_session_not_open"
            )
        if outcome not in offered_outcomes(session):
            raise StripeError(
                f"This Checkout Session does not accept `{OUTCOME_TYPES[outcome]}` payments.",
                param="outcome",
            )
        if outcome == "decline":
            return session, []
        email = session_email(store, session) or email or "test.donor@example.com"
        name = name or None
        method = payments.BANK if outcome == "delayed" else payments.CARD
        status = "pending" if outcome == "delayed" else "succeeded"
        customer = _customer_for(store, session, email, name)
        session.update(
            status="complete",
            customer=customer["id"] if customer else None,
            customer_details=objects.customer_details(email=email, name=name),
            collected_information={
                "business_name": None,
                "individual_name": None,
                "shipping_details": None,
            },
            payment_status="paid" if status == "succeeded" else "unpaid",
        )
        if session["mode"] == "payment":
            return session, _pay_once(store, session, method, status, email, name)
        return session, _subscribe(store, session, method, status, email, name)


def _customer_for(store, session, email, name):
    if session["customer"]:
        return store.get("customer", session["customer"])
    # Payment mode makes a "guest" (no customer object) unless asked to always create one.
    if session["mode"] == "payment" and session["customer_creation"] != "always":
        return None
    return store.add(objects.customer(email=email, name=name))


def _pay_once(store, session, method, status, email, name):
    intent_data = session["_payment_intent_data"]
    intent = payments.payment_intent(
        amount=session["amount_total"],
        currency=session["currency"],
        customer_id=session["customer"],
        metadata=dict(intent_data.get("metadata", {})),
        method=method,
        description=intent_data.get("description"),
    )
    # With setup_future_usage, Checkout attaches the payment method to the customer it
    # has (or creates), to be charged again later; without a customer it stays unattached.
    future_usage = intent_data.get("setup_future_usage") or None
    intent["setup_future_usage"] = future_usage
    payment_method = payments.payment_method(
        method=method,
        customer_id=session["customer"] if future_usage else None,
        billing_email=email,
        billing_name=name,
    )
    store.add(payment_method)
    intent["payment_method"] = payment_method["id"]
    charge = payments.charge(
        intent=intent, method=method, billing_email=email, billing_name=name, status=status
    )
    payments.settle(intent, charge)
    store.add(intent)
    store.add(charge)
    if status == "succeeded":
        balance.book_charge(store, charge)
    session["payment_intent"] = intent["id"]
    return [store.emit("checkout.session.completed", session)]


def _subscribe(store, session, method, status, email, name):
    customer = store.get("customer", session["customer"])
    item_line = session["_line_items"][0]
    start = objects.now()
    payment_method = store.add(
        payments.payment_method(
            method=method, customer_id=customer["id"], billing_email=email, billing_name=name
        )
    )
    subscription = billing.subscription(
        customer_id=customer["id"],
        currency=session["currency"],
        metadata=dict(session["_subscription_data"].get("metadata", {})),
        default_payment_method=payment_method["id"],
        status="active" if status == "succeeded" else "incomplete",
    )
    for line in session["_line_items"]:
        subscription["items"]["data"].append(
            billing.subscription_item(
                price_obj=line["price"],
                quantity=line["quantity"],
                subscription_id=subscription["id"],
                period_start=start,
                period_end=objects.add_period(start, line["price"]),
            )
        )
    store.add(subscription)
    # A subscription's first invoice covers the moment it starts (period_start ==
    # period_end), its lines the first period (a month or a year).
    invoice, intent = issue_invoice(
        store, subscription, customer, "subscription_create", start, start, item_line["description"]
    )
    charge = payments.charge(
        intent=intent, method=method, billing_email=email, billing_name=name, status=status
    )
    payments.settle(intent, charge)
    store.add(charge)
    if status == "succeeded":
        balance.book_charge(store, charge)
    session.update(subscription=subscription["id"], invoice=invoice["id"])
    records = [store.emit("customer.subscription.created", subscription)]
    if status == "succeeded":
        billing.mark_paid(invoice, store.find("invoice_payment", invoice=invoice["id"])[0])
        records.append(store.emit("checkout.session.completed", session))
        records.append(store.emit("invoice.paid", invoice))
    else:
        records.append(store.emit("checkout.session.completed", session))
    return records


def issue_invoice(store, subscription, customer, reason, period_start, period_end, product_name):
    """A new invoice of `subscription`, with its payment intent and invoice payment."""
    customer["next_invoice_sequence"] += 1
    invoice = billing.invoice(
        subscription_obj=subscription,
        customer_obj=customer,
        billing_reason=reason,
        period_start=period_start,
        period_end=period_end,
        number=customer["next_invoice_sequence"] - 1,
        product_name=product_name,
    )
    description = (
        "Subscription creation" if reason == "subscription_create" else "Subscription update"
    )
    intent = payments.payment_intent(
        amount=invoice["amount_due"],
        currency=invoice["currency"],
        customer_id=customer["id"],
        description=description,
        method=(payments.BANK if subscription["status"] == "incomplete" else payments.CARD),
    )
    intent["payment_method"] = subscription["default_payment_method"]
    store.add(invoice)
    store.add(intent)
    store.add(billing.invoice_payment(invoice_obj=invoice, intent=intent))
    subscription["latest_invoice"] = invoice["id"]
    return invoice, intent


def complete_delayed(store, session_id, succeeded=True):
    """Settles the pending bank debit of a session paid with the delayed method:
    `checkout.session.async_payment_succeeded` (the session turns `paid`; a
    subscription's first invoice is paid and the subscription turns `active`) or
    `..._failed`. Raises StandinError when nothing is pending, so it books once."""
    with store.lock:
        session = store.get("checkout.session", session_id)
        intent, invoice, payment = _pending_payment(store, session)
        charge = store.get("charge", intent["latest_charge"]) if intent else None
        if charge is None or charge["status"] != "pending":
            raise StandinError("This session has no pending payment.", code="no_pending_payment")
        if succeeded:
            charge.update(status="succeeded", paid=True, captured=True)
            charge.update(amount_captured=charge["amount"])
            balance.book_charge(store, charge)
            session["payment_status"] = "paid"
        else:
            charge.update(status="failed", failure_code="insufficient_funds")
            charge["failure_message"] = "The account has insufficient funds to cover this payment."
        payments.settle(intent, charge)
        records = []
        if invoice:
            records = _settle_first_invoice(store, session, invoice, payment, succeeded)
        kind = "succeeded" if succeeded else "failed"
        records.append(store.emit(f"checkout.session.async_payment_{kind}", session))
        return session, records


def _pending_payment(store, session):
    """(payment intent, invoice, invoice payment) of a completed session; Nones if open."""
    if session["status"] != "complete":
        return None, None, None
    if session["mode"] == "payment":
        return store.get("payment_intent", session["payment_intent"]), None, None
    invoice = store.get("invoice", session["invoice"])
    payment = store.find("invoice_payment", invoice=invoice["id"])[0]
    intent = store.get("payment_intent", payment["payment"]["payment_intent"])
    return intent, invoice, payment


def _settle_first_invoice(store, session, invoice, payment, succeeded):
    subscription = store.get("subscription", session["subscription"])
    if not succeeded:
        billing.mark_failed(invoice)
        return [store.emit("invoice.payment_failed", invoice)]
    before = snapshot(subscription)
    billing.mark_paid(invoice, payment)
    subscription["status"] = "active"
    return [
        store.emit("invoice.paid", invoice),
        store.emit(
            "customer.subscription.updated",
            subscription,
            previous=diff(before, objects.public(subscription)),
        ),
    ]


def expire_session(store, session_id, origin):
    with store.lock:
        session = store.get("checkout.session", session_id)
        if session["status"] != "open":
            raise StripeError(
                f'Only Checkout Sessions with a status in ["open"] can be expired. '
                f'This Checkout Session has a status of "{session["status"]}".',
                param="session",
            )
        session["status"] = "expired"
        return session, [store.emit("checkout.session.expired", session, origin=origin)]
