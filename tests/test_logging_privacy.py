"""No donor e-mail or postal address in the logs.

Logs go to places with weaker protection than the database (a hosting provider's log
store, a terminal, a bug report). A donor's whole life with the site runs here with
every logger at DEBUG: pledges through the real Stripe client (the offline stand-in),
every event delivered to the webhook (duplicates, a bad signature, one that fails
with a traceback, one while Stripe is failing), receipts and notices while the mail
server is down and while it refuses the recipient, a manage link, a refund. No log
record may contain the address, the street, or the address in another encoding.

The access log of gunicorn (`--access-logfile -` in the Dockerfile) holds every
request line, so the URLs a donor's browser fetches must not carry the address either.
"""

import base64
import binascii
import copy
import io
import logging
import re
import traceback
from unittest import mock
from urllib.parse import unquote, urlsplit

import pytest
import responses
from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string

from bench.smtp_sink import SmtpSink
from campaigns.models import Campaign
from donations import ledger, mail, monthly, receipts, stripe_gateway
from donations.models import Donor, Gift, MonthlyGift, Pledge, ProcessedEvent
from oca_site.redaction import RedactAddresses

from .donations import stripe_payloads as sp

EMAIL = "ana.privacy.7f3c@example.org"
LOCAL_PART = "ana.privacy.7f3c"
STREET = "1234 Quinnipiac Street"
SECRETS = (EMAIL, LOCAL_PART, STREET)


# What a leak looks like --------------------------------------------------------------


def _decodings(text):
    """`text`, percent-decoded, and every base64-looking run in it decoded."""
    yield text
    yield unquote(text)
    for run in re.findall(r"[A-Za-z0-9_\-+/]{12,}", text):
        for offset in range(4):
            chunk = run[offset:]
            try:
                yield base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4)).decode("latin-1")
                yield base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("latin-1")
            except (binascii.Error, ValueError):
                pass


def _reveals(text):
    return [s for s in SECRETS for form in _decodings(text) if s.lower() in form.lower()]


def _record_text(record):
    parts = [record.getMessage(), repr(record.args), record.name]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def test_it_recognises_a_leak_in_any_of_its_forms():
    token = base64.urlsafe_b64encode(b'{"d":1,"e":"' + EMAIL.encode() + b'"}').decode()
    assert _reveals(f"/give/manage/{token.rstrip('=')}:1xX:sig/")
    assert _reveals("to=ana.privacy.7f3c%40example.org")
    assert _reveals(f"Address: {STREET.upper()}")
    assert not _reveals("/give/manage/eyJkIjoxfQ:1xX:sig/ gift 12 of donor 3")


# Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def all_logs(caplog):
    """Every record from every logger, at DEBUG, whatever LOGGING says; except stripe's.

    Stripe's client logs whole request and response bodies at DEBUG (the donor's
    address among them), which is why settings.LOGGING holds the "stripe" logger at
    WARNING: `test_it_holds_the_stripe_client_logger_at_warning` checks that cap.
    """
    caplog.set_level(logging.DEBUG)
    changed = {}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level and name.split(".")[0] != "stripe":
            changed[logger] = logger.level
            logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in changed.items():
        logger.setLevel(level)


@pytest.fixture
def mail_down(mail_to_port, closed_port):
    """Points the mailer at a local port where nothing listens (the server is down)."""
    return lambda: mail_to_port(closed_port)


@pytest.fixture
def refusing_mail(mail_to_port):
    with SmtpSink(refuse=True) as sink:
        yield lambda: mail_to_port(sink.port)


@pytest.fixture
def accepting_mail(mail_to_port):
    with SmtpSink() as sink:
        sink.use = lambda: mail_to_port(sink.port)
        yield sink


# The lifecycle -------------------------------------------------------------------------


