"""GET /give/thanks/?session_id=...: fulfilment from the success page, once."""

import pytest
from django.conf import settings

from donations.models import Gift, MonthlyGift, Pledge


@pytest.fixture
def checkout(client, campaign, stripe_standin, donation):
    """Submits the form and returns the stand-in's session id (the donor is on Stripe)."""

    def start(**overrides):
        response = client.post(f"/give/{campaign.slug}/", donation(**overrides))
        assert response.status_code == 303
        return response["Location"].rsplit("/", 1)[-1]

    return start


def _thanks(client, session_id):
    return client.get("/give/thanks/", {"session_id": session_id})


def test_it_books_a_paid_one_time_gift_and_thanks_the_donor_by_first_name(
    client, checkout, stripe_standin
):
    session_id = checkout(amount="50", cover_fee="on")
    stripe_standin.pay(session_id)
    response = _thanks(client, session_id)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thank you, Ana — your $51.44 gift is confirmed" in html
    # Only the first name and the amount: not the surname, not the address.
    assert "Lopez" not in html
    assert "ana@example.org" not in html
    # A link to "My giving" (receipts), with nothing said about a monthly gift.
    assert "Manage my giving" in html
    assert "change or cancel your monthly gift" not in html

    gift = Gift.objects.get()
    assert (gift.amount_cents, gift.status, gift.counted) == (5144, "succeeded", True)
    assert (gift.card_brand, gift.card_last4) == ("visa", "4242")
    assert Pledge.objects.get().status == Pledge.Status.COMPLETED


def test_it_is_private_and_never_cached(client, checkout, stripe_standin):
    session_id = checkout()
    stripe_standin.pay(session_id)
    response = _thanks(client, session_id)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


def test_it_remembers_whose_thank_you_page_it_is(client, checkout, stripe_standin, campaign):
    session_id = checkout()
    stripe_standin.pay(session_id)
    _thanks(client, session_id)
    pledge = Pledge.objects.get()
    assert client.session["pledges"] == [str(pledge.public_id)]
    assert client.session["shared_pledge"] == str(pledge.public_id)


def test_it_books_once_when_the_webhook_comes_after_the_page(
    client, checkout, stripe_standin, deliver_standin_events
):
    session_id = checkout()
    stripe_standin.pay(session_id)
    _thanks(client, session_id)
    deliver_standin_events()
    _thanks(client, session_id)  # and a reload
    assert Gift.objects.count() == 1
    assert Gift.objects.get().amount_cents == 5000


def test_it_books_once_when_the_webhook_came_first(
    client, checkout, stripe_standin, deliver_standin_events
):
    session_id = checkout()
    stripe_standin.pay(session_id)
    deliver_standin_events()
    assert Gift.objects.count() == 1
    response = _thanks(client, session_id)
    assert "your $50 gift is confirmed" in response.content.decode()
    assert Gift.objects.count() == 1


def test_it_books_a_monthly_gift_and_its_first_charge_once(
    client, checkout, stripe_standin, deliver_standin_events
):
    session_id = checkout(frequency="monthly", cover_fee="on")
    stripe_standin.pay(session_id)
    response = _thanks(client, session_id)
    html = response.content.decode()
    assert "Thank you, Ana — your $51.44 monthly gift is confirmed" in html
    assert "Manage my giving</a> — change or cancel your monthly gift" in html
    # Booked by the page itself, before any webhook arrived...
    assert (MonthlyGift.objects.count(), Gift.objects.count()) == (1, 1)
    # ...and the webhooks then change nothing.
    deliver_standin_events()
    monthly = MonthlyGift.objects.get()
    assert (monthly.amount_cents, monthly.status) == (5144, "active")
    gift = Gift.objects.get()
    assert (gift.amount_cents, gift.frequency, gift.starts_monthly) == (5144, "monthly", True)
    # The thank-you page asked for the invoice's payments: the charge is traceable.
    assert gift.stripe_payment_intent_id


def test_it_says_a_delayed_payment_is_being_confirmed(client, checkout, stripe_standin):
    session_id = checkout(payment_method="bank")
    stripe_standin.pay(session_id, outcome="delayed")
    response = _thanks(client, session_id)
    assert response.status_code == 200
    html = response.content.decode()
    assert "we’re confirming your payment" in html
    assert "is confirmed" not in html
    gift = Gift.objects.get()
    assert (gift.status, gift.counted) == ("pending", False)


def test_it_says_a_checkout_left_unpaid_was_not_completed(client, checkout, stripe_standin):
    session_id = checkout()
    response = _thanks(client, session_id)
    assert "Your gift was not completed" in response.content.decode()
    assert Gift.objects.count() == 0
    assert "thank_you_donor_id" not in client.session


@pytest.mark.parametrize("session_id", ["", "nonsense", "cs_test_unknown123", "cs_x/../../v1"])
def test_it_answers_404_for_a_session_it_does_not_know(
    client, stripe_standin, session_id, campaign
):
    response = _thanks(client, session_id)
    assert response.status_code == 404
    assert "We couldn’t find that gift" in response.content.decode()
    assert Gift.objects.count() == 0


def test_it_answers_404_for_a_session_that_is_not_ours(client, stripe_standin, campaign):
    from donations import stripe_gateway

    customer = stripe_gateway.client().v1.customers.create(params={"email": "x@example.org"})
    session = stripe_gateway.client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": customer.id,
            "success_url": "https://elsewhere.example/ok",
            "line_items": [
                {
                    "price_data": {"currency": "usd", "product": "prod_x", "unit_amount": 900},
                    "quantity": 1,
                }
            ],
        }
    )
    stripe_standin.pay(session.id)
    response = _thanks(client, session.id)
    assert response.status_code == 404
    assert Gift.objects.count() == 0


def test_it_says_the_gift_is_safe_when_stripe_cannot_be_reached(
    client, checkout, stripe_standin, settings, closed_port
):
    session_id = checkout()
    stripe_standin.pay(session_id)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    settings.STRIPE_MAX_RETRIES = 0
    response = _thanks(client, session_id)
    assert response.status_code == 503
    assert response["Retry-After"]
    html = response.content.decode()
    assert "Your gift is safe" in html
    assert "your receipt will arrive by e-mail" in html
    assert Gift.objects.count() == 0


def test_it_limits_how_often_one_address_has_stripe_asked_about_a_session(
    client, checkout, stripe_standin, settings
):
    # One real session, its own, lets anyone have Stripe asked on each reload: enough
    # of them would spend the API rate limit every donor's Checkout needs.
    settings.THANK_YOU_RATE_LIMIT = "3/h"
    session_id = checkout()
    stripe_standin.pay(session_id)
    codes = [_thanks(client, session_id).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    response = _thanks(client, session_id)
    assert response["Retry-After"]
    html = response.content.decode()
    # The donor may have paid: nothing says otherwise.
    assert "Your gift is safe" in html
    assert "Nothing was charged" not in html
    assert Gift.objects.count() == 1


def test_it_offers_share_links_to_the_campaign(client, checkout, stripe_standin, campaign):
    session_id = checkout()
    stripe_standin.pay(session_id)
    html = _thanks(client, session_id).content.decode()
    assert "Share on Facebook" in html
    # The campaign page's share links: through donations:share, which credits the share
    # to this donor, never straight to the network.
    for network in ("facebook", "x", "linkedin", "email"):
        assert f'href="/give/share/{network}/?campaign={campaign.slug}"' in html
    assert f'data-copy-url="{settings.SITE_URL}{campaign.get_absolute_url()}"' in html
    assert "sharer.php" not in html
