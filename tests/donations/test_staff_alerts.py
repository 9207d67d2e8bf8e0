"""Staff who hear about gifts: alerts after each booking, once, whatever Stripe replays;
the daily digest; each staff user's own choices in the admin."""

import datetime
import io
import json

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from devtools.stripe_standin import sign_payload
from donations import alerts
from donations.models import Gift, MonthlyGift, StaffAlert, StaffAlertPreference

pytestmark = pytest.mark.django_db

# What the stand-in's card carries (devtools/stripe_standin/payments.py): none of it
# may reach an alert.
CARD_DETAILS = ["4242", "Xt5EWLLDS7FJjR1c", "visa"]


@pytest.fixture
def staff(bookkeeper, superuser, editor):
    """Bea (bookkeeper): gifts of $500 or more, and every monthly event, in English.
    Root (superuser): gifts of $10 or more, in Spanish. Edna (editor, who may not see
    gifts): asked for everything, gets nothing."""
    StaffAlertPreference.objects.create(
        user=bookkeeper,
        gifts_from_cents=50000,
        monthly_started=True,
        monthly_canceled=True,
        monthly_failed=True,
        daily_digest=True,
    )
    StaffAlertPreference.objects.create(user=superuser, gifts_from_cents=1000, language="es")
    StaffAlertPreference.objects.create(
        user=editor,
        gifts_from_cents=100,
        monthly_started=True,
        monthly_canceled=True,
        monthly_failed=True,
        daily_digest=True,
    )
    return bookkeeper, superuser, editor


def _start(client, campaign, donation, stripe_standin, **fields):
    response = client.post(f"/give/{campaign.slug}/", donation(**fields))
    assert response.status_code == 303
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)
    return session_id


@pytest.fixture
def days_events(client, campaign, donation, stripe_standin):
    """A day at Stripe, as its events: a $1,000 gift, a $20 gift, a $50 monthly gift
    whose next charge fails and which is then cancelled."""
    _start(
        client,
        campaign,
        donation,
        stripe_standin,
        amount="other",
        other_amount="1000",
        name="Ana Peña",
        email="ana@example.org",
    )
    _start(
        client,
        campaign,
        donation,
        stripe_standin,
        amount="other",
        other_amount="20",
        name="Bo Li",
        email="bo@example.org",
    )
    monthly_session = _start(
        client,
        campaign,
        donation,
        stripe_standin,
        frequency="monthly",
        name="Zoë Ávila",
        email="zoe@example.org",
    )
    subscription_id = stripe_standin.store.get("checkout.session", monthly_session)["subscription"]
    stripe_standin.renew(subscription_id, fail=True)
    stripe_standin.cancel_subscription(subscription_id)
    events = []
    for record in stripe_standin.events:
        events.append({key: value for key, value in record.items() if key != "delivery"})
    return events


def _post(client, settings, event):
    body = json.dumps(event).encode()
    response = client.post(
        "/stripe/webhook/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
    )
    assert response.status_code == 200, response.content
    return response


def _replay_with_duplicates(client, settings, events):
    """Each event delivered, then again at once, then the whole day again; Stripe's
    retry of the failed invoice comes as a new event about the same invoice."""
    for event in events:
        _post(client, settings, event)
        _post(client, settings, event)
    for event in events:
        _post(client, settings, event)
        if event["type"] == "invoice.payment_failed":
            _post(client, settings, event | {"id": event["id"] + "_retry"})


def _alerts_to(*users):
    addresses = {user.email for user in users}
    return [message for message in mail.outbox if message.to[0] in addresses]


def test_a_days_events_replayed_with_duplicates_alert_each_staff_user_once(
    client, settings, staff, days_events, django_capture_on_commit_callbacks
):
    bea, root, edna = staff
    with django_capture_on_commit_callbacks(execute=True):
        _replay_with_duplicates(client, settings, days_events)

    assert Gift.objects.counted().count() == 3  # $1,000, $20 and the first $50 charge
    assert MonthlyGift.objects.get().status == "canceled"
    assert sorted(message.subject for message in _alerts_to(bea)) == [
        "A monthly charge of Zoë Ávila failed",
        "Gift of $1,000.00 from Ana Peña",
        "Monthly gift cancelled by Zoë Ávila",
        "New monthly gift from Zoë Ávila",
    ]
    assert sorted(message.subject for message in _alerts_to(root)) == [
        "Donación de $1,000.00 de Ana Peña",
        "Donación de $20.00 de Bo Li",
        "Donación de $50.00 de Zoë Ávila",
    ]
    assert _alerts_to(edna) == []
    assert StaffAlert.objects.filter(sent_at__isnull=False).count() == 7

    # The whole day delivered once more, later: nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        _replay_with_duplicates(client, settings, days_events)
    assert len(_alerts_to(bea, root)) == 7


def test_alerts_carry_no_card_details(
    client, settings, staff, days_events, django_capture_on_commit_callbacks
):
    bea, root, _edna = staff
    with django_capture_on_commit_callbacks(execute=True):
        _replay_with_duplicates(client, settings, days_events)
    gift = Gift.objects.get(amount_cents=100000)
    assert (gift.card_last4, gift.card_brand) == ("4242", "visa")  # on file, not in mail
    alerts = _alerts_to(bea, root)
    assert alerts
    for message in alerts:
        texts = [message.subject, message.body] + [body for body, _ in message.alternatives]
        for text in texts:
            for detail in CARD_DETAILS:
                assert detail.lower() not in text.lower(), (detail, message.subject)
    body = next(m.body for m in alerts if m.subject.startswith("Gift of $1,000.00"))
    assert "Paid by: Card" in body
    assert f"/admin/donations/gift/{gift.pk}/change/" in body


