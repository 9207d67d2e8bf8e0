"""Bank payments (ACH) in the ledger: Stripe's events for a gift paid from a bank
account, delivered in many orders and with repeats, always end in the same state.

The events are the stand-in's own (the real client made the session, the stand-in's
page paid it with the bank debit, and `complete_delayed` settled it), posted to the
webhook shuffled, each maybe twice. A settled payment counts once, in the goal and the
feed, with one receipt; a failed one never counts, and the donor and staff hear of it
once.
"""

import datetime
import io
import json
import random

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import task_backends
from django.utils import timezone

from campaigns.models import FeedItem
from devtools.stripe_standin import sign_payload
from donations.bank_failures import deliver_failure_notice, send_failure_notice
from donations.models import (
    Gift,
    MonthlyGift,
    PaymentFailureNotice,
    Pledge,
    StaffAlert,
    StaffAlertPreference,
)
from donations.monthly import ask_to_update_card, make_token

pytestmark = pytest.mark.django_db

# Every order tried: Stripe's own, reversed, and shuffled ones with repeats.
ORDERS = ["as-sent", "reversed", *range(6)]


@pytest.fixture
def staff(bookkeeper):
    StaffAlertPreference.objects.create(
        user=bookkeeper, gifts_from_cents=50000, monthly_started=True, monthly_failed=True
    )
    return bookkeeper


@pytest.fixture
def bank_payment(client, campaign, donation, stripe_standin):
    """A $2,000 gift from a bank account, paid on the stand-in's page and settled:
    returns Stripe's events for it, in the order it sent them."""

    def pay(*, frequency="once", succeeded=True):
        response = client.post(
            f"/give/{campaign.slug}/",
            donation(
                amount="other",
                other_amount="2000",
                frequency=frequency,
                payment_method="bank",
                display_as="full",
            ),
        )
        assert response.status_code == 303
        session_id = response["Location"].rsplit("/", 1)[-1]
        stripe_standin.pay(session_id, outcome="delayed")
        stripe_standin.complete_delayed(session_id, succeeded=succeeded)
        events = []
        for record in stripe_standin.events:
            record.pop("delivery", None)
            events.append(record)
        return events

    return pay


def _in_order(events, order):
    if order == "as-sent":
        return list(events)
    if order == "reversed":
        return list(reversed(events))
    rng = random.Random(order)
    deliveries = events + rng.sample(events, k=rng.randint(1, len(events)))
    rng.shuffle(deliveries)
    return deliveries


def _deliver(client, settings, events, django_capture_on_commit_callbacks):
    for event in events:
        body = json.dumps(event).encode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/stripe/webhook/",
                body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
            )
        assert response.status_code == 200, response.content


def _mails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


@pytest.mark.parametrize("order", ORDERS)
def test_a_settled_one_time_bank_gift_counts_once(
    client, settings, campaign, staff, bank_payment, order, django_capture_on_commit_callbacks
):
    events = bank_payment()
    assert [e["type"] for e in events] == [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    ]
    _deliver(client, settings, _in_order(events, order), django_capture_on_commit_callbacks)

    gift = Gift.objects.get()
    assert (gift.status, gift.counted, gift.method) == ("succeeded", True, "bank")
    assert (gift.amount_cents, gift.receipt_status) == (200000, "sent")
    assert gift.pledge.payment_method == "bank"
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (1, 200000)
    assert list(FeedItem.objects.filter(withdrawn=False).values_list("kind", flat=True)) == [
        "donated"
    ]
    (receipt,) = _mails_to("ana@example.org")
    assert "receipt" in receipt.subject.lower()
    assert len(_mails_to(staff.email)) == 1  # the gift alert, not a failure
    assert not PaymentFailureNotice.objects.exists()


@pytest.mark.parametrize("order", ["as-sent", "reversed"])
def test_a_settled_bank_gift_is_dated_when_it_was_given_in_any_order(
    client, settings, campaign, bank_payment, order, django_capture_on_commit_callbacks
):
    """The debit settles days after Checkout: the gift is dated when the donor gave,
    as when the events come in Stripe's order, also when the settlement comes first
    (a redelivery) and would otherwise date it days later, maybe in another year."""
    completed, settled = bank_payment()
    given = timezone.now() - datetime.timedelta(days=4)
    completed["created"] = int(given.timestamp())
    _deliver(
        client, settings, _in_order([completed, settled], order), django_capture_on_commit_callbacks
    )

    assert Gift.objects.get().given_at == given.replace(microsecond=0)


@pytest.mark.parametrize("order", ORDERS)
def test_a_failed_one_time_bank_gift_never_counts_and_is_told_once(
    client, settings, campaign, staff, bank_payment, order, django_capture_on_commit_callbacks
):
    events = bank_payment(succeeded=False)
    assert [e["type"] for e in events] == [
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
    ]
    _deliver(client, settings, _in_order(events, order), django_capture_on_commit_callbacks)

    gift = Gift.objects.get()
    # Paid from a bank account, though no event brought the charge that says so.
    assert (gift.status, gift.counted, gift.method) == ("failed", False, "bank")
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (0, 0)
    assert not FeedItem.objects.filter(withdrawn=False).exists()
    (notice,) = _mails_to("ana@example.org")
    assert notice.subject == "Your bank payment to Open Communities Alliance didn’t go through"
    assert "no money was taken" in notice.body
    assert "$2,000.00" in notice.body
    assert campaign.get_absolute_url() in notice.body
    (alert,) = _mails_to(staff.email)
    assert alert.subject == "A bank payment from Ana Lopez didn’t go through"
    assert "Nothing was counted" in alert.body
    assert StaffAlert.objects.get().kind == "bank_failed"
    assert PaymentFailureNotice.objects.get().sent_at is not None


