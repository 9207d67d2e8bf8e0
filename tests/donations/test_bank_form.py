"""Paying from a bank account on the donation form: the method choice, the bank
suggested for large gifts, the fee cover of each method, the online caps, and the
Checkout Session each method opens."""

import re
from fractions import Fraction

import pytest
from django.test import override_settings
from hypothesis import example, given
from hypothesis import strategies as st

from devtools.stripe_standin.balance import processing_fee
from donations.fees import bank_fee_to_cover, fee_rate, fee_scale, fee_to_cover
from donations.models import Pledge

pytestmark = pytest.mark.django_db


def _page(client, campaign, query=""):
    response = client.get(campaign.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def _checked_method(html):
    return re.findall(r'name="payment_method"[^>]*value="([^"]*)"[^>]*checked', html)


def _suggestion_shown(html):
    (tag,) = re.findall(r"<span[^>]*data-bank-suggestion[^>]*>", html)
    return "hidden" not in tag


# The fee of each method -------------------------------------------------------------


@pytest.mark.parametrize(
    ("gift", "fee"),
    [
        # Charged 504: Stripe keeps 0.8 % of it, 4.032 → 4¢; 503 would leave 499.
        (500, 4),
        (5000, 40),  # 5,040 charged, 40.32 → 40¢ kept
        (50000, 403),  # 50,403 charged, 403.224 → 403¢ kept
        (61500, 496),
        (62000, 500),  # the cap is reached
        (200000, 500),  # $2,000: the whole fee is the $5 cap
        (10000000, 500),
    ],
)
def test_the_bank_fee_nets_the_gift_to_the_cent_and_stops_at_the_cap(gift, fee):
    assert bank_fee_to_cover(gift) == fee
    assert fee_to_cover(gift, method="bank") == fee
    charged = gift + fee
    assert charged - processing_fee(charged, "us_bank_account") == gift


@given(gift=st.integers(min_value=1, max_value=10_000_000))
@example(gift=61_999)
@example(gift=62_000)
def test_the_bank_fee_is_the_smallest_that_nets_exactly_the_gift(gift):
    """Against the stand-in's own rendering of Stripe's ACH pricing (0.8 %, halves up,
    capped at $5), written apart from donations.fees."""
    charged = gift + bank_fee_to_cover(gift)
    assert charged - processing_fee(charged, "us_bank_account") == gift
    less = charged - 1
    assert less - processing_fee(less, "us_bank_account") < gift


@given(gift=st.integers(min_value=1, max_value=2_500_000))
def test_the_card_fee_nets_the_gift_to_the_cent(gift):
    """The card formula (the card's percentage plus its fixed part, exact fractions):
    what is left is the gift, less than a cent over it."""
    rate, fixed = fee_rate(), 30
    charged = gift + fee_to_cover(gift, method="card")
    left = charged - (rate * charged + fixed)
    assert gift <= left < gift + 1


def test_a_bank_gift_costs_the_donor_far_less_to_cover_than_a_card():
    assert (fee_to_cover(200000, method="card"), fee_to_cover(200000, method="bank")) == (
        4530,
        500,
    )


@override_settings(DONATION_BANK_FEE_PERCENT=1.5, DONATION_BANK_FEE_CAP_CENTS=1000)
def test_the_bank_fee_follows_its_settings():
    # floor((2 * 5000 - 1) * 200 / (2 * 197)) + 1 = 5076: 1.5 % of it is 76.14 → 76.
    assert bank_fee_to_cover(5000) == 76
    assert bank_fee_to_cover(200000) == 1000
    scale = fee_scale()
    assert (scale["bank_num"], scale["bank_den"], scale["bank_cap"]) == (200, 197, 1000)
    assert Fraction(scale["bank_den"], scale["bank_num"]) == 1 - Fraction(3, 200)


def test_the_page_gives_donate_js_the_bank_formula(client, campaign):
    html = _page(client, campaign)
    assert 'data-bank-num="125" data-bank-den="124" data-bank-cap="500"' in html
    assert 'data-bank-max="10000000" data-bank-from="50000"' in html


# The method choice on the page ------------------------------------------------------


def test_it_offers_card_first_for_a_small_gift(client, campaign):
    html = _page(client, campaign, "?amount=50")
    assert "Card or wallet" in html and "Bank account (ACH)" in html
    assert _checked_method(html) == ["card"]
    assert not _suggestion_shown(html)
    assert "choice-suggested" not in html
    assert 'Add <span id="fee-amount">$1.44</span>' in html


def test_it_suggests_the_bank_for_a_gift_of_500_or_more(client, campaign):
    html = _page(client, campaign, "?amount=2000")
    assert _checked_method(html) == ["bank"]
    assert _suggestion_shown(html)
    assert "For gifts of $500 or more, we suggest your bank account" in html
    assert "its processing fee is at most $5.00" in html
    assert "choice-bank choice-suggested" in html
    # The fee shown is the bank's.
    assert 'Add <span id="fee-amount">$5.00</span>' in html


def test_it_keeps_the_method_the_donor_came_back_with(client, campaign):
    html = _page(client, campaign, "?amount=2000&method=card")
    assert _checked_method(html) == ["card"]
    assert 'Add <span id="fee-amount">$45.30</span>' in html
    assert _checked_method(_page(client, campaign, "?amount=50&method=bank")) == ["bank"]


@override_settings(DONATION_BANK_SUGGESTED_CENTS=10000)
def test_the_suggestion_follows_its_setting(client, campaign):
    html = _page(client, campaign, "?amount=100")
    assert _checked_method(html) == ["bank"]
    assert "For gifts of $100 or more" in html


# Posting the form -------------------------------------------------------------------


def _session_of(stripe_standin, response):
    assert response.status_code == 303, response.content.decode()[:2000]
    session_id = response["Location"].rsplit("/", 1)[-1]
    with stripe_standin.store.lock:
        return stripe_standin.store.objects[session_id]


def test_a_bank_pledge_opens_a_checkout_for_the_bank_only(
    client, campaign, stripe_standin, donation
):
    response = client.post(
        f"/give/{campaign.slug}/",
        donation(amount="other", other_amount="2000", payment_method="bank", cover_fee="on"),
    )
    session = _session_of(stripe_standin, response)
    pledge = Pledge.objects.get()
    assert pledge.payment_method == "bank"
    assert (pledge.gift_cents, pledge.fee_cents, pledge.amount_cents) == (200000, 500, 200500)
    assert session["payment_method_types"] == ["us_bank_account"]
    assert session["payment_method_options"] == {
        "us_bank_account": {"verification_method": "automatic"}
    }
    assert session["amount_total"] == 200500


def test_a_monthly_bank_pledge_opens_a_subscription_for_the_bank_only(
    client, campaign, stripe_standin, donation
):
    response = client.post(
        f"/give/{campaign.slug}/",
        donation(amount="other", other_amount="600", frequency="monthly", payment_method="bank"),
    )
    session = _session_of(stripe_standin, response)
    assert (session["mode"], session["payment_method_types"]) == (
        "subscription",
        ["us_bank_account"],
    )
    assert Pledge.objects.get().payment_method == "bank"


def test_a_card_pledge_keeps_checkouts_card_and_wallets(client, campaign, stripe_standin, donation):
    response = client.post(
        f"/give/{campaign.slug}/", donation(payment_method="card", cover_fee="on")
    )
    session = _session_of(stripe_standin, response)
    pledge = Pledge.objects.get()
    assert (pledge.payment_method, pledge.fee_cents) == ("card", 144)
    assert session["payment_method_types"] == ["card"]
    assert session["payment_method_options"] == {}


def test_a_form_without_the_choice_is_a_card_gift(client, campaign, stripe_standin, donation):
    """A page cached before the choice existed still posts."""
    _session_of(stripe_standin, client.post(f"/give/{campaign.slug}/", donation()))
    assert Pledge.objects.get().payment_method == "card"


def test_the_way_back_from_checkout_keeps_a_card_chosen_for_a_large_gift(
    client, campaign, stripe_standin, donation
):
    response = client.post(
        f"/give/{campaign.slug}/",
        donation(amount="other", other_amount="2000", payment_method="card"),
    )
    cancel_url = _session_of(stripe_standin, response)["cancel_url"]
    query = cancel_url.split("?", 1)[1].split("#")[0]
    assert "method=card" in query
    assert _checked_method(_page(client, campaign, "?" + query)) == ["card"]


# Caps and bad input -------------------------------------------------------------------


def _refused(client, campaign, no_stripe, donation, **fields):
    response = client.post(f"/give/{campaign.slug}/", donation(**fields))
    assert response.status_code == 400
    assert Pledge.objects.count() == 0
    assert len(no_stripe.calls) == 0
    return response.content.decode()


def test_a_card_gift_over_the_card_cap_is_pointed_to_the_bank(
    client, campaign, no_stripe, donation
):
    html = _refused(client, campaign, no_stripe, donation, amount="other", other_amount="30000")
    assert (
        "Card gifts online are limited to $25,000. For a larger gift, choose Bank account "
        "(ACH), up to $100,000, or send a check."
    ) in html
    assert 'href="#check-heading"' in html


def test_a_bank_gift_may_go_beyond_the_card_cap(client, campaign, stripe_standin, donation):
    response = client.post(
        f"/give/{campaign.slug}/",
        donation(amount="other", other_amount="100000", payment_method="bank"),
    )
    assert _session_of(stripe_standin, response)["amount_total"] == 10_000_000


def test_a_bank_gift_over_the_bank_cap_is_refused(client, campaign, no_stripe, donation):
    html = _refused(
        client,
        campaign,
        no_stripe,
        donation,
        amount="other",
        other_amount="100000.01",
        payment_method="bank",
    )
    assert (
        "Gifts from a bank account online are limited to $100,000. For a larger gift, "
        "please send a check."
    ) in html


def test_a_card_gift_over_both_caps_names_both(client, campaign, no_stripe, donation):
    html = _refused(client, campaign, no_stripe, donation, amount="other", other_amount="250000")
    assert ("Online gifts are limited to $25,000 by card and $100,000 from a bank account.") in html


@override_settings(DONATION_BANK_MAX_CENTS=5_000_000)
def test_the_bank_cap_follows_its_setting(client, campaign, no_stripe, donation):
    html = _refused(
        client,
        campaign,
        no_stripe,
        donation,
        amount="other",
        other_amount="60000",
        payment_method="bank",
    )
    assert "Gifts from a bank account online are limited to $50,000." in html
    html = _refused(client, campaign, no_stripe, donation, amount="other", other_amount="30000")
    assert "choose Bank account (ACH), up to $50,000" in html


def test_an_unknown_method_is_refused_with_a_clear_message(client, campaign, no_stripe, donation):
    html = _refused(client, campaign, no_stripe, donation, payment_method="paypal")
    assert "Choose card or wallet, or bank account." in html
