"""Fixtures for the donor-side tests: a Stripe that must not be called, and the
donation form's data (the Stripe stand-in is in tests/conftest.py)."""

import pytest
import responses
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # Rate-limit counters live in the (process-wide) cache; each test starts at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_stripe():
    """Fails the test's assertions if anything calls Stripe: every request is recorded
    (and refused), so `no_stripe.calls` must stay empty."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _donation(**overrides):
    data = {
        "amount": "50",
        "other_amount": "",
        "frequency": "once",
        "name": "Ana Lopez",
        "email": "ana@example.org",
        "display_as": "first",
        "public_message": "",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def donation():
    """What a donor's browser posts for a $50 one-time gift: `donation(amount=...)`;
    a value of None leaves the field out."""
    return _donation


@pytest.fixture
def standin_objects(stripe_standin):
    """`standin_objects("customer")`: the stand-in's objects of one kind, as stored."""

    def find(kind):
        with stripe_standin.store.lock:
            return [o for o in stripe_standin.store.objects.values() if o["object"] == kind]

    return find


# The back office's fixtures (bookkeeper, donor, deposit, log_check, online_gift, ...).
from .backoffice_fixtures import *  # noqa: E402, F403

# The webhook tests' fixtures (make_pledge, stripe_api).
from .webhook_helpers import make_pledge, stripe_api  # noqa: E402, F401


@pytest.fixture
def deliver_standin_events(client, settings, stripe_standin):
    """Posts the stand-in's recorded events to the site's webhook, signed as Stripe
    signs them (the unit tests have no server for the stand-in to send them to)."""
    import json

    from devtools.stripe_standin import sign_payload

    def deliver(types=None):
        responses = []
        for record in stripe_standin.events:
            record.pop("delivery", None)
            if types and record["type"] not in types:
                continue
            body = json.dumps(record).encode()
            responses.append(
                client.post(
                    "/stripe/webhook/",
                    body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
                )
            )
        assert all(r.status_code == 200 for r in responses), [r.content for r in responses]
        return responses

    return deliver
