"""The offline Stripe stand-in, driven through the real stripe-python client.

A tiny HTTP server in each test plays the site's webhook endpoint and keeps what it
received, so the tests check what the site would see: signed event bodies, redirects,
objects retrieved through `StripeClient`.
"""

import json
import time
from html.parser import HTMLParser

import pytest
import requests
import stripe
from django.core.management import CommandError, call_command

from devtools.stripe_standin import StandinError, StripeStandin, sign_payload
from devtools.stripe_standin.forms import decode_form
from donations.stripe_gateway import API_VERSION

from .standin_helpers import (
    CANCEL_URL,
    METADATA,
    SECRET,
    SHAPES,
    SUCCESS_URL,
    open_session,
    press,
    session_params,
    shape,
)


def test_it_signs_payloads_as_stripe_does():
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "invoice.paid"}).encode()
    header = sign_payload(payload, SECRET, timestamp=int(time.time()))

    event = stripe.Webhook.construct_event(payload, header, SECRET)
    assert event.type == "invoice.paid"
    stripe.WebhookSignature.verify_header(payload.decode(), header, SECRET)
    timestamp = int(header.split(",")[0][2:])
    expected = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), SECRET, timestamp
    )
    assert header == expected
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace(b"paid", b"void"), header, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")


@pytest.mark.parametrize("http_client", [stripe.RequestsClient, stripe.UrllibClient])
def test_it_completes_a_one_time_gift(standin, receiver, http_client):
    client = stripe.StripeClient(
        "sk_test_standin",
        base_addresses={"api": standin.url},
        max_network_retries=0,
        http_client=http_client(),
    )
    session = client.v1.checkout.sessions.create(
        params=session_params(customer_email="ada@example.org"),
        options={"idempotency_key": "pledge-1"},
    )
    assert session.object == "checkout.session"
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency, session.livemode) == (5200, "usd", False)
    assert session.url == f"{standin.url}/checkout/{session.id}"
    assert session.expires_at > session.created

    page = requests.get(session.url)
    assert page.status_code == 200
    assert "Test mode checkout (no real money moves)" in page.text
    assert "$52.00" in page.text and "/ month" not in page.text
    assert "ada@example.org" in page.text
    for element_id in ("pay", "decline", "cancel"):
        assert f'id="{element_id}"' in page.text
    # A card session offers no bank debit (test_stripe_standin_bank.py).
    assert 'id="delayed"' not in page.text
    assert f'href="{CANCEL_URL}"' in page.text

    answer = press(session)
    assert answer.status_code == 303
    assert answer.headers["Location"] == SUCCESS_URL.replace("{CHECKOUT_SESSION_ID}", session.id)

    ((headers, body),) = receiver.deliveries
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
    assert event.type == "checkout.session.completed"
    assert event.id.startswith("evt_") and event.api_version == API_VERSION
    completed = event.data.object
    assert (completed.id, completed.status, completed.payment_status) == (
        session.id,
        "complete",
        "paid",
    )
    assert completed.metadata.to_dict() == METADATA
    assert completed.customer_details.email == "ada@example.org"

    paid = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    assert paid.payment_status == "paid"
    assert paid.payment_intent.status == "succeeded"
    assert paid.payment_intent.amount_received == 5200
    assert paid.payment_intent.metadata.to_dict() == METADATA
    charge = paid.payment_intent.latest_charge
    assert charge.id.startswith("ch_") and charge.paid
    assert charge.payment_method_details.type == "card"
    assert charge.payment_method_details.card.last4 == "4242"
    assert standin.events[0]["delivery"]["delivered"] is True


