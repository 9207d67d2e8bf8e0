"""POST /give/<slug>/: the pledge and its Checkout Session, through the real Stripe
client talking to the offline stand-in."""

from urllib.parse import parse_qs, urlsplit

import pytest

from donations import stripe_gateway
from donations.models import Donor, Gift, Pledge


def _give(client, campaign, data):
    return client.post(f"/give/{campaign.slug}/", data)


def _session_of(standin, response):
    assert response.status_code == 303, response.content.decode()[:2000]
    session_id = response["Location"].rsplit("/", 1)[-1]
    return standin.store.get("checkout.session", session_id)


def test_it_opens_a_one_time_checkout_and_redirects_the_donor(
    client, campaign, stripe_standin, donation, settings
):
    response = _give(client, campaign, donation(amount="100"))
    session = _session_of(stripe_standin, response)
    assert response["Location"] == session["url"]
    assert response["Location"].startswith(stripe_standin.url + "/checkout/cs_test_")

    pledge = Pledge.objects.get()
    assert pledge.status == Pledge.Status.OPEN
    assert pledge.stripe_checkout_session_id == session["id"]
    assert (pledge.gift_cents, pledge.fee_cents, pledge.amount_cents) == (10000, 0, 10000)
    assert (pledge.frequency, pledge.display_as) == ("once", "first")

    assert session["mode"] == "payment"
    assert session["submit_type"] == "donate"
    assert session["amount_total"] == 10000
    # The typed address only prefills Checkout; the customer is made once paid.
    assert (session["customer"], session["customer_email"]) == (None, "ana@example.org")
    assert session["customer_creation"] == "always"
    assert (pledge.name, pledge.email, pledge.donor) == ("Ana Lopez", "ana@example.org", None)
    metadata = {
        "pledge_id": str(pledge.public_id),
        "campaign_id": str(campaign.pk),
        "campaign": campaign.slug,
    }
    assert session["metadata"] == metadata
    # Stripe does not copy a session's metadata to the payment: it is sent there too.
    assert session["_payment_intent_data"]["metadata"] == metadata

    success = session["success_url"]
    assert success == settings.SITE_URL + "/give/thanks/?session_id={CHECKOUT_SESSION_ID}"
    cancel = urlsplit(session["cancel_url"])
    assert cancel.path == campaign.get_absolute_url()
    assert cancel.fragment == "give"
    assert parse_qs(cancel.query) == {"amount": ["100"], "frequency": ["once"], "cancelled": ["1"]}


def test_it_opens_a_monthly_subscription_with_the_fee_covered(
    client, campaign, stripe_standin, donation
):
    response = _give(client, campaign, donation(frequency="monthly", cover_fee="on"))
    session = _session_of(stripe_standin, response)
    pledge = Pledge.objects.get()
    assert (pledge.gift_cents, pledge.fee_cents, pledge.amount_cents) == (5000, 144, 5144)

    assert session["mode"] == "subscription"
    assert session["amount_total"] == 5144
    price = session["_line_items"][0]["price"]
    assert price["unit_amount"] == 5144
    assert price["recurring"]["interval"] == "month"
    assert session["_subscription_data"]["metadata"]["pledge_id"] == str(pledge.public_id)
    assert session["metadata"]["pledge_id"] == str(pledge.public_id)
    cancel = parse_qs(urlsplit(session["cancel_url"]).query)
    assert cancel == {"amount": ["50"], "frequency": ["monthly"], "fee": ["1"], "cancelled": ["1"]}


def test_an_unpaid_pledge_leaves_no_donor_and_no_stripe_customer(
    client, campaign, stripe_standin, donation, standin_objects
):
    _session_of(stripe_standin, _give(client, campaign, donation(email="Ana@Example.org")))
    _session_of(stripe_standin, _give(client, campaign, donation(frequency="monthly")))
    assert Pledge.objects.count() == 2
    assert not Donor.objects.exists()
    assert standin_objects("customer") == []