@pytest.mark.parametrize("order", ORDERS)
def test_a_monthly_bank_gift_starts_once_its_first_invoice_is_paid(
    client, settings, campaign, staff, bank_payment, order, django_capture_on_commit_callbacks
):
    events = bank_payment(frequency="monthly")
    assert [e["type"] for e in events] == [
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.paid",
        "customer.subscription.updated",
        "checkout.session.async_payment_succeeded",
    ]
    _deliver(client, settings, _in_order(events, order), django_capture_on_commit_callbacks)

    monthly = MonthlyGift.objects.get()
    assert monthly.status == "active"
    assert monthly.donor.email == "ana@example.org"
    gift = Gift.objects.get()
    assert (gift.status, gift.counted, gift.starts_monthly) == ("succeeded", True, True)
    assert (gift.method, gift.receipt_status) == ("bank", "sent")
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (1, 200000)
    assert list(FeedItem.objects.filter(withdrawn=False).values_list("kind", flat=True)) == [
        "monthly"
    ]
    assert len(_mails_to("ana@example.org")) == 1
    assert not PaymentFailureNotice.objects.exists()


@pytest.mark.parametrize("order", ORDERS)
def test_a_monthly_bank_gift_whose_first_debit_fails_never_starts(
    client, settings, campaign, staff, bank_payment, order, django_capture_on_commit_callbacks
):
    events = bank_payment(frequency="monthly", succeeded=False)
    assert [e["type"] for e in events] == [
        "customer.subscription.created",
        "checkout.session.completed",
        "invoice.payment_failed",
        "checkout.session.async_payment_failed",
    ]
    _deliver(client, settings, _in_order(events, order), django_capture_on_commit_callbacks)

    monthly = MonthlyGift.objects.get()
    assert (monthly.status, monthly.donor) == ("incomplete", None)
    assert not Gift.objects.exists()
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (0, 0)
    assert not FeedItem.objects.exists()
    # One e-mail, about the bank payment: no "update your card" for a bank account.
    (notice,) = _mails_to("ana@example.org")
    assert "the monthly gift has not started" in notice.body
    (alert,) = _mails_to(staff.email)
    assert "didn’t go through" in alert.subject
    assert PaymentFailureNotice.objects.get().pledge == Pledge.objects.get()


def test_a_later_failed_debit_of_a_bank_monthly_gift_asks_for_no_card(
    client, settings, bank_payment, django_capture_on_commit_callbacks
):
    """The gift started from a bank account and is still paid from it: the donor is
    asked to update their payment details, not told that a card they never gave has
    expired."""
    _deliver(
        client, settings, bank_payment(frequency="monthly"), django_capture_on_commit_callbacks
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ask_to_update_card(MonthlyGift.objects.get(), "in_later_debit")

    (notice,) = _mails_to("ana@example.org")
    assert "This month’s charge of $2,000.00" in notice.body
    assert "Your bank account may have changed" in notice.body
    assert "update your payment details" in notice.body
    assert "card" not in notice.body
    assert "card" not in notice.alternatives[0][0]


def test_my_giving_asks_a_bank_donor_whose_debit_failed_for_no_card(
    client, settings, bank_payment, django_capture_on_commit_callbacks
):
    _deliver(
        client, settings, bank_payment(frequency="monthly"), django_capture_on_commit_callbacks
    )
    monthly = MonthlyGift.objects.get()
    MonthlyGift.objects.filter(pk=monthly.pk).update(status=MonthlyGift.Status.PAST_DUE)

    html = client.get(f"/give/manage/{make_token(monthly.donor)}/").content.decode()

    assert "the last debit from your bank account didn’t go through" in html
    assert "please update your card" not in html
    assert ">Update payment details or cancel</button>" in html
    assert "Update card or cancel" not in html


def test_a_yearly_bank_gift_whose_first_debit_fails_is_told_as_a_yearly_gift(
    client, settings, campaign, bookkeeper, bank_payment, django_capture_on_commit_callbacks
):
    """Not as a one-time gift: the donor learns the yearly gift has not started, and
    staff who follow failed recurring charges hear of it, pointed to recurring gifts
    (no failed gift is booked for a recurring one)."""
    StaffAlertPreference.objects.create(user=bookkeeper, monthly_failed=True)
    events = bank_payment(frequency="annual", succeeded=False)
    _deliver(client, settings, events, django_capture_on_commit_callbacks)

    assert MonthlyGift.objects.get().status == "incomplete"
    (notice,) = _mails_to("ana@example.org")
    assert "the yearly gift has not started" in notice.body
    (alert,) = _mails_to(bookkeeper.email)
    assert "didn’t go through" in alert.subject
    assert "/admin/donations/monthlygift/" in alert.body


def test_the_thank_you_page_of_a_pending_bank_gift_says_it_is_processing(
    client, campaign, donation, stripe_standin
):
    response = client.post(
        f"/give/{campaign.slug}/",
        donation(amount="other", other_amount="2000", payment_method="bank"),
    )
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id, outcome="delayed")
    html = client.get("/give/thanks/", {"session_id": session_id}).content.decode()
    assert "we’re confirming your payment" in html
    assert "few business days" in html
    assert "is confirmed" not in html
    gift = Gift.objects.get()
    assert (gift.status, gift.counted, gift.receipt_status) == ("pending", False, "pending")
    assert mail.outbox == []