def test_it_runs_a_monthly_gift(client, standin, receiver, monthly):
    subscription = monthly.subscription
    assert receiver.types() == [
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.paid",
    ]
    created, completed, first_paid = receiver.events()
    assert created.data.object.metadata.to_dict() == METADATA
    assert completed.data.object.subscription == subscription.id
    assert completed.data.object.invoice == first_paid.data.object.id
    invoice = first_paid.data.object
    assert invoice.billing_reason == "subscription_create"
    assert (invoice.status, invoice.amount_paid) == ("paid", 5200)
    assert invoice.parent.type == "subscription_details"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.parent.subscription_details.metadata.to_dict() == METADATA
    assert "subscription" not in invoice and "charge" not in invoice
    item = subscription["items"].data[0]
    assert item.id.startswith("si_") and item.price.recurring.interval == "month"
    assert subscription.status == "active"

    renewal = standin.renew(subscription.id)
    assert receiver.types()[-1] == "invoice.paid"
    cycle = receiver.events()[-1].data.object
    assert cycle.id == renewal["id"] != invoice.id
    assert cycle.billing_reason == "subscription_cycle"
    assert cycle.parent.subscription_details.subscription == subscription.id
    payments = client.v1.invoice_payments.list(params={"invoice": cycle.id})
    (payment,) = payments.data
    assert payment.id.startswith("inpay_") and payment.status == "paid"
    intent = client.v1.payment_intents.retrieve(
        payment.payment.payment_intent, params={"expand": ["latest_charge"]}
    )
    assert intent.status == "succeeded" and intent.latest_charge.amount == 5200
    expanded = client.v1.invoices.retrieve(cycle.id, params={"expand": ["payments"]})
    assert expanded.payments.data[0].payment.payment_intent == intent.id

    standin.renew(subscription.id, fail=True)
    assert receiver.types()[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
    failed, updated = receiver.events()[-2:]
    assert failed.data.object.status == "open"
    assert failed.data.object.parent.subscription_details.subscription == subscription.id
    assert updated.data.object.status == "past_due"
    assert updated.data.previous_attributes.status == "active"


def test_it_changes_the_amount_of_a_monthly_gift(client, standin, receiver, monthly):
    item = monthly.subscription["items"].data[0]
    new_price = {
        "currency": "usd",
        "product": "prod_donation",
        "unit_amount": 7500,
        "recurring": {"interval": "month"},
    }
    updated = client.v1.subscriptions.update(
        monthly.subscription.id,
        params={
            "items": [{"id": item.id, "price_data": new_price}],
            "proration_behavior": "none",
            "metadata": {"note": "raised"},
        },
        options={"idempotency_key": "raise-1"},
    )
    assert updated["items"].data[0].price.unit_amount == 7500
    assert updated["items"].data[0].id == item.id
    assert standin.wait_for_deliveries()
    event = receiver.events()[-1]
    assert event.type == "customer.subscription.updated"
    assert event.data.object["items"].data[0].price.unit_amount == 7500
    assert event.data.object.metadata.to_dict() == METADATA | {"note": "raised"}
    assert "items" in event.data.previous_attributes
    assert event.request.idempotency_key == "raise-1"
    assert standin.renew(monthly.subscription.id)["amount_paid"] == 7500

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.update(
            monthly.subscription.id, params={"items": [{"id": "si_nope", "price": "x"}]}
        )
    assert error.value.param == "items[0][id]"


def test_it_cancels_a_monthly_gift_from_the_portal(client, standin, receiver, monthly):
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": monthly.customer, "return_url": "http://127.0.0.1:9/account/"}
    )
    assert portal.object == "billing_portal.session" and portal.id.startswith("bps_")
    assert portal.url == f"{standin.url}/portal/{portal.id}"

    page = requests.get(portal.url)
    assert "$52.00 / month" in page.text and "active" in page.text
    assert 'id="cancel-subscription"' in page.text
    assert 'href="http://127.0.0.1:9/account/"' in page.text

    answer = requests.post(
        portal.url, data={"subscription": monthly.subscription.id}, allow_redirects=False
    )
    assert answer.status_code == 303
    assert receiver.types()[-1] == "customer.subscription.deleted"
    deleted = receiver.events()[-1].data.object
    assert (deleted.id, deleted.status) == (monthly.subscription.id, "canceled")
    assert deleted.cancellation_details.reason == "cancellation_requested"

    confirmation = requests.get(standin.url + answer.headers["Location"])
    assert "Your subscription has been canceled" in confirmation.text
    assert "Return to site" in confirmation.text
    assert 'id="cancel-subscription"' not in confirmation.text


