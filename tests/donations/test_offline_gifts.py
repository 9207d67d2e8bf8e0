"""Logging every offline kind through the admin ("Log a gift"): cash, bank transfers,
donor-advised fund grants, stock and in-kind gifts, beside checks (test_checks.py).
Each kind's fields and messages, nothing written on a bad entry, duplicates, deposits,
voids, the exports and the month's books."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, FeedItem
from donations import accounting, checks, exports, monthly
from donations.models import Deposit, Donor, Gift, OfflineDetails
from donations.models.offline import weighted_value_cents
from donations.month_end import Month, month_end_figures

ADD_URL = reverse("admin:donations_gift_add")
TWO_DAYS_AGO = timezone.localdate() - datetime.timedelta(days=2)


def _url(kind, **params):
    query = "&".join(f"{key}={value}" for key, value in ({"kind": kind} | params).items())
    return f"{ADD_URL}?{query}"


def _form(campaign, donor, **fields):
    """What a kind's form posts: the fields every kind shares, and `fields`. An
    override of None leaves the field out."""
    data = {
        "donor": str(donor.pk),
        "campaign": str(campaign.pk),
        "received_on": TWO_DAYS_AGO.isoformat(),
        "display_as": "anonymous",
        "memo": "",
        "send_receipt": "on",
        "confirm_duplicate": "False",
    }
    return {key: value for key, value in (data | fields).items() if value is not None}


KINDS = {
    "cash": {"amount": "40", "deposit": ""},
    "transfer": {"amount": "$2,500", "reference": "ZL-99812", "sender": "Ana & Luis Lopez"},
    "daf": {"amount": "1000", "fund_name": "Fidelity Charitable", "reference": "G-7731"},
    "stock": {
        "ticker": "aapl",
        "shares": "12.5",
        "high_price": "$188.01",
        "low_price": "186.50",
    },
    "in_kind": {"description": "Forty winter coats for the shelter", "estimated_value": "800"},
}


def _log(client, kind, campaign, donor, **fields):
    return client.post(_url(kind), _form(campaign, donor, **(KINDS[kind] | fields)))


def _campaign(campaign):
    return Campaign.objects.get(pk=campaign.pk)


# Logging each kind -----------------------------------------------------------------


def test_the_log_a_gift_page_offers_every_kind_first(bookkeeper_client):
    changelist = bookkeeper_client.get(reverse("admin:donations_gift_changelist"))
    assert "Log a gift" in changelist.content.decode()

    html = bookkeeper_client.get(_url("stock", deposit="7")).content.decode()
    assert "<h1>Log a gift of stock</h1>" in html
    for label in (
        "Check",
        "Cash",
        "Bank transfer (Zelle, wire)",
        "Donor-advised fund grant",
        "In-kind (goods or services)",
    ):
        assert label in html
    assert '<strong aria-current="page">Stock</strong>' in html
    # Switching the kind keeps the rest of the address (a deposit to log into).
    assert "?kind=cash&amp;deposit=7" in html
    assert 'name="ticker"' in html and 'name="high_price"' in html
    assert 'name="amount"' not in html  # a stock gift's value is computed
    # The old "Log a check" address still opens the check form.
    assert 'name="check_number"' in bookkeeper_client.get(ADD_URL).content.decode()


def test_it_logs_cash(bookkeeper_client, bookkeeper, campaign, donor):
    response = _log(bookkeeper_client, "cash", campaign, donor)

    assert response.status_code == 302
    gift = Gift.objects.get()
    assert gift.method == Gift.Method.CASH and gift.amount_cents == 4000
    assert gift.counted and gift.received_on == TWO_DAYS_AGO and gift.logged_by == bookkeeper
    assert not OfflineDetails.objects.exists()  # cash needs nothing more
    assert _campaign(campaign).raised_cents == 4000
    assert "Logged a gift (Cash) of $40.00." in LogEntry.objects.get().get_change_message()


def test_it_logs_a_bank_transfer_with_its_reference_and_sender(bookkeeper_client, campaign, donor):
    response = _log(bookkeeper_client, "transfer", campaign, donor)

    assert response.status_code == 302
    gift = Gift.objects.get()
    assert gift.method == Gift.Method.TRANSFER and gift.amount_cents == 250000
    assert gift.offline_details.reference == "ZL-99812"
    assert gift.offline_details.sender == "Ana & Luis Lopez"
    assert gift.reference == "ZL-99812" and gift.deposit is None
    list_html = bookkeeper_client.get(
        reverse("admin:donations_gift_changelist") + "?q=ZL-99812"
    ).content.decode()
    assert "ZL-99812" in list_html and "1 gift" in list_html


def test_it_logs_a_fund_grant_with_the_advisor_as_the_donor(bookkeeper_client, campaign, donor):
    response = _log(bookkeeper_client, "daf", campaign, donor)

    assert response.status_code == 302
    gift = Gift.objects.get()
    assert gift.method == Gift.Method.DAF and gift.amount_cents == 100000
    assert gift.donor == donor  # the advisor, for their history and the feed
    assert gift.offline_details.fund_name == "Fidelity Charitable"
    assert gift.offline_details.reference == "G-7731"
    page = bookkeeper_client.get(reverse("admin:donations_gift_change", args=[gift.pk]))
    html = page.content.decode()
    assert "Fund: Fidelity Charitable" in html and "Grant ID: G-7731" in html


def test_it_values_stock_by_the_mean_of_high_and_low(bookkeeper_client, campaign, donor):
    response = _log(bookkeeper_client, "stock", campaign, donor)

    assert response.status_code == 302
    gift = Gift.objects.get()
    details = gift.offline_details
    assert details.ticker == "AAPL"
    assert details.shares == Decimal("12.5")
    # 12.5 × (188.01 + 186.50) / 2 = 12.5 × 187.255 = 2,340.6875 → $2,340.69.
    assert gift.amount_cents == 234069
    assert _campaign(campaign).raised_cents == 234069
    html = bookkeeper_client.get(
        reverse("admin:donations_gift_change", args=[gift.pk])
    ).content.decode()
    assert (
        "12.5 shares × $187.255 (the mean of the high $188.01 and the low $186.50) = $2,340.69"
        in html
    )


def test_stock_value_rounds_half_a_cent_up(bookkeeper_client, campaign, donor):
    # 3 × (10.005 + 10.000) / 2 = 30.0075 → $30.01, where a float would give 30.00.
    _log(bookkeeper_client, "stock", campaign, donor, shares="3", high_price="10.005",
         low_price="10")  # fmt: skip
    assert Gift.objects.get().amount_cents == 3001


# A day without trading: Treas. Reg. §20.2031-2(b)'s examples. A Friday, June 15,
# 2018 between trades on Wednesday, June 13 (two trading days before, mean $10) and
# Wednesday, June 20 (three after, mean $15): [(3 × 10) + (2 × 15)] / 5 = $12.
NO_TRADING = {
    "shares": "100",
    "high_price": "",
    "low_price": "",
    "no_trading": "on",
    "received_on": "2018-06-15",
    "before_date": "2018-06-13",
    "before_high": "10.50",
    "before_low": "9.50",
    "after_date": "2018-06-20",
    "after_high": "$16",
    "after_low": "14",
}


def test_stock_without_trading_that_day_is_weighted_by_trading_days(
    bookkeeper_client, campaign, donor
):
    response = _log(bookkeeper_client, "stock", campaign, donor, **NO_TRADING)

    assert response.status_code == 302
    gift = Gift.objects.get()
    details = gift.offline_details
    assert details.no_trading and details.high_price is None and details.low_price is None
    assert (details.days_before, details.days_after) == (2, 3)
    assert details.before_date == datetime.date(2018, 6, 13)
    assert gift.amount_cents == 120000  # 100 shares × $12
    html = bookkeeper_client.get(
        reverse("admin:donations_gift_change", args=[gift.pk])
    ).content.decode()
    assert "No trading on the transfer date." in html
    assert "100 shares × (3 × $10.00 + 2 × $15.00) ÷ 5 = $1,200.00" in html.replace("&#x27;", "'")
    assert (
        "Nearest trading day before: June 13, 2018 (trading days to the transfer date: 2), "
        "where the mean of the high $10.50 and the low $9.50 is $10.00. Nearest trading day "
        "after: June 20, 2018 (trading days from the transfer date: 3)"
    ) in html


def test_a_weekend_gift_weighs_friday_and_monday_the_same(bookkeeper_client, campaign, donor):
    # The regulation's other example: Sunday, October 7, 2018, between Friday,
    # October 5 (mean $20) and Monday, October 8 (mean $23): $21.50 a share.
    _log(bookkeeper_client, "stock", campaign, donor, **NO_TRADING | {
        "received_on": "2018-10-07", "before_date": "2018-10-05", "before_high": "21",
        "before_low": "19", "after_date": "2018-10-08", "after_high": "24",
        "after_low": "22",
    })  # fmt: skip
    gift = Gift.objects.get()
    assert (gift.offline_details.days_before, gift.offline_details.days_after) == (1, 1)
    assert gift.amount_cents == 215000


def test_staff_may_count_fewer_trading_days_for_an_exchange_holiday(
    bookkeeper_client, campaign, donor
):
    # Saturday, December 26, 2020: Christmas (Friday) was no trading day, so Thursday
    # the 24th is one trading day before, as Monday the 28th is one after.
    _log(bookkeeper_client, "stock", campaign, donor, **NO_TRADING | {
        "shares": "1", "received_on": "2020-12-26", "before_date": "2020-12-24",
        "before_high": "10", "before_low": "10", "after_date": "2020-12-28",
        "after_high": "13", "after_low": "13", "days_before": "1",
    })  # fmt: skip
    details = Gift.objects.get().offline_details
    assert (details.days_before, details.days_after) == (1, 1)
    assert details.gift.amount_cents == 1150  # equal weights; counted as weekdays, 2 and 1


def test_the_weighted_value_is_exact_and_rounds_half_a_cent_up():
    # (2 × 10 + 1 × 10.01) ÷ 3 = 10.00333… a share: no float, one rounding at the end.
    assert weighted_value_cents(Decimal(3), Decimal(10), Decimal("10.01"), 1, 2) == 3001
    # 10.005 exactly: half a cent, up (a float makes it 1000.4999…).
    assert weighted_value_cents(Decimal(1), Decimal("10.005"), Decimal("10.005"), 2, 1) == 1001
    assert weighted_value_cents(Decimal(100), Decimal(10), Decimal(15), 2, 3) == 120000


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        (
            {"high_price": "12", "low_price": "11"},
            ["Leave the day&#x27;s prices empty: there was no trading that day."],
        ),
        (
            {name: "" for name in NO_TRADING if name.startswith(("before_", "after_"))},
            [
                "Enter the date of the nearest trading day before.",
                "Enter the high price of the nearest trading day before.",
                "Enter the low price of the nearest trading day before.",
                "Enter the date of the nearest trading day after.",
                "Enter the high price of the nearest trading day after.",
                "Enter the low price of the nearest trading day after.",
            ],
        ),
        (
            {"before_date": "2018-06-15"},
            ["The nearest trading day before must come before the transfer date."],
        ),
        (
            {"after_date": "2018-06-14"},
            ["The nearest trading day after must come after the transfer date."],
        ),
        (
            {
                "received_on": TWO_DAYS_AGO.isoformat(),
                "before_date": "2018-06-13",
                "after_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            },
            ["The nearest trading day after cannot be in the future"],
        ),  # fmt: skip
        ({"before_date": "2018-06-10"}, ["A trading day is a weekday: June 10, 2018 is not."]),
        ({"after_low": "17"}, ["The low price cannot be above the high price."]),
        ({"before_high": "0"}, ["Enter a number more than 0."]),
        ({"days_before": "3"}, ["Between 1 and 2, the weekdays between these dates"]),
        ({"days_after": "0"}, ["Between 1 and 3, the weekdays between these dates"]),
        # Without the transfer date the counts cannot be checked against it, yet they
        # divide the value: a 500 once (a division by zero).
        (
            {"received_on": "", "days_before": "0", "days_after": "0"},
            [
                "Enter the date the shares reached OCA&#x27;s account.",
                "Enter a number more than 0.",
            ],
        ),
        (
            {"received_on": "", "days_before": "-1", "days_after": "1"},
            ["Enter a number more than 0."],
        ),
        (
            {"no_trading": None, "high_price": "12", "low_price": "11"},
            ["These are for a day without trading: tick “No trading on the transfer date”"],
        ),
    ],
)
def test_it_refuses_bad_prices_of_a_day_without_trading_and_writes_nothing(
    bookkeeper_client, campaign, donor, fields, messages
):
    response = _log(bookkeeper_client, "stock", campaign, donor, **NO_TRADING | fields)

    assert response.status_code == 200
    html = response.content.decode()
    for message in messages:
        assert message in html
    assert "The amount must be more than $0" not in html
    assert not Gift.objects.exists() and not OfflineDetails.objects.exists()


def test_the_service_values_a_day_without_trading_from_the_gift_date(bookkeeper, campaign, donor):
    details = OfflineDetails(
        ticker="AAPL",
        shares=Decimal(100),
        no_trading=True,
        before_date=datetime.date(2018, 6, 13),
        before_high=Decimal(10),
        before_low=Decimal(10),
        after_date=datetime.date(2018, 6, 20),
        after_high=Decimal(15),
        after_low=Decimal(15),
    )
    gift = checks.record_offline_gift(
        method=Gift.Method.STOCK,
        donor=donor,
        campaign=campaign,
        received_on=datetime.date(2018, 6, 15),
        user=bookkeeper,
        details=details,
    )
    assert gift.amount_cents == 120000
    assert OfflineDetails.objects.get().days_after == 3

    with pytest.raises(Exception) as raised:
        checks.record_offline_gift(
            method=Gift.Method.STOCK,
            donor=donor,
            campaign=campaign,
            received_on=None,
            user=bookkeeper,
            details=OfflineDetails(
                ticker="MSFT",
                **{
                    name: getattr(details, name)
                    for name in (
                        "shares",
                        "no_trading",
                        "before_date",
                        "before_high",
                        "before_low",
                        "after_date",
                        "after_high",
                        "after_low",
                    )
                },
            ),  # fmt: skip
        )
    assert set(raised.value.message_dict) == {"received_on"}
    assert Gift.objects.count() == 1


def test_an_in_kind_gift_counts_a_donor_but_no_dollars(bookkeeper_client, campaign, donor):
    response = _log(bookkeeper_client, "in_kind", campaign, donor)

    assert response.status_code == 302
    gift = Gift.objects.get()
    assert gift.method == Gift.Method.IN_KIND
    assert gift.amount_cents == 0 and gift.counted and gift.status == Gift.Status.SUCCEEDED
    assert gift.offline_details.description == "Forty winter coats for the shelter"
    assert gift.offline_details.estimated_value_cents == 80000
    campaign = _campaign(campaign)
    assert campaign.donor_count == 1 and campaign.raised_cents == 0
    assert FeedItem.objects.filter(source_key=gift.feed_key, withdrawn=False).exists()
    assert str(gift) == "In-kind gift by Ana Lopez"
    page = bookkeeper_client.get(reverse("admin:donations_gift_change", args=[gift.pk]))
    html = page.content.decode()
    assert '<div class="readonly">In kind</div>' in html and "$0.00" not in html
    assert "Internal estimate: $800.00" in html  # for staff only


# Bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "messages"),
    [
        ("cash", {"amount": "0"}, ["The amount must be more than $0."]),
        ("cash", {"amount": ""}, ["Enter the amount of the gift."]),
        (
            "cash",
            {"received_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
            ["The date received cannot be in the future"],
        ),
        ("cash", {"received_on": ""}, ["Enter the date the gift was received."]),
        (
            "transfer",
            {"reference": "  "},
            ["Enter the transfer&#x27;s confirmation or reference number."],
        ),
        (
            "daf",
            {"fund_name": "", "reference": ""},
            [
                "Enter the name of the fund, such as Fidelity Charitable.",
                "Enter the grant ID the fund gave.",
            ],
        ),
        (
            "stock",
            {"ticker": "", "shares": "", "high_price": "", "low_price": ""},
            [
                "Enter the stock&#x27;s ticker symbol, such as AAPL.",
                "Enter the number of shares.",
                "Enter the day&#x27;s high price.",
                "Enter the day&#x27;s low price.",
            ],
        ),
        ("stock", {"ticker": "APPLE INC"}, ["A ticker is letters and digits"]),
        ("stock", {"shares": "-3"}, ["Enter a number more than 0."]),
        ("stock", {"shares": "a dozen"}, ["Enter a number of shares, such as 100 or 12.5."]),
        ("stock", {"high_price": "cheap"}, ["Enter a price in dollars, such as 187.25."]),
        ("stock", {"low_price": "190"}, ["The low price cannot be above the high price."]),
        (
            "stock",
            {"shares": "0.000001", "high_price": "1", "low_price": "1"},
            ["These shares are worth less than a cent."],
        ),  # fmt: skip
        (
            "stock",
            {"received_on": ""},
            ["Enter the date the shares reached OCA&#x27;s account."],
        ),
        ("in_kind", {"description": " "}, ["Describe the goods or services given."]),
        ("in_kind", {"estimated_value": "lots"}, ["Enter an amount in dollars"]),
    ],
)
def test_it_refuses_bad_input_per_kind_and_writes_nothing(
    bookkeeper_client, campaign, donor, kind, fields, messages
):
    response = _log(bookkeeper_client, kind, campaign, donor, **fields)

    assert response.status_code == 200
    html = response.content.decode()
    for message in messages:
        assert message in html
    # A stock gift's computed amount is not blamed for its shares' or prices' mistakes.
    assert "The amount must be more than $0" not in html or kind == "cash"
    assert not Gift.objects.exists() and not OfflineDetails.objects.exists()
    assert not LogEntry.objects.exists()


def test_the_service_refuses_bad_details_and_writes_nothing(bookkeeper, campaign, donor):
    with pytest.raises(Exception) as raised:
        checks.record_offline_gift(
            method=Gift.Method.STOCK,
            donor=donor,
            campaign=campaign,
            received_on=TWO_DAYS_AGO,
            user=bookkeeper,
            details=OfflineDetails(ticker="AAPL", shares=Decimal(5), high_price=Decimal(10)),
        )
    assert set(raised.value.message_dict) == {"low_price"}
    assert not Gift.objects.exists() and not OfflineDetails.objects.exists()


def test_only_checks_cash_and_mailed_grants_join_a_deposit(bookkeeper, campaign, donor, deposit):
    for method, details in (
        (Gift.Method.TRANSFER, OfflineDetails(reference="W-1")),
        (
            Gift.Method.STOCK,
            OfflineDetails(
                ticker="MSFT", shares=Decimal(1), high_price=Decimal(2), low_price=Decimal(1)
            ),
        ),
        (Gift.Method.IN_KIND, OfflineDetails(description="Chairs")),
    ):
        with pytest.raises(Exception) as raised:
            checks.record_offline_gift(
                method=method,
                donor=donor,
                campaign=campaign,
                amount_cents=5000,
                received_on=TWO_DAYS_AGO,
                user=bookkeeper,
                details=details,
                deposit=deposit,
            )
        assert raised.value.message_dict["deposit"] == [
            "Only checks, cash and grants paid by check go into a bank deposit."
        ]
    assert not Gift.objects.exists()


# Duplicates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "again", "message"),
    [
        ("cash", {}, "A cash gift of $40.00 from Ana Lopez received on"),
        # The same confirmation number is the same transfer, whoever it is logged for.
        ("transfer", {"amount": "2400"}, "Transfer ZL-99812 ($2,500.00 from Ana Lopez)"),
        ("daf", {"reference": "g-7731"}, "Grant G-7731 from Fidelity Charitable"),
        ("stock", {"high_price": "190"}, "12.5 shares of AAPL from Ana Lopez received on"),
        ("in_kind", {}, "An in-kind gift from Ana Lopez received on"),
    ],
)
def test_it_warns_about_a_duplicate_of_each_kind_and_saves_it_once_confirmed(
    bookkeeper_client, campaign, donor, kind, again, message
):
    assert _log(bookkeeper_client, kind, campaign, donor).status_code == 302

    response = _log(bookkeeper_client, kind, campaign, donor, **again)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and "already logged on" in html
    assert 'type="checkbox" name="confirm_duplicate"' in html
    assert Gift.objects.count() == 1

    response = _log(bookkeeper_client, kind, campaign, donor, confirm_duplicate="on", **again)
    assert response.status_code == 302
    assert Gift.objects.count() == 2 and OfflineDetails.objects.count() == (kind != "cash") * 2


def test_a_different_gift_of_the_same_kind_is_no_duplicate(bookkeeper_client, campaign, donor):
    _log(bookkeeper_client, "cash", campaign, donor)
    _log(bookkeeper_client, "transfer", campaign, donor)
    assert _log(bookkeeper_client, "cash", campaign, donor, amount="41").status_code == 302
    response = _log(bookkeeper_client, "transfer", campaign, donor, reference="ZL-99813")
    assert response.status_code == 302
    assert Gift.objects.count() == 4


# Deposits --------------------------------------------------------------------------


def test_cash_and_a_mailed_grant_join_a_deposit_and_close_it(
    bookkeeper_client, bookkeeper, campaign, donor, deposit, log_check
):
    log_check(amount_cents=5000, deposit=deposit)
    _log(bookkeeper_client, "cash", campaign, donor, amount="40", deposit=str(deposit.pk))
    _log(bookkeeper_client, "daf", campaign, donor, amount="60", deposit=str(deposit.pk))

    summary = Deposit.objects.get(pk=deposit.pk).check_summary()
    assert summary["count"] == 3 and summary["total_cents"] == 15000 and summary["balanced"]
    page = bookkeeper_client.get(reverse("admin:donations_deposit_change", args=[deposit.pk]))
    html = page.content.decode()
    assert "Cash" in html and "Donor-advised fund grant" in html
    checks.close_deposit(deposit, bookkeeper)
    assert Deposit.objects.get(pk=deposit.pk).is_closed


def test_the_transfer_and_stock_forms_offer_no_deposit(bookkeeper_client):
    for kind in ("transfer", "stock", "in_kind"):
        assert 'name="deposit"' not in bookkeeper_client.get(_url(kind)).content.decode()
    for kind in ("check", "cash", "daf"):
        assert 'name="deposit"' in bookkeeper_client.get(_url(kind)).content.decode()


# Voids and corrections -------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_any_offline_gift_can_be_voided(bookkeeper_client, campaign, donor, kind):
    _log(bookkeeper_client, kind, campaign, donor)
    gift = Gift.objects.get()
    page = bookkeeper_client.get(reverse("admin:donations_gift_change", args=[gift.pk]))
    assert "Void this gift" in page.content.decode()

    url = reverse("admin:donations_gift_void") + f"?ids={gift.pk}"
    response = bookkeeper_client.post(url, {"ids": str(gift.pk), "reason": "logged by mistake"})

    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == Gift.Status.VOIDED and not gift.counted
    campaign = _campaign(campaign)
    assert campaign.donor_count == 0 and campaign.raised_cents == 0
    assert FeedItem.objects.get(source_key=gift.feed_key).withdrawn
    # Voided once only.
    bookkeeper_client.post(url, {"ids": str(gift.pk), "reason": "again"})
    assert Gift.objects.get(pk=gift.pk).void_reason == "logged by mistake"


def test_a_logged_stock_gift_changes_only_its_display_and_memo(
    bookkeeper_client, bookkeeper, campaign, donor
):
    _log(bookkeeper_client, "stock", campaign, donor)
    gift = Gift.objects.get()
    url = reverse("admin:donations_gift_change", args=[gift.pk])

    response = bookkeeper_client.post(url, {"display_as": "full", "memo": "Via Schwab"})

    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.display_as == "full" and gift.memo == "Via Schwab"
    assert gift.amount_cents == 234069
    with pytest.raises(Exception, match="Void it and log a new entry instead"):
        checks.change_check_gift(gift, user=bookkeeper, amount_cents=100)


# Exports and the month's books -----------------------------------------------------


def _export_rows():
    text = "".join(exports.gifts_csv(Gift.objects.all()))
    return {row["method"]: row for row in csv.DictReader(io.StringIO(text))}


def test_the_export_has_each_kind_in_plain_words_with_its_details(
    bookkeeper_client, campaign, donor
):
    for kind in KINDS:
        _log(bookkeeper_client, kind, campaign, donor)

    rows = _export_rows()
    assert rows["Cash"]["amount"] == "40.00" and rows["Cash"]["offline_details"] == ""
    transfer = rows["Bank transfer (Zelle, wire)"]
    assert transfer["reference"] == "ZL-99812"
    assert transfer["offline_details"] == (
        "Confirmation or reference number: ZL-99812; Sender: Ana & Luis Lopez"
    )
    grant = rows["Donor-advised fund grant"]
    assert grant["offline_details"] == (
        "Fund: Fidelity Charitable; Grant ID: G-7731; Recommended by: Ana Lopez"
    )
    stock = rows["Stock"]
    assert stock["amount"] == "2340.69" and stock["reference"] == "12.5 AAPL"
    assert "12.5 shares × $187.255" in stock["offline_details"]
    in_kind = rows["In kind"]
    assert in_kind["amount"] == "0.00" and in_kind["net"] == "0.00"
    assert in_kind["in_kind_estimate"] == "800.00"
    assert "Forty winter coats" in in_kind["offline_details"]
    # An online gift's estimate column is empty, not 0.
    assert rows["Cash"]["in_kind_estimate"] == ""


def test_the_month_keeps_stock_and_in_kind_out_of_the_bank(
    bookkeeper_client, campaign, donor, settings
):
    for kind in KINDS:
        _log(bookkeeper_client, kind, campaign, donor)
    month = Month.parse(TWO_DAYS_AGO.strftime("%Y-%m"))

    figures = month_end_figures(month)
    direct = {gift.method for gift in figures["direct_to_bank"]}
    assert direct == {Gift.Method.TRANSFER, Gift.Method.DAF}
    assert figures["direct_to_bank_cents"] == 250000 + 100000
    not_deposited = next(i for i in figures["unmatched"] if i.key == "checks_not_deposited")
    assert [gift.method for gift in not_deposited.rows] == [Gift.Method.CASH]
    by_method = {row["method"]: row for row in figures["by_method"]}
    assert by_method["stock"]["gross"] == 234069
    assert by_method["in_kind"]["count"] == 1 and by_method["in_kind"]["gross"] == 0

    lines = accounting.journal_lines(month)
    bank = settings.ACCOUNTING_ACCOUNTS["bank"]
    banked = sum(line.debit_cents for line in lines if line.account == bank)
    assert banked == 250000 + 100000  # the transfer and the grant; not stock, not in kind
    references = {line.reference for line in lines}
    stock, in_kind = (Gift.objects.get(method=method) for method in ("stock", "in_kind"))
    # Stock and in kind are booked on their own accounts (the test below).
    assert references == {"ZL-99812", "G-7731", f"gift-{stock.pk}", f"gift-{in_kind.pk}"}

    html = bookkeeper_client.get(
        reverse("admin:donations_gift_month_end"), {"month": str(month)}
    ).content.decode()
    assert "Bank transfers and fund grants" in html and "ZL-99812" in html


def test_the_journal_books_stock_and_in_kind_gifts_at_their_value(
    bookkeeper_client, bookkeeper, campaign, donor, settings
):
    _log(bookkeeper_client, "stock", campaign, donor)  # $2,340.69
    _log(bookkeeper_client, "in_kind", campaign, donor)  # an estimate of $800
    # Not booked: goods without an estimate, and stock voided as logged by mistake.
    _log(bookkeeper_client, "in_kind", campaign, donor, description="Books",
         estimated_value="")  # fmt: skip
    _log(bookkeeper_client, "stock", campaign, donor, ticker="MSFT")
    checks.void_gift(Gift.objects.get(offline_details__ticker="MSFT"), "Wrong donor", bookkeeper)
    stock = Gift.objects.get(offline_details__ticker="AAPL")
    coats = Gift.objects.get(offline_details__estimated_value_cents=80000)
    month = Month.parse(TWO_DAYS_AGO.strftime("%Y-%m"))

    lines = accounting.journal_lines(month)

    entries = {}
    for line in lines:
        entries.setdefault(line.entry, []).append(line)
    assert len(entries) == 2  # one entry a gift
    stock_entry, coats_entry = (
        [(line.account, line.debit_cents, line.credit_cents) for line in entry]
        for entry in entries.values()
    )
    assert stock_entry == [("Donated Securities", 234069, 0), ("Contributions Income", 0, 234069)]
    assert coats_entry == [
        ("In-kind Goods and Services", 80000, 0),
        ("In-kind Contributions", 0, 80000),
    ]
    assert {line.date for line in lines} == {TWO_DAYS_AGO}
    assert [line.reference for line in lines] == [f"gift-{stock.pk}"] * 2 + [f"gift-{coats.pk}"] * 2
    assert lines[0].memo == f"Gift of stock, 12.5 shares of AAPL, {TWO_DAYS_AGO.isoformat()}"
    assert lines[2].memo == (
        f"In-kind gift of {TWO_DAYS_AGO.isoformat()}: Forty winter coats for the shelter"
    )

    # The file QuickBooks imports: the same columns, a number on one side only.
    rows = list(csv.reader(io.StringIO("".join(accounting.journal_csv(month)))))
    assert rows[0] == accounting.QBO_COLUMNS
    assert [row[2:5] for row in rows[1:]] == [
        ["Donated Securities", "2340.69", ""],
        ["Contributions Income", "", "2340.69"],
        ["In-kind Goods and Services", "800.00", ""],
        ["In-kind Contributions", "", "800.00"],
    ]
    assert {row[1] for row in rows[1:]} == {TWO_DAYS_AGO.strftime("%m/%d/%Y")}

    # A chart of accounts with a noncash contributions account gets it instead.
    settings.ACCOUNTING_ACCOUNTS = settings.ACCOUNTING_ACCOUNTS | {
        "stock_contributions": "Noncash Contributions"
    }
    assert accounting.journal_lines(month)[1].account == "Noncash Contributions"


def test_the_gift_list_filters_by_kind_and_by_origin(
    bookkeeper_client, campaign, donor, online_gift
):
    online_gift()
    _log(bookkeeper_client, "stock", campaign, donor)
    _log(bookkeeper_client, "in_kind", campaign, donor)
    changelist = reverse("admin:donations_gift_changelist")

    stock = bookkeeper_client.get(changelist + "?method__exact=stock").context["cl"]
    assert [gift.method for gift in stock.result_list] == ["stock"]
    offline = bookkeeper_client.get(changelist + "?origin=offline").context["cl"]
    assert sorted(gift.method for gift in offline.result_list) == ["in_kind", "stock"]
    online = bookkeeper_client.get(changelist + "?origin=online").context["cl"]
    assert [gift.method for gift in online.result_list] == ["card"]


def test_my_giving_names_each_offline_kind_and_no_value_for_in_kind(
    client, bookkeeper_client, campaign, donor
):
    _log(bookkeeper_client, "stock", campaign, donor)
    _log(bookkeeper_client, "in_kind", campaign, donor)

    html = client.get(f"/give/manage/{monthly.make_token(donor)}/").content.decode()

    assert "$2,340.69 · Stock" in html
    assert "In kind · In-kind (goods or services)" in html
    assert "$0" not in html


@pytest.mark.django_db(transaction=True)
def test_two_entries_of_one_transfer_at_once_are_caught(bookkeeper, campaign, donor):
    """Two bookkeepers log the same wire, each for another donor, at the same moment:
    the second waits for the first and is told it is a duplicate."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI runs it)")
    other = Donor.objects.create(name="Luis Lopez", email="luis@example.org")
    barrier = threading.Barrier(2)
    outcomes = []

    def log_in_thread(giver):
        try:
            barrier.wait(timeout=5)
            checks.record_offline_gift(
                method=Gift.Method.TRANSFER,
                donor=giver,
                campaign=campaign,
                amount_cents=250000,
                received_on=TWO_DAYS_AGO,
                user=bookkeeper,
                details=OfflineDetails(reference="FED-20261120-0042"),
            )
            outcomes.append("logged")
        except checks.DuplicateCheck:
            outcomes.append("duplicate")
        finally:
            connection.close()

    threads = [threading.Thread(target=log_in_thread, args=(giver,)) for giver in (donor, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["duplicate", "logged"]
    assert Gift.objects.count() == 1
