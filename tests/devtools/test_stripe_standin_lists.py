"""The stand-in's lists, clock and lost deliveries, through the real client: Stripe's
pagination (`auto_paging_iter` across more than a page of 100), `created` filters,
events that exist although their delivery was dropped."""

import time
from datetime import UTC, datetime

import pytest
import requests
import stripe

from devtools.stripe_standin import StripeStandin

from .standin_helpers import SECRET, open_session

START = int(datetime(2026, 10, 1, tzinfo=UTC).timestamp())
STEP = 6 * 3600  # between two gifts
GIFTS = 105


@pytest.fixture(scope="module")
def busy():
    """A stand-in (sending no webhooks) holding 105 gifts six hours apart, each partly
    refunded a minute after it was paid, three disputes and three payouts among them,
    and three monthly gifts renewed once. Yields (client, standin)."""
    with StripeStandin(webhook_url=None, webhook_secret=SECRET) as standin:
        client = stripe.StripeClient(
            "sk_test_lists", base_addresses={"api": standin.url}, max_network_retries=0
        )
        for number in range(GIFTS):
            standin.set_clock(START + number * STEP)
            session = open_session(client, amount=1000 + number)
            standin.pay(session.id)
            standin.advance_clock(60)
            intent = client.v1.checkout.sessions.retrieve(session.id).payment_intent
            standin.refund(intent, amount=100)
            standin.advance_clock(60)
            if number % 35 == 0:
                standin.dispute(intent)
            if number % 35 == 34:
                assert len(standin.run_payouts()) == 1
        for number in range(3):
            standin.set_clock(START + (GIFTS + number) * STEP)
            session = open_session(client, "subscription", customer_email=f"m{number}@example.org")
            standin.pay(session.id)
            standin.advance_clock(days=31)
            standin.renew(client.v1.checkout.sessions.retrieve(session.id).subscription)
        yield client, standin


def newest_first(standin, kind):
    """The ids Stripe would list: newest first, and of objects made in the same second
    (events of one change) the later one first."""
    made = list(enumerate(standin.store.of_kind(kind)))
    made.sort(key=lambda pair: (pair[1]["created"], pair[0]), reverse=True)
    return [obj["id"] for _, obj in made]


@pytest.mark.parametrize(
    ("service", "kind", "limit", "at_least"),
    [
        ("checkout.sessions", "checkout.session", 100, GIFTS),
        ("charges", "charge", 100, GIFTS),
        ("refunds", "refund", 100, GIFTS),
        ("balance_transactions", "balance_transaction", 100, 2 * GIFTS),
        ("events", "event", 100, 2 * GIFTS),
        ("invoices", "invoice", 2, 6),
        ("disputes", "dispute", 1, 3),
        ("payouts", "payout", 1, 3),
    ],
)
def test_auto_paging_walks_every_list_newest_first(busy, service, kind, limit, at_least):
    client, standin = busy
    endpoint = client.v1
    for part in service.split("."):
        endpoint = getattr(endpoint, part)

    walked = [obj.id for obj in endpoint.list(params={"limit": limit}).auto_paging_iter()]

    assert len(walked) >= at_least
    assert walked == newest_first(standin, kind)


def test_a_page_is_stripes_list_envelope(busy):
    client, standin = busy
    page = client.v1.charges.list()
    assert (page.object, page.url, page.has_more, len(page.data)) == (
        "list",
        "/v1/charges",
        True,
        10,
    )
    charges = newest_first(standin, "charge")
    assert len(charges) == GIFTS + 6  # and three monthly gifts' first and second charges
    rest = client.v1.charges.list(params={"starting_after": page.data[-1].id, "limit": 100})
    assert (len(rest.data), rest.has_more) == (100, True)
    last = client.v1.charges.list(params={"starting_after": rest.data[-1].id, "limit": 100})
    assert ([c.id for c in last.data], last.has_more) == (charges[-1:], False)


def test_ending_before_pages_back_towards_the_newest(busy):
    client, standin = busy
    ids = newest_first(standin, "charge")
    oldest = ids[-1]

    first = client.v1.charges.list(params={"ending_before": oldest, "limit": 100})
    assert (len(first.data), first.has_more) == (100, True)
    assert [c.id for c in first.data] == ids[-101:-1]  # still newest first within a page
    walked = [c.id for c in first.auto_paging_iter()]
    assert walked == list(reversed(ids[:-1]))