def test_it_cancels_through_the_api(client, standin, receiver, monthly):
    canceled = client.v1.subscriptions.cancel(monthly.subscription.id)
    assert canceled.status == "canceled" and canceled.ended_at
    assert standin.wait_for_deliveries()
    assert receiver.types()[-1] == "customer.subscription.deleted"
    with pytest.raises(StandinError):
        standin.renew(monthly.subscription.id)


def test_it_replays_requests_with_the_same_idempotency_key(client, standin):
    options = {"idempotency_key": "pledge-42"}
    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    again = client.v1.checkout.sessions.create(params=session_params(), options=options)
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(standin.store.find("checkout.session")) == 1

    with pytest.raises(stripe.IdempotencyError) as error:
        client.v1.checkout.sessions.create(params=session_params(amount=9900), options=options)
    assert error.value.http_status == 400
    assert error.value.error.type == "idempotency_error"


def test_it_answers_errors_as_stripe_does(client, standin):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.retrieve("cs_test_missing")
    assert (error.value.http_status, error.value.code) == (404, "resource_missing")
    assert error.value.param == "id"

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params={"line_items": []})
    assert (error.value.http_status, error.value.param) == (400, "mode")

    recurring_once = session_params()
    recurring_once["line_items"][0]["price_data"]["recurring"] = {"interval": "month"}
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params=recurring_once)
    assert "recurring" in error.value.user_message

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(
            params=session_params(mode="subscription") | {"mode": "payment"}
        )
    assert error.value.param == "subscription_data"

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params=session_params(customer="cus_missing"))
    assert (error.value.code, error.value.param) == ("resource_missing", "customer")

    anonymous = requests.get(f"{standin.url}/v1/customers")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "invalid_request_error"
    live = stripe.StripeClient("sk_live_123456789", base_addresses={"api": standin.url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.customers.list()

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.retrieve(
            open_session(client).id, params={"expand": ["nonsense"]}
        )


def test_it_fails_on_demand(client, standin):
    standin.fail_next(1, status=500)
    with pytest.raises(stripe.APIError) as error:
        open_session(client)
    assert error.value.http_status == 500
    assert open_session(client).status == "open"

    # With retries on, the client's second try (same idempotency key) gets through.
    patient = stripe.StripeClient(
        "sk_test_standin", base_addresses={"api": standin.url}, max_network_retries=1
    )
    standin.fail_next(1, status=503)
    session = open_session(patient)
    assert session.status == "open"
    assert len(standin.store.find("checkout.session")) == 2

    answer = requests.post(f"{standin.url}/_standin/fail-next", data={"n": 1, "status": 500})
    assert answer.status_code == 200
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()


def test_it_leaves_a_declined_session_open(client, standin, receiver):
    session = open_session(client)
    declined = press(session, "decline")
    assert declined.status_code == 200
    assert 'role="alert"' in declined.text and "Your card was declined." in declined.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert receiver.deliveries == [] and standin.events == []

    assert press(session).status_code == 303
    again = press(session)
    assert "This session is no longer available" in again.text
    assert "This session is no longer available" in requests.get(session.url).text
    with pytest.raises(StandinError):
        standin.pay(session.id)
    assert receiver.types() == ["checkout.session.completed"]


def test_it_completes_delayed_payments_later(client, standin, receiver):
    session = open_session(client, payment_method_types=["us_bank_account"])
    assert press(session, "delayed").status_code == 303
    completed = receiver.events()[-1]
    assert completed.type == "checkout.session.completed"
    assert (completed.data.object.status, completed.data.object.payment_status) == (
        "complete",
        "unpaid",
    )
    intent = client.v1.payment_intents.retrieve(completed.data.object.payment_intent)
    assert intent.status == "processing"

    standin.complete_delayed(session.id, succeeded=True)
    event = receiver.events()[-1]
    assert event.type == "checkout.session.async_payment_succeeded"
    assert event.data.object.payment_status == "paid"

    failing = open_session(client, payment_method_types=["us_bank_account"])
    standin.pay(failing.id, outcome="delayed")
    standin.complete_delayed(failing.id, succeeded=False)
    assert receiver.types()[-1] == "checkout.session.async_payment_failed"
    with pytest.raises(StandinError):
        standin.complete_delayed(failing.id)


def test_it_starts_a_monthly_gift_paid_by_bank_debit(client, standin, receiver):
    session = open_session(
        client,
        "subscription",
        customer_email="ada@example.org",
        payment_method_types=["us_bank_account"],
    )
    standin.pay(session.id, outcome="delayed")
    assert receiver.types() == ["customer.subscription.created", "checkout.session.completed"]
    assert receiver.events()[0].data.object.status == "incomplete"
    assert receiver.events()[1].data.object.payment_status == "unpaid"

    standin.complete_delayed(session.id)
    assert receiver.types()[2:] == [
        "invoice.paid",
        "customer.subscription.updated",
        "checkout.session.async_payment_succeeded",
    ]
    paid, updated, _ = receiver.events()[2:]
    assert paid.data.object.parent.subscription_details.metadata.to_dict() == METADATA
    assert (updated.data.object.status, updated.data.previous_attributes.status) == (
        "active",
        "incomplete",
    )
    charge = client.v1.charges.retrieve(
        client.v1.payment_intents.retrieve(
            client.v1.invoice_payments.list(params={"invoice": paid.data.object.id})
            .data[0]
            .payment.payment_intent
        ).latest_charge
    )
    assert charge.payment_method_details.type == "us_bank_account"


def test_it_finds_sessions_and_invoices_by_subscription(client, standin, monthly):
    sessions = client.v1.checkout.sessions.list(params={"subscription": monthly.subscription.id})
    assert [s.id for s in sessions.data] == [monthly.id]
    renewal = standin.renew(monthly.subscription.id)
    invoices = client.v1.invoices.list(params={"subscription": monthly.subscription.id})
    assert [i.id for i in invoices.data] == [renewal["id"], monthly.subscription.latest_invoice]
    subscriptions = client.v1.subscriptions.list(params={"customer": monthly.customer})
    assert [s.id for s in subscriptions.data] == [monthly.subscription.id]


def test_it_checks_params_as_stripe_does(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, success_url="javascript:alert(1)")
    assert error.value.param == "success_url"
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, metadata={"message": "x" * 501})
    assert error.value.param == "metadata[message]"
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, amount=49)
    assert error.value.code == "amount_too_small"
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, customer_email="a@example.org", customer="cus_1")
    assert error.value.param == "customer_email"
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, expires_at=int(time.time()) + 60)
    assert error.value.param == "expires_at"
    expires_at = int(time.time()) + 3600
    assert abs(open_session(client, expires_at=expires_at).expires_at - expires_at) <= 1


