import time
from unittest import mock

import pytest
from django.core import mail

from campaigns.models import FeedItem
from donations import gift_sync, ledger, webhooks
from donations.models import Gift, MonthlyGift, PendingAdjustment, ProcessedEvent

from . import stripe_payloads as sp
from .webhook_helpers import WEBHOOK_URL, deliver

IRS = "No goods or services were provided in exchange for this contribution."


def _paid_session(pledge, stripe_api, pi_id=None, wallet=None):
    pi_id = pi_id or sp.new_id("pi")
    stripe_api.amounts[pi_id] = pledge.amount_cents
    if wallet:
        stripe_api.wallets[pi_id] = wallet
    return sp.checkout_session(pledge, pi_id=pi_id), pi_id


# Signatures and envelopes ----------------------------------------------------------


def test_it_refuses_a_missing_signature_and_writes_nothing(client, make_pledge, stripe_api):
    session, _ = _paid_session(make_pledge(), stripe_api)
    body, _ = sp.signed(sp.event("checkout.session.completed", session), "whsec_test_suite")
    response = client.post(WEBHOOK_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert Gift.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0


@pytest.mark.parametrize(
    "make_header",
    [
        lambda body: sp.sign_payload(body, "whsec_someone_else"),
        lambda body: sp.sign_payload(body, "whsec_test_suite", timestamp=int(time.time()) - 3600),
        lambda body: "t=123,v1=00ff",
        lambda body: "garbage",
    ],
    ids=["wrong-secret", "too-old", "wrong-digest", "malformed"],
)
def test_it_refuses_a_wrong_signature_and_writes_nothing(
    client, make_pledge, stripe_api, make_header
):
    session, _ = _paid_session(make_pledge(), stripe_api)
    body, _ = sp.signed(sp.event("checkout.session.completed", session), "whsec_test_suite")
    response = client.post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=make_header(body)
    )
    assert response.status_code == 400
    assert Gift.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0


def test_it_refuses_a_tampered_body(client, make_pledge, stripe_api):
    session, _ = _paid_session(make_pledge(), stripe_api)
    body, signature = sp.signed(sp.event("checkout.session.completed", session), "whsec_test_suite")
    tampered = body.replace(b'"amount_total": 5000', b'"amount_total": 9000')
    assert tampered != body
    response = client.post(
        WEBHOOK_URL, tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )
    assert response.status_code == 400
    assert Gift.objects.count() == 0


def test_it_refuses_an_oversized_body_with_413(client, db):
    body = b'{"id": "evt_big", "object": "event", "pad": "' + b"x" * webhooks.MAX_BODY_BYTES + b'"}'
    response = client.post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=0"
    )
    assert response.status_code == 413
    assert ProcessedEvent.objects.count() == 0


def test_it_accepts_a_body_just_under_the_limit_as_far_as_size_goes(client, db):
    # Same path with a body that fits: refused for its signature, not for its size.
    body = b'{"pad": "' + b"x" * (webhooks.MAX_BODY_BYTES - 100) + b'"}'
    response = client.post(
        WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=0"
    )
    assert response.status_code == 400


def test_it_refuses_get(client, db):
    assert client.get(WEBHOOK_URL).status_code == 405


def test_it_answers_200_to_unknown_types_and_ignores_them(client, db):
    response = deliver(client, sp.event("plan.created", sp.fixture("event")["data"]["object"]))
    assert response.status_code == 200
    assert response.content == b"ignored\n"
    assert ProcessedEvent.objects.count() == 0


# One-time gifts --------------------------------------------------------------------


def test_it_books_a_completed_checkout_once_however_often_it_arrives(
    client, campaign, make_pledge, stripe_api, django_capture_on_commit_callbacks
):
    pledge = make_pledge(amount=5143)
    session, pi_id = _paid_session(pledge, stripe_api)
    event = sp.event("checkout.session.completed", session)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, event).content == b"applied\n"
    for _ in range(2):
        assert deliver(client, event).content == b"duplicate\n"

    gift = Gift.objects.get()
    assert (gift.amount_cents, gift.stripe_payment_intent_id) == (5143, pi_id)
    assert (gift.status, gift.counted, gift.frequency) == ("succeeded", True, "once")
    assert (gift.method, gift.card_brand, gift.card_last4) == ("card", "visa", "4242")
    assert ProcessedEvent.objects.get().event_id == event["id"]
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (1, 5143)
    assert FeedItem.objects.get().kind == "donated"
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == ["ana@example.org"]
    for text in (
        IRS,
        "$51.43",
        "Ana Lopez",
        "Open Communities Alliance",
        "00-0000000",
        "Visa card ending in 4242",
    ):
        assert text in receipt.body
    gift.refresh_from_db()
    assert gift.receipt_status == "sent"


