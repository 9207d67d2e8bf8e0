"""The notices the site e-mails, in the admin: bookkeepers see the failed payment and
tribute notices, which went out and which did not and why, and may send the unsent
ones again now; nobody adds, edits or deletes one, and the list names people without
their addresses."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from donations.models import PaymentFailureNotice, Tribute, TributeNotice

pytestmark = pytest.mark.django_db

FAILURE_LIST = reverse("admin:donations_paymentfailurenotice_changelist")
TRIBUTE_LIST = reverse("admin:donations_tributenotice_changelist")


@pytest.fixture
def failure_notice(make_pledge):
    """Ana's $2,000 bank payment that failed, its notice not sent: the mail server was down."""
    pledge = make_pledge(amount=200000, payment_method="bank")
    return PaymentFailureNotice.objects.create(
        pledge=pledge,
        key="pi_failed_1",
        amount_cents=200000,
        attempts=1,
        error="Connection refused",
    )


@pytest.fixture
def tribute_notice(make_pledge, online_gift):
    """The notice to Luis of Ana's gift in memory of Rosa, not sent yet."""
    pledge = make_pledge()
    tribute = Tribute.objects.create(
        pledge=pledge,
        kind="memory",
        honoree="Rosa Martinez",
        notify_name="Luis Martinez",
        notify_email="luis@example.org",
        notify_message="Rosa taught me what a fair neighborhood is.",
    )
    return TributeNotice.objects.create(
        tribute=tribute, gift=online_gift(pledge=pledge), attempts=2, error="Connection refused"
    )


def _send_again(client, url, notice):
    return client.post(
        url, {"action": "send_again", "_selected_action": [str(notice.pk)]}, follow=True
    )


def test_the_failure_notice_list_shows_the_notice_and_not_the_address(
    bookkeeper_client, failure_notice
):
    html = bookkeeper_client.get(FAILURE_LIST).content.decode()
    for shown in ("Ana Lopez", "$2,000.00", "pi_failed_1", "Connection refused", "Send again now"):
        assert shown in html, shown
    assert "ana@example.org" not in html
    assert str(failure_notice.pledge.public_id) not in html
    page = bookkeeper_client.get(
        reverse("admin:donations_paymentfailurenotice_change", args=[failure_notice.pk])
    ).content.decode()
    assert "Ana Lopez" in page and "$2,000.00" in page
    assert "ana@example.org" not in page


def test_the_tribute_notice_list_shows_the_notice_and_not_the_addresses(
    bookkeeper_client, tribute_notice
):
    html = bookkeeper_client.get(TRIBUTE_LIST).content.decode()
    for shown in ("In memory of Rosa Martinez", "Luis Martinez", "Connection refused"):
        assert shown in html, shown
    assert reverse("admin:donations_gift_change", args=[tribute_notice.gift_id]) in html
    for hidden in ("luis@example.org", "ana@example.org", "fair neighborhood"):
        assert hidden not in html, hidden


def test_the_lists_filter_the_notices_not_sent_yet(bookkeeper_client, failure_notice, make_pledge):
    PaymentFailureNotice.objects.create(
        pledge=make_pledge(name="Bo Chen", email="bo@example.org"),
        key="pi_sent_1",
        amount_cents=5000,
        attempts=1,
        sent_at=timezone.now(),
    )
    unsent = bookkeeper_client.get(FAILURE_LIST, {"sent": "no"}).content.decode()
    assert "pi_failed_1" in unsent and "pi_sent_1" not in unsent
    sent = bookkeeper_client.get(FAILURE_LIST, {"sent": "yes"}).content.decode()
    assert "pi_sent_1" in sent and "pi_failed_1" not in sent


def test_nobody_adds_edits_or_deletes_a_notice(
    bookkeeper_client, superuser, client, failure_notice
):
    change = reverse("admin:donations_paymentfailurenotice_change", args=[failure_notice.pk])
    client.force_login(superuser)
    for user_client in (bookkeeper_client, client):
        assert (
            user_client.get(reverse("admin:donations_paymentfailurenotice_add")).status_code == 403
        )
        assert (
            user_client.get(
                reverse("admin:donations_paymentfailurenotice_delete", args=[failure_notice.pk])
            ).status_code
            == 403
        )
        user_client.post(change, {"key": "pi_other", "attempts": "0"})
    failure_notice.refresh_from_db()
    assert (failure_notice.key, failure_notice.attempts) == ("pi_failed_1", 1)


def test_staff_without_the_permission_are_refused(client, failure_notice, tribute_notice):
    staff = User.objects.create_user("pat", "pat@example.org", is_staff=True)
    client.force_login(staff)
    for url in (
        FAILURE_LIST,
        TRIBUTE_LIST,
        reverse("admin:donations_paymentfailurenotice_change", args=[failure_notice.pk]),
        reverse("admin:donations_tributenotice_change", args=[tribute_notice.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert _send_again(client, FAILURE_LIST, failure_notice).status_code == 403
    assert _send_again(client, TRIBUTE_LIST, tribute_notice).status_code == 403
    assert mail.outbox == []


def test_send_again_sends_an_unsent_failure_notice_once(bookkeeper_client, failure_notice):
    response = _send_again(bookkeeper_client, FAILURE_LIST, failure_notice)
    assert "E-mailed 1 notice." in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["ana@example.org"]
    assert "didn’t go through" in message.subject
    failure_notice.refresh_from_db()
    assert failure_notice.sent_at is not None
    assert (failure_notice.attempts, failure_notice.error) == (2, "")

    again = _send_again(bookkeeper_client, FAILURE_LIST, failure_notice).content.decode()
    assert "1 notice had already been e-mailed; it was not sent again." in again
    assert len(mail.outbox) == 1


def test_send_again_sends_an_unsent_tribute_notice_once(bookkeeper_client, tribute_notice):
    response = _send_again(bookkeeper_client, TRIBUTE_LIST, tribute_notice)
    assert "E-mailed 1 notice." in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["luis@example.org"]
    _send_again(bookkeeper_client, TRIBUTE_LIST, tribute_notice)
    assert len(mail.outbox) == 1
    tribute_notice.refresh_from_db()
    assert tribute_notice.sent_at is not None


def test_send_again_says_when_the_mail_server_refuses(
    bookkeeper_client, failure_notice, closed_port, mail_to_port
):
    mail_to_port(closed_port)
    html = _send_again(bookkeeper_client, FAILURE_LIST, failure_notice).content.decode()
    assert "1 notice could not be sent; its problem is in the list." in html
    failure_notice.refresh_from_db()
    assert (failure_notice.sent_at, failure_notice.attempts) == (None, 2)