def test_it_expires_sessions_and_forgets_on_reset(client, standin, receiver):
    session = open_session(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert standin.wait_for_deliveries()
    assert receiver.types() == ["checkout.session.expired"]
    assert "This session is no longer available" in requests.get(session.url).text

    assert requests.post(f"{standin.url}/_standin/reset").json() == {"reset": True}
    assert standin.events == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.retrieve(session.id)


def test_it_refunds_in_full_and_in_part(client, standin, receiver):
    session = open_session(client)
    standin.pay(session.id)
    intent_id = standin.store.get("checkout.session", session.id)["payment_intent"]

    refund = standin.refund(intent_id, amount=1200)
    assert refund["id"].startswith("re_") and refund["amount"] == 1200
    assert set(refund) == shape("refund")
    partial = receiver.events()[-1]
    assert partial.type == "charge.refunded"
    charge = partial.data.object.to_dict()
    assert set(charge) == shape("charge")
    assert (charge["amount_refunded"], charge["refunded"]) == (1200, False)
    assert [r["id"] for r in charge["refunds"]["data"]] == [refund["id"]]

    standin.refund(intent_id)
    full = receiver.events()[-1].data.object
    assert (full.amount_refunded, full.refunded, len(full.refunds.data)) == (5200, True, 2)

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.refunds.create(params={"payment_intent": intent_id})
    assert error.value.code == "charge_already_refunded"


def test_it_opens_and_closes_disputes(client, standin, receiver):
    session = open_session(client)
    standin.pay(session.id)
    intent_id = standin.store.get("checkout.session", session.id)["payment_intent"]

    dispute = standin.dispute(intent_id)
    created, withdrawn = receiver.events()[-2:]
    assert (created.type, withdrawn.type) == (
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    )
    assert set(created.data.object.to_dict()) == shape("dispute")
    assert created.data.object.payment_intent == intent_id
    assert (created.data.object.amount, created.data.object.status) == (5200, "needs_response")
    assert client.v1.charges.retrieve(dispute["charge"]).disputed is True

    standin.close_dispute(dispute["id"], won=False)
    closed = receiver.events()[-1]
    assert (closed.type, closed.data.object.status) == ("charge.dispute.closed", "lost")


def test_it_retries_a_failing_webhook_and_records_the_failure(client, standin, receiver):
    receiver.status = 500
    session = open_session(client)
    assert press(session).status_code == 303  # the donor is not held up

    (record,) = standin.events
    assert record["delivery"]["delivered"] is False
    assert [a["status"] for a in record["delivery"]["attempts"]] == [500, 500, 500]
    assert len(receiver.deliveries) == 3

    receiver.status = 200
    standin.redeliver(record["id"])
    assert standin.events[0]["delivery"]["delivered"] is True
    assert len({body for _, body in receiver.deliveries}) == 1  # the same event each time
    listed = requests.get(f"{standin.url}/_standin/events").json()
    assert [e["id"] for e in listed] == [record["id"]]


def test_it_holds_events_to_send_them_out_of_order(client, standin, receiver):
    standin.hold_webhooks()
    session = open_session(client, "subscription", customer_email="ada@example.org")
    assert press(session).status_code == 303
    assert receiver.deliveries == []
    created, completed, paid = standin.events
    assert all(event["delivery"]["held"] for event in standin.events)

    standin.redeliver(paid["id"])
    standin.redeliver(paid["id"])
    assert receiver.types() == ["invoice.paid", "invoice.paid"]
    assert requests.post(f"{standin.url}/_standin/release-webhooks").json()["sent"] == [
        created["id"],
        completed["id"],
    ]
    assert receiver.types()[2:] == ["customer.subscription.created", "checkout.session.completed"]


def test_it_serves_the_api_to_the_site_while_delivering(client, standin, receiver):
    seen = []
    receiver.on_event = lambda event: seen.append(
        client.v1.checkout.sessions.retrieve(event["data"]["object"]["id"]).status
    )
    session = open_session(client)
    assert press(session).status_code == 303
    assert seen == ["complete"]


def test_it_records_events_without_a_webhook_url():
    with StripeStandin(webhook_url=None) as standin:
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin.url})
        session = open_session(client)
        standin.pay(session.id)
        (event,) = standin.events
        assert event["type"] == "checkout.session.completed"
        assert event["pending_webhooks"] == 0
        assert event["delivery"] == {
            "delivered": False,
            "held": False,
            "dropped": False,
            "attempts": [],
        }