def test_it_books_a_wallet_payment_as_wallet(client, make_pledge, stripe_api):
    session, _ = _paid_session(make_pledge(), stripe_api, wallet="apple_pay")
    deliver(client, sp.event("checkout.session.completed", session))
    assert Gift.objects.get().method == "wallet"


def test_it_books_a_redelivered_checkout_under_a_new_event_id_once(client, make_pledge, stripe_api):
    session, _ = _paid_session(make_pledge(), stripe_api)
    deliver(client, sp.event("checkout.session.completed", session))
    deliver(client, sp.event("checkout.session.completed", session))
    assert Gift.objects.count() == 1
    assert ProcessedEvent.objects.count() == 2


def test_it_keeps_a_delayed_payment_pending_until_it_succeeds(
    client, campaign, make_pledge, stripe_api, django_capture_on_commit_callbacks
):
    pledge = make_pledge()
    pi_id = sp.new_id("pi")
    stripe_api.amounts[pi_id] = pledge.amount_cents
    unpaid = sp.checkout_session(pledge, pi_id=pi_id, payment_status="unpaid")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", unpaid))
    gift = Gift.objects.get()
    assert (gift.status, gift.counted) == ("pending", False)
    campaign.refresh_from_db()
    assert campaign.donor_count == 0
    assert mail.outbox == []

    paid = dict(unpaid, payment_status="paid")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.async_payment_succeeded", paid))
    gift.refresh_from_db()
    assert (gift.status, gift.counted) == ("succeeded", True)
    campaign.refresh_from_db()
    assert campaign.donor_count == 1
    assert len(mail.outbox) == 1


def test_it_records_a_failed_delayed_payment_without_counting_it(
    client, campaign, make_pledge, stripe_api
):
    pledge = make_pledge()
    unpaid = sp.checkout_session(pledge, pi_id=sp.new_id("pi"), payment_status="unpaid")
    deliver(client, sp.event("checkout.session.completed", unpaid))
    deliver(client, sp.event("checkout.session.async_payment_failed", unpaid))
    gift = Gift.objects.get()
    assert (gift.status, gift.counted) == ("failed", False)
    assert not FeedItem.objects.filter(withdrawn=False).exists()


def test_it_ignores_a_session_that_is_not_ours(client, campaign, stripe_api):
    session = sp.fixture("checkout_session")
    session.update(
        id="cs_other", mode="payment", payment_status="paid", metadata={}, payment_intent=None
    )
    response = deliver(client, sp.event("checkout.session.completed", session))
    assert response.status_code == 200
    assert Gift.objects.count() == 0


# Monthly gifts ---------------------------------------------------------------------


def _monthly(make_pledge, amount=5140, email="ana@example.org"):
    pledge = make_pledge(frequency="monthly", amount=amount, email=email)
    sub_id = sp.new_id("sub")
    first = sp.invoice(
        sub_id,
        amount=amount,
        metadata=sp.pledge_metadata(pledge),
        billing_reason="subscription_create",
    )
    session = sp.checkout_session(pledge, sub_id=sub_id, invoice_id=first["id"])
    return pledge, sub_id, session, first


def test_it_books_every_monthly_charge_the_first_included(
    client, campaign, make_pledge, django_capture_on_commit_callbacks
):
    pledge, sub_id, session, first = _monthly(make_pledge)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("checkout.session.completed", session))
        deliver(client, sp.event("invoice.paid", first))
        renewal = sp.invoice(sub_id, amount=5140, metadata=sp.pledge_metadata(pledge))
        deliver(client, sp.event("invoice.paid", renewal))
        deliver(client, sp.event("invoice.paid", renewal))

    monthly = MonthlyGift.objects.get()
    assert (monthly.stripe_subscription_id, monthly.status, monthly.amount_cents) == (
        sub_id,
        "active",
        5140,
    )
    charges = Gift.objects.order_by("pk")
    assert [
        (g.stripe_invoice_id, g.amount_cents, g.frequency, g.starts_monthly) for g in charges
    ] == [
        (first["id"], 5140, "monthly", True),
        (renewal["id"], 5140, "monthly", False),
    ]
    assert all(g.monthly_gift_id == monthly.pk for g in charges)
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (1, 10280)
    # The feed shows the start of the monthly gift, not each renewal.
    assert list(FeedItem.objects.values_list("kind", flat=True)) == ["monthly"]
    assert len(mail.outbox) == 2
    assert all(IRS in m.body for m in mail.outbox)


def test_it_books_an_invoice_that_arrives_before_its_checkout_session(
    client, campaign, make_pledge
):
    pledge, sub_id, session, first = _monthly(make_pledge)
    deliver(client, sp.event("invoice.paid", first))
    gift = Gift.objects.get()
    pledge.refresh_from_db()
    assert (gift.donor.email, gift.donor_name, gift.campaign_id, gift.amount_cents) == (
        pledge.email,
        pledge.name,
        campaign.pk,
        5140,
    )
    assert gift.donor_id == pledge.donor_id
    assert gift.monthly_gift.stripe_subscription_id == sub_id
    deliver(client, sp.event("checkout.session.completed", session))
    assert Gift.objects.count() == 1
    assert MonthlyGift.objects.count() == 1


