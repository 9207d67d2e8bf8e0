"""Fixtures and helpers shared by the webhook tests."""

import json
import re

import pytest
import responses

from campaigns.models import Campaign, FeedItem
from donations.models import Gift, MonthlyGift, Pledge

from . import stripe_payloads as sp

WEBHOOK_URL = "/stripe/webhook/"


@pytest.fixture
def make_pledge(campaign):
    def make(email="ana@example.org", name="Ana Lopez", frequency="once", amount=5000, **kw):
        return Pledge.objects.create(
            campaign=campaign,
            name=name,
            email=email,
            frequency=frequency,
            gift_cents=amount,
            amount_cents=amount,
            display_as=kw.pop("display_as", "full"),
            status=Pledge.Status.OPEN,
            **kw,
        )

    return make


@pytest.fixture
def stripe_api():
    """Answers the client's payment-intent lookups as Stripe would (HTTP intercepted).

    `stripe_api.amounts[pi_id] = cents` registers a payment intent (and its charge's
    balance transaction) and
    `stripe_api.invoice_payments[invoice_id] = pi_id` the payment of an invoice; any
    other request to Stripe fails as if Stripe were unreachable.
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.amounts = {}
        mock.wallets = {}

        def answer(request):
            pi_id = request.path_url.split("?")[0].rsplit("/", 1)[-1]
            if pi_id not in mock.amounts:
                return (
                    404,
                    {},
                    '{"error": {"type": "invalid_request_error", "code": "resource_missing"}}',
                )
            body = sp.payment_intent(pi_id, mock.amounts[pi_id], wallet=mock.wallets.get(pi_id))
            return 200, {"Request-Id": "req_test"}, json.dumps(body)

        mock.invoice_payments = {}

        def list_invoice_payments(request):
            invoice_id = request.params.get("invoice")
            data = []
            if invoice_id in mock.invoice_payments:
                payment = sp.fixture("invoice_payment")
                payment.update(id=sp.new_id("inpay"), invoice=invoice_id, status="paid")
                payment["payment"] = {
                    "type": "payment_intent",
                    "payment_intent": mock.invoice_payments[invoice_id],
                }
                data.append(payment)
            body = {
                "object": "list",
                "data": data,
                "has_more": False,
                "url": "/v1/invoice_payments",
            }
            return 200, {}, json.dumps(body)

        def retrieve_balance_transaction(request):
            # A charge's transaction, as the charges above name it: 2.9% + 30¢.
            txn_id = request.path_url.split("?")[0].rsplit("/", 1)[-1]
            pi_id = txn_id.removeprefix("txn_for_")
            if pi_id not in mock.amounts:
                return 404, {}, '{"error": {"type": "invalid_request_error"}}'
            body = sp.balance_transaction(txn_id, mock.amounts[pi_id], f"ch_for_{pi_id}")
            return 200, {}, json.dumps(body)

        def list_refunds(request):
            body = {"object": "list", "data": [], "has_more": False, "url": "/v1/refunds"}
            return 200, {}, json.dumps(body)

        mock.add_callback(
            responses.GET,
            re.compile(r"https://api\.stripe\.com/v1/balance_transactions/[^/?]+"),
            callback=retrieve_balance_transaction,
            content_type="application/json",
        )
        mock.add_callback(
            responses.GET,
            re.compile(r"https://api\.stripe\.com/v1/refunds"),
            callback=list_refunds,
            content_type="application/json",
        )
        mock.add_callback(
            responses.GET,
            re.compile(r"https://api\.stripe\.com/v1/invoice_payments"),
            callback=list_invoice_payments,
            content_type="application/json",
        )
        mock.add_callback(
            responses.GET,
            re.compile(r"https://api\.stripe\.com/v1/payment_intents/[^/?]+"),
            callback=answer,
            content_type="application/json",
        )
        yield mock


def deliver(client, event, secret="whsec_test_suite"):
    body, signature = sp.signed(event, secret)
    return client.post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def ledger_snapshot():
    """Everything the ledger says, without ids and times that depend on arrival order."""
    gifts = sorted(
        (
            g.stripe_payment_intent_id or "",
            g.stripe_invoice_id or "",
            g.donor.email,
            g.frequency,
            g.amount_cents,
            g.refunded_cents,
            g.status,
            g.counted,
            g.dispute,
            g.starts_monthly,
        )
        for g in Gift.objects.select_related("donor")
    )
    monthly = sorted(
        (m.stripe_subscription_id, m.status, m.amount_cents, m.donor.email)
        for m in MonthlyGift.objects.select_related("donor")
    )
    progress = sorted(Campaign.objects.values_list("slug", "donor_count", "raised_cents"))
    feed = sorted(
        FeedItem.objects.filter(withdrawn=False, hidden=False).values_list("kind", "display_name")
    )
    return {"gifts": gifts, "monthly": monthly, "progress": progress, "feed": feed}
