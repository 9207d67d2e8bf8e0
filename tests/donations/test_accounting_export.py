"""The month's journal for QuickBooks Online: balanced entries, configurable accounts."""

import csv
import datetime
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from donations.accounting import JournalLine, UnbalancedJournal, check_balanced
from donations.models import BalanceTransaction, StripePayout
from donations.month_end import Month

from .month_fixtures import october  # noqa: F401

# Every test here looks at October 2026 as the fixture made it.
pytestmark = pytest.mark.usefixtures("october")

URL = "/admin/donations/gift/month-end/journal/"
QBO_HEADER = [
    "Journal No.",
    "Journal Date",
    "Account Name",
    "Debits",
    "Credits",
    "Description",
    "Name",
]


def _journal(client, month="2026-10"):
    response = client.get(URL, {"month": month})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="journal-{month}.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _cents(text):
    return int(Decimal(text or "0") * 100)


def test_it_is_a_file_quickbooks_reads_with_every_entry_balanced(bookkeeper_client):
    header, rows = _journal(bookkeeper_client)
    assert header == QBO_HEADER  # no byte-order mark before "Journal No."
    sums = defaultdict(lambda: [0, 0])
    for number, date, _account, debit, credit, _description, _name in rows:
        assert bool(debit) != bool(credit), "one side per line, the other left empty"
        assert date[2] == "/" and date[5] == "/" and date.endswith("/2026")  # MM/DD/YYYY
        sums[number][0] += _cents(debit)
        sums[number][1] += _cents(credit)
    assert len(sums) == 7  # five days of Stripe activity, one payout, one check deposit
    for number, (debits, credits) in sums.items():
        assert debits == credits, number


def test_the_entries_say_what_moved_where(bookkeeper_client):
    _, rows = _journal(bookkeeper_client)
    by_date = defaultdict(list)
    for _number, date, account, debit, credit, _description, _name in rows:
        by_date[date].append((account, debit, credit))
    assert by_date["10/03/2026"] == [
        ("Stripe Clearing", "150.00", ""),
        ("Contributions Income", "", "150.00"),
        ("Merchant Fees", "4.95", ""),
        ("Stripe Clearing", "", "4.95"),
    ]
    assert by_date["10/06/2026"] == [
        ("Contributions Refunded", "50.00", ""),
        ("Stripe Clearing", "", "50.00"),
    ]
    assert by_date["10/07/2026"] == [("Checking", "114.17", ""), ("Stripe Clearing", "", "114.17")]
    assert by_date["10/14/2026"] == [
        ("Chargebacks", "25.00", ""),
        ("Stripe Clearing", "", "25.00"),
        ("Merchant Fees", "15.00", ""),
        ("Stripe Clearing", "", "15.00"),
    ]
    assert by_date["10/20/2026"] == [
        ("Checking", "150.00", ""),
        ("Contributions Income", "", "150.00"),
    ]


def test_the_stripe_account_moves_as_the_stripe_balance_did(bookkeeper_client):
    # October opened at $19.12 and closed at $22.51 at Stripe (test_month_end checks both).
    _, rows = _journal(bookkeeper_client)
    stripe = sum(_cents(r[3]) - _cents(r[4]) for r in rows if r[2] == "Stripe Clearing")
    assert stripe == 2251 - 1912


def _returned(status, txn_type, day, month=11):
    """The bank returns (or Stripe cancels) the payout on `day` of `month`: its money
    goes back into the Stripe balance, as Stripe books it."""
    payout = StripePayout.objects.get(stripe_payout_id="po_october")
    payout.status = status
    payout.save()
    BalanceTransaction.objects.create(
        stripe_id=f"txn_{txn_type}",
        kind=BalanceTransaction.Kind.PAYOUT_FAILURE,
        stripe_type=txn_type,
        amount_cents=payout.amount_cents,
        fee_cents=0,
        net_cents=payout.amount_cents,
        source_id=payout.stripe_payout_id,
        created=datetime.datetime(2026, month, day, 12, tzinfo=timezone.get_default_timezone()),
    )