def test_it_marks_a_failed_monthly_charge_past_due(
    client, make_pledge, django_capture_on_commit_callbacks
):
    pledge, sub_id, session, first = _monthly(make_pledge)
    deliver(client, sp.event("checkout.session.completed", session))
    failed = sp.invoice(sub_id, amount=5140, metadata=sp.pledge_metadata(pledge), paid=False)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, sp.event("invoice.payment_failed", failed))
    assert MonthlyGift.objects.get().status == "past_due"
    assert Gift.objects.count() == 0
    update_mail = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert len(update_mail) == 1
    assert "/give/manage/" in update_mail[0].body


def test_a_late_older_past_due_does_not_undo_a_newer_paid_charge(client, make_pledge):
    """The card failed, then a retry paid: Stripe's "past due" update can arrive after
    the newer paid invoice, while the gift already reads active."""
    pledge, sub_id, session, first = _monthly(make_pledge)
    deliver(client, sp.event("checkout.session.completed", session))
    now = int(time.time())
    metadata = sp.pledge_metadata(pledge)
    retry = sp.invoice(sub_id, amount=5140, metadata=metadata)
    retry["status_transitions"]["paid_at"] = now + 20
    deliver(client, sp.event("invoice.paid", retry, created=now + 20))
    past_due = sp.event(
        "customer.subscription.updated",
        sp.subscription(sub_id, status="past_due", amount=5140, metadata=metadata),
        created=now + 10,
    )
    deliver(client, past_due)
    assert MonthlyGift.objects.get().status == "active"

    newer_failure = sp.invoice(sub_id, amount=5140, metadata=metadata, paid=False)
    deliver(client, sp.event("invoice.payment_failed", newer_failure, created=now + 30))
    assert MonthlyGift.objects.get().status == "past_due"


def test_it_applies_subscription_updates_newest_first_and_keeps_cancellation(client, make_pledge):
    pledge, sub_id, session, first = _monthly(make_pledge)
    deliver(client, sp.event("checkout.session.completed", session))
    now = int(time.time())
    metadata = sp.pledge_metadata(pledge)
    newer = sp.event(
        "customer.subscription.updated",
        sp.subscription(sub_id, status="past_due", amount=7000, metadata=metadata),
        created=now + 20,
    )
    older = sp.event(
        "customer.subscription.updated",
        sp.subscription(sub_id, status="active", amount=6000, metadata=metadata),
        created=now + 10,
    )
    deliver(client, newer)
    deliver(client, older)
    monthly = MonthlyGift.objects.get()
    assert (monthly.status, monthly.amount_cents) == ("past_due", 7000)

    deleted = sp.event(
        "customer.subscription.deleted",
        sp.subscription(sub_id, status="canceled", metadata=metadata, canceled_at=now + 30),
        created=now + 30,
    )
    deliver(client, deleted)
    late = sp.event(
        "customer.subscription.updated",
        sp.subscription(sub_id, status="active", metadata=metadata),
        created=now + 40,
    )
    deliver(client, late)
    monthly.refresh_from_db()
    assert monthly.status == "canceled"
    assert monthly.canceled_at is not None


def test_it_asks_stripe_which_payment_paid_an_invoice_that_does_not_say(
    client, campaign, make_pledge, stripe_api
):
    """Webhook invoices omit `payments` (an includable field): the charge is looked up."""
    pledge, sub_id, session, first = _monthly(make_pledge)
    del first["payments"]
    pi_id = sp.new_id("pi")
    stripe_api.invoice_payments[first["id"]] = pi_id
    stripe_api.amounts[pi_id] = 5140
    stripe_api.wallets[pi_id] = "google_pay"
    deliver(client, sp.event("invoice.paid", first))
    gift = Gift.objects.get()
    assert (gift.stripe_payment_intent_id, gift.method) == (pi_id, "wallet")
    # So that a refund of that charge, which names only the payment intent, finds it.
    deliver(client, sp.event("charge.refunded", sp.charge(pi_id, 5140, amount_refunded=5140)))
    gift.refresh_from_db()
    assert gift.status == "refunded"


# Refunds and disputes --------------------------------------------------------------


def _booked_gift(client, make_pledge, stripe_api, amount=5000, **kw):
    pledge = make_pledge(amount=amount, **kw)
    session, pi_id = _paid_session(pledge, stripe_api)
    deliver(client, sp.event("checkout.session.completed", session))
    return Gift.objects.get(stripe_payment_intent_id=pi_id), pi_id


