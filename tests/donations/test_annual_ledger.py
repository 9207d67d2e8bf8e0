"""Yearly gifts in the ledger: a subscription whose price recurs each year is one
recurring gift with interval "year", each of whose charges is an annual gift, however
its events arrive (late, twice, out of order)."""

import datetime
import random
import time

import pytest

from campaigns.models import FeedItem
from donations.models import Gift, MonthlyGift, ProcessedEvent

from . import stripe_payloads as sp
from .webhook_helpers import deliver

DAY = 86400


def _a_year_after(timestamp):
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    return int(moment.replace(year=moment.year + 1).timestamp())


def _yearly_invoice(sub_id, *, amount, metadata, paid_at, period_end, **kw):
    invoice = sp.invoice(sub_id, amount=amount, metadata=metadata, **kw)
    invoice["status_transitions"]["paid_at"] = paid_at
    line = invoice["lines"]["data"][0]
    line["period"] = {"start": paid_at, "end": period_end}
    return invoice


def _yearly_subscription(sub_id, *, amount, metadata, period_end):
    subscription = sp.subscription(sub_id, amount=amount, metadata=metadata)
    item = subscription["items"]["data"][0]
    item["price"]["recurring"]["interval"] = "year"
    item["current_period_end"] = period_end
    return subscription


def _yearly_stream(pledge, stripe_api):
    """A yearly gift's events, oldest first: checkout, its first invoice, the renewal a
    year later, then a change of amount."""
    metadata = sp.pledge_metadata(pledge)
    sub_id = sp.new_id("sub")
    started = int(time.time()) - 400 * DAY
    renewed = _a_year_after(started)
    first = _yearly_invoice(
        sub_id,
        amount=12000,
        metadata=metadata,
        paid_at=started,
        period_end=renewed,
        billing_reason="subscription_create",
    )
    renewal = _yearly_invoice(
        sub_id, amount=12000, metadata=metadata, paid_at=renewed, period_end=_a_year_after(renewed)
    )
    for invoice in (first, renewal):
        stripe_api.amounts[f"pi_for_{invoice['id']}"] = 12000
    update = _yearly_subscription(
        sub_id, amount=15000, metadata=metadata, period_end=_a_year_after(renewed)
    )
    events = [
        sp.event(
            "checkout.session.completed",
            sp.checkout_session(pledge, sub_id=sub_id, invoice_id=first["id"]),
            created=started,
        ),
        sp.event("invoice.paid", first, created=started + 5),
        sp.event("invoice.paid", renewal, created=renewed + 5),
        sp.event("customer.subscription.updated", update, created=renewed + 30 * DAY),
    ]
    return events, first, renewal


def _ledger():
    recurring = [
        (m.stripe_subscription_id, m.interval, m.amount_cents, m.status, m.next_charge_at)
        for m in MonthlyGift.objects.all()
    ]
    gifts = sorted(
        (g.stripe_invoice_id, g.frequency, g.amount_cents, g.starts_monthly, g.counted)
        for g in Gift.objects.all()
    )
    feed = sorted(FeedItem.objects.values_list("kind", "display_name"))
    return recurring, gifts, feed


def _wipe():
    from donations.models import BalanceTransaction, MonthlyNotice

    MonthlyNotice.objects.all().delete()
    BalanceTransaction.objects.all().delete()
    Gift.objects.all().delete()
    MonthlyGift.objects.all().delete()
    ProcessedEvent.objects.all().delete()
    FeedItem.objects.all().delete()


@pytest.fixture
def yearly(client, campaign, make_pledge, stripe_api):
    pledge = make_pledge(frequency="annual", amount=12000)
    return (pledge, *_yearly_stream(pledge, stripe_api))


def test_it_books_a_yearly_gift_with_its_charges_a_year_apart(client, yearly):
    pledge, events, first, renewal = yearly
    for event in events:
        assert deliver(client, event).status_code == 200

    recurring = MonthlyGift.objects.get()
    assert recurring.interval == "year"
    assert recurring.frequency == "annual"
    assert recurring.amount_cents == 15000
    assert recurring.amount_per_period == "$150/year"
    period_end = renewal["lines"]["data"][0]["period"]["end"]
    assert recurring.next_charge_at == datetime.datetime.fromtimestamp(period_end, datetime.UTC)
    gifts = list(Gift.objects.order_by("given_at"))
    assert [(g.stripe_invoice_id, g.frequency, g.amount_cents) for g in gifts] == [
        (first["id"], "annual", 12000),
        (renewal["id"], "annual", 12000),
    ]
    assert [g.starts_monthly for g in gifts] == [True, False]
    assert (gifts[1].given_at - gifts[0].given_at).days in (365, 366)
    # The feed shows the start of the yearly gift once; the renewal stays off it.
    assert list(FeedItem.objects.values_list("kind", "display_name")) == [
        (FeedItem.Kind.ANNUAL, "Ana Lopez")
    ]
    assert str(FeedItem.objects.get()) == "Ana Lopez started a yearly donation"


def test_the_ledger_is_the_same_in_any_order_and_with_duplicates(client, yearly):
    pledge, events, first, renewal = yearly
    for event in events:
        assert deliver(client, event).status_code == 200
    in_order = _ledger()
    assert in_order[0][0][1:3] == ("year", 15000)

    rng = random.Random(2027)
    for _ in range(6):
        _wipe()
        stream = events + rng.sample(events, k=2)
        rng.shuffle(stream)
        for event in stream:
            assert deliver(client, event).status_code == 200
        assert _ledger() == in_order


def test_replaying_every_event_books_nothing_twice(client, yearly):
    pledge, events, first, renewal = yearly
    for event in events + events:
        assert deliver(client, event).status_code == 200
    assert MonthlyGift.objects.count() == 1
    assert Gift.objects.count() == 2
    assert FeedItem.objects.count() == 1


def test_a_monthly_pledge_still_makes_a_monthly_gift(client, campaign, make_pledge, stripe_api):
    pledge = make_pledge(frequency="monthly", amount=2500)
    metadata = sp.pledge_metadata(pledge)
    sub_id = sp.new_id("sub")
    first = sp.invoice(sub_id, amount=2500, metadata=metadata, billing_reason="subscription_create")
    stripe_api.amounts[f"pi_for_{first['id']}"] = 2500
    assert deliver(client, sp.event("invoice.paid", first)).status_code == 200

    recurring = MonthlyGift.objects.get()
    assert (recurring.interval, recurring.amount_per_period) == ("month", "$25/month")
    assert Gift.objects.get().frequency == "monthly"
    assert FeedItem.objects.get().kind == FeedItem.Kind.MONTHLY
