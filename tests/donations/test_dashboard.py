"""The bookkeepers' dashboard on the admin's home page."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from campaigns.formatting import format_date
from donations import adjustments, checks, dashboard
from donations.models import Deposit, Donor, Gift

from . import stripe_payloads as sp


def _today_at(hour):
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(hour)))


def _section(html, card):
    return html.split(f'id="dashboard-{card}"', 1)[1].split("</article>", 1)[0]


@pytest.fixture
def day(campaign, donor, bookkeeper, log_check, online_gift):
    """Two gifts today (one partly refunded), one earlier this month, one last month,
    two open deposits and a closed one, and receipts in every state."""
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    now = timezone.now()
    online_gift(amount_cents=5000, given_at=now, receipt_status=Gift.Receipt.SENT)
    refunded = online_gift(
        donor=bo, amount_cents=4000, given_at=now, receipt_status=Gift.Receipt.SENT
    )
    adjustments.apply_refund(
        sp.charge(refunded.stripe_payment_intent_id, 4000, amount_refunded=1000),
        event=sp.event("charge.refunded", {}),
    )
    month_start = timezone.localdate().replace(day=1)
    earlier = timezone.make_aware(datetime.datetime.combine(month_start, datetime.time(0, 30)))
    if earlier.date() != timezone.localdate():
        online_gift(amount_cents=2500, given_at=earlier, receipt_status=Gift.Receipt.SENT)
    last_month = earlier - datetime.timedelta(days=2)
    online_gift(amount_cents=90000, given_at=last_month, receipt_status=Gift.Receipt.SENT)

    # Checks that arrived last month: open money, not this month's gifts.
    received = month_start - datetime.timedelta(days=3)
    older = Deposit.objects.create(
        deposited_on=timezone.localdate() - datetime.timedelta(days=9), bank_reference="SLIP-1"
    )
    newer = Deposit.objects.create(deposited_on=timezone.localdate(), bank_reference="SLIP-2")
    log_check(amount_cents=10000, deposit=older, received_on=received, send_receipt=False)
    log_check(amount_cents=3000, deposit=newer, received_on=received, send_receipt=False)
    bounced = log_check(amount_cents=7000, deposit=newer, received_on=received, send_receipt=False)
    checks.void_gift(bounced, "bounced check", bookkeeper)
    closed = Deposit.objects.create(
        deposited_on=timezone.localdate(), bank_reference="SLIP-0", expected_total_cents=50000
    )
    log_check(amount_cents=50000, deposit=closed, received_on=received, send_receipt=False)
    checks.close_deposit(closed, bookkeeper)

    failed = online_gift(
        amount_cents=1200,
        given_at=now - datetime.timedelta(days=40),
        receipt_status=Gift.Receipt.FAILED,
        receipt_error="421 try later",
    )
    stuck = online_gift(
        donor=bo,
        amount_cents=1300,
        given_at=now - datetime.timedelta(days=40),
        receipt_status=Gift.Receipt.PENDING,
    )
    Gift.objects.filter(pk=stuck.pk).update(created_at=now - datetime.timedelta(hours=3))
    # Pending for a minute only: on its way, not a problem.
    online_gift(amount_cents=1400, given_at=now - datetime.timedelta(days=40))
    return {"failed": failed, "stuck": stuck}


def test_a_bookkeeper_sees_today_the_month_open_deposits_and_stuck_receipts(bookkeeper_client, day):
    response = bookkeeper_client.get(reverse("admin:index"))
    html = response.content.decode()

    assert response.status_code == 200
    today = _section(html, "today")
    # $50 + ($40 - $10 refunded); last month's $900 is not today's.
    assert "$80.00" in today and "2 gifts" in today

    month = _section(html, "month")
    # Today's $80, and $25 on the 1st unless today is the 1st; not last month's $900.
    first_of_month = timezone.localdate().day == 1
    assert ("$80.00" if first_of_month else "$105.00") in month
    assert ("2 gifts" if first_of_month else "3 gifts") in month

    deposits = _section(html, "deposits")
    # $100 + $30; the voided check and the closed deposit's $500 are not open money.
    assert "$130.00" in deposits and "2 open deposits" in deposits
    oldest = timezone.localdate() - datetime.timedelta(days=9)
    assert "SLIP-1" in deposits and "SLIP-0" not in deposits
    assert deposits.index("SLIP-1") < deposits.index("SLIP-2")  # the oldest first
    assert f"oldest from {format_date(oldest)}" in deposits

    receipts = _section(html, "receipts")
    assert '<p class="dashboard-figure">2</p>' in receipts
    assert reverse("admin:donations_gift_change", args=[day["failed"].pk]) in receipts
    assert reverse("admin:donations_gift_change", args=[day["stuck"].pk]) in receipts
    assert "421 try later" in receipts
    assert "$14.00" not in receipts


def test_the_dashboard_costs_a_handful_of_queries(
    bookkeeper_client, day, online_gift, django_assert_max_num_queries, django_assert_num_queries
):
    # The admin's home page itself runs five (session, user, permissions, recent
    # actions) and one for the organization (the placeholder-EIN banner on every
    # admin page); the dashboard adds five aggregate or short list queries.
    with django_assert_max_num_queries(11):
        response = bookkeeper_client.get(reverse("admin:index"))
    assert "Today at a glance" in response.content.decode()

    for _ in range(12):
        online_gift(given_at=timezone.now(), receipt_status=Gift.Receipt.FAILED)
        Deposit.objects.create(deposited_on=timezone.localdate())
    with django_assert_num_queries(5):
        figures = dashboard.figures()
    assert figures["receipts"]["count"] == 14
    assert len(figures["receipts"]["listed"]) == dashboard.LISTED


def test_other_staff_see_the_plain_home_page(client, day):
    editor = User.objects.create_user("ed", is_staff=True)
    client.force_login(editor)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "Today at a glance" not in response.content.decode()


def test_with_nothing_to_do_it_says_so(bookkeeper_client):
    html = bookkeeper_client.get(reverse("admin:index")).content.decode()

    assert "$0.00" in _section(html, "today") and "0 gifts" in _section(html, "today")
    assert "0 open deposits" in _section(html, "deposits")
    assert "Every receipt due has gone out." in _section(html, "receipts")
