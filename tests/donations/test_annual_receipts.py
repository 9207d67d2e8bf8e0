"""What a donor (and staff) read about a yearly gift: its receipt by e-mail, its line
on the year-end statement, the notices about it, and "My giving"."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from donations import monthly, receipts
from donations.ledger import SubscriptionChange
from donations.models import Interval, MonthlyGift, MonthlyNotice


def _at(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def yearly_plan(campaign, donor):
    return MonthlyGift.objects.create(
        donor=donor,
        campaign=campaign,
        stripe_subscription_id="sub_yearly",
        stripe_customer_id="cus_yearly",
        amount_cents=12000,
        interval=Interval.YEAR,
        next_charge_at=_at(datetime.date(2027, 3, 14)),
    )


@pytest.fixture
def yearly_charge(online_gift, yearly_plan):
    def make(**fields):
        values = {
            "amount_cents": 12000,
            "frequency": "annual",
            "monthly_gift": yearly_plan,
            "starts_monthly": True,
            "stripe_invoice_id": "in_yearly_1",
        }
        return online_gift(**(values | fields))

    return make


def test_the_receipt_of_a_yearly_charge_says_yearly(
    yearly_charge, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the receipt follows the commit
        yearly_charge(given_at=_at(datetime.date(2026, 3, 14)))

    (message,) = mailoutbox
    assert "Amount: $120.00 (yearly gift)" in message.body
    assert "Your yearly gift: $120.00 a year. Next charge: March 14, 2027." in message.body
    assert "monthly" not in message.body
    html = message.alternatives[0][0]
    assert "$120.00 (yearly gift)" in html
    assert "Your yearly gift: $120.00 a year." in html


def test_the_receipt_of_a_yearly_charge_in_spanish(
    yearly_charge, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        yearly_charge(given_at=_at(datetime.date(2026, 3, 14)), language="es")

    (message,) = mailoutbox
    assert "(donación anual)" in message.body
    assert "Su donación anual: $120.00 al año." in message.body


def test_the_receipt_context_of_a_monthly_charge_is_unchanged(online_gift, campaign, donor):
    plan = MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_m", amount_cents=2500
    )
    gift = online_gift(amount_cents=2500, frequency="monthly", monthly_gift=plan)
    context = receipts.receipt_context(gift)
    assert (context["is_monthly"], context["is_annual"]) == (True, False)
    assert receipts.recurring_label(gift) == "monthly gift"


def test_the_year_end_statement_marks_yearly_gifts(yearly_charge, online_gift, mailoutbox):
    yearly_charge(given_at=_at(datetime.date(2025, 3, 14)))
    online_gift(amount_cents=5000, given_at=_at(datetime.date(2025, 7, 4)))
    mailoutbox.clear()

    call_command("send_year_end_statements", "2025", stdout=None)

    (message,) = mailoutbox
    assert "March 14, 2025: $120.00, yearly gift (" in message.body
    assert "July 4, 2025: $50.00 (" in message.body
    html = message.alternatives[0][0]
    assert "$120.00 (yearly gift)" in html


def test_my_giving_shows_the_yearly_amount_and_the_next_charge(
    client, yearly_charge, yearly_plan, donor
):
    yearly_charge(given_at=_at(datetime.date(2026, 3, 14)))
    page = client.get(monthly.manage_url(donor)).content.decode()
    assert f"$120/year to “{yearly_plan.campaign.title}”" in page
    assert "Next charge: March 14, 2027." in page
    assert "New yearly amount, in dollars" in page
    assert "(yearly gift)" in page


def test_the_notice_of_a_new_yearly_amount_says_a_year(
    yearly_plan, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        monthly.confirm_change(SubscriptionChange(yearly_plan, MonthlyNotice.Kind.AMOUNT))

    (message,) = mailoutbox
    assert message.subject == "Your yearly gift’s new amount is confirmed"
    assert "is now $120.00 a year" in message.body


def test_staff_alerts_about_a_yearly_gift_say_yearly(yearly_plan):
    from donations.alerts import BUILDERS
    from donations.models import StaffAlert

    Kind = StaffAlert.Kind
    started = StaffAlert(kind=Kind.MONTHLY_STARTED, key=str(yearly_plan.pk))
    subject, context = BUILDERS[Kind.MONTHLY_STARTED](started)
    assert subject == "New yearly gift from Ana Lopez"
    assert ("Amount", "$120.00 a year") in context["lines"]
    failed = StaffAlert(kind=Kind.MONTHLY_FAILED, key=f"{yearly_plan.pk}:in_1")
    assert BUILDERS[Kind.MONTHLY_FAILED](failed)[0] == "A yearly charge of Ana Lopez failed"


def test_staff_filter_recurring_gifts_by_interval(bookkeeper_client, yearly_plan, campaign):
    MonthlyGift.objects.create(
        campaign=campaign, stripe_subscription_id="sub_monthly", amount_cents=2500
    )
    url = "/admin/donations/monthlygift/"
    page = bookkeeper_client.get(url).content.decode()
    assert "By repeats" in page
    yearly = bookkeeper_client.get(url, {"interval__exact": "year"}).content.decode()
    monthly = bookkeeper_client.get(url, {"interval__exact": "month"}).content.decode()
    assert "Ana Lopez" in yearly and "$120.00" in yearly
    assert "Ana Lopez" not in monthly and "$25.00" in monthly
