"""The report's SVG charts: their geometry follows the ledger, and so do their tables."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from donations import charts, checks
from donations.models import Donor, Gift, MonthlyGift

SVG = "{http://www.w3.org/2000/svg}"


def _at(day, hour=12):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def ledger(campaign, donor, bookkeeper, log_check, online_gift):
    """March and April 2026, and March 2025 a year earlier."""
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    online_gift(amount_cents=5000, given_at=_at(datetime.date(2026, 3, 2)))
    online_gift(
        donor=bo,
        amount_cents=2500,
        method=Gift.Method.WALLET,
        given_at=_at(datetime.date(2026, 3, 20)),
    )
    log_check(donor=bo, amount_cents=15000, received_on=datetime.date(2026, 4, 10))
    voided = log_check(donor=bo, amount_cents=90000, received_on=datetime.date(2026, 4, 11))
    checks.void_gift(voided, "bounced check", bookkeeper)
    online_gift(amount_cents=4000, given_at=_at(datetime.date(2025, 3, 9)))
    online_gift(amount_cents=1000, given_at=_at(datetime.date(2025, 4, 9)))
    online_gift(amount_cents=1000, given_at=_at(datetime.date(2025, 4, 19)))
    return campaign


def _page(client, campaign, start="2026-03-01", end="2026-04-30"):
    response = client.get(
        reverse("admin:donations_gift_report"),
        {"campaign": campaign.pk, "start": start, "end": end},
    )
    assert response.status_code == 200
    return response.content.decode()


def _svg(html, chart_id):
    figure = html.split(f'id="{chart_id}"', 1)[1]
    markup = re.search(r"<svg.*?</svg>", figure, re.S).group(0)
    return ET.fromstring(markup.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def _table(html, chart_id):
    figure = html.split(f'id="{chart_id}"', 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def _bars(svg, css):
    return [
        (int(rect.get("data-value")), float(rect.get("height")), float(rect.get("y")))
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("class") == css
    ]


def test_the_dollars_chart_draws_each_month_beside_a_year_earlier(bookkeeper_client, ledger):
    html = _page(bookkeeper_client, ledger)
    svg = _svg(html, "chart-months-dollars")

    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}desc").get("id") == desc_id
    assert "$225 in these months, against $60 in the same months" in svg.find(f"{SVG}desc").text

    now = _bars(svg, "bar-now")
    before = _bars(svg, "bar-before")
    # March: $50 + $25; April: the $150 check (the voided $900 one does not count).
    assert [value for value, _h, _y in now] == [7500, 15000]
    assert [value for value, _h, _y in before] == [4000, 2000]
    # Heights are proportional to the money, from one baseline.
    unit = now[1][1] / 15000
    for value, height, y in now + before:
        assert height == pytest.approx(value * unit, abs=0.02)
        assert y + height == pytest.approx(charts.BOTTOM, abs=0.02)
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Mar" in labels and "Apr" in labels and "2026" in labels

    assert _table(html, "chart-months-dollars") == [
        ["March 2026", "$75.00", "$40.00"],
        ["April 2026", "$150.00", "$20.00"],
    ]
    assert _table(html, "chart-months-gifts") == [
        ["March 2026", "2", "1"],
        ["April 2026", "1", "2"],
    ]
    gifts = _bars(_svg(html, "chart-months-gifts"), "bar-now")
    assert gifts[0][1] == pytest.approx(2 * gifts[1][1], abs=0.02)


def test_the_methods_chart_names_each_method_in_plain_words(bookkeeper_client, ledger):
    html = _page(bookkeeper_client, ledger)
    svg = _svg(html, "chart-methods")

    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert {"Card", "Wallet", "Check"} <= set(labels)
    widths = {
        int(rect.get("data-value")): float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")
    }
    # The largest fills the plot; the others in proportion.
    assert widths[15000] == charts.METHOD_PLOT
    assert widths[5000] == pytest.approx(charts.METHOD_PLOT / 3, abs=0.02)
    assert widths[2500] == pytest.approx(charts.METHOD_PLOT / 6, abs=0.02)
    assert _table(html, "chart-methods") == [
        ["Card", "1", "$50.00"],
        ["Wallet", "1", "$25.00"],
        ["Check", "1", "$150.00"],
    ]


def test_the_monthly_donors_line_counts_who_gave_monthly_at_each_months_end(
    bookkeeper_client, campaign, donor
):
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    cy = Donor.objects.create(name="Cy Diaz", email="cy@example.org")
    MonthlyGift.objects.create(
        donor=donor,
        campaign=campaign,
        stripe_subscription_id="sub_a",
        amount_cents=2000,
        started_at=_at(datetime.date(2026, 1, 10)),
    )
    MonthlyGift.objects.create(
        donor=bo,
        campaign=campaign,
        stripe_subscription_id="sub_b",
        amount_cents=2000,
        started_at=_at(datetime.date(2026, 2, 3)),
        status=MonthlyGift.Status.CANCELED,
        canceled_at=_at(datetime.date(2026, 3, 15)),
    )
    MonthlyGift.objects.create(
        donor=cy,
        campaign=campaign,
        stripe_subscription_id="sub_c",
        amount_cents=2000,
        started_at=_at(datetime.date(2026, 2, 28)),
    )
    # Never paid: no donor at any time.
    MonthlyGift.objects.create(
        campaign=campaign,
        stripe_subscription_id="sub_d",
        amount_cents=2000,
        started_at=_at(datetime.date(2026, 1, 2)),
        status=MonthlyGift.Status.INCOMPLETE,
    )

    html = _page(bookkeeper_client, campaign, "2026-01-01", "2026-04-30")
    svg = _svg(html, "chart-monthly-donors")

    points = [
        (int(circle.get("data-value")), float(circle.get("cy")))
        for circle in svg.iter(f"{SVG}circle")
    ]
    assert [value for value, _cy in points] == [1, 3, 2, 2]
    unit = (charts.BOTTOM - points[1][1]) / 3
    for value, cy in points:
        assert charts.BOTTOM - cy == pytest.approx(value * unit, abs=0.02)
    assert svg.find(f"{SVG}polyline") is not None
    assert _table(html, "chart-monthly-donors") == [
        ["January 2026", "1"],
        ["February 2026", "3"],
        ["March 2026", "2"],
        ["April 2026", "2"],
    ]


def test_the_recurring_donors_line_counts_yearly_donors_and_each_donor_once(
    bookkeeper_client, campaign, donor
):
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    for sub_id, who, interval, day in (
        ("sub_month", donor, "month", datetime.date(2026, 1, 10)),
        ("sub_year", donor, "year", datetime.date(2026, 2, 10)),  # the same donor
        ("sub_bo", bo, "year", datetime.date(2026, 3, 10)),
    ):
        MonthlyGift.objects.create(
            donor=who,
            campaign=campaign,
            stripe_subscription_id=sub_id,
            amount_cents=12000,
            interval=interval,
            started_at=_at(day),
        )

    html = _page(bookkeeper_client, campaign, "2026-01-01", "2026-03-31")

    assert "Recurring donors over time" in html
    assert _table(html, "chart-monthly-donors") == [
        ["January 2026", "1"],
        ["February 2026", "1"],
        ["March 2026", "2"],
    ]
    assert 'id="report-monthly">1 · $120.00 a month' in html
    assert 'id="report-yearly">2 · $240.00 a year' in html


def test_the_charts_run_the_same_queries_whatever_the_size(
    campaign, donor, online_gift, django_assert_num_queries
):
    online_gift(given_at=_at(datetime.date(2026, 3, 5)))
    report = {
        "start": datetime.date(2025, 1, 1),
        "end": datetime.date(2026, 4, 30),
        "campaign": campaign,
        "methods": [],
    }
    with django_assert_num_queries(3):
        charts.report_charts(report)
    for day in range(1, 28):
        online_gift(
            donor=Donor.objects.create(name=f"D{day}"), given_at=_at(datetime.date(2025, 5, day))
        )
    with django_assert_num_queries(3):
        charts.report_charts(report)


def test_the_charts_read_in_spanish_with_their_numbers_unlocalized(bookkeeper_client, ledger):
    from django.utils import translation

    with translation.override("es"):
        figures = charts.months_comparison(
            start=datetime.date(2026, 3, 1), end=datetime.date(2026, 4, 30), campaign=ledger
        )
    assert figures[0]["title"] == "Dólares netos por mes"
    # Geometry stays numbers whatever the language (no decimal comma in SVG).
    assert all(isinstance(bar["height"], (int, float)) for bar in figures[0]["bars"])


@pytest.mark.parametrize(
    ("day", "before"),
    [
        (datetime.date(2026, 3, 31), datetime.date(2025, 3, 31)),
        (datetime.date(2028, 2, 29), datetime.date(2027, 2, 28)),
        (datetime.date(1, 1, 1), datetime.date(1, 1, 1)),
    ],
)
def test_a_year_earlier_is_the_same_date_where_there_is_one(day, before):
    assert charts.year_earlier(day) == before


@pytest.mark.parametrize(
    ("largest", "whole", "step"),
    [(0, 1, 1), (3, 1, 1), (7, 1, 2), (15000, 100, 5000), (17300, 100, 5000), (999, 1, 250)],
)
def test_the_value_axis_uses_round_steps(largest, whole, step):
    assert charts.nice_step(largest, whole=whole) == step