def test_a_typed_address_neither_renames_nor_reveals_a_known_donor(
    client, campaign, stripe_standin, donation
):
    victor = Donor.objects.create(
        name="Victor Ruiz", email="victor@example.org", stripe_customer_id="cus_victor"
    )
    session = _session_of(
        stripe_standin,
        _give(client, campaign, donation(name="Hacked Byattacker", email="VICTOR@example.org")),
    )
    victor.refresh_from_db()
    assert victor.name == "Victor Ruiz"
    # Checkout is not opened for Victor's customer: his saved cards are not offered.
    assert session["customer"] is None
    assert Pledge.objects.get().donor is None


def test_it_opens_one_session_for_a_double_submission(
    client, campaign, stripe_standin, donation, standin_objects
):
    data = donation(token="0b6f1c3e-8a39-4c55-9a5e-6d1f0c2b7a11")
    first = _give(client, campaign, data)
    second = _give(client, campaign, data)
    assert first["Location"] == second["Location"]
    assert Pledge.objects.count() == 1
    assert str(Pledge.objects.get().public_id) == data["token"]
    assert len(standin_objects("checkout.session")) == 1


def test_it_makes_a_new_pledge_when_the_resubmitted_form_changed(
    client, campaign, stripe_standin, donation, standin_objects
):
    token = "0b6f1c3e-8a39-4c55-9a5e-6d1f0c2b7a11"
    first = _give(client, campaign, donation(token=token))
    second = _give(client, campaign, donation(token=token, amount="100"))
    assert first["Location"] != second["Location"]
    assert sorted(Pledge.objects.values_list("amount_cents", flat=True)) == [5000, 10000]
    assert len(standin_objects("checkout.session")) == 2


def test_the_same_idempotency_key_returns_the_same_session(campaign, stripe_standin):
    pledge = Pledge.objects.create(
        campaign=campaign, name="Ana", email="ana@example.org", gift_cents=5000, amount_cents=5000
    )
    urls = {"success_url": "http://x.test/ok", "cancel_url": "http://x.test/no"}
    one = stripe_gateway.create_checkout_session(pledge=pledge, **urls)
    two = stripe_gateway.create_checkout_session(pledge=pledge, **urls)
    assert one["id"] == two["id"]
    assert (
        len([o for o in stripe_standin.store.objects.values() if o["object"] == "checkout.session"])
        == 1
    )


# Stripe down ------------------------------------------------------------------------


def _assert_nothing_charged(response, status):
    assert response.status_code == status
    html = response.content.decode()
    assert "Nothing was charged, please try again." in html
    # The donor's input is kept for the retry.
    assert 'value="Ana Lopez"' in html
    assert 'value="ana@example.org"' in html
    assert Pledge.objects.get().status == Pledge.Status.FAILED
    assert Gift.objects.count() == 0


def test_it_says_nothing_was_charged_when_stripe_cannot_be_reached(
    client, campaign, donation, settings, closed_port
):
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    settings.STRIPE_MAX_RETRIES = 0
    _assert_nothing_charged(_give(client, campaign, donation()), 503)


def test_a_stripe_that_never_answers_is_given_up_on_before_the_worker_is_killed():
    """A hung Stripe must end in "Nothing was charged", not in gunicorn killing the
    worker (its default --timeout of 30 seconds, which the Dockerfile keeps) and the
    proxy's bare 502 with the pledge left half-open. Each try waits STRIPE_TIMEOUT,
    and the client sleeps between tries at most its backoff."""
    from pathlib import Path

    from django.conf import settings as defaults
    from stripe._http_client import HTTPClient

    assert "--timeout" not in Path(defaults.BASE_DIR, "Dockerfile").read_text()
    retries = defaults.STRIPE_MAX_RETRIES
    sleeps = sum(
        min(HTTPClient.INITIAL_DELAY * 2 ** (n - 1), HTTPClient.MAX_DELAY)
        for n in range(1, retries + 1)
    )
    worst = defaults.STRIPE_TIMEOUT * (retries + 1) + sleeps
    # A few seconds are left for the rest of the request (the form, the pledge).
    assert worst <= 30 - 3