def test_it_counts_a_partially_refunded_gift_net_of_the_refund(
    client, campaign, make_pledge, stripe_api
):
    gift, pi_id = _booked_gift(client, make_pledge, stripe_api)
    deliver(client, sp.event("charge.refunded", sp.charge(pi_id, 5000, amount_refunded=2000)))
    gift.refresh_from_db()
    assert (gift.status, gift.counted, gift.refunded_cents) == ("partially_refunded", True, 2000)
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (1, 3000)


def test_it_drops_a_refunded_gift_from_totals_and_feed_but_keeps_the_row(
    client, campaign, make_pledge, stripe_api
):
    gift, pi_id = _booked_gift(client, make_pledge, stripe_api)
    partial = sp.event(
        "charge.refunded", sp.charge(pi_id, 5000, amount_refunded=2000), created=int(time.time())
    )
    full = sp.event(
        "charge.refunded",
        sp.charge(pi_id, 5000, amount_refunded=5000),
        created=int(time.time()) + 5,
    )
    deliver(client, full)
    deliver(client, partial)  # late and smaller: refunds only grow
    gift.refresh_from_db()
    assert (gift.status, gift.counted, gift.refunded_cents) == ("refunded", False, 5000)
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (0, 0)
    assert not FeedItem.objects.filter(withdrawn=False).exists()
    assert FeedItem.objects.filter(withdrawn=True).count() == 1


def test_it_puts_a_disputed_gift_on_hold_and_settles_it(client, campaign, make_pledge, stripe_api):
    gift, pi_id = _booked_gift(client, make_pledge, stripe_api)
    dispute = sp.dispute(pi_id, amount=5000)
    deliver(client, sp.event("charge.dispute.created", dispute))
    gift.refresh_from_db()
    assert (gift.status, gift.counted) == ("disputed", False)
    campaign.refresh_from_db()
    assert campaign.donor_count == 0
    assert not FeedItem.objects.filter(withdrawn=False).exists()

    deliver(client, sp.event("charge.dispute.closed", dict(dispute, status="won")))
    gift.refresh_from_db()
    assert (gift.status, gift.counted) == ("succeeded", True)
    campaign.refresh_from_db()
    assert campaign.donor_count == 1
    assert FeedItem.objects.filter(withdrawn=False).count() == 1


def test_it_keeps_a_lost_dispute_out_even_if_created_arrives_late(
    client, campaign, make_pledge, stripe_api
):
    gift, pi_id = _booked_gift(client, make_pledge, stripe_api)
    dispute = sp.dispute(pi_id, amount=5000)
    deliver(client, sp.event("charge.dispute.closed", dict(dispute, status="lost")))
    deliver(client, sp.event("charge.dispute.created", dispute))
    gift.refresh_from_db()
    assert (gift.status, gift.counted, gift.dispute) == ("dispute_lost", False, "lost")


def test_it_applies_a_refund_that_arrives_before_its_payment(
    client, campaign, make_pledge, stripe_api
):
    pledge = make_pledge()
    session, pi_id = _paid_session(pledge, stripe_api)
    deliver(client, sp.event("charge.refunded", sp.charge(pi_id, 5000, amount_refunded=5000)))
    assert Gift.objects.count() == 0
    assert PendingAdjustment.objects.count() == 1
    deliver(client, sp.event("checkout.session.completed", session))
    gift = Gift.objects.get()
    assert (gift.status, gift.counted) == ("refunded", False)
    assert PendingAdjustment.objects.count() == 0
    campaign.refresh_from_db()
    assert campaign.donor_count == 0


def test_it_refunds_a_monthly_charge_found_by_its_payment_intent(client, campaign, make_pledge):
    pledge, sub_id, session, first = _monthly(make_pledge)
    deliver(client, sp.event("invoice.paid", first))
    pi_id = first["payments"]["data"][0]["payment"]["payment_intent"]
    deliver(client, sp.event("charge.refunded", sp.charge(pi_id, 5140, amount_refunded=5140)))
    assert Gift.objects.get().status == "refunded"


# Failures --------------------------------------------------------------------------


def test_it_answers_500_and_writes_nothing_when_processing_fails(
    client, campaign, make_pledge, stripe_api
):
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = sp.event("checkout.session.completed", session)
    with mock.patch.object(gift_sync, "refresh_progress", side_effect=RuntimeError("boom")):
        response = deliver(client, event)
    assert response.status_code == 500
    assert Gift.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0
    assert FeedItem.objects.count() == 0
    # Stripe delivers it again; this time it books.
    assert deliver(client, event).content == b"applied\n"
    assert Gift.objects.count() == 1


def test_it_answers_503_and_writes_nothing_when_stripe_cannot_be_reached(
    client, campaign, make_pledge, stripe_api, settings
):
    settings.STRIPE_MAX_RETRIES = 0
    session, _ = _paid_session(make_pledge(), stripe_api)
    stripe_api.reset()  # every request to Stripe now fails to connect
    response = deliver(client, sp.event("checkout.session.completed", session))
    assert response.status_code == 503
    assert Gift.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0