@pytest.mark.parametrize(
    ("created", "gifts", "refunds"),
    [
        ({"gte": START + 10 * STEP, "lt": START + 20 * STEP}, range(10, 20), range(10, 20)),
        # Each refund came a minute after its charge.
        ({"gt": START + 10 * STEP, "lte": START + 20 * STEP}, range(11, 21), range(10, 20)),
        ({"gte": START + 100 * STEP, "lt": START + GIFTS * STEP}, range(100, 105), range(100, 105)),
        (START + 5 * STEP, [5], []),
    ],
)
def test_created_filters_pick_the_period(busy, created, gifts, refunds):
    client, _ = busy
    params = {"created": created, "limit": 3}
    charges = client.v1.charges.list(params=params).auto_paging_iter()
    assert sorted((c.created - START) // STEP for c in charges) == list(gifts)
    listed = client.v1.refunds.list(params=params).auto_paging_iter()
    assert sorted((r.created - START) // STEP for r in listed) == list(refunds)


def test_lists_filter_as_stripe_does(busy):
    client, _ = busy
    before_monthly = {"lt": START + GIFTS * STEP}
    charge = client.v1.charges.list(params={"limit": 1, "created": before_monthly}).data[0]
    (refund,) = client.v1.refunds.list(params={"charge": charge.id}).data
    assert refund.charge == charge.id
    assert [e.type for e in client.v1.events.list(params={"type": "charge.refunded"}).data] == [
        "charge.refunded"
    ] * 10
    disputes = client.v1.events.list(params={"type": "charge.dispute.*", "limit": 100}).data
    assert {e.type for e in disputes} == {
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
    }
    both = client.v1.events.list(params={"types": ["payout.created", "payout.paid"], "limit": 100})
    assert len(both.data) == 6
    expanded = client.v1.charges.list(params={"limit": 3, "expand": ["data.balance_transaction"]})
    assert [c.balance_transaction.source for c in expanded.data] == [c.id for c in expanded.data]
    paid = client.v1.payouts.list(params={"status": "paid", "limit": 100}).data
    assert len(paid) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 101}, "less than or equal to 100"),
        ({"limit": 0}, "greater than or equal to 1"),
        ({"created": {"after": 1}}, "created[after]"),
        ({"starting_after": "ch_a", "ending_before": "ch_b"}, "only specify one"),
    ],
)
def test_bad_list_params_are_refused_as_stripe_does(busy, params, message):
    client, _ = busy
    with pytest.raises(stripe.InvalidRequestError, match=message.replace("[", r"\[")):
        client.v1.charges.list(params=params)


def test_an_unknown_cursor_is_not_found(busy):
    client, _ = busy
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.charges.list(params={"starting_after": "ch_missing"})
    assert (error.value.http_status, error.value.code) == (404, "resource_missing")


# The clock


def test_the_clock_dates_what_is_made_and_can_go_back_to_real_time(client, standin):
    answer = requests.post(f"{standin.url}/_standin/set-clock", data={"at": "2026-03-02T08:00Z"})
    moment = int(datetime(2026, 3, 2, 8, tzinfo=UTC).timestamp())
    assert answer.json() == {"now": moment}
    session = open_session(client)
    standin.pay(session.id)
    (event,) = client.v1.events.list().data
    assert session.created == event.created == moment
    assert client.v1.charges.list().data[0].created == moment

    assert standin.advance_clock(days=1) == moment + 24 * 3600
    assert requests.post(f"{standin.url}/_standin/advance-clock", data={"seconds": 5}).json() == {
        "now": moment + 24 * 3600 + 5
    }
    assert abs(standin.set_clock(None) - time.time()) < 5
    with pytest.raises(ValueError, match="aware"):
        standin.set_clock(datetime(2026, 3, 2))  # noqa: DTZ001 (the mistake tested)
    bad = requests.post(f"{standin.url}/_standin/set-clock", data={"at": "2026-03-02T08:00"})
    assert bad.status_code == 400


# Lost deliveries


def dropped_positions(standin, client, gifts):
    for _ in range(gifts):
        standin.pay(open_session(client).id)
    return [n for n, event in enumerate(standin.events) if event["delivery"]["dropped"]]


def test_a_fifth_of_deliveries_can_be_lost_and_the_events_still_listed(client, standin, receiver):
    standin.drop_webhooks(0.2, seed=7)
    lost = dropped_positions(standin, client, 40)

    assert 2 <= len(lost) <= 16
    events = standin.events
    lost_ids = {events[n]["id"] for n in lost}
    received = {event.id for event in receiver.events()}
    assert received == {event["id"] for event in events} - lost_ids
    listed = [e.id for e in client.v1.events.list(params={"limit": 7}).auto_paging_iter()]
    assert set(listed) == {event["id"] for event in events}
    undelivered = client.v1.events.list(params={"delivery_success": "false", "limit": 100})
    assert {e.id for e in undelivered.data} == lost_ids

    # The same seed loses the same events; redelivering one still sends it.
    standin.reset()
    standin.drop_webhooks(0.2, seed=7)
    assert dropped_positions(standin, client, 40) == lost
    standin.redeliver(standin.events[lost[0]]["id"])
    assert receiver.events()[-1].id == standin.events[lost[0]]["id"]


def test_dropping_can_pick_events_and_be_stopped(client, standin, receiver):
    standin.drop_webhooks(predicate=lambda event: event["type"] == "invoice.paid")
    session = open_session(client, "subscription", customer_email="ada@example.org")
    standin.pay(session.id)
    assert "invoice.paid" not in receiver.types()
    assert "checkout.session.completed" in receiver.types()

    control = f"{standin.url}/_standin/drop-webhooks"
    requests.post(control, data={"fraction": "1", "types": "checkout.session.completed"})
    standin.pay(open_session(client).id)
    assert receiver.types().count("checkout.session.completed") == 1
    assert requests.post(control, data={"fraction": "0"}).json() == {"dropping": None}
    standin.pay(open_session(client).id)
    assert receiver.types().count("checkout.session.completed") == 2
    assert requests.post(control, data={"fraction": "2"}).status_code == 400
