"""Receipts through a real SMTP conversation (bench/smtp_sink.py): a mail server that
refuses or is down leaves the receipt due, and a later run sends it, once. And one
receipt (or year-end statement) that cannot be built or sent stops none of the others."""

import datetime
import io
import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.template import TemplateSyntaxError
from django.utils import timezone

from bench.smtp_sink import SmtpSink
from campaigns.organization import Organization
from donations import letters, receipts, statements
from donations.models import Donor, Gift, YearEndStatement

from . import stripe_payloads as sp
from .webhook_helpers import deliver

IRS = "No goods or services were provided in exchange for this contribution."


def _book_a_gift(client, make_pledge, stripe_api, capture):
    pledge = make_pledge()
    pi_id = sp.new_id("pi")
    stripe_api.amounts[pi_id] = pledge.amount_cents
    with capture(execute=True):  # the receipt is queued for after the commit
        response = deliver(
            client, sp.event("checkout.session.completed", sp.checkout_session(pledge, pi_id=pi_id))
        )
    assert response.status_code == 200
    return Gift.objects.get()


@pytest.mark.parametrize("failure", ["refuses the recipient", "is down"])
def test_a_receipt_the_mail_server_did_not_take_is_sent_by_a_later_run_once(
    failure,
    client,
    make_pledge,
    stripe_api,
    mail_to_port,
    closed_port,
    django_capture_on_commit_callbacks,
):
    with SmtpSink(refuse=True) as refusing, SmtpSink() as accepting:
        mail_to_port(refusing.port if failure == "refuses the recipient" else closed_port)
        gift = _book_a_gift(client, make_pledge, stripe_api, django_capture_on_commit_callbacks)
        gift.refresh_from_db()
        assert (gift.receipt_status, gift.receipt_attempts) == (Gift.Receipt.FAILED, 1)
        assert gift.counted  # the gift is booked whatever the mail does
        assert receipts.send_pending_receipts() == 0  # still not taken
        if failure == "refuses the recipient":
            assert len(refusing.refused) == 2

        mail_to_port(accepting.port)
        assert receipts.send_pending_receipts() == 1
        assert receipts.send_pending_receipts() == 0
        assert (
            deliver(  # Stripe sends the event again: no second receipt
                client,
                sp.event(
                    "checkout.session.completed",
                    sp.checkout_session(gift.pledge, pi_id=gift.stripe_payment_intent_id),
                ),
            ).status_code
            == 200
        )

    gift.refresh_from_db()
    assert (gift.receipt_status, gift.receipt_attempts) == (Gift.Receipt.SENT, 3)
    assert len(accepting.messages) == 1
    receipt = accepting.messages[0]
    assert receipt["to"] == ["ana@example.org"]
    assert IRS in receipt["text"]
    assert refusing.messages == []


# The organization's address ----------------------------------------------------------


def test_receipts_statements_and_letters_give_the_organizations_address_alike(online_gift):
    gift = online_gift(given_at=timezone.make_aware(datetime.datetime(2025, 6, 1, 12)))
    one_line = "75 Charter Oak Avenue, Suite 1-210, Hartford, CT 06106"

    receipt = receipts.build_receipt(gift)
    statement = statements.build_statement(gift.donor, 2025, [gift])

    for message in (receipt, statement):
        assert one_line in message.body
        assert one_line in message.alternatives[0][0]
    assert letters.letter_context(gift)["org_address_lines"] == [
        "75 Charter Oak Avenue",
        "Suite 1-210",
        "Hartford, CT 06106",
    ]


def test_an_address_without_a_suite_leaves_no_gap(online_gift):
    gift = online_gift()
    organization = Organization.current()
    organization.suite = ""
    organization.save()
    assert "75 Charter Oak Avenue, Hartford, CT 06106" in receipts.build_receipt(gift).body
    assert letters.letter_context(gift)["org_address_lines"] == [
        "75 Charter Oak Avenue",
        "Hartford, CT 06106",
    ]


# One bad receipt stops nothing -----------------------------------------------------


def _three_pending_gifts(online_gift):
    gifts = [online_gift(amount_cents=cents) for cents in (1000, 2000, 3000)]
    assert {g.receipt_status for g in gifts} == {Gift.Receipt.PENDING}
    return gifts


def _amounts_mailed(outbox):
    return sorted(
        amount for m in outbox for amount in ("$10.00", "$20.00", "$30.00") if amount in m.body
    )


def _fail_to_build(monkeypatch, bad_gift, failure):
    """Makes building the receipt of `bad_gift` raise `failure`; the others build."""
    real_build = receipts.build_receipt

    def build(gift):
        if gift.pk == bad_gift.pk:
            if failure == "a database error":
                # A real one: it aborts the transaction it happens in.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1 / 0")
            # An error's text may quote the donor's address (as a database error's
            # detail can); neither the log nor the gift may keep it.
            raise TemplateSyntaxError(f"Invalid block tag for {gift.donor.email}: 'endiff'")
        return real_build(gift)

    monkeypatch.setattr(receipts, "build_receipt", build)


def _logged(*records):
    """The records as a log shows them: message and any traceback."""
    return "\n".join(logging.Formatter().format(r) for r in records)


def _leaks(records, *addresses):
    return [a for a in addresses if a in _logged(*records)]