# Any order, any number of repeats, concurrent deliveries ----------------------------


def _event_stream(make_pledge, stripe_api, rng):
    """A realistic stream of over 200 events for many donors, in the order Stripe sent them."""
    t = int(time.time()) - 100_000
    events = []

    def add(event_type, obj):
        nonlocal t
        t += 7
        if event_type == "invoice.paid":  # paid when Stripe says so, on the events' clock
            obj["status_transitions"]["paid_at"] = t
        events.append(sp.event(event_type, obj, created=t))

    emails = [f"donor{i}@example.org" for i in range(25)]
    for n in range(60):
        pledge = make_pledge(
            email=rng.choice(emails), amount=rng.choice([500, 2500, 5143, 10000, 25000])
        )
        session, pi_id = _paid_session(pledge, stripe_api)
        if n % 12 == 0:  # a delayed method, which later succeeds or fails
            add("checkout.session.completed", dict(session, payment_status="unpaid"))
            add(
                "checkout.session.async_payment_" + ("failed" if n % 24 == 0 else "succeeded"),
                session,
            )
        else:
            add("checkout.session.completed", session)
        if n % 6 == 1:
            add(
                "charge.refunded",
                sp.charge(pi_id, pledge.amount_cents, amount_refunded=pledge.amount_cents // 2),
            )
            if n % 12 == 1:
                add(
                    "charge.refunded",
                    sp.charge(pi_id, pledge.amount_cents, amount_refunded=pledge.amount_cents),
                )
        if n % 10 == 3:
            dispute = sp.dispute(pi_id, amount=pledge.amount_cents)
            add("charge.dispute.created", dispute)
            add("charge.dispute.closed", dict(dispute, status="won" if n % 20 == 3 else "lost"))

    for n in range(16):
        pledge = make_pledge(
            email=rng.choice(emails), frequency="monthly", amount=rng.choice([1000, 2570, 5140])
        )
        metadata = sp.pledge_metadata(pledge)
        sub_id = sp.new_id("sub")
        first = sp.invoice(
            sub_id,
            amount=pledge.amount_cents,
            metadata=metadata,
            billing_reason="subscription_create",
        )
        add(
            "checkout.session.completed",
            sp.checkout_session(pledge, sub_id=sub_id, invoice_id=first["id"]),
        )
        add("invoice.paid", first)
        for _ in range(2):
            add("invoice.paid", sp.invoice(sub_id, amount=pledge.amount_cents, metadata=metadata))
        if n % 3 == 0:
            add(
                "customer.subscription.updated",
                sp.subscription(sub_id, amount=7500, metadata=metadata),
            )
        if n % 5 == 1:
            add(
                "invoice.payment_failed",
                sp.invoice(sub_id, amount=pledge.amount_cents, metadata=metadata, paid=False),
            )
            add(
                "customer.subscription.updated",
                sp.subscription(
                    sub_id, status="past_due", amount=pledge.amount_cents, metadata=metadata
                ),
            )
        if n % 4 == 2:
            add(
                "customer.subscription.deleted",
                sp.subscription(sub_id, status="canceled", metadata=metadata, canceled_at=t),
            )
        if n % 7 == 0:
            pi_id = f"pi_for_{first['id']}"
            add(
                "charge.refunded",
                sp.charge(pi_id, pledge.amount_cents, amount_refunded=pledge.amount_cents),
            )
    return events


def _wipe_ledger():
    from campaigns.models import Campaign
    from donations.models import BalanceTransaction, MonthlyNotice

    MonthlyNotice.objects.all().delete()
    BalanceTransaction.objects.all().delete()
    Gift.objects.all().delete()
    MonthlyGift.objects.all().delete()
    ProcessedEvent.objects.all().delete()
    PendingAdjustment.objects.all().delete()
    FeedItem.objects.all().delete()
    Campaign.objects.update(donor_count=0, raised_cents=0)


def test_it_ends_with_the_same_ledger_for_a_shuffled_stream_with_duplicates(
    client, campaign, make_pledge, stripe_api
):
    import random

    from .webhook_helpers import ledger_snapshot

    rng = random.Random(20261127)
    events = _event_stream(make_pledge, stripe_api, rng)
    for event in events:
        assert deliver(client, event).status_code == 200
    in_order = ledger_snapshot()
    # The stream exercises every state, so that equality below means something.
    statuses = {g[6] for g in in_order["gifts"]}
    assert statuses >= {"succeeded", "partially_refunded", "refunded", "dispute_lost", "failed"}
    assert {m[1] for m in in_order["monthly"]} >= {"active", "past_due", "canceled"}
    assert in_order["progress"][0][1] > 0

    _wipe_ledger()
    shuffled = events + rng.sample(events, k=len(events) // 3)
    rng.shuffle(shuffled)
    assert len(shuffled) >= 200
    for event in shuffled:
        assert deliver(client, event).status_code == 200
    assert ledger_snapshot() == in_order


@pytest.mark.django_db(transaction=True)
def test_it_books_once_when_one_event_arrives_on_two_processes_at_once(
    campaign, make_pledge, stripe_api
):
    import threading

    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("row locks and unique-index waits need PostgreSQL (CI runs it)")
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = sp.event("checkout.session.completed", session)
    barrier = threading.Barrier(2)
    original = ledger.book_checkout_session
    outcomes = []

    def slow_booking(*args, **kwargs):
        # Hold the transaction open so that the other delivery runs into it.
        result = original(*args, **kwargs)
        time.sleep(0.5)
        return result

    def deliver_in_thread():
        try:
            barrier.wait(timeout=5)
            outcomes.append(deliver(Client(), event))
        finally:
            connection.close()

    with mock.patch.object(ledger, "book_checkout_session", side_effect=slow_booking):
        threads = [threading.Thread(target=deliver_in_thread) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(r.content for r in outcomes) == [b"applied\n", b"duplicate\n"]
    assert Gift.objects.count() == 1
    assert ProcessedEvent.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.donor_count == 1


@pytest.mark.django_db(transaction=True)
def test_it_books_once_when_two_events_for_one_payment_race(campaign, make_pledge, stripe_api):
    """checkout.session.completed and its async_payment_succeeded, on two processes."""
    import threading

    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (CI runs it)")
    session, _ = _paid_session(make_pledge(), stripe_api)
    events = [
        sp.event("checkout.session.completed", session),
        sp.event("checkout.session.async_payment_succeeded", session),
    ]
    barrier = threading.Barrier(2)
    outcomes = []

    def deliver_in_thread(event):
        try:
            barrier.wait(timeout=5)
            outcomes.append(deliver(Client(), event).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_in_thread, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [200, 200]
    assert Gift.objects.count() == 1
    campaign.refresh_from_db()
    assert (campaign.donor_count, campaign.raised_cents) == (1, 5000)


# Signed events of shapes Stripe never sends: 400, logged, nothing booked ------------


def _deliver_body(client, body):
    return client.post(
        WEBHOOK_URL,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sp.sign_payload(body, "whsec_test_suite"),
    )


def _assert_refused_and_logged(response, caplog):
    assert response.status_code == 400, response.content
    assert response.content == b"Malformed event.\n"
    warnings = [r for r in caplog.records if r.name == "donations.webhooks"]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert "Rejected a signed webhook" in warnings[0].getMessage()
    assert Gift.objects.count() == 0
    assert MonthlyGift.objects.count() == 0
    assert ProcessedEvent.objects.count() == 0
    assert PendingAdjustment.objects.count() == 0


def _swap(event, path, value):
    """`event` with the value at a dotted path replaced (or removed, for ...)."""
    target = event
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if isinstance(target, list):
        last = int(last)
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return event


ENVELOPE_MISTAKES = [
    ("type", 5),
    ("type", None),
    ("type", ...),
    ("type", ["checkout.session.completed"]),
    ("id", 12345),
    ("id", ...),
    ("id", {"id": "evt_1"}),
    ("id", "evt with spaces"),
    ("id", "e" * 256),
    ("object", "charge"),
    ("created", "1700000000"),
    ("created", 10**30),
    ("created", 1.7e9),
    ("created", True),
    ("created", -1),
    ("created", ...),
    ("data", ["object"]),
    ("data", ...),
    ("data", "object"),
    ("data.object", "cs_123"),
    ("data.object", ...),
    ("data.object", None),
    ("data.object", []),
]


@pytest.mark.parametrize(("path", "value"), ENVELOPE_MISTAKES)
def test_it_refuses_a_signed_event_whose_envelope_stripe_never_sends(
    client, make_pledge, stripe_api, caplog, path, value
):
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = _swap(sp.event("checkout.session.completed", session), path, value)
    with caplog.at_level("WARNING"):
        response = deliver(client, event)
    _assert_refused_and_logged(response, caplog)
    assert len(stripe_api.calls) == 0


def test_it_refuses_an_event_dated_in_the_future(client, make_pledge, stripe_api, caplog):
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = sp.event("checkout.session.completed", session, created=int(time.time()) + 3600)
    with caplog.at_level("WARNING"):
        response = deliver(client, event)
    _assert_refused_and_logged(response, caplog)
    assert "future" in caplog.records[0].getMessage()


def test_it_accepts_an_event_a_minute_ahead_of_our_clock(client, make_pledge, stripe_api):
    # Stripe's clock and ours differ by a little; only far ahead is refused.
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = sp.event("checkout.session.completed", session, created=int(time.time()) + 60)
    assert deliver(client, event).content == b"applied\n"
    assert Gift.objects.count() == 1


SESSION_MISTAKES = [
    ("amount_total", "5000"),
    ("amount_total", "5e3"),
    ("amount_total", 50.0),
    ("amount_total", True),
    ("amount_total", -5000),
    ("amount_total", 10**12),
    ("amount_total", {"value": 5000}),
    ("id", None),
    ("id", 42),
    ("id", {"id": "cs_1"}),
    ("metadata", []),
    ("metadata", "pledge"),
    ("metadata.pledge_id", 7),
    ("metadata.pledge_id", ["x"]),
    ("currency", "dollars"),
    ("currency", 840),
    ("mode", ["payment"]),
    ("mode", {}),
    ("payment_status", 1),
    ("payment_intent", 12),
    ("payment_intent", ["pi_1"]),
    ("payment_intent", {"id": 5}),
    ("payment_intent", {"latest_charge": "ch_1"}),
    ("subscription", 3.5),
    ("customer", ["cus_1"]),
    ("customer_details", "ana@example.org"),
    ("customer_details.email", ["ana@example.org"]),
    ("invoice", {"id": "in_1", "amount_paid": "5000", "status": "paid"}),
]


@pytest.mark.parametrize(("path", "value"), SESSION_MISTAKES)
def test_it_books_no_gift_from_a_checkout_session_of_the_wrong_shape(
    client, make_pledge, stripe_api, caplog, path, value
):
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = sp.event("checkout.session.completed", _swap(session, path, value))
    with caplog.at_level("WARNING"):
        response = deliver(client, event)
    _assert_refused_and_logged(response, caplog)
    assert len(stripe_api.calls) == 0


def _monthly_events(make_pledge):
    pledge = make_pledge(frequency="monthly")
    sub_id = sp.new_id("sub")
    metadata = sp.pledge_metadata(pledge)
    return {
        "invoice.paid": sp.invoice(sub_id, amount=5000, metadata=metadata),
        "invoice.payment_failed": sp.invoice(sub_id, amount=5000, metadata=metadata, paid=False),
        "customer.subscription.updated": sp.subscription(sub_id, metadata=metadata),
        "customer.subscription.deleted": sp.subscription(sub_id, metadata=metadata),
    }


NESTED_MISTAKES = [
    ("invoice.paid", "amount_paid", "5000"),
    ("invoice.paid", "amount_paid", 10**40),
    ("invoice.paid", "id", None),
    ("invoice.paid", "parent", "subscription_details"),
    ("invoice.paid", "parent.subscription_details", ["sub_1"]),
    ("invoice.paid", "parent.subscription_details.subscription", 9),
    ("invoice.paid", "parent.subscription_details.metadata", ["pledge_id"]),
    ("invoice.paid", "payments", []),
    ("invoice.paid", "payments.data", {"payment": {}}),
    ("invoice.paid", "payments.data.0", "inpay_1"),
    ("invoice.paid", "payments.data.0.payment", "pi_1"),
    ("invoice.paid", "payments.data.0.payment.payment_intent", 12),
    ("invoice.paid", "status_transitions", 17),
    ("invoice.paid", "status_transitions.paid_at", "yesterday"),
    ("invoice.paid", "status_transitions.paid_at", 10**20),
    ("invoice.paid", "currency", ["usd"]),
    ("invoice.paid", "customer", 5),
    ("invoice.payment_failed", "amount_due", "5000"),
    ("invoice.payment_failed", "parent.subscription_details", "x"),
    ("customer.subscription.updated", "status", {"active": True}),
    ("customer.subscription.updated", "status", ["active"]),
    ("customer.subscription.updated", "items", ["si_1"]),
    ("customer.subscription.updated", "items.data", "si_1"),
    ("customer.subscription.updated", "items.data.0", "si_1"),
    ("customer.subscription.updated", "items.data.0.price", "price_1"),
    ("customer.subscription.updated", "items.data.0.price.unit_amount", "5000"),
    ("customer.subscription.updated", "metadata", [["pledge_id", "x"]]),
    ("customer.subscription.updated", "id", 1),
    ("customer.subscription.deleted", "canceled_at", "now"),
    ("customer.subscription.deleted", "ended_at", 10**19),
]


@pytest.mark.parametrize(("event_type", "path", "value"), NESTED_MISTAKES)
def test_it_books_nothing_from_a_monthly_event_of_the_wrong_shape(
    client, make_pledge, stripe_api, caplog, event_type, path, value
):
    obj = _swap(_monthly_events(make_pledge)[event_type], path, value)
    with caplog.at_level("WARNING"):
        response = deliver(client, sp.event(event_type, obj))
    _assert_refused_and_logged(response, caplog)
    assert len(stripe_api.calls) == 0


@pytest.mark.parametrize(
    ("event_type", "path", "value"),
    [
        ("charge.refunded", "amount_refunded", "5000"),
        ("charge.refunded", "amount_refunded", -1),
        ("charge.refunded", "id", ["ch_1"]),
        ("charge.refunded", "payment_intent", {"id": None}),
        ("charge.refunded", "payment_method_details", "card"),
        ("charge.refunded", "payment_method_details.card.last4", 4242),
        ("charge.refunded", "payment_method_details.card.brand", "b" * 21),
        ("charge.dispute.created", "status", ["lost"]),
        ("charge.dispute.closed", "status", {"lost": 1}),
        ("charge.dispute.closed", "charge", 5),
        ("charge.dispute.closed", "payment_intent", True),
    ],
)
def test_it_parks_nothing_from_a_refund_or_dispute_of_the_wrong_shape(
    client, db, caplog, event_type, path, value
):
    pi_id = sp.new_id("pi")
    if event_type == "charge.refunded":
        obj = sp.charge(pi_id, 5000, amount_refunded=5000)
    else:
        obj = sp.dispute(pi_id, amount=5000, status="lost")
    with caplog.at_level("WARNING"):
        response = deliver(client, sp.event(event_type, _swap(obj, path, value)))
    _assert_refused_and_logged(response, caplog)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2, 3]",
        b'"event"',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"object": "event", "id": "evt_1", "type": "x", "created": NaN, "data": {"object": {}}}',
    ],
    ids=["text", "list", "string", "deep", "nan"],
)
def test_it_refuses_a_signed_body_that_is_no_event(client, db, caplog, body):
    with caplog.at_level("WARNING"):
        response = _deliver_body(client, body)
    _assert_refused_and_logged(response, caplog)


