"""What a monthly donor is told: the receipt of each charge (amount, next charge, how
to change or cancel), and one e-mail confirming a new amount or a cancellation, however
often Stripe says so."""

import pytest
from django.core import mail

from campaigns.formatting import format_date
from donations import monthly as monthly_service
from donations import statements
from donations.models import Gift, MonthlyGift, MonthlyNotice

from . import stripe_payloads as sp
from .webhook_helpers import deliver


@pytest.fixture
def started(
    client,
    campaign,
    stripe_standin,
    donation,
    deliver_standin_events,
    django_capture_on_commit_callbacks,
):
    """Ana's $50 monthly gift, paid on the stand-in, confirmed on the thank-you page and
    by Stripe's events; returns its first receipt."""
    response = client.post(f"/give/{campaign.slug}/", donation(frequency="monthly"))
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get("/give/thanks/", {"session_id": session_id}).status_code == 200
        deliver_standin_events()
    [receipt] = mail.outbox
    mail.outbox.clear()
    return receipt


def _monthly():
    return MonthlyGift.objects.select_related("donor").get()


def test_the_monthly_receipt_says_the_amount_the_next_charge_and_how_to_change(started):
    monthly = _monthly()
    assert monthly.next_charge_at is not None
    body = started.body
    assert "Your monthly gift: $50.00 a month." in body
    assert f"Next charge: {format_date(monthly.next_charge_at)}." in body
    assert "/give/manage/" in body
    assert "Manage my giving" in body
    [(filename, content, mimetype)] = started.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF-")


def test_my_giving_shows_the_next_charge_the_amount_and_the_card(client, started):
    monthly = _monthly()
    charge = monthly.charges.get()
    assert charge.card_last4
    page = client.get(f"/give/manage/{monthly_service.make_token(monthly.donor)}/")
    text = page.content.decode()
    assert "$50/month" in text
    assert "Next charge:" in text
    assert f"card ending in {charge.card_last4}" in text


def test_a_new_amount_set_on_my_giving_is_confirmed_once(
    client, started, stripe_standin, deliver_standin_events, django_capture_on_commit_callbacks
):
    monthly = _monthly()
    token = monthly_service.make_token(monthly.donor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/give/manage/{token}/amount/", {"monthly_id": monthly.pk, "amount": "75"}
        )
    assert response.status_code == 303
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    assert "is now $75.00 a month" in message.body
    assert "/give/manage/" in message.body
    # Stripe then says the same amount (customer.subscription.updated): nothing more.
    deliver_standin_events()
    assert len(mail.outbox) == 1
    assert MonthlyNotice.objects.filter(kind="amount").count() == 1


def test_a_new_amount_set_in_stripes_portal_is_confirmed_once_even_when_replayed(
    client, started, django_capture_on_commit_callbacks
):
    monthly = _monthly()
    sub = sp.subscription(monthly.stripe_subscription_id, amount=2500)
    event = sp.event("customer.subscription.updated", sub)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event).status_code == 200
        assert deliver(client, event).status_code == 200  # the same event again
        # Another event that says the same amount changes nothing either.
        assert deliver(client, sp.event("customer.subscription.updated", sub)).status_code == 200
    [message] = mail.outbox
    assert "is now $25.00 a month" in message.body
    assert _monthly().amount_cents == 2500


def test_a_cancellation_is_confirmed_once(
    client, started, stripe_standin, deliver_standin_events, django_capture_on_commit_callbacks
):
    monthly = _monthly()
    stripe_standin.cancel_subscription(monthly.stripe_subscription_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_standin_events()
    [message] = mail.outbox
    assert "is canceled. You won’t be charged again." in message.body
    assert "$50.00" in message.body
    # A late update saying canceled, or the deletion once more: no second e-mail.
    sub = sp.subscription(monthly.stripe_subscription_id, status="canceled")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("customer.subscription.deleted", sub))
        deliver(client, sp.event("customer.subscription.updated", sub))
    assert len(mail.outbox) == 1
    assert _monthly().status == MonthlyGift.Status.CANCELED
    assert _monthly().next_charge_at is None


def test_a_donor_who_chose_one_annual_statement_gets_no_receipt_per_charge(
    client, started, stripe_standin, deliver_standin_events, django_capture_on_commit_callbacks
):
    monthly = _monthly()
    token = monthly_service.make_token(monthly.donor)
    page = client.get(f"/give/manage/{token}/").content.decode()
    assert "One statement in January for the whole year, instead" in page
    response = client.post(
        f"/give/manage/{token}/settings/receipts/", {"receipts-annual_receipt": "1"}
    )
    assert response.status_code == 303
    stripe_standin.renew(monthly.stripe_subscription_id)
    with django_capture_on_commit_callbacks(execute=True):
        deliver_standin_events()
    renewal = monthly.charges.order_by("-given_at", "-pk").first()
    assert monthly.charges.count() == 2
    assert renewal.receipt_status == Gift.Receipt.NOT_NEEDED
    assert mail.outbox == []
    # The charge is in the year's statement all the same.
    year = renewal.given_at.year
    assert renewal in statements.gifts_of(monthly.donor, year)


def test_a_notice_is_in_the_language_the_gift_was_started_in(
    client, started, django_capture_on_commit_callbacks
):
    monthly = _monthly()
    monthly.pledge.language = "es"
    monthly.pledge.save(update_fields=["language"])
    sub = sp.subscription(monthly.stripe_subscription_id, amount=3000)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("customer.subscription.updated", sub))
    [message] = mail.outbox
    assert message.subject == "Confirmamos la nueva cantidad de su donación mensual"
    assert "ahora es de $30.00 al mes" in message.body
    assert "/es/give/manage/" in message.body
