"""Saving a card at a one-time Checkout payment and starting a subscription on it
through `POST /v1/subscriptions`, as the site's "make it monthly" does."""

import pytest
import requests
import stripe

from devtools.stripe_standin.objects import add_month

from .standin_helpers import METADATA, open_session, press, session_params


def _saved_card_gift(client, future_usage="off_session"):
    """A one-time gift paid on the stand-in's page; the session with its intent."""
    intent_data = {"metadata": METADATA}
    if future_usage:
        intent_data["setup_future_usage"] = future_usage
    session = open_session(
        client,
        customer_email="ada@example.org",
        customer_creation="always",
        payment_intent_data=intent_data,
    )
    assert press(session).status_code == 303
    return client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )


def _monthly(amount=1000):
    return [
        {
            "price_data": {
                "currency": "usd",
                "product": "prod_donation",
                "unit_amount": amount,
                "recurring": {"interval": "month"},
            }
        }
    ]


def test_the_checkout_page_says_the_card_will_be_saved(client):
    saving = open_session(
        client, payment_intent_data={"metadata": METADATA, "setup_future_usage": "off_session"}
    )
    plain = open_session(client)

    assert "saved for future payments" in requests.get(saving.url).text
    assert "saved for future payments" not in requests.get(plain.url).text


def test_it_saves_the_card_on_the_customer_with_setup_future_usage(client):
    session = _saved_card_gift(client)
    intent = session.payment_intent

    assert intent.setup_future_usage == "off_session"
    assert intent.payment_method.startswith("pm_")
    assert intent.latest_charge.payment_method == intent.payment_method
    method = client.v1.payment_methods.retrieve(intent.payment_method)
    assert (method.object, method.type, method.customer) == (
        "payment_method",
        "card",
        session.customer,
    )
    assert (method.card.brand, method.card.last4) == ("visa", "4242")
    assert method.billing_details.email == "ada@example.org"
    listed = client.v1.customers.payment_methods.list(session.customer)
    assert [m.id for m in listed.data] == [intent.payment_method]


def test_without_setup_future_usage_the_card_is_not_attached(client):
    session = _saved_card_gift(client, future_usage=None)
    intent = session.payment_intent

    assert intent.setup_future_usage is None
    method = client.v1.payment_methods.retrieve(intent.payment_method)
    assert method.customer is None
    assert client.v1.customers.payment_methods.list(session.customer).data == []


def test_it_refuses_an_unknown_setup_future_usage(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(
            params=session_params(
                payment_intent_data={"metadata": METADATA, "setup_future_usage": "later"}
            )
        )
    assert error.value.param == "payment_intent_data[setup_future_usage]"


def test_it_starts_a_subscription_next_month_on_the_saved_card(client, standin, receiver):
    session = _saved_card_gift(client)
    saved = session.payment_intent.payment_method
    receiver.deliveries.clear()
    anchor = add_month(standin.now) - 3600

    subscription = client.v1.subscriptions.create(
        params={
            "customer": session.customer,
            "default_payment_method": saved,
            "items": _monthly(),
            "billing_cycle_anchor": anchor,
            "proration_behavior": "none",
            "metadata": {"pledge_id": "up-1"},
        },
        options={"idempotency_key": "pledge-up-1"},
    )

    assert (subscription.status, subscription.default_payment_method) == ("active", saved)
    assert subscription.billing_cycle_anchor == anchor
    assert subscription["items"].data[0].current_period_end == anchor
    assert subscription.metadata.to_dict() == {"pledge_id": "up-1"}
    standin.wait_for_deliveries()
    created, paid = receiver.events()
    assert (created.type, paid.type) == ("customer.subscription.created", "invoice.paid")
    first = paid.data.object
    assert (first.billing_reason, first.amount_paid, first.amount_due, first.status) == (
        "subscription_create",
        0,
        0,
        "paid",
    )
    assert first.parent.subscription_details.metadata.to_dict() == {"pledge_id": "up-1"}
    # Nothing was charged now.
    assert client.v1.charges.list(params={"customer": session.customer}).data[0].amount == 5200
    assert len(client.v1.charges.list(params={"customer": session.customer}).data) == 1

    again = client.v1.subscriptions.create(
        params={
            "customer": session.customer,
            "default_payment_method": saved,
            "items": _monthly(),
            "billing_cycle_anchor": anchor,
            "proration_behavior": "none",
            "metadata": {"pledge_id": "up-1"},
        },
        options={"idempotency_key": "pledge-up-1"},
    )
    assert again.id == subscription.id
    assert len(client.v1.subscriptions.list(params={"customer": session.customer}).data) == 1

    receiver.deliveries.clear()
    renewal = standin.renew(subscription.id)
    standin.wait_for_deliveries()
    assert (renewal["billing_reason"], renewal["amount_paid"]) == ("subscription_cycle", 1000)
    payment = client.v1.invoice_payments.list(params={"invoice": renewal["id"]}).data[0]
    intent = client.v1.payment_intents.retrieve(
        payment.payment.payment_intent, params={"expand": ["latest_charge"]}
    )
    assert intent.payment_method == saved
    assert intent.latest_charge.payment_method == saved
    assert intent.latest_charge.amount == 1000
    assert "invoice.paid" in receiver.types()


def test_without_an_anchor_it_charges_the_first_month_now(client, standin):
    session = _saved_card_gift(client)
    saved = session.payment_intent.payment_method

    subscription = client.v1.subscriptions.create(
        params={"customer": session.customer, "default_payment_method": saved, "items": _monthly()}
    )

    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.billing_reason, invoice.amount_paid) == ("subscription_create", 1000)
    charges = client.v1.charges.list(params={"customer": session.customer}).data
    assert [c.amount for c in charges] == [1000, 5200]
    assert charges[0].payment_method == saved


def test_it_refuses_a_payment_method_of_another_customer(client):
    mine = _saved_card_gift(client)
    theirs = _saved_card_gift(client)

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create(
            params={
                "customer": mine.customer,
                "default_payment_method": theirs.payment_intent.payment_method,
                "items": _monthly(),
            }
        )
    assert error.value.param == "default_payment_method"
    assert error.value.code == "resource_missing"
    assert "must be attached to the customer" in error.value.user_message
    assert client.v1.subscriptions.list(params={"customer": mine.customer}).data == []


def test_it_refuses_an_unattached_card_and_a_bad_anchor(client, standin):
    unsaved = _saved_card_gift(client, future_usage=None)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.subscriptions.create(
            params={
                "customer": unsaved.customer,
                "default_payment_method": unsaved.payment_intent.payment_method,
                "items": _monthly(),
            }
        )
    assert error.value.param == "default_payment_method"

    saved = _saved_card_gift(client)
    for anchor in (standin.now - 60, add_month(standin.now) + 3600):
        with pytest.raises(stripe.InvalidRequestError) as error:
            client.v1.subscriptions.create(
                params={
                    "customer": saved.customer,
                    "default_payment_method": saved.payment_intent.payment_method,
                    "items": _monthly(),
                    "billing_cycle_anchor": anchor,
                    "proration_behavior": "none",
                }
            )
        assert error.value.param == "billing_cycle_anchor"
    assert client.v1.subscriptions.list(params={"customer": saved.customer}).data == []