@pytest.mark.parametrize(
    "value",
    ["\u0000", "Ana\u0000Lopez", "\ud800", 1e999, float("nan"), "NESTED"],
    ids=["nul", "nul-inside", "lone-surrogate", "infinity", "nan", "nested"],
)
def test_it_refuses_a_signed_refund_postgresql_could_not_park(client, db, caplog, value):
    import json

    # A refund of a payment not booked yet is parked whole, so any field counts.
    charge = sp.charge(sp.new_id("pi"), 5000, amount_refunded=5000)
    if value == "NESTED":
        value = 0
        for _ in range(40):
            value = [value]
    charge["description"] = value
    event = sp.event("charge.refunded", charge)
    body = json.dumps(event, allow_nan=True).encode("utf-8", "surrogatepass")
    if "\ud800" in json.dumps(event):
        body = json.dumps(event).encode()  # the JSON escape "\ud800", as a client sends it
    with caplog.at_level("WARNING"):
        response = _deliver_body(client, body)
    _assert_refused_and_logged(response, caplog)


def test_it_takes_a_pledge_id_that_is_no_uuid_as_not_ours(client, make_pledge, stripe_api, caplog):
    session, _ = _paid_session(make_pledge(), stripe_api)
    session["metadata"]["pledge_id"] = "abc"
    with caplog.at_level("WARNING"):
        response = deliver(client, sp.event("checkout.session.completed", session))
    assert response.status_code == 200
    assert Gift.objects.count() == 0
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


