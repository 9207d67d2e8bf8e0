"""The report page's charts, drawn on the server as SVG: no script, no third party.

Each function returns a chart as plain geometry (bars, points, grid lines, labels,
all in SVG user units) plus the table of the same numbers that screen readers and
anyone who wants the exact figures read instead; `admin/donations/includes/chart.html`
draws any of them. Geometry follows the data linearly from a zero baseline, so a bar
twice as tall is twice the money. Figures come from a fixed number of aggregate
queries (one per series), whatever the size of the ledger.
"""

import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.formatting import format_money

from .labels import plain
from .models import MonthlyGift
from .reports import NET, gifts_between

# Layout, in SVG user units (pixels at natural size).
HEIGHT = 240
TOP, BOTTOM = 14, 190  # the plot area's top and its baseline
LEFT = 72  # room for the value axis
GROUP = 56  # one month's slot
BAR = 20
TICKS = 4
# At most this many months are drawn (the latest ones); the table lists them all.
MAX_MONTHS = 36


# Numbers and axes ------------------------------------------------------------------


def nice_step(largest, ticks=TICKS, *, whole=1):
    """A round step (1, 2, 2.5 or 5 times a power of ten, at least `whole`) such that
    `ticks` steps reach `largest`."""
    if largest <= 0:
        return whole
    raw = Decimal(largest) / ticks
    power = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal(1)
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        step = factor * power
        if step >= raw:
            break
    step = max(int(step.to_integral_value(rounding="ROUND_CEILING")), whole)
    return step


def scale(value, axis_max, span):
    """The length of `value` on an axis whose top, `axis_max`, is `span` units long."""
    return round(value * span / axis_max, 2) if axis_max else 0


def gridlines(axis_max, step, fmt):
    plot = BOTTOM - TOP
    return [
        {"y": round(BOTTOM - scale(value, axis_max, plot), 2), "label": fmt(value)}
        for value in range(0, axis_max + 1, step)
    ]


def money_tick(cents):
    return format_money(cents)


def exact_money(cents):
    return format_money(cents, always_cents=True)


def count_tick(number):
    return formats.number_format(number, force_grouping=True)


def _axis(values, fmt, *, whole):
    step = nice_step(max(values, default=0), whole=whole)
    axis_max = step * TICKS
    return axis_max, gridlines(axis_max, step, fmt)


# Months ----------------------------------------------------------------------------


