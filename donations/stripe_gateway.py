"""The Stripe boundary: the only module that imports `stripe`.

Everything else calls these functions and gets plain dicts (the JSON Stripe sent),
read into plain facts by donations.stripe_facts, or one of two
exceptions: `StripeUnavailable` when Stripe cannot be reached or fails on
its side (nothing was charged; try again), `StripeRejected` when Stripe refused the
request itself (a bug or misconfiguration on our side). Settings: STRIPE_SECRET_KEY,
STRIPE_WEBHOOK_SECRET, STRIPE_PRODUCT_ID, STRIPE_API_BASE (empty for Stripe itself;
the offline stand-in in development and tests), STRIPE_TIMEOUT, STRIPE_MAX_RETRIES.
"""

import json
import logging
import math
import re
import time
from functools import cache

import stripe
from django.conf import settings

from oca_site.redaction import redact_addresses

logger = logging.getLogger(__name__)

# The one place the API version is written: the client pins it, and the offline
# stand-in (devtools) answers in its shapes.
API_VERSION = "2026-10-28.endive"
# How old a signed webhook may be: Stripe's own default, against replayed captures.
WEBHOOK_TOLERANCE_SECONDS = 300


# The site's languages as Stripe names its page locales; any other shows Stripe's
# pages in the browser's language.
LOCALES = {"en": "en", "es": "es"}


def stripe_locale(language):
    return LOCALES.get(language, "auto")


class StripeUnavailable(Exception):
    """Stripe could not be reached, timed out, or failed on its side."""


class StripeRejected(Exception):
    """Stripe answered, refusing the request (invalid parameters, bad key...)."""


class InvalidSignature(Exception):
    """A webhook body whose Stripe-Signature is missing, wrong or too old."""


