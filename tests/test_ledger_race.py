"""Two app servers: a refund that arrives while its payment is being booked.

Found by bench/drill_race.py: each transaction missed the other's uncommitted row (the
booking looked for parked refunds before the refund had committed its row; the refund
looked for the gift before the booking had committed it), and the refund stayed parked
for ever. Here the booking is held open, after it has looked, while the refund runs.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from donations import adjustments, gift_sync, ledger
from donations.models import Donor, Gift, PendingAdjustment, Pledge

from .donations import stripe_payloads as sp


def _in_thread(name, work, errors):
    def run():
        try:
            with transaction.atomic():
                work()
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=name)


@pytest.mark.parametrize("kind", ["refund", "dispute"])
def test_it_applies_an_adjustment_that_arrives_while_its_payment_is_booked(
    transactional_db, campaign, monkeypatch, kind
):
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL")
    donor = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    pledge = Pledge.objects.create(
        campaign=campaign, donor=donor, frequency="monthly", gift_cents=5000, amount_cents=5000
    )
    invoice = sp.invoice(
        "sub_race", amount=5000, metadata=sp.pledge_metadata(pledge), pi_id="pi_race"
    )
    if kind == "refund":
        charge = sp.charge("pi_race", 5000, amount_refunded=1000)
        event = sp.event("charge.refunded", charge)

        def adjust():
            adjustments.apply_refund(charge, event=event)
    else:
        dispute = sp.dispute("pi_race", amount=5000)
        event = sp.event("charge.dispute.created", dispute)

        def adjust():
            adjustments.apply_dispute(dispute, event=event, closed=False)

    booking_paused = threading.Event()
    refresh_progress = gift_sync.refresh_progress

    def slow_refresh_progress(campaign_id):
        if threading.current_thread().name == "booking":
            booking_paused.set()
            time.sleep(0.5)  # the adjustment runs now, before the booking commits
        refresh_progress(campaign_id)

    monkeypatch.setattr(gift_sync, "refresh_progress", slow_refresh_progress)

    def after_pause():
        assert booking_paused.wait(10)
        adjust()

    errors = []
    threads = [
        _in_thread("booking", lambda: ledger.book_invoice(invoice), errors),
        _in_thread("adjustment", after_pause, errors),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []

    gift = Gift.objects.get(stripe_invoice_id=invoice["id"])
    if kind == "refund":
        assert gift.refunded_cents == 1000
        assert gift.status == Gift.Status.PARTIALLY_REFUNDED
    else:
        assert gift.status == Gift.Status.DISPUTED
        assert not gift.counted
    assert PendingAdjustment.objects.count() == 0
