"""The bookkeepers' report: figures, efficiency, and the page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from donations import adjustments, checks, reports
from donations.models import Donor, Gift, MonthlyGift

from . import stripe_payloads as sp

START, END = datetime.date(2026, 3, 1), datetime.date(2026, 4, 30)


def _at(day, hour=12):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def ledger_rows(campaign, make_campaign, donor, bookkeeper, log_check, online_gift):
    """A small ledger over March and April 2026, with one of each kind of adjustment."""
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    cy = Donor.objects.create(name="Cy Diaz")
    online_gift(amount_cents=5000, given_at=_at(datetime.date(2026, 3, 2)))
    online_gift(
        donor=bo,
        amount_cents=2500,
        method=Gift.Method.WALLET,
        given_at=_at(datetime.date(2026, 3, 31), 23),
    )
    refunded = online_gift(donor=bo, amount_cents=4000, given_at=_at(datetime.date(2026, 4, 3)))
    adjustments.apply_refund(
        sp.charge(refunded.stripe_payment_intent_id, 4000, amount_refunded=1500),
        event=sp.event("charge.refunded", {}),
    )
    log_check(donor=cy, amount_cents=10000, received_on=datetime.date(2026, 4, 10))
    voided = log_check(donor=cy, amount_cents=20000, received_on=datetime.date(2026, 4, 11))
    checks.void_gift(voided, "bounced check", bookkeeper)
    # Outside the range, or another campaign: not in the report.
    online_gift(amount_cents=99900, given_at=_at(datetime.date(2026, 2, 28), 23))
    online_gift(amount_cents=88800, given_at=_at(datetime.date(2026, 5, 1), 0))
    other = make_campaign(slug="other")
    online_gift(campaign=other, amount_cents=77700, given_at=_at(datetime.date(2026, 3, 15)))
    MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_a", amount_cents=2000
    )
    MonthlyGift.objects.create(
        donor=bo, campaign=campaign, stripe_subscription_id="sub_b", amount_cents=3500
    )
    MonthlyGift.objects.create(
        donor=cy,
        campaign=campaign,
        stripe_subscription_id="sub_c",
        amount_cents=9900,
        status=MonthlyGift.Status.CANCELED,
    )
    return campaign


def test_the_report_adds_up(ledger_rows):
    figures = reports.campaign_report(start=START, end=END, campaign=ledger_rows)

    # 50 + 25 + (40 - 15) + 100; the voided check and the gifts outside do not count.
    assert figures["raised_cents"] == 20000
    assert figures["gifts"] == 4
    assert figures["donors"] == 3
    methods = {row["method"]: (row["gifts"], row["net_cents"]) for row in figures["methods"]}
    assert methods == {"card": (2, 7500), "wallet": (1, 2500), "check": (1, 10000)}
    months = [(row["month"].date(), row["gifts"], row["net_cents"]) for row in figures["months"]]
    # 11 pm on March 31 in Hartford is April in UTC: the month is the local one.
    assert months == [(datetime.date(2026, 3, 1), 2, 7500), (datetime.date(2026, 4, 1), 2, 12500)]
    assert (figures["refunds"], figures["refunded_cents"]) == (1, 1500)
    assert (figures["voids"], figures["voided_cents"]) == (1, 20000)
    assert (figures["monthly_donors"], figures["monthly_cents"]) == (2, 5500)


def test_the_report_of_all_campaigns_includes_the_others(ledger_rows):
    figures = reports.campaign_report(start=START, end=END)
    assert figures["raised_cents"] == 20000 + 77700


def test_the_report_runs_the_same_queries_whatever_the_size(
    campaign, donor, online_gift, django_assert_num_queries
):
    online_gift(given_at=_at(datetime.date(2026, 3, 5)))
    # Five for the figures, one for the tribute gifts, two for gross, fees and net
    # (donations.fee_totals), one for the sponsors' matches.
    with django_assert_num_queries(9) as few:
        reports.campaign_report(start=START, end=END, campaign=campaign)
    for day in range(1, 29):
        online_gift(
            donor=Donor.objects.create(name=f"D{day}"),
            given_at=_at(datetime.date(2026, 4, day)),
            method=Gift.Method.WALLET if day % 2 else Gift.Method.CARD,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        figures = reports.campaign_report(start=START, end=END, campaign=campaign)
    assert figures["gifts"] == 29


def test_the_report_page_shows_the_figures(bookkeeper_client, ledger_rows):
    response = bookkeeper_client.get(
        reverse("admin:donations_gift_report"),
        {"campaign": ledger_rows.pk, "start": "2026-03-01", "end": "2026-04-30"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert '<dd id="report-raised">$200.00</dd>' in html
    assert '<dd id="report-donors">3</dd>' in html
    assert "$55.00 a month" in html
    assert "Voided checks" in html and "$200.00" in html
    assert "start=2026-03-01" in html  # the export link keeps the range


def test_the_report_page_refuses_a_range_that_ends_before_it_starts(bookkeeper_client, campaign):
    response = bookkeeper_client.get(
        reverse("admin:donations_gift_report"), {"start": "2026-05-01", "end": "2026-04-01"}
    )

    html = response.content.decode()
    assert "The end date must not be before the start date." in html
    assert "report-raised" not in html


@pytest.mark.parametrize("name", ["report", "export"])
def test_a_date_in_the_last_year_a_date_can_hold_is_refused_with_a_message(
    bookkeeper_client, campaign, name
):
    # The day after the range's end, which the gifts are counted up to, is no date.
    response = bookkeeper_client.get(
        reverse(f"admin:donations_gift_{name}"),
        {"start": "9999-12-31", "end": "9999-12-31"},
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200 and not response.streaming
    assert "Enter a date before the year 9999." in html
    assert "report-raised" not in html


def test_the_report_page_defaults_to_this_year(bookkeeper_client, campaign, log_check):
    log_check(amount_cents=4200, received_on=timezone.localdate())

    html = bookkeeper_client.get(reverse("admin:donations_gift_report")).content.decode()

    assert '<dd id="report-raised">$42.00</dd>' in html


def test_a_dispute_lost_after_a_partial_refund_counts_what_the_dispute_took(campaign, donor):
    """Stripe disputes what was not refunded: a $60 gift refunded $20 loses $40 to the
    dispute, not $60 again (the refund is in its own row)."""
    gift = Gift(
        campaign=campaign,
        donor=donor,
        amount_cents=6000,
        refunded_cents=2000,
        dispute=Gift.Dispute.LOST,
        given_at=_at(datetime.date(2026, 4, 20)),
        stripe_payment_intent_id="pi_both",
    )
    gift.derive_status()
    gift.save()
    figures = reports.campaign_report(start=START, end=END, campaign=campaign)
    assert (figures["refunds"], figures["refunded_cents"]) == (1, 2000)
    assert (figures["disputes_lost"], figures["disputed_cents"]) == (1, 4000)