@cache
def _client(api_key, api_base, timeout, retries):
    base_addresses = {"api": api_base} if api_base else None
    return stripe.StripeClient(
        api_key,
        stripe_version=API_VERSION,
        base_addresses=base_addresses,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def client():
    return _client(
        settings.STRIPE_SECRET_KEY,
        settings.STRIPE_API_BASE,
        settings.STRIPE_TIMEOUT,
        settings.STRIPE_MAX_RETRIES,
    )


def _for_log(error):
    # Stripe quotes what it refuses ("Invalid email address: ..."); a log line never
    # carries a donor's address.
    return redact_addresses(str(error.user_message or error))


def _call(method, *args, **kwargs):
    try:
        result = method(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        logger.warning("Stripe unreachable: %s", _for_log(error))
        raise StripeUnavailable(str(error)) from error
    except stripe.APIError as error:
        logger.warning("Stripe failed: %s", _for_log(error))
        raise StripeUnavailable(str(error)) from error
    except stripe.StripeError as error:
        logger.error("Stripe refused a request: %s", _for_log(error))
        raise StripeRejected(str(error)) from error
    return result.to_dict(recursive=True) if hasattr(result, "to_dict") else result


def create_checkout_session(*, pledge, success_url, cancel_url):
    """Opens a hosted Checkout Session for a pledge (idempotent by the pledge's key).

    The typed address only prefills Checkout (`customer_email`): no existing Stripe
    customer is passed, so Checkout never shows anyone's saved cards to whoever typed
    their address. Checkout creates the customer once the payment is made
    (`customer_creation="always"`; subscriptions always make one). Checkout's page is
    in the pledge's language (`locale`).
    """
    metadata = {
        "pledge_id": str(pledge.public_id),
        "campaign_id": str(pledge.campaign_id),
        "campaign": pledge.campaign.slug,
    }
    price_data = {
        "currency": pledge.currency,
        "product": settings.STRIPE_PRODUCT_ID,
        "unit_amount": pledge.amount_cents,
    }
    params = {
        "submit_type": "donate",
        "customer_email": pledge.email,
        "client_reference_id": str(pledge.public_id),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": stripe_locale(pledge.language),
        "metadata": metadata,
        "line_items": [{"price_data": price_data, "quantity": 1}],
    }
    if pledge.payment_method == "bank":
        params["payment_method_types"] = ["us_bank_account"]
        # Instant verification through Financial Connections where the bank offers it,
        # micro-deposits otherwise; the payment stays pending either way until
        # `checkout.session.async_payment_*` settles it.
        params["payment_method_options"] = {"us_bank_account": {"verification_method": "automatic"}}
    if pledge.interval:
        price_data["recurring"] = {"interval": pledge.interval}
        params["mode"] = "subscription"
        params["subscription_data"] = {"metadata": metadata}
        # Stripe allows submit_type only in payment mode.
        del params["submit_type"]
    else:
        params["mode"] = "payment"
        params["customer_creation"] = "always"
        params["payment_intent_data"] = {"metadata": metadata}
        offered = pledge.campaign.monthly_upgrade_cents(pledge.gift_cents) is not None
        if offered and pledge.payment_method != "bank":
            # Saves the card on the customer Checkout creates, for the monthly gift the
            # thank-you page may offer (donations.upgrades); Checkout tells the donor
            # their card will be saved for future payments. Never a bank account: no
            # offer follows a bank debit, and saving one would have the donor sign a
            # mandate for future debits that nothing will make. Nor the card of a gift
            # below every tier of the campaign, which gets no offer either.
            params["payment_intent_data"]["setup_future_usage"] = "off_session"
    return _call(
        client().v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": pledge.idempotency_key},
    )


def retrieve_checkout_session(session_id):
    return _call(
        client().v1.checkout.sessions.retrieve,
        session_id,
        # The charge tells the card or wallet used; a subscription's first invoice,
        # with its payments (not included unless asked), books the first monthly charge.
        params={"expand": ["payment_intent.latest_charge", "invoice.payments"]},
    )


def retrieve_payment_intent(payment_intent_id):
    return _call(
        client().v1.payment_intents.retrieve,
        payment_intent_id,
        params={"expand": ["latest_charge"]},
    )


def retrieve_invoice_payment_intent(invoice_id):
    """The PaymentIntent (with its charge) that paid an invoice, or None.

    Since API version basil an invoice names its payments only when asked, through
    the invoice payments list; the charge tells the card or wallet used, and the
    PaymentIntent id is what a later refund or dispute refers to.
    """
    payments = _call(client().v1.invoice_payments.list, params={"invoice": invoice_id})
    for payment in payments.get("data") or []:
        pi = (payment.get("payment") or {}).get("payment_intent")
        if pi and payment.get("status") in (None, "paid"):
            return retrieve_payment_intent(pi if isinstance(pi, str) else pi["id"])
    return None


def retrieve_subscription(subscription_id):
    return _call(client().v1.subscriptions.retrieve, subscription_id)


def create_upgrade_subscription(*, pledge, customer_id, payment_method_id, first_charge_at):
    """Starts the monthly gift of an upgrade pledge on a saved card, charged first at
    `first_charge_at` (an aware datetime) and then every month, until canceled.

    The first charge is the billing cycle anchor, with no proration: the days until
    then are not billed (Stripe makes a $0 invoice for them). A trial (`trial_end`)
    would start the same day, but the subscription would read "trialing", Stripe would
    send trial-ending notices, and the portal would call the gift a free trial.
    Idempotent by the pledge's key: a double click makes one subscription.
    """
    metadata = {
        "pledge_id": str(pledge.public_id),
        "campaign_id": str(pledge.campaign_id),
        "campaign": pledge.campaign.slug,
    }
    return _call(
        client().v1.subscriptions.create,
        params={
            "customer": customer_id,
            "default_payment_method": payment_method_id,
            "items": [
                {
                    "price_data": {
                        "currency": pledge.currency,
                        "product": settings.STRIPE_PRODUCT_ID,
                        "unit_amount": pledge.amount_cents,
                        "recurring": {"interval": "month"},
                    }
                }
            ],
            "billing_cycle_anchor": int(first_charge_at.timestamp()),
            "proration_behavior": "none",
            "off_session": True,
            "metadata": metadata,
        },
        options={"idempotency_key": pledge.idempotency_key},
    )


def change_subscription_amount(subscription_id, *, amount_cents, currency):
    """Sets a recurring gift's amount from the next charge on, without proration.

    The new price recurs as the old one did (a yearly gift stays yearly): Stripe would
    otherwise move the billing date to today on a change of interval.
    """
    subscription = retrieve_subscription(subscription_id)
    item = subscription["items"]["data"][0]
    recurring = (item.get("price") or {}).get("recurring") or {}
    return _call(
        client().v1.subscriptions.update,
        subscription_id,
        params={
            "items": [
                {
                    "id": item["id"],
                    "price_data": {
                        "currency": currency,
                        "product": settings.STRIPE_PRODUCT_ID,
                        "unit_amount": amount_cents,
                        "recurring": {
                            "interval": recurring.get("interval") or "month",
                            "interval_count": recurring.get("interval_count") or 1,
                        },
                    },
                }
            ],
            "proration_behavior": "none",
        },
    )


def create_portal_session(*, customer_id, return_url, locale=None):
    """A customer portal session; `locale` is a language of the site (None: Stripe's choice)."""
    params = {"customer": customer_id, "return_url": return_url}
    if locale:
        params["locale"] = stripe_locale(locale)
    return _call(client().v1.billing_portal.sessions.create, params=params)


# Fees and payouts (donations.balance, donations.payouts) ----------------------------


def retrieve_balance_transaction(txn_id):
    """One balance transaction: a charge's gross, Stripe's fee and the net."""
    return _call(client().v1.balance_transactions.retrieve, txn_id)


def refunds_of_charge(charge_id):
    """Every refund of a charge, each with its balance transaction expanded."""
    return list(
        _list_all(
            client().v1.refunds.list,
            {"charge": charge_id, "expand": ["data.balance_transaction"]},
        )
    )


def payout_balance_transactions(payout_id):
    """Every balance transaction an (automatic) payout paid out, and its own, each
    with its source expanded (the charge, refund or dispute it is about)."""
    return list(
        _list_all(
            client().v1.balance_transactions.list,
            {"payout": payout_id, "expand": ["data.source"]},
        )
    )


class MalformedEvent(Exception):
    """A correctly signed webhook body that is not an event as Stripe sends them."""


# Stripe's objects nest a few levels deep; a body nested deeper is not from Stripe
# (and could not be stored as a parked event).
MAX_EVENT_DEPTH = 32
# Ids and types as Stripe writes them ("evt_1Nv...", "checkout.session.completed").
_EVENT_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
_EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,100}")


def parse_webhook(payload, signature):
    """Verifies a webhook body against its Stripe-Signature header; returns the event.

    Raises InvalidSignature when the signature is missing, wrong or too old, and
    MalformedEvent when a correctly signed body is not an event as Stripe sends
    them (see check_event).
    """
    if not signature or not signature.isascii():
        # Non-ASCII digests would make the constant-time comparison raise TypeError.
        raise InvalidSignature("missing or non-ASCII Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=WEBHOOK_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
        raise InvalidSignature(str(error)) from error
    try:
        event = json.loads(payload, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        # RecursionError: thousands of nested brackets.
        raise MalformedEvent(f"not JSON: {str(error)[:200]}") from error
    check_event(event, now=time.time())
    return event


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def check_event(event, *, now):
    """Refuses (MalformedEvent) what Stripe never sends around an event's object.

    An event is a JSON object with "object": "event", an id and a type that are
    Stripe-like strings, a `created` time that is not ahead of Stripe's clock (more
    than the signature's tolerance ahead of ours) and an object under data.object.
    No string may hold a NUL character or an unpaired surrogate, no number may be
    infinite, and nothing may nest deeper than MAX_EVENT_DEPTH: PostgreSQL could
    not store such an event (a refund that arrives before its payment is parked
    whole), and Stripe sends none. The handlers check the object itself.
    """
    if not isinstance(event, dict) or event.get("object") != "event":
        raise MalformedEvent("not a Stripe event")
    if not isinstance(event.get("id"), str) or not _EVENT_ID.fullmatch(event["id"]):
        raise MalformedEvent("the event id is not a Stripe id")
    if not isinstance(event.get("type"), str) or not _EVENT_TYPE.fullmatch(event["type"]):
        raise MalformedEvent("the event type is not a Stripe event type")
    created = event.get("created")
    if type(created) is not int or created <= 0:
        raise MalformedEvent("created is not a time")
    if created > now + WEBHOOK_TOLERANCE_SECONDS:
        raise MalformedEvent("created is in the future")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("data.object is not an object")
    _check_storable(event)


def _check_storable(value):
    """Walks the whole document without recursion (its depth is what is checked)."""
    stack = [(value, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_EVENT_DEPTH:
            raise MalformedEvent("nested too deeply")
        if isinstance(value, dict):
            stack.extend((key, depth + 1) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value or not _encodable(value):
                raise MalformedEvent("a string PostgreSQL cannot store")
        elif isinstance(value, float) and not math.isfinite(value):
            raise MalformedEvent("an infinite number")


def _encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False  # an unpaired surrogate ("\\ud800" in the JSON)
    return True


# Listing a period's objects (donations.reconcile) -----------------------------------
#
# Each list is read page by page (`starting_after`, at most 100 a page) and handed
# back one plain dict at a time, so a month of twenty thousand charges never sits in
# memory at once. A failure on any page raises StripeUnavailable or StripeRejected:
# the caller stops there, and what it booked from the earlier pages stays booked.

PAGE_SIZE = 100


def _created(since, until):
    """Stripe's `created` filter for [since, until): aware datetimes, either None."""
    created = {}
    if since is not None:
        created["gte"] = int(since.timestamp())
    if until is not None:
        # Stripe counts whole seconds: what was created in the second `until` falls in
        # belongs to the period (a run up to "now" sees what was made a moment ago).
        created["lt"] = math.ceil(until.timestamp())
    return {"created": created} if created else {}


def _list_all(method, params):
    params = {**params, "limit": PAGE_SIZE}
    while True:
        page = _call(method, params=params)
        data = page.get("data") or []
        yield from data
        if not page.get("has_more") or not data:
            return
        params["starting_after"] = data[-1]["id"]


def list_checkout_sessions(*, since, until):
    """The period's completed Checkout Sessions (one-time and monthly)."""
    return _list_all(
        client().v1.checkout.sessions.list, {"status": "complete", **_created(since, until)}
    )


def list_paid_invoices(*, since, until):
    """The period's paid invoices, each with its payments (which name the PaymentIntent)."""
    return _list_all(
        client().v1.invoices.list,
        {"status": "paid", "expand": ["data.payments"], **_created(since, until)},
    )


def list_charges(*, since, until):
    return _list_all(client().v1.charges.list, _created(since, until))


def list_refunds(*, since, until):
    return _list_all(client().v1.refunds.list, _created(since, until))


def list_disputes(*, since, until):
    return _list_all(client().v1.disputes.list, _created(since, until))


def list_subscriptions(*, until):
    """Every subscription started before `until`, whatever its status now."""
    return _list_all(client().v1.subscriptions.list, {"status": "all", **_created(None, until)})


def retrieve_charge(charge_id):
    return _call(client().v1.charges.retrieve, charge_id)


def retrieve_dispute(dispute_id):
    return _call(client().v1.disputes.retrieve, dispute_id)


def list_balance_transactions(*, since, until):
    """The period's balance transactions, each with its source (charge, refund...)."""
    return _list_all(
        client().v1.balance_transactions.list,
        {"expand": ["data.source"], **_created(since, until)},
    )


def list_payouts(*, since, until):
    return _list_all(client().v1.payouts.list, _created(since, until))