def _deliver(client, event, secret=None):
    body, signature = sp.signed(event, secret or settings.STRIPE_WEBHOOK_SECRET)
    return client.post(
        "/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def _deliver_new_events(client, standin, seen):
    """Delivers the stand-in's events not delivered yet, as Stripe would; their statuses."""
    statuses = {}
    for record in standin.events:
        if record["id"] in seen:
            continue
        seen.add(record["id"])
        record.pop("delivery")
        statuses[record["id"]] = (record["type"], _deliver(client, record).status_code)
    return statuses


def _give(client, campaign, frequency):
    data = {
        "amount": "50",
        "other_amount": "",
        "frequency": frequency,
        "name": "Ana Lopez",
        "email": EMAIL,
        "display_as": "first",
        "public_message": "",
        "website": "",
    }
    response = client.post(f"/give/{campaign.slug}/", data)
    assert response.status_code == 303, response.content.decode()
    return urlsplit(response["Location"]).path.rsplit("/", 1)[-1]


def _session(standin, session_id):
    with standin.store.lock:
        return dict(standin.store.get("checkout.session", session_id))


def test_it_logs_no_donor_address_through_a_whole_donation_lifecycle(
    client,
    transactional_db,
    campaign,
    stripe_standin,
    all_logs,
    mail_down,
    refusing_mail,
    accepting_mail,
):
    cache.clear()  # rate limits
    seen = set()
    mail_down()

    # A one-time gift: the form, Stripe Checkout, the events, the thank-you page.
    session_id = _give(client, campaign, "once")
    stripe_standin.pay(session_id, name="Ana Lopez")
    delivered = _deliver_new_events(client, stripe_standin, seen)
    assert ("checkout.session.completed", 200) in delivered.values()
    Donor.objects.filter(email=EMAIL).update(street=STREET, city="Hartford", postal_code="06106")
    gift = Gift.objects.get(frequency="once")
    assert gift.receipt_status == Gift.Receipt.FAILED  # the mail server is down
    assert client.get(f"/give/thanks/?session_id={session_id}").status_code == 200

    # The same event again, and once with a signature that does not match.
    completed = next(e for e in stripe_standin.events if e["type"] == "checkout.session.completed")
    completed.pop("delivery")
    assert _deliver(client, completed).content == b"duplicate\n"
    assert _deliver(client, completed, secret="whsec_someone_else").status_code == 400

    # The mail server is back but refuses the recipient (550 naming the address).
    refusing_mail()
    assert receipts.send_pending_receipts() == 0
    gift.refresh_from_db()
    assert gift.receipt_status == Gift.Receipt.FAILED

    # A monthly gift, a renewal that fails (card notice), a manage link.
    session_id = _give(client, campaign, "monthly")
    stripe_standin.pay(session_id, name="Ana Lopez")
    _deliver_new_events(client, stripe_standin, seen)
    subscription = MonthlyGift.objects.get().stripe_subscription_id
    stripe_standin.renew(subscription, fail=True)
    delivered = _deliver_new_events(client, stripe_standin, seen)
    assert ("invoice.payment_failed", 200) in delivered.values()
    assert client.post("/give/manage/", {"email": EMAIL}).status_code == 200

    # Two events that carry the donor's address: one of a shape Stripe never sends
    # (refused with a warning), one whose handling fails with a traceback.
    invoice = sp.invoice(subscription, amount=5000, metadata={})
    invoice["customer_email"] = EMAIL
    invoice["customer_address"] = {"line1": STREET, "city": "Hartford", "country": "US"}
    malformed = copy.deepcopy(invoice)
    malformed["payments"]["data"] = ["not an invoice payment"]
    assert _deliver(client, sp.event("invoice.paid", malformed)).status_code == 400
    with mock.patch.object(ledger, "book_invoice", side_effect=RuntimeError("booking broke")):
        assert _deliver(client, sp.event("invoice.paid", invoice)).status_code == 500

    # A refund, and an event that arrives while Stripe's API is failing.
    stripe_standin.refund(gift.stripe_payment_intent_id, amount=1000)
    delivered = _deliver_new_events(client, stripe_standin, seen)
    assert ("charge.refunded", 200) in delivered.values()
    session_id = _give(client, campaign, "once")
    stripe_standin.pay(session_id, name="Ana Lopez")
    stripe_standin.fail_next(n=10)
    delivered = _deliver_new_events(client, stripe_standin, seen)
    assert ("checkout.session.completed", 503) in delivered.values()
    stripe_standin.store.faults.clear()

    # The mail server accepts again: every receipt due goes out, each once.
    accepting_mail.use()
    assert receipts.send_pending_receipts() == Gift.objects.filter(counted=True).count()
    assert len(accepting_mail.messages) == Gift.objects.filter(counted=True).count()

    # The drill really went through the failures it is about.
    messages = [record.getMessage() for record in all_logs.records]
    assert any("not sent" in m and "Receipt" in m for m in messages)
    assert any("Rejected a webhook" in m for m in messages)
    assert any(r.exc_info and "failed" in r.getMessage() for r in all_logs.records)
    assert any("Stripe" in m and "unavailable" in m.lower() for m in messages)
    assert ProcessedEvent.objects.exists()

    leaks = [
        (record.name, record.levelname, _record_text(record)[:300])
        for record in all_logs.records
        if _reveals(_record_text(record))
    ]
    assert leaks == []


def test_it_holds_the_stripe_client_logger_at_warning():
    # LOG_LEVEL sets the root logger; stripe's own stays at WARNING so that its DEBUG
    # dumps of request and response bodies (donors' addresses) never reach the log.
    assert settings.LOGGING["loggers"]["stripe"]["level"] == "WARNING"
    assert logging.getLogger("stripe").getEffectiveLevel() >= logging.WARNING


def _console_handler(stream):
    """A handler made as settings.LOGGING makes the console's, writing to `stream`."""
    console = settings.LOGGING["handlers"]["console"]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        logging.Formatter(settings.LOGGING["formatters"][console["formatter"]]["format"])
    )
    for name in console.get("filters", []):
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    return handler