def test_a_payout_the_bank_returns_later_stays_in_its_month_and_comes_back_in_the_next(
    bookkeeper_client,
):
    """October's journal went to the books with the payout in the bank; its return in
    November is November's entry, and the October file does not change."""
    _returned("failed", "payout_failure", 3)

    _, rows = _journal(bookkeeper_client)
    october_payout = [(r[2], r[3], r[4]) for r in rows if r[1] == "10/07/2026"]
    assert october_payout == [("Checking", "114.17", ""), ("Stripe Clearing", "", "114.17")]
    _, rows = _journal(bookkeeper_client, "2026-11")
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("Stripe Clearing", "114.17", ""),
        ("Checking", "", "114.17"),
    ]
    assert "Stripe payout returned po_october" in rows[0][5]


def test_a_payout_that_failed_before_its_arrival_date_never_reached_the_bank(
    bookkeeper_client,
):
    _returned("failed", "payout_failure", 6, month=10)  # due on the 7th

    _, rows = _journal(bookkeeper_client)
    assert not [r for r in rows if r[2] == "Checking" and r[1] != "10/20/2026"]  # checks only
    stripe = sum(_cents(r[3]) - _cents(r[4]) for r in rows if r[2] == "Stripe Clearing")
    assert stripe == 2251 - 1912 + 11417  # the money stayed at Stripe


def test_a_canceled_payout_never_reached_the_bank_nor_comes_back_from_it(
    bookkeeper_client,
):
    _returned("canceled", "payout_cancel", 3)

    _, rows = _journal(bookkeeper_client)
    assert not [r for r in rows if r[1] == "10/07/2026"]
    _, rows = _journal(bookkeeper_client, "2026-11")
    assert rows == []


def test_account_names_come_from_the_settings(bookkeeper_client, settings):
    settings.ACCOUNTING_ACCOUNTS = settings.ACCOUNTING_ACCOUNTS | {
        "stripe": "Assets:Stripe",
        "bank": "Assets:First Bank Checking",
    }
    _, rows = _journal(bookkeeper_client)
    accounts = {row[2] for row in rows}
    assert {"Assets:Stripe", "Assets:First Bank Checking"} <= accounts
    assert not accounts & {"Stripe Clearing", "Checking"}


def test_cells_a_spreadsheet_would_run_are_defused(bookkeeper_client):
    _, rows = _journal(bookkeeper_client)
    deposit = [row for row in rows if row[1] == "10/20/2026"]
    assert deposit and all(row[5].startswith("Check deposit of 2026-10-20") for row in deposit)
    assert all('[=HYPERLINK("http://evil")]' in row[5] for row in deposit)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_month_without_money_is_a_header_alone(bookkeeper_client):
    header, rows = _journal(bookkeeper_client, "2026-08")
    assert header == QBO_HEADER and rows == []


def test_an_unbalanced_entry_is_refused_before_any_file_is_written():
    day = datetime.date(2026, 10, 1)
    lines = [
        JournalLine("2026-10-001", day, "Stripe Clearing", 100, 0, "x", "r"),
        JournalLine("2026-10-001", day, "Contributions Income", 0, 99, "x", "r"),
    ]
    with pytest.raises(UnbalancedJournal, match="2026-10-001"):
        check_balanced(lines)
    check_balanced(lines[:1] + [JournalLine("2026-10-001", day, "C", 0, 100, "x", "r")])


def test_only_those_who_export_gifts_get_the_journal(client, editor):
    client.force_login(editor)
    assert client.get(URL, {"month": "2026-10"}).status_code == 403


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_a_month_at_the_end_of_the_calendar_gives_the_last_month_s_journal(
    bookkeeper_client, month
):
    """The month after 9999-12 (or before 0001-01) is no date: a server error once."""
    response = bookkeeper_client.get(URL, {"month": month})

    assert response.status_code == 200
    last = Month.parse(timezone.localdate().strftime("%Y-%m")).previous()
    assert response["Content-Disposition"] == f'attachment; filename="journal-{last}.csv"'
    assert b"".join(response.streaming_content).decode().startswith("Journal No.,")