@pytest.mark.parametrize("failure", ["a template error", "a database error"])
def test_a_receipt_that_cannot_be_built_does_not_stop_the_others(
    failure, online_gift, mailoutbox, monkeypatch, caplog
):
    first, second, third = _three_pending_gifts(online_gift)
    _fail_to_build(monkeypatch, second, failure)
    out, err = io.StringIO(), io.StringIO()

    with caplog.at_level(logging.WARNING, logger="donations.receipts"):
        call_command("send_pending_receipts", stdout=out, stderr=err)  # exits 0: no raise

    assert _amounts_mailed(mailoutbox) == ["$10.00", "$30.00"]
    assert "Sent 2 receipt(s)." in out.getvalue()
    assert "1 receipt(s) could not be sent" in err.getvalue()
    for gift in (first, third):
        gift.refresh_from_db()
        assert gift.receipt_status == Gift.Receipt.SENT
    second.refresh_from_db()
    assert (second.receipt_status, second.receipt_attempts) == (Gift.Receipt.FAILED, 1)
    error_name = "DataError" if failure == "a database error" else "TemplateSyntaxError"
    assert second.receipt_error.startswith(error_name)
    assert "ana@example.org" not in second.receipt_error
    # A bug gets its traceback in the log, once, with the gift's id.
    [record] = [r for r in caplog.records if r.name == "donations.receipts"]
    assert record.levelno == logging.ERROR
    assert f"gift {second.pk}" in record.getMessage()
    assert "Traceback" in _logged(record)
    assert _leaks(caplog.records, "ana@example.org") == []


def test_a_line_break_in_a_donors_address_fails_that_receipt_only(online_gift, mailoutbox, caplog):
    first, second, third = _three_pending_gifts(online_gift)
    # Written past the form's validation, as an import or a bug could: the mail
    # library refuses a header with a line break (Django's BadHeaderError).
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    Gift.objects.filter(pk=second.pk).update(donor=bo)
    Donor.objects.filter(pk=bo.pk).update(email="bo@example.org\nBcc: eve@example.org")

    with caplog.at_level(logging.WARNING, logger="donations.receipts"):
        assert receipts.send_pending_receipts() == 2

    assert _amounts_mailed(mailoutbox) == ["$10.00", "$30.00"]
    assert [m.to for m in mailoutbox] == [["ana@example.org"], ["ana@example.org"]]
    second.refresh_from_db()
    assert second.receipt_status == Gift.Receipt.FAILED
    assert second.receipt_error  # why, for the bookkeeper
    # An expected mail error: one warning with the gift's id, no traceback.
    [record] = [r for r in caplog.records if r.name == "donations.receipts"]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert f"gift {second.pk}" in record.getMessage()
    assert _leaks(caplog.records, "bo@example.org", "eve@example.org") == []

    # Corrected, it goes out with the next run, and the others are not sent again.
    Donor.objects.filter(pk=bo.pk).update(email="bo@example.org")
    assert receipts.send_pending_receipts() == 1
    assert [m.to for m in mailoutbox][-1] == ["bo@example.org"]
    assert len(mailoutbox) == 3


def test_the_receipt_task_marks_a_bad_receipt_failed_and_sends_the_others(
    online_gift, mailoutbox, monkeypatch
):
    first, second, third = _three_pending_gifts(online_gift)
    _fail_to_build(monkeypatch, second, "a template error")

    results = [receipts.send_receipt.enqueue(gift.pk) for gift in (first, second, third)]

    # The task itself does not fail: the receipt is marked for a later try instead
    # of leaving a failed task that nothing retries.
    assert [r.status for r in results] == [TaskResultStatus.SUCCESSFUL] * 3
    assert _amounts_mailed(mailoutbox) == ["$10.00", "$30.00"]
    second.refresh_from_db()
    assert (second.receipt_status, second.receipt_attempts) == (Gift.Receipt.FAILED, 1)

    monkeypatch.undo()
    assert receipts.send_pending_receipts() == 1  # the safety net sends it later
    assert _amounts_mailed(mailoutbox) == ["$10.00", "$20.00", "$30.00"]


@pytest.mark.parametrize("failure", ["a line break in the address", "a database error"])
def test_a_statement_that_fails_does_not_stop_the_others(
    failure, donor, online_gift, mailoutbox, monkeypatch, caplog
):
    given_at = timezone.make_aware(datetime.datetime(2025, 6, 1, 12))
    online_gift(amount_cents=1000, given_at=given_at)
    bo = Donor.objects.create(name="Bo Carter", email="bo@example.org")
    online_gift(donor=bo, amount_cents=2000, given_at=given_at)
    cy = Donor.objects.create(name="Cy Diaz", email="cy@example.org")
    online_gift(donor=cy, amount_cents=3000, given_at=given_at)
    if failure == "a line break in the address":
        Donor.objects.filter(pk=bo.pk).update(email="bo@example.org\nBcc: eve@example.org")
    else:
        real_build = statements.build_statement

        def build(who, year, gifts):
            if who.pk == bo.pk:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1 / 0")
            return real_build(who, year, gifts)

        monkeypatch.setattr(statements, "build_statement", build)

    with caplog.at_level(logging.WARNING, logger="donations.statements"):
        outcome = statements.send_year_end_statements(2025)

    assert sorted(m.to[0] for m in mailoutbox) == ["ana@example.org", "cy@example.org"]
    assert [d.pk for d in outcome.sent] == [donor.pk, cy.pk]
    [(failed, why)] = outcome.failed
    assert failed.pk == bo.pk
    assert "@" not in why
    assert not YearEndStatement.objects.filter(donor=bo, sent_at__isnull=False).exists()
    [record] = [r for r in caplog.records if r.name == "donations.statements"]
    assert f"donor {bo.pk}" in record.getMessage()
    assert _leaks(caplog.records, "bo@example.org", "eve@example.org") == []