def test_it_refuses_a_signature_header_with_letters_beyond_ascii(client, db, caplog):
    import json

    body = json.dumps(sp.event("charge.refunded", sp.charge("pi_1", 5000))).encode()
    with caplog.at_level("WARNING"):
        response = client.post(
            WEBHOOK_URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=é"
        )
    assert response.status_code == 400
    assert response.content == b"Invalid signature.\n"
    assert ProcessedEvent.objects.count() == 0


def test_it_still_ignores_a_well_formed_event_of_a_type_not_ours(client, db):
    event = sp.event("customer.created", {"id": "cus_1", "object": "customer", "email": None})
    response = deliver(client, event)
    assert (response.status_code, response.content) == (200, b"ignored\n")


def test_it_answers_400_for_an_unforeseen_shape_and_still_500_for_a_failure_of_ours(
    client, make_pledge, stripe_api, caplog
):
    session, _ = _paid_session(make_pledge(), stripe_api)
    event = sp.event("checkout.session.completed", session)

    def unreadable(*args, **kwargs):
        raise KeyError("a field no check lists")

    with mock.patch.object(ledger, "book_checkout_session", unreadable), caplog.at_level("WARNING"):
        response = deliver(client, event)
    _assert_refused_and_logged(response, caplog)

    def database_down(*args, **kwargs):
        from django.db import DatabaseError

        raise DatabaseError("disk full")

    with mock.patch.object(ledger, "book_checkout_session", database_down):
        assert deliver(client, event).status_code == 500
    assert ProcessedEvent.objects.count() == 0
    assert deliver(client, event).content == b"applied\n"
    assert Gift.objects.count() == 1
