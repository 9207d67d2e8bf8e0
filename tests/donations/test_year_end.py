"""Year-end statements: one per donor and year, never twice, dry runs write nothing."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from campaigns.organization import Organization
from donations import adjustments, checks
from donations.models import Donor, YearEndStatement

from . import stripe_payloads as sp


def _at(day, hour=12, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _run(*args):
    out = io.StringIO()
    call_command("send_year_end_statements", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def year_2025(campaign, donor, bookkeeper, log_check, online_gift):
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    no_email = Donor.objects.create(name="Cy Diaz", street="1 Main St", city="Hartford")
    online_gift(amount_cents=5000, given_at=_at(datetime.date(2025, 3, 14)))
    partly = online_gift(amount_cents=4000, given_at=_at(datetime.date(2025, 7, 4)))
    adjustments.apply_refund(
        sp.charge(partly.stripe_payment_intent_id, 4000, amount_refunded=1000),
        event=sp.event("charge.refunded", {}),
    )
    log_check(amount_cents=12500, check_number="88", received_on=datetime.date(2025, 12, 31))
    # Not in the statement: a voided check, and gifts of 2024 and 2026 in local time
    # (11:30 pm on December 31, 2024 in Hartford is already 2025 in UTC).
    bounced = log_check(amount_cents=99900, received_on=datetime.date(2025, 5, 1))
    checks.void_gift(bounced, "bounced check", bookkeeper)
    online_gift(amount_cents=77700, given_at=_at(datetime.date(2024, 12, 31), 23, 30))
    online_gift(amount_cents=66600, given_at=_at(datetime.date(2026, 1, 1), 0, 30))
    # In it: 10 pm on December 31, 2025 in Hartford, though 2026 in UTC.
    online_gift(donor=bo, amount_cents=2000, given_at=_at(datetime.date(2025, 12, 31), 22))
    log_check(donor=no_email, amount_cents=3000, received_on=datetime.date(2025, 6, 1))
    return {"bo": bo, "no_email": no_email}


def test_it_sends_each_donor_one_statement_with_every_gift(year_2025, campaign, mailoutbox):
    output = _run("2025")

    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "bo@example.org"]
    ana = next(m for m in mailoutbox if m.to == ["ana@example.org"])
    assert ana.subject == "Your 2025 giving statement from Open Communities Alliance"
    body = ana.body
    for line in (
        "March 14, 2025: $50.00",
        "July 4, 2025: $30.00",  # net of the $10 refund
        "Dec. 31, 2025: $125.00 (Check no. 88)",
        "Total: $205.00",
        f"EIN: {Organization.current().ein}",
        "Organization: Open Communities Alliance",
        "No goods or services were provided in exchange for these contributions.",
    ):
        assert line in body, line
    for absent in ("$999.00", "$777.00", "$666.00"):
        assert absent not in body
    html = ana.alternatives[0].content
    assert "$205.00" in html and "No goods or services" in html
    statement = YearEndStatement.objects.get(donor__email="ana@example.org", year=2025)
    assert statement.sent_at and statement.total_cents == 20500 and statement.gift_count == 3
    assert "Needs a printed statement (no e-mail): Cy Diaz" in output


def test_it_never_sends_a_statement_twice(year_2025, mailoutbox):
    _run("2025")
    assert len(mailoutbox) == 2

    output = _run("2025")

    assert len(mailoutbox) == 2
    assert "2025: 0 statement(s) sent, 2 already sent, 1 to print." in output
    assert YearEndStatement.objects.filter(year=2025).count() == 2


def test_a_dry_run_sends_and_writes_nothing(year_2025, mailoutbox):
    output = _run("2025", "--dry-run")

    assert mailoutbox == []
    assert not YearEndStatement.objects.exists()
    # A preview writes nothing, so it may run.
    assert "1 statement(s) would be sent" in _run(str(timezone.localdate().year), "--dry-run")
    assert "Would e-mail Ana Lopez <ana@example.org>: 3 gift(s), $205.00" in output
    assert "Would e-mail Bo Carter <bo@example.org>: 1 gift(s), $20.00" in output
    assert "Needs a printed statement (no e-mail): Cy Diaz: 1 gift(s), $30.00" in output
    assert "2025: 2 statement(s) would be sent" in output


def test_a_mail_failure_leaves_the_statement_for_the_next_run(year_2025, mailoutbox, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    real_send = EmailMultiAlternatives.send

    def refuse_bo(message, *args, **kwargs):
        if message.to == ["bo@example.org"]:
            raise ConnectionRefusedError("mail server down")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse_bo)
    with pytest.raises(CommandError, match="1 statement\\(s\\) could not be sent"):
        _run("2025")
    assert [m.to for m in mailoutbox] == [["ana@example.org"]]
    assert YearEndStatement.objects.get(donor=year_2025["bo"], year=2025).sent_at is None

    monkeypatch.setattr(EmailMultiAlternatives, "send", real_send)
    _run("2025")

    assert [m.to for m in mailoutbox] == [["ana@example.org"], ["bo@example.org"]]
    assert YearEndStatement.objects.get(donor=year_2025["bo"], year=2025).sent_at


def test_a_year_without_gifts_sends_nothing(year_2025, mailoutbox):
    assert "2023: 0 statement(s) sent" in _run("2023")
    assert mailoutbox == []


def test_it_refuses_a_year_still_to_come(db):
    with pytest.raises(CommandError, match="not a year"):
        _run(str(timezone.localdate().year + 1))


def test_it_refuses_this_year_so_that_januarys_statement_lists_every_gift(online_gift, mailoutbox):
    online_gift(amount_cents=5000)
    with pytest.raises(CommandError, match="not over yet"):
        _run(str(timezone.localdate().year))
    assert mailoutbox == []
    assert not YearEndStatement.objects.exists()
    # A preview writes nothing, so it may run.
    assert "1 statement(s) would be sent" in _run(str(timezone.localdate().year), "--dry-run")
