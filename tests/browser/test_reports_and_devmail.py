"""The report's charts, the bookkeepers' dashboard and /dev/mail/ in Chromium:
no accessibility findings, in the admin's light and dark themes, and valid markup."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone
from playwright.sync_api import expect

from devtools import devmail
from donations.models import Donor, Gift, MonthlyGift
from tests.browser.test_backoffice import _bookkeepers
from tests.quality import assert_no_axe_violations, assert_valid_html

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-bea-charts-1"


@pytest.fixture
def ledger(live_server, campaign):
    user = User.objects.create_user("bea", "bea@example.org", PASSWORD, is_staff=True)
    user.groups.add(_bookkeepers())
    today = timezone.localdate()
    for months_back, cents in enumerate([5000, 12000, 2500, 30000, 7500, 9900, 4000, 15000]):
        day = (today.replace(day=1) - datetime.timedelta(days=31 * months_back)).replace(day=10)
        for method in ("card", "check") if months_back % 3 == 0 else ("wallet",):
            donor = Donor.objects.create(name=f"D{months_back}{method}", email="")
            gift = Gift(
                campaign=campaign,
                donor=donor,
                amount_cents=cents,
                method=method,
                given_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12))),
                stripe_payment_intent_id=f"pi_chart{months_back}{method}",
                receipt_status=Gift.Receipt.SENT,
            )
            gift.derive_status()
            gift.save()
    MonthlyGift.objects.create(
        donor=donor,
        campaign=campaign,
        stripe_subscription_id="sub_chart",
        amount_cents=2000,
        started_at=timezone.now() - datetime.timedelta(days=90),
    )
    return live_server.url


def _log_in(page, url):
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "bea")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("bea")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_charts_and_the_dashboard_pass_axe_in_both_themes(page, ledger, scheme):
    page.emulate_media(color_scheme=scheme)
    _log_in(page, ledger)
    expect(page.locator("#dashboard-title")).to_have_text("Today at a glance")
    assert_no_axe_violations(page, context=".bookkeeper-dashboard")

    start = (timezone.localdate() - datetime.timedelta(days=240)).isoformat()
    page.goto(f"{ledger}/admin/donations/gift/report/?start={start}")
    charts = page.locator(".report-chart svg[role=img]")
    expect(charts).to_have_count(4)
    for index in range(4):
        assert charts.nth(index).bounding_box()["height"] > 80
    page.locator("#chart-methods summary").click()
    expect(page.locator("#chart-methods table")).to_be_visible()
    assert_no_axe_violations(page, context=".report-charts")


def test_dev_mail_pages_are_valid_and_show_the_html_in_a_sandbox(
    page, live_server, settings, tmp_path, monkeypatch
):
    settings.DEBUG = True
    monkeypatch.setattr(devmail, "default_directory", lambda: tmp_path)
    link = f"{settings.SITE_URL}/give/manage/{'x' * 90}/"
    message = EmailMultiAlternatives(
        "Your receipt", f"Thank you.\n\n{link}\n", to=["a@example.org"]
    )
    message.attach_alternative(f'<p>Thank you. <a href="{link}">Manage</a></p>', "text/html")
    devmail.ReadableConsoleBackend(directory=tmp_path).send_messages([message])

    page.goto(f"{live_server.url}/dev/mail/")
    assert_valid_html(page.content())
    assert_no_axe_violations(page)
    page.click("text=Your receipt")
    frame = page.frame_locator("iframe.devmail-html")
    expect(frame.locator("a")).to_have_attribute("href", link)
    expect(page.locator("pre.devmail-text a")).to_have_attribute("href", link)
    assert_valid_html(page.content())
    assert_no_axe_violations(page)