def test_it_creates_lists_and_updates_customers(client):
    ada = client.v1.customers.create(
        params={"email": "ada@example.org", "name": "Ada", "metadata": {"donor_id": "1"}}
    )
    client.v1.customers.create(params={"email": "bob@example.org"})
    found = client.v1.customers.list(params={"email": "ada@example.org"})
    assert [c.id for c in found.data] == [ada.id]
    assert (found.object, found.url, found.has_more) == ("list", "/v1/customers", False)
    updated = client.v1.customers.update(
        ada.id, params={"name": "Ada L.", "metadata": {"donor_id": ""}}
    )
    assert (updated.name, updated.metadata.to_dict()) == ("Ada L.", {})
    assert client.v1.customers.retrieve(ada.id).name == "Ada L."


def test_it_builds_objects_of_the_current_api_generation(client, standin, monthly):
    session = client.v1.checkout.sessions.retrieve(monthly.id, params={"expand": ["invoice"]})
    invoice = session.invoice.to_dict()
    assert set(session.to_dict()) == shape("checkout_session")
    assert set(invoice) == shape("invoice") - {"subscription"}
    assert set(invoice["lines"]["data"][0]) == set(
        json.loads((SHAPES / "invoice.json").read_text())["lines"]["data"][0]
    )
    assert set(monthly.subscription.to_dict()) == shape("subscription")
    customer = client.v1.customers.retrieve(monthly.customer).to_dict()
    assert set(customer) == shape("customer")
    (payment,) = client.v1.invoice_payments.list(params={"invoice": invoice["id"]}).data
    assert set(payment.to_dict()) == shape("invoice_payment")
    intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent).to_dict()
    assert set(intent) == shape("payment_intent")
    assert set(client.v1.charges.retrieve(intent["latest_charge"]).to_dict()) == shape("charge")
    portal = client.v1.billing_portal.sessions.create(params={"customer": customer["id"]})
    assert set(portal.to_dict()) == shape("billing_portal_session")
    assert all(set(event) - {"delivery"} == shape("event") for event in standin.events)
    line_items = client.v1.checkout.sessions.retrieve(
        monthly.id, params={"expand": ["line_items"]}
    ).line_items
    assert line_items.data[0].price.unit_amount == 5200


