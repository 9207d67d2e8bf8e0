"""Tribute gifts: given in honor or in memory of someone, with an optional notice.

The form refuses every incomplete tribute with a message on the field; the pledge
keeps the tribute and the gift that pays it carries a copy (a monthly gift's first
charge only); the feed, the receipt and the export say it; the notice goes once,
after the money arrived, in the pledge's language, without the amount unless asked,
and is tried again when the mail server fails.
"""

import io
import random
import smtplib
import time

import pypdf
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.models import FeedItem
from donations import exports, receipts, tributes
from donations.forms import DonationForm
from donations.models import Gift, Pledge, Tribute, TributeNotice

from . import stripe_payloads as sp
from .webhook_helpers import deliver

ROSA = {
    "tribute_kind": "memory",
    "honoree": "Rosa Martinez",
    "notify_name": "Luis Martinez",
    "notify_email": "luis@example.org",
    "notify_message": "Rosa taught me what a fair neighborhood is.",
}


# The form --------------------------------------------------------------------------


def _form(campaign, donation, **tribute):
    return DonationForm(donation(**tribute), campaign=campaign)


def test_the_form_takes_a_tribute_with_a_notice(campaign, donation):
    form = _form(campaign, donation, **ROSA, notify_amount="on")
    assert form.is_valid(), form.errors
    assert {name: form.cleaned_data[name] for name in [*ROSA, "notify_amount"]} == {
        **ROSA,
        "notify_amount": True,
    }


def test_the_form_takes_a_tribute_without_a_notice(campaign, donation):
    form = _form(campaign, donation, tribute_kind="honor", honoree="  Rosa   Martinez ")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["honoree"] == "Rosa Martinez"


@pytest.mark.parametrize(
    ("tribute", "field", "message"),
    [
        ({"tribute_kind": "memory"}, "honoree", "Enter the name of the person your gift honors."),
        ({"honoree": "Rosa"}, "tribute_kind", "Choose “In honor of” or “In memory of”."),
        (
            {"tribute_kind": "someday", "honoree": "Rosa"},
            "tribute_kind",
            "Choose “In honor of” or “In memory of”.",
        ),
        (
            {"tribute_kind": "memory", "honoree": "Rosa", "notify_email": "luis@example.org"},
            "notify_name",
            "Enter the name of the person the notice goes to.",
        ),
        (
            {"tribute_kind": "memory", "honoree": "Rosa", "notify_name": "Luis"},
            "notify_email",
            "Enter the e-mail address the notice goes to.",
        ),
        (
            {"tribute_kind": "memory", "honoree": "Rosa", "notify_amount": "on"},
            "notify_email",
            "Enter the e-mail address the notice goes to.",
        ),
        (
            {"notify_name": "Luis", "notify_email": "luis@example.org"},
            "honoree",
            "Enter the name of the person your gift honors.",
        ),
        (
            {"tribute_kind": "memory", "honoree": "<b>Rosa</b>"},
            "honoree",
            "Use letters, spaces and punctuation only; < and > can’t be part of a name.",
        ),
        (
            {**ROSA, "notify_name": "Luis\r\nBcc: x@example.org"},
            "notify_name",
            "Use letters, spaces and punctuation only; < and > can’t be part of a name.",
        ),
        (
            {**ROSA, "notify_email": "luis@localhost"},
            "notify_email",
            "Enter an address at an internet domain, like name@example.org, "
            "not at a local host or an IP address.",
        ),
        (
            {**ROSA, "notify_email": "not an address"},
            "notify_email",
            "Enter an e-mail address like name@example.org.",
        ),
        (
            {**ROSA, "notify_message": "x" * 501},
            "notify_message",
            "Keep the message to 500 characters or fewer.",
        ),
        (
            {**ROSA, "notify_message": "Rosa\x07"},
            "notify_message",
            "The message contains characters we can’t show.",
        ),
        (
            {"tribute_kind": "memory", "honoree": "R" * 151},
            "honoree",
            "Enter a name of at most 150 characters.",
        ),
    ],
    ids=[
        "kind-without-name",
        "name-without-kind",
        "unknown-kind",
        "email-without-name",
        "name-without-email",
        "amount-without-email",
        "notice-without-tribute",
        "markup-in-name",
        "line-break-in-recipient",
        "local-address",
        "bad-address",
        "long-message",
        "control-character",
        "long-name",
    ],
)
def test_the_form_says_what_is_wrong_with_a_tribute(campaign, donation, tribute, field, message):
    form = _form(campaign, donation, **tribute)
    assert not form.is_valid()
    assert message in form.errors[field]