def test_an_alert_the_mail_server_refused_is_sent_once_later(
    client, settings, staff, days_events, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.mail.backends.locmem import EmailBackend

    from donations import alerts

    real_send = EmailBackend.send_messages

    def refuse(backend, messages):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, settings, days_events[0])  # the $1,000 gift
    assert StaffAlert.objects.filter(sent_at__isnull=True, attempts=1).count() == 2
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert alerts.send_due_staff_alerts(older_than=timezone.timedelta(0)) == 2
    assert alerts.send_due_staff_alerts(older_than=timezone.timedelta(0)) == 0
    assert len(_alerts_to(*staff[:2])) == 2


def test_the_daily_digest_goes_once_to_those_who_asked(
    client, settings, staff, days_events, django_capture_on_commit_callbacks
):
    bea, root, edna = staff
    with django_capture_on_commit_callbacks(execute=True):
        _replay_with_duplicates(client, settings, days_events)
    mail.outbox.clear()
    # The day is over for the digest (the command itself waits for the next morning).
    today = timezone.localdate()
    assert alerts.send_daily_digests(today) == 1
    assert alerts.send_daily_digests(today) == 0
    assert [message.to for message in mail.outbox] == [[bea.email]]
    body = mail.outbox[0].body
    assert mail.outbox[0].subject.endswith(": 3, $1,070.00")
    for line in [
        "Gifts: 3",
        "Total: $1,070.00",
        "New donors: 3",
        "New monthly or yearly gifts: 1",
        "Cancelled monthly or yearly gifts: 1",
        "Failed payments: 1",
        "- $1,000.00 from Ana Peña (one time,",
    ]:
        assert line in body
    assert "4242" not in body


def test_the_digest_command_refuses_a_day_that_is_not_over(staff):
    """Sent once per day, a digest of an unfinished day would stand for all of it."""
    today = timezone.localdate()
    for day in (today, today + datetime.timedelta(days=1), datetime.date.max):
        with pytest.raises(CommandError, match="is not over yet"):
            call_command("send_staff_digest", date=day.isoformat(), stdout=io.StringIO())
    assert mail.outbox == [] and not StaffAlert.objects.exists()


def test_a_staff_user_chooses_their_own_alerts(client, bookkeeper):
    client.force_login(bookkeeper)
    page = client.get("/admin/donations/gift/alerts/")
    assert page.status_code == 200
    assert "E-mail me each gift of at least" in page.content.decode()
    response = client.post(
        "/admin/donations/gift/alerts/",
        {"gifts_from": "$1,000", "monthly_canceled": "on", "language": "es"},
    )
    assert response.status_code == 302
    pref = StaffAlertPreference.objects.get(user=bookkeeper)
    assert (pref.gifts_from_cents, pref.monthly_canceled, pref.monthly_started) == (
        100000,
        True,
        False,
    )
    assert pref.language == "es"
    bad = client.post("/admin/donations/gift/alerts/", {"gifts_from": "lots", "language": "en"})
    assert bad.status_code == 200
    assert "Enter an amount in dollars" in bad.content.decode()
    assert StaffAlertPreference.objects.get(user=bookkeeper).gifts_from_cents == 100000


def test_a_threshold_too_large_to_keep_is_refused_with_a_message(client, bookkeeper):
    client.force_login(bookkeeper)
    response = client.post(
        "/admin/donations/gift/alerts/", {"gifts_from": "999,999,999", "language": "en"}
    )

    assert response.status_code == 200
    assert "Enter an amount of at most $20,000,000." in response.content.decode()
    assert not StaffAlertPreference.objects.filter(user=bookkeeper).exists()


def test_an_editor_has_no_alerts_page(client, editor):
    client.force_login(editor)
    assert client.get("/admin/donations/gift/alerts/").status_code == 403


def test_no_alert_goes_to_a_former_staff_member(
    client, settings, staff, days_events, django_capture_on_commit_callbacks
):
    bea, root, _edna = staff
    User.objects.filter(pk=bea.pk).update(is_staff=False)
    with django_capture_on_commit_callbacks(execute=True):
        _replay_with_duplicates(client, settings, days_events)
    assert _alerts_to(bea) == []
    assert len(_alerts_to(root)) == 3


def test_events_in_reverse_order_still_alert_once(
    client, settings, staff, days_events, django_capture_on_commit_callbacks
):
    """Stripe promises no order: the cancellation may come before the payment that
    tells whose gift it was. The alert waits for the donor, and goes once."""
    bea, root, _edna = staff
    with django_capture_on_commit_callbacks(execute=True):
        _replay_with_duplicates(client, settings, list(reversed(days_events)))
    subjects = sorted(message.subject for message in _alerts_to(bea))
    assert subjects == [
        "Gift of $1,000.00 from Ana Peña",
        "Monthly gift cancelled by Zoë Ávila",
        "New monthly gift from Zoë Ávila",
    ]  # a charge that failed after the gift had ended is no news
    assert len(_alerts_to(root)) == 3