class _PageChecker(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.labels, self.inputs, self.problems = [], set(), [], []
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "label":
            self.labels.add(attrs.get("for"))
        if tag == "input" and attrs.get("type") != "hidden":
            self.inputs.append(attrs.get("id"))
        if tag in ("script", "link", "img", "iframe"):
            self.problems.append(tag)
        self.problems += [name for name in attrs if name.startswith("on")]


@pytest.mark.parametrize("which", ["index", "checkout", "portal"])
def test_it_serves_small_valid_pages(client, standin, monthly, which):
    if which == "index":
        url = standin.url + "/"
    elif which == "checkout":
        url = open_session(client).url
    else:
        url = client.v1.billing_portal.sessions.create(params={"customer": monthly.customer}).url
    answer = requests.get(url)
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    text = answer.text
    assert text.startswith("<!DOCTYPE html>") and '<html lang="en">' in text
    assert "<title>" in text and "<h1>" in text
    checker = _PageChecker()
    checker.feed(text)
    assert checker.problems == []
    assert len(checker.ids) == len(set(checker.ids))
    assert all(input_id in checker.labels for input_id in checker.inputs)
    # No assets from elsewhere; links go to the stand-in or back to the site.
    assert all(href.startswith("/") or href == CANCEL_URL for href in checker.hrefs)


def test_it_offers_control_endpoints(client, standin, receiver, monthly):
    answer = requests.post(f"{standin.url}/_standin/renew/{monthly.subscription.id}")
    assert answer.status_code == 200 and answer.json()["billing_reason"] == "subscription_cycle"
    failed = requests.post(
        f"{standin.url}/_standin/renew/{monthly.subscription.id}", data={"fail": "true"}
    )
    assert failed.json()["status"] == "open"
    assert receiver.types()[-2:] == ["invoice.payment_failed", "customer.subscription.updated"]
    missing = requests.post(f"{standin.url}/_standin/renew/sub_missing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"


def test_it_decodes_bracketed_form_bodies():
    body = (
        "mode=subscription&metadata[campaign]=spring&metadata[0]=zero"
        "&line_items[0][price_data][recurring][interval]=month"
        "&line_items[0][price_data][unit_amount]=5200&line_items[0][quantity]=1"
        "&line_items[1][price]=price_1&expand[0]=payment_intent&expand[1]=invoice"
        "&payment_method_types[]=card&payment_method_types[]=us_bank_account&email="
    )
    assert decode_form(body) == {
        "mode": "subscription",
        "metadata": {"campaign": "spring", "0": "zero"},
        "line_items": [
            {
                "price_data": {"recurring": {"interval": "month"}, "unit_amount": "5200"},
                "quantity": "1",
            },
            {"price": "price_1"},
        ],
        "expand": ["payment_intent", "invoice"],
        "payment_method_types": ["card", "us_bank_account"],
        "email": "",
    }


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("stripe_standin", "--port", "0")


def test_it_runs_with_debug_on(settings, monkeypatch, capsys):
    settings.DEBUG = True
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.SITE_URL = "http://127.0.0.1:8123"
    started = []
    monkeypatch.setattr(StripeStandin, "serve_forever", lambda self: started.append(self))
    call_command("stripe_standin", "--port", "0")
    (standin,) = started
    assert standin.webhook_url == "http://127.0.0.1:8123/stripe/webhook/"
    assert standin.webhook_secret == SECRET
    assert standin.url in capsys.readouterr().out
    standin.stop()


# Locales: the pages in the session's language --------------------------------------


def _ids(text):
    checker = _PageChecker()
    checker.feed(text)
    return checker


def test_it_shows_checkout_in_spanish_for_the_es_locale(client, standin, receiver):
    session = open_session(client, locale="es")
    assert session.locale == "es"
    page = requests.get(session.url).text
    assert '<html lang="es">' in page
    assert "<h1>Pago en modo de prueba (no se mueve dinero real)</h1>" in page
    # A donation's button says "Donar", as Stripe's; the amount as US Spanish writes it.
    assert '<p class="amount" id="amount">$52.00</p>' in page
    assert 'id="pay" type="submit" name="outcome" value="success">Donar</button>' in page
    assert f'<a id="cancel" href="{CANCEL_URL}">Cancelar</a>' in page
    assert '<label for="name">Nombre en la tarjeta</label>' in page
    # The same ids as in English, for the browser tests.
    english = requests.get(open_session(client).url).text
    assert _ids(page).ids == _ids(english).ids

    declined = press(session, "decline")
    assert '<p class="alert" role="alert" id="error">Su tarjeta fue rechazada.</p>' in declined.text

    monthly = open_session(client, "subscription", locale="es-419", submit_type=None)
    page = requests.get(monthly.url).text
    assert '<html lang="es">' in page
    assert "$52.00 <span>/ mes</span>" in page
    assert ">Pagar</button>" in page

    assert press(session).status_code == 303
    done = requests.get(session.url).text
    assert "Esta sesión ya no está disponible" in done and ">Volver al sitio</a>" in done


def test_it_keeps_english_for_other_locales(client, standin):
    for locale in ("en", "auto", "fr", None):
        extra = {"locale": locale} if locale else {}
        page = requests.get(open_session(client, **extra).url).text
        assert '<html lang="en">' in page and ">Pay</button>" in page
    declined = press(open_session(client, locale="en"), "decline")
    assert "Your card was declined." in declined.text


def test_it_refuses_a_locale_stripe_does_not_know(client, monthly):
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, locale="klingon")
    assert error.value.param == "locale"
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.billing_portal.sessions.create(
            params={"customer": monthly.customer, "locale": "es-ES"}
        )
    assert error.value.param == "locale"


def test_it_shows_the_portal_in_spanish_for_the_es_locale(client, standin, receiver, monthly):
    portal = client.v1.billing_portal.sessions.create(
        params={
            "customer": monthly.customer,
            "return_url": "http://127.0.0.1:9/es/account/",
            "locale": "es",
        }
    )
    assert portal.locale == "es"
    page = requests.get(portal.url).text
    assert '<html lang="es">' in page
    assert "<strong>$52.00 / mes</strong> · activa" in page
    assert 'id="cancel-subscription" type="submit">Cancelar suscripción</button>' in page
    assert '<a id="return" href="http://127.0.0.1:9/es/account/">Volver al sitio</a>' in page

    answer = requests.post(
        portal.url, data={"subscription": monthly.subscription.id}, allow_redirects=False
    )
    confirmation = requests.get(standin.url + answer.headers["Location"]).text
    assert "Se canceló su suscripción." in confirmation
    assert "· cancelada" in confirmation


@pytest.mark.parametrize("which", ["checkout", "portal"])
def test_it_serves_small_valid_pages_in_spanish(client, standin, monthly, which):
    if which == "checkout":
        url = open_session(client, locale="es").url
    else:
        params = {"customer": monthly.customer, "locale": "es"}
        url = client.v1.billing_portal.sessions.create(params=params).url
    text = requests.get(url).text
    assert text.startswith("<!DOCTYPE html>") and '<html lang="es">' in text
    checker = _ids(text)
    assert checker.problems == []
    assert len(checker.ids) == len(set(checker.ids))
    assert all(input_id in checker.labels for input_id in checker.inputs)