def test_a_refused_tribute_writes_nothing_and_shows_the_section_open(
    client, campaign, donation, no_stripe
):
    response = client.post(f"/give/{campaign.slug}/", donation(tribute_kind="memory", honoree=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert '<details class="tribute" id="tribute" open>' in html
    assert "Enter the name of the person your gift honors." in html
    assert 'href="#id_honoree"' in html  # the summary at the top leads to the field
    assert Pledge.objects.count() == Tribute.objects.count() == 0
    assert len(no_stripe.calls) == 0


def test_the_section_is_closed_on_a_fresh_page(client, campaign):
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert '<details class="tribute" id="tribute">' in html
    assert "Give in honor or in memory of someone" in html


def test_the_pledge_keeps_the_tribute_and_a_changed_one_is_a_new_pledge(
    client, campaign, donation, stripe_standin
):
    # Without JavaScript (no token): the same form twice is one pledge, a changed
    # tribute is another one.
    for _ in range(2):
        assert client.post(f"/give/{campaign.slug}/", donation(**ROSA)).status_code == 303
    tribute = Tribute.objects.get()
    assert (tribute.kind, tribute.honoree, tribute.notify_email, tribute.notify_amount) == (
        "memory",
        "Rosa Martinez",
        "luis@example.org",
        False,
    )
    client.post(f"/give/{campaign.slug}/", donation(**(ROSA | {"tribute_kind": "honor"})))
    client.post(f"/give/{campaign.slug}/", donation(**ROSA, notify_amount="on"))
    client.post(f"/give/{campaign.slug}/", donation())
    assert Pledge.objects.count() == 4
    assert sorted(Tribute.objects.values_list("kind", "notify_amount")) == [
        ("honor", False),
        ("memory", False),
        ("memory", True),
    ]


def test_a_form_token_sent_again_with_another_tribute_is_a_new_pledge(
    client, campaign, donation, stripe_standin
):
    token = "0b6f1c3e-8a39-4c55-9a5e-6d1f0c2b7a11"
    for _ in range(2):  # a double click
        client.post(f"/give/{campaign.slug}/", donation(**ROSA, token=token))
    assert [str(p.public_id) for p in Pledge.objects.all()] == [token]
    # Back from Checkout, the donor corrects the name honored and sends the form again.
    client.post(f"/give/{campaign.slug}/", donation(**(ROSA | {"honoree": "Rosa M."}), token=token))
    assert sorted(Tribute.objects.values_list("honoree", flat=True)) == ["Rosa M.", "Rosa Martinez"]


# Booking and the notice ---------------------------------------------------------------


@pytest.fixture
def tribute_pledge(make_pledge):
    """`tribute_pledge(**fields)`: Ana's pledge in memory of Rosa, with a notice to Luis."""

    def make(kind="memory", notify_email="luis@example.org", notify_amount=False, **kw):
        pledge = make_pledge(**kw)
        Tribute.objects.create(
            pledge=pledge,
            kind=kind,
            honoree="Rosa Martinez",
            notify_name="Luis Martinez" if notify_email else "",
            notify_email=notify_email,
            notify_message="Rosa taught me what a fair neighborhood is." if notify_email else "",
            notify_amount=notify_amount,
        )
        return pledge

    return make


def _notices(to="luis@example.org"):
    return [message for message in mail.outbox if message.to == [to]]


def _paid(pledge, stripe_api):
    pi_id = sp.new_id("pi")
    stripe_api.amounts[pi_id] = pledge.amount_cents
    return sp.checkout_session(pledge, pi_id=pi_id)


def test_a_paid_tribute_gift_carries_it_and_sends_one_notice_without_the_amount(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    session = _paid(tribute_pledge(), stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):  # Stripe's retries of the same event, and a replay
            deliver(client, sp.event("checkout.session.completed", session))
    gift = Gift.objects.get()
    assert (gift.tribute_kind, gift.tribute_name) == ("memory", "Rosa Martinez")
    [notice] = _notices()
    assert notice.subject == "A gift in memory of Rosa Martinez"
    html = notice.alternatives[0].content
    for text in (notice.body, html):
        assert "Hello Luis Martinez," in text
        assert "Ana Lopez made a gift to Open Communities Alliance in memory of Rosa Martinez." in (
            text
        )
        assert "Rosa taught me what a fair neighborhood is." in text
        assert "$50" not in text and "50.00" not in text
    row = TributeNotice.objects.get()
    assert (row.gift_id, row.attempts, row.error) == (gift.pk, 1, "")
    assert row.sent_at is not None


def test_the_notice_states_the_amount_when_the_donor_asked(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    session = _paid(tribute_pledge(kind="honor", notify_amount=True), stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
    [notice] = _notices()
    assert "Ana Lopez made a gift of $50.00 to Open Communities Alliance in honor of Rosa" in (
        notice.body
    )


def test_a_tribute_without_a_notice_sends_none(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    session = _paid(tribute_pledge(notify_email=""), stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
    assert Gift.objects.get().tribute_name == "Rosa Martinez"
    assert TributeNotice.objects.count() == 0
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]  # the receipt alone


def test_a_delayed_payment_sends_the_notice_only_once_it_settles(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    session = _paid(tribute_pledge(), stripe_api)
    unpaid = dict(session, payment_status="unpaid")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", unpaid))
    assert Gift.objects.get().status == "pending"
    assert TributeNotice.objects.count() == 0
    assert _notices() == []
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.async_payment_succeeded", session))
        deliver(client, sp.event("checkout.session.completed", unpaid))  # late, again
    assert Gift.objects.get().status == "succeeded"
    assert len(_notices()) == 1


def test_a_delayed_payment_that_fails_sends_no_notice(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    session = _paid(tribute_pledge(), stripe_api)
    unpaid = dict(session, payment_status="unpaid")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.async_payment_failed", unpaid))
        deliver(client, sp.event("checkout.session.completed", unpaid))
        deliver(client, sp.event("checkout.session.async_payment_failed", unpaid))
    gift = Gift.objects.get()
    assert (gift.status, gift.tribute_name) == ("failed", "Rosa Martinez")
    assert TributeNotice.objects.count() == 0
    # The donor hears that the debit failed (donations.bank_failures); the person to
    # be told of the tribute hears nothing.
    assert [message.to for message in mail.outbox] == [[gift.pledge.email]]
    assert not FeedItem.objects.filter(withdrawn=False).exists()


def test_an_unpaid_pledge_sends_nothing(client, campaign, donation, stripe_standin):
    assert client.post(f"/give/{campaign.slug}/", donation(**ROSA)).status_code == 303
    assert Tribute.objects.count() == 1
    assert TributeNotice.objects.count() == 0
    assert mail.outbox == []


def _monthly_events(pledge):
    sub_id = sp.new_id("sub")
    metadata = sp.pledge_metadata(pledge)
    first = sp.invoice(
        sub_id, amount=pledge.amount_cents, metadata=metadata, billing_reason="subscription_create"
    )
    renewal = sp.invoice(sub_id, amount=pledge.amount_cents, metadata=metadata)
    for invoice in (first, renewal):
        invoice["customer"] = sp.customer_for(pledge.email)
    session = sp.checkout_session(pledge, sub_id=sub_id, invoice_id=first["id"])
    return [
        sp.event("checkout.session.completed", session),
        sp.event("invoice.paid", first),
        sp.event("invoice.paid", renewal),
    ]


def test_a_monthly_gift_carries_the_tribute_on_its_first_charge_only(
    client, campaign, tribute_pledge, django_capture_on_commit_callbacks
):
    pledge = tribute_pledge(frequency="monthly")
    with django_capture_on_commit_callbacks(execute=True):
        # The renewal first, then the rest, each twice.
        for event in reversed(_monthly_events(pledge) * 2):
            deliver(client, event)
    charges = Gift.objects.order_by("-starts_monthly")
    assert [(g.starts_monthly, g.tribute_kind, g.tribute_name) for g in charges] == [
        (True, "memory", "Rosa Martinez"),
        (False, "", ""),
    ]
    assert len(_notices()) == 1
    assert TributeNotice.objects.get().gift == charges[0]


def _tribute_stream(tribute_pledge, stripe_api, count=24):
    """Events for `count` tribute pledges, each to its own recipient: paid at once,
    paid after a delay, failed after a delay, left pending, or monthly. Returns the
    events and the addresses that must get exactly one notice."""
    t = int(time.time()) - 50_000
    events, due = [], set()
    for n in range(count):
        to = f"friend{n}@example.org"
        kind = n % 5
        pledge = tribute_pledge(
            kind="memory" if n % 2 else "honor",
            notify_email=to,
            email=f"donor{n}@example.org",
            frequency="monthly" if kind == 4 else "once",
        )
        if kind == 4:
            monthly = _monthly_events(pledge)
            events += monthly
            due.add(to)
            continue
        session = _paid(pledge, stripe_api)
        unpaid = dict(session, payment_status="unpaid")
        if kind == 0:
            events.append(sp.event("checkout.session.completed", session, created=t + n))
            due.add(to)
        elif kind == 1:
            events.append(sp.event("checkout.session.completed", unpaid, created=t + n))
            events.append(
                sp.event("checkout.session.async_payment_succeeded", session, created=t + n + 1)
            )
            due.add(to)
        elif kind == 2:
            events.append(sp.event("checkout.session.completed", unpaid, created=t + n))
            events.append(
                sp.event("checkout.session.async_payment_failed", unpaid, created=t + n + 1)
            )
        else:
            events.append(sp.event("checkout.session.completed", unpaid, created=t + n))
    return events, due


@pytest.mark.parametrize("seed", [20261129, 7, 1234])
def test_shuffled_and_duplicated_events_send_each_paid_notice_exactly_once(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks, seed
):
    rng = random.Random(seed)
    events, due = _tribute_stream(tribute_pledge, stripe_api)
    stream = events + rng.sample(events, k=len(events) // 2)
    rng.shuffle(stream)
    with django_capture_on_commit_callbacks(execute=True):
        for event in stream:
            assert deliver(client, event).status_code == 200

    notified = sorted(to for message in mail.outbox for to in message.to if "friend" in to)
    assert notified == sorted(due)  # each paid tribute once; none pending or failed
    assert TributeNotice.objects.filter(sent_at__isnull=False).count() == len(due)
    # Every gift that paid a tribute pledge carries it, once; renewals carry none.
    for gift in Gift.objects.select_related("pledge__tribute"):
        expected = gift.frequency == "once" or gift.starts_monthly
        carried = (gift.tribute_kind, gift.tribute_name)
        assert carried == ((gift.pledge.tribute.kind, "Rosa Martinez") if expected else ("", ""))
    pending_or_failed = Gift.objects.exclude(payment="succeeded")
    assert pending_or_failed.exists()
    assert not TributeNotice.objects.filter(gift__in=pending_or_failed).exists()


def _refuse_notices(monkeypatch):
    """The mail server refuses the notices to Luis (and sends the rest); returns the
    real send, to put back once it is up again."""
    real_send = EmailBackend.send_messages

    def refuse_notices(backend, messages):
        if any(message.to == ["luis@example.org"] for message in messages):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(backend, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_notices)
    return real_send


def test_a_mail_server_failure_is_retried_not_lost(
    client,
    campaign,
    tribute_pledge,
    stripe_api,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    real_send = _refuse_notices(monkeypatch)
    session = _paid(tribute_pledge(), stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
    row = TributeNotice.objects.get()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "Connection unexpectedly closed" in row.error
    assert _notices() == []

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    call_command("send_pending_receipts", stdout=io.StringIO())
    call_command("send_pending_receipts", stdout=io.StringIO())
    row.refresh_from_db()
    assert (row.attempts, row.error) == (2, "")
    assert row.sent_at is not None
    assert len(_notices()) == 1


def _refund(client, gift, cents, capture_on_commit):
    """Stripe says `cents` of `gift` were refunded (charge.refunded)."""
    charge = sp.charge(gift.stripe_payment_intent_id, gift.amount_cents, amount_refunded=cents)
    with capture_on_commit(execute=True):
        deliver(client, sp.event("charge.refunded", charge))


def test_a_gift_refunded_in_full_before_its_notice_could_go_is_not_announced(
    client,
    campaign,
    tribute_pledge,
    stripe_api,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    real_send = _refuse_notices(monkeypatch)
    pledge = tribute_pledge()
    session = _paid(pledge, stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
    gift = Gift.objects.get()
    # The mail server is down; meanwhile the gift is refunded in full.
    _refund(client, gift, gift.amount_cents, django_capture_on_commit_callbacks)
    gift.refresh_from_db()
    assert not gift.counted
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    call_command("send_pending_receipts", stdout=io.StringIO())
    assert tributes.deliver_notice(TributeNotice.objects.get().pk) is False
    assert _notices() == []
    row = TributeNotice.objects.get()
    assert row.sent_at is None and "no longer counts" in row.error


def test_a_notice_held_back_past_a_partial_refund_states_what_was_kept(
    client,
    campaign,
    tribute_pledge,
    stripe_api,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    real_send = _refuse_notices(monkeypatch)
    session = _paid(tribute_pledge(kind="honor", notify_amount=True), stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
    gift = Gift.objects.get()
    # The mail server is down; meanwhile $20 of the $50 is refunded.
    _refund(client, gift, 2000, django_capture_on_commit_callbacks)
    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    call_command("send_pending_receipts", stdout=io.StringIO())
    [notice] = _notices()
    assert "Ana Lopez made a gift of $30.00 to Open Communities Alliance in honor of Rosa" in (
        notice.body
    )


def test_the_notice_is_in_spanish_for_a_spanish_pledge(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    session = _paid(tribute_pledge(language="es"), stripe_api)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
    [notice] = _notices()
    assert notice.subject == "Una donación en memoria de Rosa Martinez"
    assert "Hola, Luis Martinez:" in notice.body
    assert (
        "Ana Lopez hizo una donación a Open Communities Alliance en memoria de Rosa Martinez."
        in notice.body
    )
    assert '<html lang="es">' in notice.alternatives[0].content
    [receipt] = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert "En memoria de Rosa Martinez" in receipt.body


# What shows the tribute ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display_as", "line"),
    [
        ("full", "Ana Lopez</span> donated in memory of"),
        ("first", "Ana</span> donated in memory of"),
        ("anonymous", "Someone</span> donated in memory of"),
    ],
)
def test_the_feed_reads_donated_in_memory_of(
    client,
    campaign,
    tribute_pledge,
    stripe_api,
    django_capture_on_commit_callbacks,
    display_as,
    line,
):
    pledge = tribute_pledge(display_as=display_as)
    Tribute.objects.filter(pledge=pledge).update(honoree="Rosa <i>&</i> Luis")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", _paid(pledge, stripe_api)))
    item = FeedItem.objects.get()
    assert (item.tribute, item.honoree) == ("memory", "Rosa <i>&</i> Luis")
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert line + ' <span class="feed-honoree">Rosa &lt;i&gt;&amp;&lt;/i&gt; Luis</span>' in html


def test_the_spanish_feed_reads_dono_en_memoria_de(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", _paid(tribute_pledge(), stripe_api)))
    html = client.get("/es" + campaign.get_absolute_url()).content.decode()
    assert (
        'Ana Lopez</span> donó en memoria de <span class="feed-honoree">Rosa Martinez</span>'
        in (html)
    )


def test_a_private_tribute_gift_is_not_in_the_feed(
    client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    pledge = tribute_pledge(display_as="private")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", _paid(pledge, stripe_api)))
    assert Gift.objects.get().counted
    assert not FeedItem.objects.exists()
    assert "Rosa Martinez" not in client.get(campaign.get_absolute_url()).content.decode()


def test_the_receipt_says_in_memory_of(online_gift):
    gift = online_gift(tribute_kind="memory", tribute_name="Rosa Martinez")
    message = receipts.build_receipt(gift)
    assert "Tribute: In memory of Rosa Martinez" in message.body
    assert "<td>In memory of Rosa Martinez</td>" in message.alternatives[0].content
    pdf = pypdf.PdfReader(io.BytesIO(receipts.receipt_pdf(gift)))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "In memory of Rosa Martinez" in text
    plain = online_gift()
    assert "Tribute" not in receipts.build_receipt(plain).body


def test_the_export_has_tribute_columns(online_gift):
    online_gift(tribute_kind="honor", tribute_name="Rosa Martinez")
    online_gift()
    rows = list(exports.gifts_csv(Gift.objects.all()))
    assert rows[0].strip().endswith(",in_kind_estimate,tribute,tribute_name")
    assert rows[1].strip().endswith(",In honor of,Rosa Martinez")
    assert rows[2].strip().endswith(",,")


def test_the_report_counts_and_lists_the_tribute_gifts(bookkeeper_client, online_gift):
    gift = online_gift(tribute_kind="memory", tribute_name="Rosa Martinez")
    online_gift(tribute_kind="honor", tribute_name="Luis Martinez")
    online_gift()
    refunded = online_gift(tribute_kind="honor", tribute_name="Not Counted")
    refunded.refunded_cents = refunded.amount_cents
    refunded.derive_status()
    refunded.save()
    today = timezone.localdate().isoformat()
    response = bookkeeper_client.get(
        reverse("admin:donations_gift_report"), {"start": today, "end": today}
    )
    html = response.content.decode()
    assert "2 gifts in honor or in memory of someone" in html
    assert "In memory of Rosa Martinez" in html and "In honor of Luis Martinez" in html
    assert "Not Counted" not in html
    assert reverse("admin:donations_gift_change", args=[gift.pk]) in html


def test_the_admin_gift_page_shows_the_tribute_and_its_notice(
    admin_client, client, campaign, tribute_pledge, stripe_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", _paid(tribute_pledge(), stripe_api)))
    gift = Gift.objects.get()
    html = admin_client.get(reverse("admin:donations_gift_change", args=[gift.pk])).content
    html = html.decode()
    assert "Rosa Martinez" in html and "In memory of" in html
    assert "Sent to Luis Martinez &lt;luis@example.org&gt; on" in html
    found = admin_client.get(reverse("admin:donations_gift_changelist"), {"q": "Rosa"})
    assert f"/admin/donations/gift/{gift.pk}/change/" in found.content.decode()
