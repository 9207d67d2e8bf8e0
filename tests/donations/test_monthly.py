"""Monthly gifts, the donor's side: the manage link, the signed page, the portal, a new
amount, and the card-update e-mail after a failed charge."""

import datetime
import io
import json
import re
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.management import call_command
from django.utils import timezone

from devtools.stripe_standin import sign_payload
from donations import monthly as monthly_service
from donations.models import Donor, Gift, MonthlyGift, MonthlyNotice

SAME_ANSWER = "If that address has given to us, we’ve sent it a link to “My giving”."


@pytest.fixture
def monthly_gift(client, campaign, stripe_standin, donation):
    """Ana's $50 monthly gift, started through the form, paid on the stand-in and
    confirmed on the thank-you page."""
    response = client.post(f"/give/{campaign.slug}/", donation(frequency="monthly"))
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)
    assert client.get("/give/thanks/", {"session_id": session_id}).status_code == 200
    mail.outbox.clear()  # the receipt
    return MonthlyGift.objects.get()


def _link_from(message):
    match = re.search(r"https?://\S+/give/manage/([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(0), match.group(1)


def _token(donor):
    return monthly_service.make_token(donor)


# Asking for a link ------------------------------------------------------------------


def test_it_asks_for_an_address(db, client):
    response = client.get("/give/manage/")
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()


def test_it_mails_a_signed_link_to_a_monthly_donor(client, monthly_gift, settings):
    response = client.post("/give/manage/", {"email": "ANA@example.org"})
    assert response.status_code == 200
    assert SAME_ANSWER in response.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    # To the address on file, as it is written there.
    assert message.to == ["ana@example.org"]
    url, _ = _link_from(message)
    assert url.startswith(settings.SITE_URL + "/give/manage/")


def test_it_answers_an_unknown_address_exactly_as_a_known_one(client, monthly_gift):
    known = client.post("/give/manage/", {"email": "ana@example.org"})
    unknown = client.post("/give/manage/", {"email": "nobody@example.org"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.content == known.content
    assert [t.name for t in unknown.templates] == [t.name for t in known.templates]
    # Both addresses get one e-mail; only the donor's holds a link.
    assert [m.to for m in mail.outbox] == [["ana@example.org"], ["nobody@example.org"]]
    assert "/give/manage/" in mail.outbox[0].body
    assert re.search(r"/give/manage/[^/\s]+/", mail.outbox[1].body) is None
    assert "We have no gift on record for this address" in mail.outbox[1].body


def test_the_link_goes_to_the_address_on_file_not_a_lookalike_typed(client, monthly_gift):
    # "\u212a" is the Kelvin sign: it lowercases to "k", so the typed address finds
    # the donor kate@..., yet it is another mailbox.
    Donor.objects.update(email="kate@example.org")
    client.post("/give/manage/", {"email": "\u212aate@example.org"})
    [message] = mail.outbox
    assert message.to == ["kate@example.org"]
    assert "/give/manage/" in message.body


def test_it_sends_no_link_for_a_donor_with_no_gift_on_record(client, campaign):
    Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    client.post("/give/manage/", {"email": "ana@example.org"})
    assert re.search(r"/give/manage/[^/\s]+/", mail.outbox[0].body) is None


def test_it_explains_a_bad_address(db, client):
    response = client.post("/give/manage/", {"email": "not-an-address"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter an e-mail address like name@example.org." in html
    assert 'aria-invalid="true"' in html
    assert mail.outbox == []


def test_it_limits_the_links_one_inbox_receives(client, monthly_gift):
    for _ in range(5):
        assert client.post("/give/manage/", {"email": "ana@example.org"}).status_code == 200
    assert len(mail.outbox) == 3


def test_it_answers_the_same_when_the_mail_server_is_down(client, monthly_gift, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    response = client.post("/give/manage/", {"email": "ana@example.org"})
    assert response.status_code == 200
    assert SAME_ANSWER in response.content.decode()


# The signed page --------------------------------------------------------------------


def test_it_lists_the_donors_monthly_gifts_from_the_link(client, monthly_gift):
    client.post("/give/manage/", {"email": "ana@example.org"})
    url, _ = _link_from(mail.outbox[0])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"$50/month to “{monthly_gift.campaign.title}”" in html
    assert "Active" in html
    assert "Update card or cancel" in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_it_refuses_an_expired_link_and_offers_a_new_one(client, monthly_gift, monkeypatch):
    token = _token(monthly_gift.donor)
    later = time.time() + monthly_service.LINK_MAX_AGE + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    response = client.get(f"/give/manage/{token}/")
    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has expired" in html
    assert 'action="/give/manage/"' in html


def test_it_accepts_a_link_within_the_hour(client, monthly_gift, monkeypatch):
    token = _token(monthly_gift.donor)
    later = time.time() + monthly_service.LINK_MAX_AGE - 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert client.get(f"/give/manage/{token}/").status_code == 200


@pytest.mark.parametrize(
    "mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "nonsense"]
)
def test_it_refuses_a_tampered_link(client, monthly_gift, mangle):
    response = client.get(f"/give/manage/{mangle(_token(monthly_gift.donor))}/")
    assert response.status_code == 404
    assert "This link doesn’t work" in response.content.decode()


def test_a_link_stops_working_when_the_donors_address_changes(client, monthly_gift):
    donor = monthly_gift.donor
    token = _token(donor)
    Donor.objects.filter(pk=donor.pk).update(email="new@example.org")
    assert client.get(f"/give/manage/{token}/").status_code == 404
    with pytest.raises(monthly_service.LinkInvalid):
        monthly_service.donor_from_token(token)


def test_it_sends_the_donor_to_the_stripe_portal(client, monthly_gift, stripe_standin, settings):
    token = _token(monthly_gift.donor)
    response = client.post(f"/give/manage/{token}/portal/")
    assert response.status_code == 303
    assert response["Location"].startswith(stripe_standin.url + "/portal/bps_")
    portal = stripe_standin.store.get(
        "billing_portal.session", response["Location"].rsplit("/", 1)[-1]
    )
    assert portal["customer"] == monthly_gift.donor.stripe_customer_id
    assert portal["customer"] == monthly_gift.stripe_customer_id
    assert portal["return_url"].startswith(settings.SITE_URL + "/give/manage/")


def test_it_says_so_when_the_portal_cannot_open(client, monthly_gift, stripe_standin, settings):
    settings.STRIPE_MAX_RETRIES = 0
    stripe_standin.fail_next(status=500)
    response = client.post(f"/give/manage/{_token(monthly_gift.donor)}/portal/")
    assert response.status_code == 503
    assert "Nothing changed; please try again." in response.content.decode()


def test_it_changes_the_monthly_amount_at_stripe_and_here(client, monthly_gift, stripe_standin):
    token = _token(monthly_gift.donor)
    response = client.post(
        f"/give/manage/{token}/amount/", {"monthly_id": monthly_gift.pk, "amount": "75.50"}
    )
    assert response.status_code == 303
    assert response["Location"] == f"/give/manage/{token}/?done=amount"
    subscription = stripe_standin.store.get("subscription", monthly_gift.stripe_subscription_id)
    assert subscription["items"]["data"][0]["price"]["unit_amount"] == 7550
    updates = [e for e in stripe_standin.events if e["type"] == "customer.subscription.updated"]
    assert updates, "Stripe announces the change with customer.subscription.updated"
    monthly_gift.refresh_from_db()
    assert monthly_gift.amount_cents == 7550
    page = client.get(response["Location"]).content.decode()
    assert "The new amount applies from your next charge." in page
    assert "$75.50/month" in page


@pytest.mark.parametrize(
    ("typed", "message"), [("2", "The smallest recurring gift is $5."), ("abc", "like 50 or 50.25")]
)
def test_it_refuses_a_bad_new_amount(client, monthly_gift, stripe_standin, typed, message):
    token = _token(monthly_gift.donor)
    response = client.post(
        f"/give/manage/{token}/amount/", {"monthly_id": monthly_gift.pk, "amount": typed}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    monthly_gift.refresh_from_db()
    assert monthly_gift.amount_cents == 5000
    subscription = stripe_standin.store.get("subscription", monthly_gift.stripe_subscription_id)
    assert subscription["items"]["data"][0]["price"]["unit_amount"] == 5000


def _new_amount(client, monthly_gift, typed):
    return client.post(
        f"/give/manage/{_token(monthly_gift.donor)}/amount/",
        {"monthly_id": monthly_gift.pk, "amount": typed},
    )


def _unit_amount(stripe_standin, monthly_gift):
    subscription = stripe_standin.store.get("subscription", monthly_gift.stripe_subscription_id)
    return subscription["items"]["data"][0]["price"]["unit_amount"]


def test_a_card_monthly_gift_stops_at_the_card_cap(client, monthly_gift, stripe_standin):
    response = _new_amount(client, monthly_gift, "25000.01")
    assert response.status_code == 400
    assert "A recurring gift online is limited to $25,000." in response.content.decode()
    assert _unit_amount(stripe_standin, monthly_gift) == 5000
    assert _new_amount(client, monthly_gift, "25000").status_code == 303
    assert _unit_amount(stripe_standin, monthly_gift) == 2_500_000


def test_a_bank_monthly_gift_may_grow_past_the_card_cap_up_to_the_bank_cap(
    client, monthly_gift, stripe_standin
):
    monthly_gift.pledge.payment_method = "bank"
    monthly_gift.pledge.save(update_fields=["payment_method"])
    monthly_gift.charges.update(method=Gift.Method.BANK)

    assert _new_amount(client, monthly_gift, "40000").status_code == 303
    monthly_gift.refresh_from_db()
    assert monthly_gift.amount_cents == 4_000_000
    assert _unit_amount(stripe_standin, monthly_gift) == 4_000_000

    response = _new_amount(client, monthly_gift, "100000.01")
    assert response.status_code == 400
    html = response.content.decode()
    assert "A recurring gift from a bank account is limited to $100,000." in html
    assert "$25,000" not in html
    monthly_gift.refresh_from_db()
    assert monthly_gift.amount_cents == 4_000_000
    assert _new_amount(client, monthly_gift, "100000").status_code == 303
    assert _unit_amount(stripe_standin, monthly_gift) == 10_000_000


def test_a_gift_pledged_from_a_bank_and_now_paid_by_card_has_the_card_cap(
    client, monthly_gift, stripe_standin
):
    # Started from a bank account, then moved to a card in Stripe's portal: its latest
    # charge was a card's, and the card's cap applies.
    monthly_gift.pledge.payment_method = "bank"
    monthly_gift.pledge.save(update_fields=["payment_method"])
    assert set(monthly_gift.charges.values_list("method", flat=True)) == {Gift.Method.CARD}
    response = _new_amount(client, monthly_gift, "40000")
    assert response.status_code == 400
    assert "A recurring gift online is limited to $25,000." in response.content.decode()
    assert _unit_amount(stripe_standin, monthly_gift) == 5000


def test_it_keeps_the_amount_when_stripe_is_down(client, monthly_gift, stripe_standin, settings):
    settings.STRIPE_MAX_RETRIES = 0
    stripe_standin.fail_next(status=500)
    response = client.post(
        f"/give/manage/{_token(monthly_gift.donor)}/amount/",
        {"monthly_id": monthly_gift.pk, "amount": "75"},
    )
    assert response.status_code == 503
    monthly_gift.refresh_from_db()
    assert monthly_gift.amount_cents == 5000


def test_it_refuses_to_change_another_donors_gift(client, monthly_gift, stripe_standin):
    stranger = Donor.objects.create(name="Sam", email="sam@example.org")
    response = client.post(
        f"/give/manage/{_token(stranger)}/amount/", {"monthly_id": monthly_gift.pk, "amount": "75"}
    )
    assert response.status_code == 404
    monthly_gift.refresh_from_db()
    assert monthly_gift.amount_cents == 5000


# A failed monthly charge ------------------------------------------------------------


def _post_event(client, settings, event):
    body = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
    )


def test_it_asks_once_per_failed_invoice_to_update_the_card(
    client, monthly_gift, stripe_standin, settings, django_capture_on_commit_callbacks
):
    invoice = stripe_standin.renew(monthly_gift.stripe_subscription_id, fail=True)
    failed = [e for e in stripe_standin.events if e["type"] == "invoice.payment_failed"]
    assert len(failed) == 1
    event = {k: v for k, v in failed[0].items() if k != "delivery"}
    # Stripe retries a failed invoice: each retry is a new event about the same invoice.
    retry = event | {"id": event["id"] + "retry"}
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_event(client, settings, event).status_code == 200
        assert _post_event(client, settings, event).status_code == 200
        assert _post_event(client, settings, retry).status_code == 200

    monthly_gift.refresh_from_db()
    assert monthly_gift.status == "past_due"
    notice = MonthlyNotice.objects.get()
    assert (notice.stripe_invoice_id, notice.sent_at is not None) == (invoice["id"], True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.org"]
    assert "$50.00" in message.body
    url, token = _link_from(message)
    assert monthly_service.donor_from_token(token) == monthly_gift.donor


def test_a_card_notice_that_could_not_be_sent_is_sent_on_a_later_try(
    monthly_gift, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        notice = monthly_service.ask_to_update_card(monthly_gift, "in_test_1")
    notice.refresh_from_db()
    assert (notice.sent_at, notice.attempts, notice.error) == (None, 1, "mail server down")
    assert mail.outbox == []

    monkeypatch.undo()
    assert monthly_service.deliver_card_notice(notice.pk) is True
    assert monthly_service.deliver_card_notice(notice.pk) is False  # never twice
    assert len(mail.outbox) == 1


def test_notices_a_mail_outage_held_back_are_sent_by_the_pending_run_once(
    client, monthly_gift, monkeypatch, django_capture_on_commit_callbacks
):
    """The request to update a card, and the confirmation of a new amount or of a
    cancellation, are not lost to a mail outage: the cron run that sends pending
    receipts sends them too, once."""

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monthly_gift.status = MonthlyGift.Status.PAST_DUE  # the charge that failed
    monthly_gift.save(update_fields=["status"])
    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        card = monthly_service.ask_to_update_card(monthly_gift, "in_test_1")
    monkeypatch.undo()
    call_command("send_pending_receipts", stdout=io.StringIO())
    call_command("send_pending_receipts", stdout=io.StringIO())
    card.refresh_from_db()
    assert card.sent_at is not None and (card.attempts, card.error) == (2, "")
    # (The receipt of the first charge, still due in this test, goes out with it.)
    [message] = [m for m in mail.outbox if "didn’t go through" in m.subject]
    assert message.to == ["ana@example.org"]


def test_a_notice_held_back_for_days_is_not_sent_late(
    client, monthly_gift, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monthly_gift.status = MonthlyGift.Status.PAST_DUE  # the charge that failed
    monthly_gift.save(update_fields=["status"])
    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        card = monthly_service.ask_to_update_card(monthly_gift, "in_test_old")
    monkeypatch.undo()
    MonthlyNotice.objects.filter(pk=card.pk).update(
        created_at=timezone.now() - monthly_service.NOTICE_MAX_AGE - timedelta(minutes=1)
    )
    assert monthly_service.send_due_card_notices() == 0
    card.refresh_from_db()
    assert card.sent_at is None
    assert not [m for m in mail.outbox if "didn’t go through" in m.subject]


def _send_the_receipt_first():
    """The fixture's receipt waits for a commit that never comes in a test: out of the way."""
    call_command("send_pending_receipts", stdout=io.StringIO())
    mail.outbox.clear()


def test_send_pending_receipts_sends_a_monthly_notice_a_mail_outage_held_back(
    monthly_gift, monkeypatch, django_capture_on_commit_callbacks
):
    """The task worker runs immediately here and cannot defer a retry: the cron
    line of send_pending_receipts is what sends the held-back notice."""
    _send_the_receipt_first()
    monthly_gift.status = MonthlyGift.Status.PAST_DUE
    monthly_gift.save(update_fields=["status"])
    monkeypatch.setattr(
        "django.core.mail.EmailMessage.send",
        lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionRefusedError("down")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice = monthly_service.ask_to_update_card(monthly_gift, "in_test_1")
    monkeypatch.undo()
    assert mail.outbox == []

    out = io.StringIO()
    call_command("send_pending_receipts", stdout=out)
    call_command("send_pending_receipts", stdout=io.StringIO())

    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert "Sent 1 monthly gift notice(s)." in out.getvalue()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]


def test_a_monthly_notice_the_mail_server_refused_is_queued_again_later(
    monthly_gift, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.tasks import task_backends

    monkeypatch.setattr(
        "django.core.mail.EmailMessage.send",
        lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionRefusedError("down")),
    )
    notice = MonthlyNotice.objects.create(monthly_gift=monthly_gift, stripe_invoice_id="in_1")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_service.deliver_card_notice(notice.pk) is False
    (queued,) = task_backends["default"].results
    assert queued.task.func == monthly_service.send_card_notice.func
    assert queued.args == [notice.pk]
    # The first failed try waits 2 minutes before the next.
    wait = queued.task.run_after - before
    assert datetime.timedelta(minutes=2) <= wait < datetime.timedelta(minutes=3)


def test_send_pending_receipts_drops_a_card_notice_once_the_gift_is_paid_again(
    monthly_gift, monkeypatch, django_capture_on_commit_callbacks
):
    _send_the_receipt_first()
    monkeypatch.setattr(
        "django.core.mail.EmailMessage.send",
        lambda *args, **kwargs: (_ for _ in ()).throw(ConnectionRefusedError("down")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        monthly_service.ask_to_update_card(monthly_gift, "in_test_1")
    monkeypatch.undo()
    assert monthly_gift.status == MonthlyGift.Status.ACTIVE  # a later charge went through

    call_command("send_pending_receipts", stdout=io.StringIO())

    assert mail.outbox == []


# Asking for a link takes the same work for every address ---------------------------


def _work_of_asking(client, email):
    """What one "e-mail me a link" request did, counted: database queries, templates
    rendered and calls to the mail backend. A deterministic stand-in for its time."""
    from django.core.mail.backends.locmem import EmailBackend
    from django.db import connection
    from django.test.signals import template_rendered
    from django.test.utils import CaptureQueriesContext

    rendered, mail_calls = [], []
    real_send_messages = EmailBackend.send_messages

    def send_messages(backend, messages):
        mail_calls.append(len(messages))
        return real_send_messages(backend, messages)

    def on_render(sender, template, context, **kwargs):
        rendered.append(template.name)

    EmailBackend.send_messages = send_messages
    template_rendered.connect(on_render)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/give/manage/", {"email": email})
    finally:
        template_rendered.disconnect(on_render)
        EmailBackend.send_messages = real_send_messages
    assert response.status_code == 200
    return {"queries": len(queries), "templates": rendered, "mail calls": mail_calls}


def test_it_does_the_same_work_for_a_known_and_an_unknown_address(client, campaign):
    monthly_donor = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    plan = MonthlyGift.objects.create(
        donor=monthly_donor, campaign=campaign, stripe_subscription_id="sub_x", amount_cents=5000
    )
    Gift.objects.create(
        donor=monthly_donor, campaign=campaign, monthly_gift=plan, amount_cents=5000
    )
    # On file but with no gift (its only one was never paid): nothing to show.
    Donor.objects.create(name="Bo Carter", email="bo@example.org")
    _work_of_asking(client, "warm-up@example.org")  # caches filled once

    work = {
        email: _work_of_asking(client, email)
        for email in ("ana@example.org", "bo@example.org", "nobody@example.org")
    }

    assert work["ana@example.org"] == work["bo@example.org"] == work["nobody@example.org"]
    assert work["nobody@example.org"]["mail calls"] == [1]
    # Only the e-mail of the donor with gifts holds a link.
    assert [bool(re.search(r"/give/manage/[^/\s]+/", m.body)) for m in mail.outbox[1:]] == [
        True,
        False,
        False,
    ]


# A card notice that cannot be sent ---------------------------------------------------


def _card_notice(campaign):
    donor = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    monthly = MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_y", amount_cents=5000
    )
    return MonthlyNotice.objects.create(monthly_gift=monthly, stripe_invoice_id="in_y")


def test_a_card_notice_with_a_line_break_in_the_address_is_noted_not_raised(campaign, caplog):
    notice = _card_notice(campaign)
    # Past the form's validation, as an import or a bug could write it.
    Donor.objects.filter(pk=notice.monthly_gift.donor_id).update(
        email="ana@example.org\nBcc: eve@example.org"
    )

    assert monthly_service.deliver_card_notice(notice.pk) is False

    notice.refresh_from_db()
    assert (notice.sent_at, notice.attempts) == (None, 1)
    assert notice.error and "@" not in notice.error
    assert mail.outbox == []
    [record] = [r for r in caplog.records if r.name == "donations.monthly"]
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert "example.org" not in record.getMessage()


def test_a_card_notice_that_cannot_be_built_is_noted_not_raised(campaign, monkeypatch, caplog):
    from django.tasks import TaskResultStatus
    from django.template import TemplateSyntaxError

    notice = _card_notice(campaign)

    def broken(*args, **kwargs):
        raise TemplateSyntaxError("Invalid block tag on line 3: 'endiff'")

    monkeypatch.setattr(monthly_service, "manage_url", broken)
    result = monthly_service.send_card_notice.enqueue(notice.pk)

    assert result.status == TaskResultStatus.SUCCESSFUL
    notice.refresh_from_db()
    assert (notice.sent_at, notice.attempts) == (None, 1)
    assert notice.error.startswith("TemplateSyntaxError")
    [record] = [r for r in caplog.records if r.name == "donations.monthly"]
    assert record.levelname == "ERROR"
    assert f"notice {notice.pk}" in record.getMessage()