def test_it_says_nothing_was_charged_when_stripe_fails(
    client, campaign, stripe_standin, donation, settings
):
    settings.STRIPE_MAX_RETRIES = 0
    stripe_standin.fail_next(status=500)
    _assert_nothing_charged(_give(client, campaign, donation()), 503)


def test_it_says_nothing_was_charged_when_stripe_refuses(
    client, campaign, stripe_standin, donation, settings
):
    settings.STRIPE_MAX_RETRIES = 0
    stripe_standin.fail_next(status=400)
    _assert_nothing_charged(_give(client, campaign, donation()), 502)


def test_it_fails_a_pledge_whose_session_could_not_open_after_the_customer_did(
    client, campaign, stripe_standin, donation, settings, standin_objects
):
    settings.STRIPE_MAX_RETRIES = 0
    _give(client, campaign, donation())  # the donor and their customer exist now
    stripe_standin.fail_next(status=503)
    response = _give(client, campaign, donation(amount="100"))
    assert response.status_code == 503
    failed = Pledge.objects.get(amount_cents=10000)
    assert failed.status == Pledge.Status.FAILED
    assert failed.stripe_checkout_session_id is None
    assert len(standin_objects("checkout.session")) == 1


def test_a_retry_after_a_failure_opens_a_fresh_checkout(
    client, campaign, stripe_standin, donation, settings
):
    settings.STRIPE_MAX_RETRIES = 0
    data = donation(token="0b6f1c3e-8a39-4c55-9a5e-6d1f0c2b7a11")
    stripe_standin.fail_next(status=500)
    assert _give(client, campaign, data).status_code == 503
    retry = _give(client, campaign, data)
    session = _session_of(stripe_standin, retry)
    statuses = sorted(Pledge.objects.values_list("status", flat=True))
    assert statuses == [Pledge.Status.FAILED, Pledge.Status.OPEN]
    assert Pledge.objects.get(status=Pledge.Status.OPEN).stripe_checkout_session_id == session["id"]


@pytest.mark.parametrize("frequency", ["once", "monthly"])
def test_it_never_books_a_gift_when_opening_a_checkout(
    client, campaign, stripe_standin, donation, frequency
):
    _session_of(stripe_standin, _give(client, campaign, donation(frequency=frequency)))
    assert Gift.objects.count() == 0
    assert stripe_standin.events == []


def test_it_uses_the_donor_another_request_created_a_moment_before(db, monkeypatch):
    from donations import donors

    # The other request's donor, committed between this one's lookup and its insert.
    theirs = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    lookups = iter([None])
    real_find = donors.find_donor
    monkeypatch.setattr(donors, "find_donor", lambda email: next(lookups, real_find(email)))
    mine = donors.find_or_create_donor(email="ANA@example.org", name="Ana L.")
    assert mine == theirs
    assert Donor.objects.count() == 1


@pytest.mark.parametrize("token", ["", "not-a-uuid", "x" * 64])
def test_a_missing_or_forged_form_token_just_makes_a_new_pledge(
    client, campaign, stripe_standin, donation, token
):
    assert _give(client, campaign, donation(token=token)).status_code == 303
    assert Pledge.objects.get().status == Pledge.Status.OPEN


def test_a_resubmitted_form_with_another_display_choice_or_message_is_a_new_pledge(
    client, campaign, stripe_standin, donation, standin_objects
):
    # Back from Checkout, the donor chooses to stay anonymous (or rewrites the
    # message) and sends the form again: the feed must show what they chose last.
    token = "0b6f1c3e-8a39-4c55-9a5e-6d1f0c2b7a11"
    first = _give(client, campaign, donation(token=token, display_as="full"))
    second = _give(client, campaign, donation(token=token, display_as="anonymous"))
    third = _give(
        client, campaign, donation(token=token, display_as="anonymous", public_message="Go!")
    )
    assert len({first["Location"], second["Location"], third["Location"]}) == 3
    latest = Pledge.objects.get(stripe_checkout_session_id=third["Location"].rsplit("/", 1)[-1])
    assert (latest.display_as, latest.public_message) == ("anonymous", "Go!")
    assert len(standin_objects("checkout.session")) == 3
