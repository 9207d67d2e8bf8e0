"""Receipts through a real SMTP conversation (bench/smtp_sink.py): a mail server that
refuses or is down leaves the receipt due, and a later run sends it, once."""

import socket

import pytest

from bench.smtp_sink import SmtpSink
from donations import receipts
from donations.models import Gift

from . import stripe_payloads as sp
from .webhook_helpers import deliver

IRS = "No goods or services were provided in exchange for this contribution."


def _mailers(port):
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _book_a_gift(client, make_pledge, stripe_api, capture):
    pledge = make_pledge()
    pi_id = sp.new_id("pi")
    stripe_api.amounts[pi_id] = pledge.amount_cents
    with capture(execute=True):  # the receipt is queued for after the commit
        response = deliver(
            client, sp.event("checkout.session.completed", sp.checkout_session(pledge, pi_id=pi_id))
        )
    assert response.status_code == 200
    return Gift.objects.get()


@pytest.mark.parametrize("failure", ["refuses the recipient", "is down"])
def test_a_receipt_the_mail_server_did_not_take_is_sent_by_a_later_run_once(
    failure, client, make_pledge, stripe_api, settings, django_capture_on_commit_callbacks
):
    with SmtpSink(refuse=True) as refusing, SmtpSink() as accepting:
        port = refusing.port if failure == "refuses the recipient" else _closed_port()
        settings.MAILERS = _mailers(port)
        gift = _book_a_gift(client, make_pledge, stripe_api, django_capture_on_commit_callbacks)
        gift.refresh_from_db()
        assert (gift.receipt_status, gift.receipt_attempts) == (Gift.Receipt.FAILED, 1)
        assert gift.counted  # the gift is booked whatever the mail does
        assert receipts.send_pending_receipts() == 0  # still not taken
        if failure == "refuses the recipient":
            assert len(refusing.refused) == 2

        settings.MAILERS = _mailers(accepting.port)
        assert receipts.send_pending_receipts() == 1
        assert receipts.send_pending_receipts() == 0
        assert (
            deliver(  # Stripe sends the event again: no second receipt
                client,
                sp.event(
                    "checkout.session.completed",
                    sp.checkout_session(gift.pledge, pi_id=gift.stripe_payment_intent_id),
                ),
            ).status_code
            == 200
        )

    gift.refresh_from_db()
    assert (gift.receipt_status, gift.receipt_attempts) == (Gift.Receipt.SENT, 3)
    assert len(accepting.messages) == 1
    receipt = accepting.messages[0]
    assert receipt["to"] == ["ana@example.org"]
    assert IRS in receipt["text"]
    assert refusing.messages == []
