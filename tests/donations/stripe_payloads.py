"""Stripe objects and events for tests, built on Stripe's own example objects.

The JSON files beside this module are Stripe's OpenAPI fixtures of the current API
generation (copied from shared/stripe-objects); each builder deep-copies one and
fills in consistent ids, amounts and links, so payloads keep the real shape (for
instance `invoice.parent.subscription_details`, and no top-level
`invoice.subscription`).
"""

import copy
import itertools
import json
import time
from functools import cache
from pathlib import Path

from devtools.stripe_standin.signing import sign_payload
from donations.stripe_gateway import API_VERSION

HERE = Path(__file__).parent / "stripe_objects"
_counter = itertools.count(1)


@cache
def _fixture(name):
    return json.loads((HERE / f"{name}.json").read_text())


def fixture(name):
    return copy.deepcopy(_fixture(name))


def new_id(prefix):
    return f"{prefix}_test{next(_counter):06d}"


_customers = {}


def customer_for(email):
    """One Stripe customer id per address in a test run, as a returning payer's would be."""
    return _customers.setdefault(email.lower(), new_id("cus"))


def pledge_metadata(pledge):
    return {
        "pledge_id": str(pledge.public_id),
        "campaign_id": str(pledge.campaign_id),
        "campaign": pledge.campaign.slug,
    }


def checkout_session(pledge, *, payment_status="paid", pi_id=None, sub_id=None, invoice_id=None):
    session = fixture("checkout_session")
    monthly = pledge.frequency in ("monthly", "annual")  # a subscription either way
    session.update(
        id=new_id("cs"),
        mode="subscription" if monthly else "payment",
        status="complete",
        payment_status=payment_status,
        amount_total=pledge.amount_cents,
        amount_subtotal=pledge.amount_cents,
        currency=pledge.currency,
        customer=customer_for(pledge.email),
        client_reference_id=str(pledge.public_id),
        metadata=pledge_metadata(pledge),
        payment_intent=None if monthly else pi_id,
        subscription=sub_id if monthly else None,
        invoice=invoice_id if monthly else None,
        submit_type=None if monthly else "donate",
        ui_mode="hosted_page",
    )
    session["customer_details"] = {
        "email": pledge.email,
        "name": pledge.name,
        "address": None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
        "business_name": None,
        "individual_name": None,
    }
    return session


def payment_intent(pi_id, amount, *, metadata=None, wallet=None):
    pi = fixture("payment_intent")
    charge_obj = charge(pi_id, amount, wallet=wallet)
    pi.update(
        id=pi_id,
        amount=amount,
        amount_received=amount,
        status="succeeded",
        metadata=metadata or {},
        latest_charge=charge_obj,
        canceled_at=None,
    )
    return pi


def charge(pi_id, amount, *, amount_refunded=0, charge_id=None, wallet=None):
    ch = fixture("charge")
    ch.update(
        id=charge_id or f"ch_for_{pi_id}",
        # Each charge its own balance transaction (the fixture's id is one for all).
        balance_transaction=f"txn_for_{pi_id}",
        amount=amount,
        amount_captured=amount,
        amount_refunded=amount_refunded,
        refunded=amount_refunded >= amount,
        payment_intent=pi_id,
        status="succeeded",
        paid=True,
        captured=True,
    )
    ch["payment_method_details"]["type"] = "card"
    ch["payment_method_details"]["card"]["wallet"] = {"type": wallet} if wallet else None
    return ch


def invoice(
    sub_id,
    *,
    amount,
    metadata,
    invoice_id=None,
    pi_id=None,
    billing_reason="subscription_cycle",
    paid=True,
):
    inv = fixture("invoice")
    inv.pop("subscription", None)  # not in this API generation
    invoice_id = invoice_id or new_id("in")
    inv.update(
        id=invoice_id,
        amount_due=amount,
        amount_paid=amount if paid else 0,
        amount_remaining=0 if paid else amount,
        amount_overpaid=0,
        currency="usd",
        status="paid" if paid else "open",
        billing_reason=billing_reason,
        attempted=True,
        attempt_count=1,
    )
    inv["parent"] = {
        "type": "subscription_details",
        "quote_details": None,
        "subscription_details": {"subscription": sub_id, "metadata": metadata},
    }
    payment = fixture("invoice_payment")
    payment.update(
        id=new_id("inpay"),
        invoice=invoice_id,
        amount_paid=amount if paid else None,
        amount_requested=amount,
        currency="usd",
        status="paid" if paid else "open",
    )
    payment["payment"] = {
        "type": "payment_intent",
        "payment_intent": pi_id or f"pi_for_{invoice_id}",
    }
    inv["payments"] = {
        "object": "list",
        "data": [payment],
        "has_more": False,
        "url": "/v1/invoice_payments",
    }
    inv["status_transitions"]["paid_at"] = int(time.time()) if paid else None
    return inv


def subscription(sub_id, *, status="active", amount=5000, metadata=None, canceled_at=None):
    sub = fixture("subscription")
    sub.update(id=sub_id, status=status, metadata=metadata or {}, canceled_at=canceled_at)
    item = sub["items"]["data"][0]
    item["price"]["unit_amount"] = amount
    item["price"]["recurring"]["interval"] = "month"
    item["subscription"] = sub_id
    return sub


def balance_transaction(txn_id, amount, source, *, fee=None, kind="charge", created=None):
    """A balance transaction as Stripe shows it: Stripe's card fee (2.9% + 30¢) unless
    `fee` is given, and net = amount - fee."""
    fee = (abs(amount) * 29 + 500) // 1000 + 30 if fee is None else fee
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": created or 1_760_000_000,
        "created": created or 1_760_000_000,
        "currency": "usd",
        "description": None,
        "fee": fee,
        "fee_details": [
            {"amount": fee, "currency": "usd", "description": "Stripe fee", "type": "stripe_fee"}
        ],
        "net": amount - fee,
        "reporting_category": kind,
        "source": source,
        "status": "available",
        "type": kind,
    }


def dispute(pi_id, *, amount, status="needs_response", dispute_id=None, charge_id=None):
    dp = fixture("dispute")
    dp.update(
        id=dispute_id or new_id("dp"),
        amount=amount,
        payment_intent=pi_id,
        charge=charge_id or f"ch_for_{pi_id}",
        status=status,
    )
    return dp


def event(event_type, obj, *, created=None, event_id=None):
    ev = fixture("event")
    ev.update(
        id=event_id or new_id("evt"),
        type=event_type,
        created=created or int(time.time()),
        api_version=API_VERSION,
        livemode=False,
        pending_webhooks=1,
    )
    ev["data"] = {"object": copy.deepcopy(obj)}
    return ev


def signed(ev, secret):
    body = json.dumps(ev).encode()
    return body, sign_payload(body, secret)