@pytest.mark.parametrize("frequency", ["once", "monthly"])
def test_the_thank_you_page_of_a_failed_bank_gift_no_longer_says_it_is_processing(
    client, settings, bank_payment, frequency, django_capture_on_commit_callbacks
):
    """Coming back to the page (a reload, the browser's history) after the debit failed
    must not promise a receipt: the payment is over, and nothing was taken."""
    events = bank_payment(frequency=frequency, succeeded=False)
    _deliver(client, settings, events, django_capture_on_commit_callbacks)
    session_id = Pledge.objects.get().stripe_checkout_session_id

    html = client.get("/give/thanks/", {"session_id": session_id}).content.decode()

    assert "your bank payment didn’t go through" in html
    assert "no money was taken" in html
    assert "we’re confirming your payment" not in html
    assert "we’ll e-mail your receipt" not in html


def test_a_mail_outage_leaves_the_failure_notice_due_and_a_second_send_delivers_it(
    client,
    settings,
    campaign,
    bank_payment,
    closed_port,
    mail_to_port,
    django_capture_on_commit_callbacks,
):
    default_mailers = settings.MAILERS
    mail_to_port(closed_port)
    _deliver(client, settings, bank_payment(succeeded=False), django_capture_on_commit_callbacks)
    notice = PaymentFailureNotice.objects.get()
    assert (notice.sent_at, notice.attempts) == (None, 1)
    assert notice.error and "ana@example.org" not in notice.error

    settings.MAILERS = default_mailers
    assert deliver_failure_notice(notice.pk) is True
    assert deliver_failure_notice(notice.pk) is False  # sent once only
    (message,) = _mails_to("ana@example.org")
    assert "didn’t go through" in message.subject


def _send_pending():
    out = io.StringIO()
    call_command("send_pending_receipts", stdout=out)
    return out.getvalue()


def test_send_pending_receipts_sends_a_failure_notice_the_mail_server_refused_once_only(
    client,
    settings,
    campaign,
    bank_payment,
    closed_port,
    mail_to_port,
    django_capture_on_commit_callbacks,
):
    default_mailers = settings.MAILERS
    mail_to_port(closed_port)
    _deliver(client, settings, bank_payment(succeeded=False), django_capture_on_commit_callbacks)
    notice = PaymentFailureNotice.objects.get()
    assert (notice.sent_at, notice.attempts) == (None, 1)
    assert notice.error
    assert "Sent 0 failed payment notice(s)." in _send_pending()  # the server is still down
    notice.refresh_from_db()
    assert (notice.sent_at, notice.attempts) == (None, 2)

    settings.MAILERS = default_mailers
    assert "Sent 1 failed payment notice(s)." in _send_pending()
    assert "Sent 0 failed payment notice(s)." in _send_pending()
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert (notice.attempts, notice.error) == (3, "")
    (message,) = _mails_to("ana@example.org")
    assert "didn’t go through" in message.subject


def test_a_refused_failure_notice_is_queued_again_later_where_the_backend_can_wait(
    client,
    settings,
    campaign,
    bank_payment,
    closed_port,
    mail_to_port,
    django_capture_on_commit_callbacks,
):
    mail_to_port(closed_port)
    _deliver(client, settings, bank_payment(succeeded=False), django_capture_on_commit_callbacks)
    notice = PaymentFailureNotice.objects.get()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver_failure_notice(notice.pk) is False
    (queued,) = task_backends["default"].results
    assert queued.task.func == send_failure_notice.func
    assert queued.args == [notice.pk]
    # The second failed try waits 2**2 minutes before the next.
    wait = queued.task.run_after - before
    assert datetime.timedelta(minutes=4) <= wait < datetime.timedelta(minutes=5)


def test_a_sent_failure_notice_is_never_sent_again(
    client, settings, campaign, bank_payment, django_capture_on_commit_callbacks
):
    _deliver(client, settings, bank_payment(succeeded=False), django_capture_on_commit_callbacks)
    notice = PaymentFailureNotice.objects.get()
    assert notice.sent_at is not None
    assert "Sent 0 failed payment notice(s)." in _send_pending()
    assert deliver_failure_notice(notice.pk) is False
    assert len(_mails_to("ana@example.org")) == 1
    notice.refresh_from_db()
    assert notice.attempts == 1