def month_starts(start, end):
    """The first day of every month from start's month to end's month, in order."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def year_earlier(day):
    """The same date a year before (February 28 for a February 29); the year 1 has
    no year before it and stays itself (a range typed as 0001-01-01)."""
    if day.year == datetime.MINYEAR:
        return day
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # February 29
        return day.replace(year=day.year - 1, day=28)


def month_totals(start, end, campaign=None):
    """{first day of month: {"gifts", "net_cents"}} of counted gifts on local dates
    start..end; one query."""
    zone = timezone.get_default_timezone()
    rows = (
        gifts_between(start, end, campaign)
        .filter(counted=True)
        .annotate(month=TruncMonth("given_at", tzinfo=zone))
        .values("month")
        .annotate(gifts=Count("pk"), net_cents=NET)
        .order_by("month")
    )
    return {row["month"].date(): row for row in rows}


def month_label(month, first):
    """ "Mar" under each bar, and the year under January and under the first month."""
    name = formats.date_format(month, "M")
    year = str(month.year) if first or month.month == 1 else ""
    return name, year


def months_comparison(*, start, end, campaign=None):
    """Gifts and net dollars per month of the range, beside the same dates a year earlier.

    Returns (dollars chart, gifts chart); both share one table of the numbers.
    """
    months = month_starts(start, end)[-MAX_MONTHS:]
    now = month_totals(start, end, campaign)
    before = month_totals(year_earlier(start), year_earlier(end), campaign)
    rows = []
    for month in months:
        this = now.get(month, {})
        last = before.get(year_earlier(month), {})
        rows.append(
            {
                "month": month,
                "gifts": this.get("gifts", 0),
                "net_cents": this.get("net_cents", 0),
                "gifts_before": last.get("gifts", 0),
                "net_cents_before": last.get("net_cents", 0),
            }
        )

    def table(caption, header, header_before, key, fmt):
        return {
            "caption": caption,
            "headers": [_("Month"), header, header_before],
            "rows": [
                [
                    formats.date_format(row["month"], "YEAR_MONTH_FORMAT"),
                    fmt(row[key]),
                    fmt(row[f"{key}_before"]),
                ]
                for row in rows
            ],
        }

    total_now = sum(row["net_cents"] for row in rows)
    total_before = sum(row["net_cents_before"] for row in rows)
    gifts_now = sum(row["gifts"] for row in rows)
    gifts_before = sum(row["gifts_before"] for row in rows)
    dollars = grouped_bars(
        "chart-months-dollars",
        _("Net dollars by month"),
        _("%(now)s in these months, against %(before)s in the same months a year earlier.")
        % {"now": format_money(total_now), "before": format_money(total_before)},
        rows,
        "net_cents",
        "net_cents_before",
        money_tick,
        whole=100,
        table=table(
            _("Net dollars by month, beside the same dates a year earlier"),
            _("Net"),
            _("Net a year earlier"),
            "net_cents",
            exact_money,
        ),
    )
    gifts = grouped_bars(
        "chart-months-gifts",
        _("Gifts by month"),
        _("%(now)s in these months, against %(before)s in the same months a year earlier.")
        % {
            "now": ngettext("%(n)s gift", "%(n)s gifts", gifts_now) % {"n": gifts_now},
            "before": ngettext("%(n)s gift", "%(n)s gifts", gifts_before) % {"n": gifts_before},
        },
        rows,
        "gifts",
        "gifts_before",
        count_tick,
        whole=1,
        table=table(
            _("Gifts by month, beside the same dates a year earlier"),
            _("Gifts"),
            _("Gifts a year earlier"),
            "gifts",
            count_tick,
        ),
    )
    return dollars, gifts


def grouped_bars(chart_id, title, description, rows, key, key_before, fmt, *, whole, table):
    """Two bars a month: a year earlier (left, muted) and the chosen dates (right)."""
    axis_max, lines = _axis(
        [row[key] for row in rows] + [row[key_before] for row in rows], fmt, whole=whole
    )
    plot = BOTTOM - TOP
    bars, labels = [], []
    for index, row in enumerate(rows):
        left = LEFT + index * GROUP
        name, year = month_label(row["month"], first=index == 0)
        month_name = formats.date_format(row["month"], "YEAR_MONTH_FORMAT")
        for offset, value, css, who in (
            (6, row[key_before], "bar-before", _("a year earlier")),
            (6 + BAR + 2, row[key], "bar-now", _("these dates")),
        ):
            height = scale(value, axis_max, plot)
            bars.append(
                {
                    "x": left + offset,
                    "y": round(BOTTOM - height, 2),
                    "width": BAR,
                    "height": height,
                    "css": css,
                    "value": value,
                    "tip": _("%(month)s, %(who)s: %(value)s")
                    % {"month": month_name, "who": who, "value": fmt(value)},
                }
            )
        middle = left + 6 + BAR + 1
        labels.append({"x": middle, "y": BOTTOM + 18, "text": name, "anchor": "middle"})
        if year:
            labels.append({"x": middle, "y": BOTTOM + 34, "text": year, "anchor": "middle"})
    return {
        "id": chart_id,
        "title": title,
        "description": description,
        "width": LEFT + max(len(rows), 1) * GROUP + 8,
        "height": HEIGHT,
        "left": LEFT,
        "gridlines": lines,
        "bars": bars,
        "labels": labels,
        "legend": [
            {"css": "bar-before", "text": _("Same dates a year earlier")},
            {"css": "bar-now", "text": _("Dates chosen")},
        ],
        "table": table,
    }


# Methods ---------------------------------------------------------------------------

METHOD_ROW = 34
METHOD_LABEL = 120
METHOD_PLOT = 360


def methods_chart(methods):
    """Net dollars per method (card, wallet, check, ...), as horizontal bars.

    `methods` is the report's list (reports.campaign_report): no query of its own.
    """
    largest = max((row["net_cents"] for row in methods), default=0)
    bars, labels = [], []
    for index, row in enumerate(methods):
        top = 8 + index * METHOD_ROW
        name = plain("method", row["method"])
        length = scale(row["net_cents"], largest, METHOD_PLOT)
        amount = format_money(row["net_cents"], always_cents=True)
        count = ngettext("%(n)s gift", "%(n)s gifts", row["gifts"]) % {"n": row["gifts"]}
        bars.append(
            {
                "x": METHOD_LABEL,
                "y": top,
                "width": length,
                "height": METHOD_ROW - 12,
                "css": "bar-now",
                "value": row["net_cents"],
                "tip": f"{name}: {amount} ({count})",
            }
        )
        labels.append(
            {"x": METHOD_LABEL - 8, "y": top + 15, "text": name, "anchor": "end"},
        )
        labels.append(
            {
                "x": METHOD_LABEL + length + 6,
                "y": top + 15,
                "text": f"{amount} · {count}",
                "anchor": "start",
            },
        )
    return {
        "id": "chart-methods",
        "title": _("Net dollars by payment method"),
        "description": "; ".join(
            f"{plain('method', row['method'])}: {format_money(row['net_cents'])}" for row in methods
        ),
        "width": METHOD_LABEL + METHOD_PLOT + 170,
        "height": 8 + len(methods) * METHOD_ROW,
        "bars": bars,
        "labels": labels,
        "table": {
            "caption": _("Gifts and net dollars by payment method"),
            "headers": [_("Method"), _("Gifts"), _("Net")],
            "rows": [
                [
                    plain("method", row["method"]),
                    count_tick(row["gifts"]),
                    format_money(row["net_cents"], always_cents=True),
                ]
                for row in methods
            ],
        },
    }


# Recurring donors ------------------------------------------------------------------


def monthly_donor_counts(*, start, end, campaign=None):
    """[(month, donors)]: how many donors had a recurring gift (monthly or yearly)
    running at the end of each month of the range (today, for the current month); one
    query. A donor with both kinds counts once.

    A recurring gift runs from its start until it is canceled. One whose first charge
    never went through (incomplete), or that is canceled with no date on file, is
    left out: it cannot be placed in time.
    """
    zone = timezone.get_default_timezone()
    today = timezone.localdate()
    months = [month for month in month_starts(start, end) if month <= today][-MAX_MONTHS:]
    if not months:
        return []
    moments = []
    for month in months:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        moment = datetime.datetime.combine(following, datetime.time.min, tzinfo=zone)
        moments.append(min(moment, timezone.now()))
    monthly = MonthlyGift.objects.exclude(status=MonthlyGift.Status.INCOMPLETE).exclude(
        status=MonthlyGift.Status.CANCELED, canceled_at__isnull=True
    )
    if campaign is not None:
        monthly = monthly.filter(campaign=campaign)
    counts = monthly.aggregate(
        **{
            f"m{index}": Count(
                "donor",
                distinct=True,
                filter=Q(started_at__lt=moment)
                & (Q(canceled_at__isnull=True) | Q(canceled_at__gte=moment)),
            )
            for index, moment in enumerate(moments)
        }
    )
    return [(month, counts[f"m{index}"]) for index, month in enumerate(months)]


def monthly_donors_chart(*, start, end, campaign=None):
    """The number of recurring donors at each month's end, as a line."""
    counts = monthly_donor_counts(start=start, end=end, campaign=campaign)
    axis_max, lines = _axis([count for _month, count in counts], count_tick, whole=1)
    plot = BOTTOM - TOP
    points, labels = [], []
    for index, (month, count) in enumerate(counts):
        x = LEFT + index * GROUP + GROUP // 2
        y = round(BOTTOM - scale(count, axis_max, plot), 2)
        month_name = formats.date_format(month, "YEAR_MONTH_FORMAT")
        points.append({"cx": x, "cy": y, "value": count, "tip": f"{month_name}: {count}"})
        name, year = month_label(month, first=index == 0)
        labels.append({"x": x, "y": BOTTOM + 18, "text": name, "anchor": "middle"})
        if year:
            labels.append({"x": x, "y": BOTTOM + 34, "text": year, "anchor": "middle"})
    latest = counts[-1][1] if counts else 0
    return {
        "id": "chart-monthly-donors",
        "title": _("Recurring donors over time"),
        "description": _(
            "Donors with a monthly or yearly gift running at the end of each month: "
            "%(n)s at the latest."
        )
        % {"n": count_tick(latest)},
        "width": LEFT + max(len(counts), 1) * GROUP + 8,
        "height": HEIGHT,
        "left": LEFT,
        "gridlines": lines,
        "points": points,
        "line": " ".join(f"{point['cx']},{point['cy']}" for point in points),
        "labels": labels,
        "table": {
            "caption": _("Donors with a monthly or yearly gift running at the end of each month"),
            "headers": [_("Month"), _("Recurring donors")],
            "rows": [
                [formats.date_format(month, "YEAR_MONTH_FORMAT"), count_tick(count)]
                for month, count in counts
            ],
        },
    }


def report_charts(report):
    """Every chart of the report page, for the figures of reports.campaign_report."""
    dollars, gifts = months_comparison(
        start=report["start"], end=report["end"], campaign=report["campaign"]
    )
    return [
        dollars,
        gifts,
        methods_chart(report["methods"]),
        monthly_donors_chart(start=report["start"], end=report["end"], campaign=report["campaign"]),
    ]