def test_it_blanks_an_address_a_log_call_forgot_in_what_the_console_writes():
    # The last line of defence: a record whose author did not blank the address, in
    # its message, its traceback and its stack.
    stream = io.StringIO()
    log = logging.getLogger("tests.logging_privacy.console")
    handler = _console_handler(stream)
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError(f"duplicate key value (email)=({EMAIL})")
        except ValueError:
            log.exception("Booking for %s failed", EMAIL)
        log.warning("Refused %s", EMAIL, stack_info=True)
    finally:
        log.removeHandler(handler)
        log.propagate = True
    written = stream.getvalue()
    assert "Booking for [address] failed" in written
    assert "Traceback" in written and "duplicate key value (email)=([address])" in written
    assert "Refused [address]" in written and "Stack (most recent call last)" in written
    assert _reveals(written) == []


def test_the_address_filter_lets_a_broken_record_through_to_the_handler():
    # A format whose arguments do not fit: the filter must not raise at the log call
    # (logging.Handler.handleError reports such a record when it is written).
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s and %s", ("one",), None)
    assert RedactAddresses().filter(record) is True


def test_it_describes_a_refused_recipient_without_the_address():
    import smtplib

    error = smtplib.SMTPRecipientsRefused(
        {EMAIL: (550, f"5.1.1 <{EMAIL}>: Recipient address rejected".encode())}
    )
    text = mail.describe_mail_error(error)
    assert not _reveals(text)
    assert "550" in text
    assert mail.describe_mail_error(ConnectionRefusedError(111, "Connection refused")) == (
        "[Errno 111] Connection refused"
    )


def test_it_logs_no_address_when_stripe_refuses_one(settings, all_logs):
    # Stripe's answer to an address it will not take quotes the address back.
    settings.STRIPE_API_BASE = ""
    with responses.RequestsMock() as stripe_api:
        stripe_api.post(
            "https://api.stripe.com/v1/checkout/sessions",
            status=400,
            json={
                "error": {
                    "type": "invalid_request_error",
                    "code": "email_invalid",
                    "param": "email",
                    "message": f"Invalid email address: {EMAIL}",
                }
            },
        )
        with pytest.raises(stripe_gateway.StripeRejected):
            stripe_gateway.create_checkout_session(
                pledge=Pledge(
                    campaign=Campaign(pk=1, slug="spring"),
                    email=EMAIL,
                    gift_cents=5000,
                    amount_cents=5000,
                ),
                success_url="https://example.org/thanks",
                cancel_url="https://example.org/",
            )
    refusals = [r for r in all_logs.records if "refused a request" in r.getMessage()]
    assert refusals and "Invalid email address" in refusals[0].getMessage()
    assert [_record_text(r) for r in all_logs.records if _reveals(_record_text(r))] == []


# What reaches the access log -----------------------------------------------------------


def test_it_keeps_the_donor_address_out_of_every_url_a_donor_fetches(
    client, db, campaign, stripe_standin, accepting_mail
):
    cache.clear()
    accepting_mail.use()
    session_id = _give(client, campaign, "monthly")
    session = _session(stripe_standin, session_id)
    stripe_standin.pay(session_id, name="Ana Lopez")
    # The thank-you page books the gift, and so makes the donor.
    thanks = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
    assert client.get(thanks.removeprefix(settings.SITE_URL)).status_code == 200
    donor = Donor.objects.get(email=EMAIL)
    token = monthly.make_token(donor)
    urls = [
        f"/give/{campaign.slug}/",
        session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
        session["cancel_url"],
        monthly.manage_url(donor),
        f"/give/manage/{token}/portal/",
        f"/give/manage/{token}/amount/",
    ]
    for url in urls:
        assert _reveals(url) == [], url
    # The link still works, and still names this donor only.
    assert monthly.donor_from_token(token) == donor
