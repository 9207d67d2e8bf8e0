"""Checkout Sessions by payment method type: a US bank account (ACH Direct Debit), a
card, and the types the stand-in refuses as Stripe would."""

import pytest
import requests
import stripe

from devtools.stripe_standin import StripeError

from .standin_helpers import open_session, press

BANK = ["us_bank_account"]


def _buttons(session):
    page = requests.get(session.url).text
    return {name for name in ("pay", "decline", "delayed") if f'id="{name}"' in page}


def test_it_offers_only_the_bank_button_for_a_bank_session(client, standin, receiver):
    session = open_session(
        client,
        payment_method_types=BANK,
        payment_method_options={"us_bank_account": {"verification_method": "instant"}},
    )
    assert session.payment_method_types == BANK
    assert session.payment_method_options.us_bank_account.verification_method == "instant"
    assert _buttons(session) == {"delayed"}

    # Pressing a card button on it (a crafted post) is refused and books nothing.
    refused = press(session, "success")
    assert refused.status_code == 400
    assert "does not accept `card` payments" in refused.text
    with pytest.raises(StripeError):
        standin.pay(session.id)
    assert receiver.deliveries == []
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    assert press(session, "delayed").status_code == 303
    completed = receiver.events()[-1].data.object
    assert (completed.status, completed.payment_status) == ("complete", "unpaid")


def test_it_offers_no_bank_button_for_a_card_session(client, standin, receiver):
    session = open_session(client, payment_method_types=["card"])
    assert _buttons(session) == {"pay", "decline"}
    refused = press(session, "delayed")
    assert refused.status_code == 400
    assert "does not accept `us_bank_account` payments" in refused.text
    assert receiver.deliveries == []


def test_a_session_that_names_no_type_is_a_card_session(client, standin):
    session = open_session(client)
    assert session.payment_method_types == ["card"]
    assert _buttons(session) == {"pay", "decline"}


def test_a_session_for_both_offers_every_button(client, standin):
    session = open_session(client, payment_method_types=["card", "us_bank_account"])
    assert _buttons(session) == {"pay", "decline", "delayed"}


def test_the_bank_verification_defaults_to_automatic(client, standin):
    session = open_session(client, payment_method_types=BANK)
    assert session.payment_method_options.us_bank_account.verification_method == "automatic"


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            {"payment_method_types": ["bitcoin"]},
            "payment_method_types[0]",
            "Invalid payment_method_types[0]: must be one of card, us_bank_account, acss_debit",
        ),
        (
            {"payment_method_types": ["card", "sepa_debit"]},
            "payment_method_types[1]",
            "The stand-in does not implement `sepa_debit`.",
        ),
        (
            {
                "payment_method_types": BANK,
                "payment_method_options": {
                    "us_bank_account": {"verification_method": "microdeposits"}
                },
            },
            "payment_method_options[us_bank_account][verification_method]",
            "Invalid payment_method_options[us_bank_account][verification_method]: "
            "must be one of automatic, instant",
        ),
    ],
)
def test_it_refuses_payment_method_types_as_stripe_does(client, standin, params, param, message):
    with pytest.raises(stripe.InvalidRequestError) as error:
        open_session(client, **params)
    assert error.value.param == param
    assert message in error.value.user_message
    assert client.v1.checkout.sessions.list().data == []


def test_a_bank_debit_is_in_us_dollars_only(client, standin):
    params = {"payment_method_types": BANK}
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "http://127.0.0.1:9/t/",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "eur",
                            "product": "prod_donation",
                            "unit_amount": 5000,
                        },
                        "quantity": 1,
                    }
                ],
                **params,
            }
        )
    assert "us_bank_account supports: usd" in error.value.user_message
