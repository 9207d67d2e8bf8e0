"""CSV exports: the export_gifts command, the admin downloads, formula escaping."""

import csv
import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from donations import adjustments, checks, exports
from donations.fee_totals import fee_totals
from donations.models import Deposit, Donor, Gift

from . import stripe_payloads as sp

HEADER = (
    "date,donor_name,donor_email,amount,currency,method,frequency,status,campaign,reference,"
    "stripe_fee,fee_covered,net,balance_transaction,deposit,memo,raised_through,offline_details,"
    "in_kind_estimate,tribute,tribute_name"
)


def _at(day, hour=12, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _export(*args):
    out = io.StringIO()
    call_command("export_gifts", *args, stdout=out)
    return out.getvalue()


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def gifts(campaign, make_campaign, donor, bookkeeper, log_check, online_gift):
    """One gift of each status a bookkeeper meets, in a known order."""
    bo = Donor.objects.create(name="Bo Carter")
    card = online_gift(amount_cents=5140, given_at=_at(datetime.date(2026, 1, 5)))
    refunded = online_gift(amount_cents=2500, given_at=_at(datetime.date(2026, 2, 1)))
    adjustments.apply_refund(
        sp.charge(refunded.stripe_payment_intent_id, 2500, amount_refunded=2500),
        event=sp.event("charge.refunded", {}),
    )
    slip = Deposit.objects.create(deposited_on=datetime.date(2026, 3, 12), bank_reference="SLIP-7")
    check = log_check(
        donor=bo,
        amount_cents=10000,
        check_number="1042",
        received_on=datetime.date(2026, 3, 9),
        deposit=slip,
        memo="Annual appeal reply",
    )
    voided = log_check(
        donor=bo, amount_cents=7500, check_number="1043", received_on=datetime.date(2026, 3, 10)
    )
    checks.void_gift(voided, "bounced check", bookkeeper)
    other = make_campaign(slug="spring")
    # 11:30 pm in Hartford on March 31 is already April 1 in UTC.
    late = online_gift(
        campaign=other,
        amount_cents=100,
        method=Gift.Method.WALLET,
        given_at=_at(datetime.date(2026, 3, 31), 23, 30),
    )
    return {"card": card, "refunded": refunded, "check": check, "voided": voided, "late": late}


def test_it_exports_every_gift_row_for_row_in_plain_words(gifts, campaign):
    lines = _export().splitlines()

    assert lines[0] == HEADER
    title = campaign.title
    spring = gifts["late"].campaign.title
    assert spring != "spring"
    assert _rows("\n".join(lines[1:])) == [
        ["2026-01-05", "Ana Lopez", "ana@example.org", "51.40", "usd", "Card", "One-time",
         "Paid", title, gifts["card"].stripe_payment_intent_id, "0.00", "0.00", "51.40", "",
         "", "", "", "", "", "", ""],
        ["2026-02-01", "Ana Lopez", "ana@example.org", "25.00", "usd", "Card", "One-time",
         "Refunded", title, gifts["refunded"].stripe_payment_intent_id, "0.00", "0.00", "0.00",
         "", "", "", "", "", "", "", ""],
        ["2026-03-09", "Bo Carter", "", "100.00", "usd", "Check", "One-time",
         "Paid", title, "1042", "0.00", "0.00", "100.00", "", "2026-03-12 (SLIP-7)",
         "Annual appeal reply", "", "", "", "", ""],
        ["2026-03-10", "Bo Carter", "", "75.00", "usd", "Check", "One-time",
         "Voided", title, "1043", "0.00", "0.00", "0.00", "", "", "", "", "", "", "", ""],
        ["2026-03-31", "Ana Lopez", "ana@example.org", "1.00", "usd", "Wallet", "One-time",
         "Paid", spring, gifts["late"].stripe_payment_intent_id, "0.00", "0.00", "1.00", "",
         "", "", "", "", "", "", ""],
    ]  # fmt: skip
    assert len(lines) - 1 == Gift.objects.count()


def test_a_monthly_charge_says_monthly_and_the_fee_its_donor_covered(
    campaign, donor, online_gift, make_pledge
):
    pledge = make_pledge(amount=2574, fee_cents=74, frequency="monthly")
    online_gift(
        pledge=pledge,
        amount_cents=2574,
        frequency="monthly",
        given_at=_at(datetime.date(2026, 5, 1)),
    )

    row = _rows(_export())[1]

    assert row[3] == "25.74"
    assert row[5:8] == ["Card", "Monthly", "Paid"]
    assert row[11] == "0.74"  # fee_covered, after stripe_fee


def test_a_monthly_charge_after_the_amount_changed_covered_no_fee(
    campaign, donor, online_gift, make_pledge
):
    # $25.74 with its $0.74 fee, then changed to $40 a month: the new price is the gift
    # alone, though each charge keeps the first pledge.
    pledge = make_pledge(amount=2574, fee_cents=74, frequency="monthly")
    for day, amount in ((1, 2574), (2, 4000)):
        online_gift(
            pledge=pledge,
            amount_cents=amount,
            frequency="monthly",
            given_at=_at(datetime.date(2026, 5, day)),
        )

    rows = _rows(_export())[1:]

    assert [(row[3], row[11]) for row in rows] == [("25.74", "0.74"), ("40.00", "0.00")]
    totals = fee_totals(Gift.objects.all())
    assert totals["covered_cents"] == 74


def test_a_yearly_charge_says_yearly(campaign, donor, online_gift):
    online_gift(amount_cents=12000, frequency="annual", given_at=_at(datetime.date(2026, 5, 1)))

    row = _rows(_export())[1]

    assert row[3] == "120.00"
    assert row[5:8] == ["Card", "Yearly", "Paid"]


def test_it_filters_by_campaign_and_local_dates(gifts, campaign):
    only_spring = _rows(_export("--campaign", "spring"))
    assert [row[9] for row in only_spring[1:]] == [gifts["late"].stripe_payment_intent_id]

    march = _rows(_export("--since", "2026-03-01", "--until", "2026-03-31"))
    assert [row[0] for row in march[1:]] == ["2026-03-09", "2026-03-10", "2026-03-31"]

    assert len(_rows(_export("--since", "2026-04-01"))) == 1  # the header alone


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since must be a date as YYYY-MM-DD"),
        (["--until", "2026-13-01"], "--until must be a date as YYYY-MM-DD"),
        (["--until", "9999-12-31"], "--until must be a date before 9999-12-31"),
        (["--since", "2026-05-01", "--until", "2026-04-01"], "--since must not be after --until"),
        (["--campaign", "nope"], "No campaign has the slug “nope”"),
    ],
)
def test_it_says_what_is_wrong_with_the_options(campaign, args, message):
    with pytest.raises(CommandError, match=message):
        _export(*args)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+1 860 555 0100", "'+1 860 555 0100"),
        ("-Bob", "'-Bob"),
        ("-1+2", "'-1+2"),
        ("-12.50", "-12.50"),
        ("-12.50\n=1", "'-12.50\n=1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tTabbed", "'\tTabbed"),
        ("\rReturn", "'\rReturn"),
        ("Ana = Lopez", "Ana = Lopez"),
        ("", ""),
    ],
)
def test_it_defuses_cells_a_spreadsheet_would_run(value, cell):
    assert exports.safe_cell(value) == cell


