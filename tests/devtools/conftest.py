"""Fixtures of the stand-in's tests: a webhook receiver, a stand-in sending to it, and
the real stripe client pointed at the stand-in."""

import pytest
import stripe

from devtools.stripe_standin import StripeStandin

from .standin_helpers import SECRET, Receiver, open_session, press


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def standin(receiver):
    standin = StripeStandin(webhook_url=receiver.url, webhook_secret=SECRET).start()
    yield standin
    standin.stop()


@pytest.fixture
def client(standin):
    return stripe.StripeClient(
        "sk_test_standin", base_addresses={"api": standin.url}, max_network_retries=0
    )


@pytest.fixture
def monthly(client, standin, receiver):
    """A paid monthly gift: the session (expanded) after the donor pressed Pay."""
    customer = client.v1.customers.create(params={"email": "ada@example.org", "name": "Ada"})
    session = open_session(client, "subscription", customer=customer.id)
    assert press(session).status_code == 303
    return client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