def test_a_formula_in_a_donor_name_is_defused_in_the_export(campaign, log_check):
    donor = Donor.objects.create(name="=1+2", email="x@example.org")
    log_check(donor=donor, check_number="-5+2")

    row = _rows(_export())[1]

    assert row[1] == "'=1+2"
    assert row[9] == "'-5+2"


def test_the_admin_downloads_the_gifts_as_a_stream(bookkeeper_client, gifts, campaign):
    response = bookkeeper_client.get(
        reverse("admin:donations_gift_export"),
        {"campaign": campaign.pk, "start": "2026-01-01", "end": "2026-02-28"},
    )

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff" + HEADER)
    rows = _rows(text.removeprefix("\ufeff"))
    assert [row[7] for row in rows[1:]] == ["Paid", "Refunded"]
    stamp = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="gifts-{stamp}.csv"'


def test_the_admin_exports_the_selected_gifts(bookkeeper_client, gifts):
    response = bookkeeper_client.post(
        reverse("admin:donations_gift_changelist"),
        {"action": "export_gifts", "_selected_action": [str(gifts["voided"].pk)]},
    )

    rows = _rows(b"".join(response.streaming_content).decode().removeprefix("\ufeff"))
    assert rows[1][7] == "Voided" and rows[1][9] == "1043"
    assert len(rows) == 2


def test_a_bad_range_gives_a_message_not_a_file(bookkeeper_client, campaign):
    response = bookkeeper_client.get(
        reverse("admin:donations_gift_export"),
        {"start": "2026-05-01", "end": "2026-04-01"},
        follow=True,
    )

    assert not response.streaming
    assert "The export was not made" in response.content.decode()


def test_the_donor_export_has_lifetime_and_year_totals_net_of_refunds(
    bookkeeper_client, donor, online_gift
):
    online_gift(amount_cents=10000, given_at=_at(datetime.date(2025, 6, 1)))
    partly = online_gift(amount_cents=4000, given_at=_at(datetime.date(2026, 2, 1)))
    adjustments.apply_refund(
        sp.charge(partly.stripe_payment_intent_id, 4000, amount_refunded=1000),
        event=sp.event("charge.refunded", {}),
    )
    failed = online_gift(amount_cents=9900, given_at=_at(datetime.date(2026, 3, 1)))
    Gift.objects.filter(pk=failed.pk).update(counted=False, status=Gift.Status.FAILED)
    Donor.objects.create(name="Never Gave", email="never@example.org")

    response = bookkeeper_client.get(reverse("admin:donations_donor_export"), {"year": "2026"})

    stamp = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="donors-{stamp}.csv"'
    rows = _rows(b"".join(response.streaming_content).decode().removeprefix("\ufeff"))
    assert rows[0] == exports.donor_columns(2026)
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Ana Lopez"][6:] == ["2", "130.00", "30.00", "2025-06-01", "2026-02-01"]
    assert by_name["Ana Lopez"][2:6] == ["12 Elm Street", "New Haven", "CT", "06510"]
    # A donor row with no gift at all (an unpaid pledge left one before) is no donor.
    assert "Never Gave" not in by_name


def test_the_donor_export_refuses_a_bad_year(bookkeeper_client):
    response = bookkeeper_client.get(
        reverse("admin:donations_donor_export"), {"year": "last"}, follow=True
    )
    assert "the year must be a number" in response.content.decode()
