"""Failure drill (a): two app servers, one database, Stripe delivering twice at once.

    .venv/bin/python bench/drill_race.py [--events 2000] [--duplicates 0.3] [--seed 7]

Creates its own database (oca_drill_race) with the demo campaign and monthly pledges,
starts two gunicorn instances (separate processes and ports, 2 sync workers each) on
it, and sends `--events` signed deliveries of which `--duplicates` are re-sends of an
event already in the list (same event id, new signature, as Stripe retries). Each
duplicate goes to the *other* instance than its original, at the same moment (both
requests released by one barrier), from a pool of 16 client threads.

The distinct events, in random order, need no call to Stripe's API from the webhook:
`invoice.paid` (first charges and renewals), `customer.subscription.updated` (newer
than the subscription's invoices), `customer.subscription.deleted`, and
`charge.refunded` for some of the invoice payments (partial, then sometimes full: a
refund can arrive before the payment it refunds). A delivery answered other than 2xx
is delivered again at the end, as Stripe would.

Then the ledger must be exact, compared with figures computed from the events alone:
one gift per distinct `invoice.paid`, one ProcessedEvent per distinct event id, each
gift's refunded amount, the campaign's total and donor count, no refund left parked,
each monthly gift's final status.
"""

import argparse
import concurrent.futures
import datetime
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

DATABASE = "oca_drill_race"
AMOUNTS = [1000, 2500, 5000, 10000]


def build_events(pledges, distinct, rng):
    """The distinct events, shuffled, and what the ledger must say once all are applied."""
    now = int(time.time())
    events, invoices, refunds, status = [], {}, {}, {}
    invoice_events, partners = {}, {}
    n = 0

    def add(event_type, obj, created):
        nonlocal n
        n += 1
        events.append(harness.stripe_event(event_type, obj, f"evt_race_{n:05d}", created))

    # Roughly: 78% invoices, 10% subscription updates, 3% cancellations, 9% refunds.
    n_invoices = int(distinct * 0.78)
    for i in range(n_invoices):
        pledge = pledges[i % len(pledges)]
        first = i < len(pledges)
        invoice_id = f"in_race_{i:05d}"
        amount = pledge.amount_cents
        invoices[invoice_id] = (pledge, amount, f"pi_race_{i:05d}")
        obj = harness.paid_invoice(
            invoice_id,
            subscription_id=f"sub_race_{pledge.pk}",
            pledge_id=pledge.public_id,
            amount=amount,
            first=first,
            payment_intent_id=f"pi_race_{i:05d}",
        )
        add("invoice.paid", obj, now - 3600 + i)
        invoice_events[invoice_id] = events[-1]
    subs = {pledge.pk: f"sub_race_{pledge.pk}" for pledge in pledges}
    for j in range(int(distinct * 0.10)):
        pledge = rng.choice(pledges)
        new = rng.choice(["active", "past_due"])
        created = now + j + 1  # newer than every invoice
        add("customer.subscription.updated", _subscription(subs[pledge.pk], new, pledge), created)
        if status.get(pledge.pk, (None, 0))[1] < created:
            status[pledge.pk] = (new, created)
    for pledge in rng.sample(pledges, int(distinct * 0.03)):
        add(
            "customer.subscription.deleted",
            _subscription(subs[pledge.pk], "canceled", pledge),
            now + distinct + 1,
        )
        status[pledge.pk] = ("canceled", float("inf"))
    refunded = rng.sample(sorted(invoices), int(distinct * 0.06))
    for k, invoice_id in enumerate(refunded):
        _pledge, amount, pi = invoices[invoice_id]
        steps = [amount // 4] if k % 2 else [amount // 4, amount]
        for step in steps:
            if len(events) >= distinct:
                break
            add("charge.refunded", _charge(pi, amount, step), now + k)
            refunds[pi] = max(refunds.get(pi, 0), step)
            # The first refund of a payment races the payment's own booking.
            partners.setdefault(invoice_events[invoice_id]["id"], events[-1])
    while len(events) < distinct:  # top up with renewals
        i = len(invoices)
        pledge = pledges[i % len(pledges)]
        invoice_id = f"in_race_{i:05d}"
        invoices[invoice_id] = (pledge, pledge.amount_cents, f"pi_race_{i:05d}")
        obj = harness.paid_invoice(
            invoice_id,
            subscription_id=subs[pledge.pk],
            pledge_id=pledge.public_id,
            amount=pledge.amount_cents,
            first=False,
            payment_intent_id=f"pi_race_{i:05d}",
        )
        add("invoice.paid", obj, now - 3600 + i)
    rng.shuffle(events)

    counted = [
        (pledge, amount, refunds.get(pi, 0))
        for pledge, amount, pi in invoices.values()
        if refunds.get(pi, 0) < amount
    ]
    expected = {
        "gifts": len(invoices),
        "events": len(events),
        "raised_cents": sum(amount - refund for _p, amount, refund in counted),
        "donor_count": len({pledge.donor_id for pledge, _a, _r in counted}),
        "refunds": refunds,
        "status": {subs[pk]: value[0] for pk, value in status.items()},
    }
    return events, partners, expected


def make_units(events, partners, n_duplicates, rng):
    """Groups of deliveries to release at the same moment, each to an instance.

    A payment and its first refund go together to the two instances; a duplicate goes
    with its original, to the other instance than the original.
    """
    by_id = {event["id"]: event for event in events}
    partner_of = {}
    for payment_id, refund in partners.items():
        partner_of[payment_id] = refund
        partner_of[refund["id"]] = by_id[payment_id]
    units, unit_of = [], {}
    for i, event in enumerate(events):
        if event["id"] in unit_of:
            continue
        unit = [(event, i % 2)]
        unit_of[event["id"]] = unit
        partner = partner_of.get(event["id"])
        if partner is not None and partner["id"] not in unit_of:
            unit.append((partner, 1 - i % 2))
            unit_of[partner["id"]] = unit
        units.append(unit)
    for event in rng.sample(events, n_duplicates):
        unit = unit_of[event["id"]]
        original = next(target for e, target in unit if e is event)
        unit.append((event, 1 - original))
    return units


def _subscription(sub_id, status, pledge):
    # Stripe keeps the metadata given at checkout (subscription_data.metadata).
    return {
        "id": sub_id,
        "object": "subscription",
        "status": status,
        "canceled_at": int(time.time()) if status == "canceled" else None,
        "metadata": {"pledge_id": str(pledge.public_id)},
        "items": {"object": "list", "data": []},
    }


def _charge(pi, amount, refunded):
    return {
        "id": f"ch_for_{pi}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
        "payment_intent": pi,
        "currency": "usd",
        "status": "succeeded",
    }


class Sender:
    """Posts signed events; keeps every answer and the deliveries to do again."""

    def __init__(self, targets):
        self.targets = targets
        self.local = threading.local()
        self.lock = threading.Lock()
        self.answers = Counter()
        self.retry = []

    def post(self, event, target):
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        body, signature = harness.signed_event_body(event)
        try:
            response = session.post(
                self.targets[target],
                data=body,
                headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                timeout=60,
            )
            outcome = f"{response.status_code} {response.text.strip()}"
        except requests.RequestException as error:
            outcome = f"error {type(error).__name__}"
        with self.lock:
            self.answers[outcome] += 1
            if not outcome.startswith("2"):
                self.retry.append(event)

    def send_together(self, unit):
        """Posts each (event, instance) of `unit` from its own thread, all at once."""
        barrier = threading.Barrier(len(unit))

        def go(event, target):
            barrier.wait()
            self.post(event, target)

        others = [threading.Thread(target=go, args=delivery) for delivery in unit[1:]]
        for thread in others:
            thread.start()
        go(*unit[0])
        for thread in others:
            thread.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="deliveries in all")
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--donors", type=int, default=150)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    print(f"{datetime.date.today()}; machine: {harness.machine()}")
    print(f"load average before: {harness.load_average()}")
    harness.fresh_database(DATABASE)
    env = harness.bench_env(DATABASE)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from campaigns.demo import load_demo_campaign

    campaign, _ = load_demo_campaign()
    pledges = harness.monthly_pledges(
        campaign, args.donors, who="race", amount=lambda i: AMOUNTS[i % len(AMOUNTS)]
    )
    connection.close()

    n_duplicates = int(args.events * args.duplicates)
    events, partners, expected = build_events(pledges, args.events - n_duplicates, rng)
    units = make_units(events, partners, n_duplicates, rng)
    print(
        f"{len(events)} distinct events, {n_duplicates} of them sent twice at once, "
        f"{len(partners)} payments racing their first refund:"
    )
    print(f"  {dict(Counter(e['type'] for e in events))}")

    log = Path(tempfile.mkdtemp(prefix="drill_race_")) / "gunicorn.log"
    with (
        harness.gunicorn(env, workers=2, log=log) as first,
        harness.gunicorn(env, workers=2, log=log) as second,
    ):
        sender = Sender([first + "/stripe/webhook/", second + "/stripe/webhook/"])
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(sender.send_together, units))
        elapsed = time.perf_counter() - started
        deliveries = sum(sender.answers.values())
        print(f"{deliveries} deliveries in {elapsed:.1f} s ({deliveries / elapsed:.0f}/s)")
        print(f"answers: {dict(sender.answers)}")
        rounds = 0
        while sender.retry and rounds < 5:
            again, sender.retry = sender.retry, []
            rounds += 1
            sender.answers.clear()
            for event in again:
                sender.post(event, rounds % 2)
            print(f"redelivery round {rounds}: {len(again)} events, {dict(sender.answers)}")

    print(f"server log: {log}")
    for error, count in harness.log_errors(log).items():
        print(f"server log: {count} x {error}")
    ok = check_ledger(campaign.pk, expected)
    print(f"load average after: {harness.load_average()}")
    if not ok or sender.retry:
        raise SystemExit("the ledger is not exact: see above")


def check_ledger(campaign_id, expected):
    from campaigns.models import Campaign
    from donations.models import Gift, MonthlyGift, PendingAdjustment, ProcessedEvent

    campaign = Campaign.objects.get(pk=campaign_id)
    refunds = {
        g.stripe_payment_intent_id: g.refunded_cents
        for g in Gift.objects.filter(refunded_cents__gt=0)
    }
    statuses = dict(MonthlyGift.objects.values_list("stripe_subscription_id", "status"))
    rows = [
        ("gifts", Gift.objects.count(), expected["gifts"]),
        ("processed events", ProcessedEvent.objects.count(), expected["events"]),
        ("raised (cents)", campaign.raised_cents, expected["raised_cents"]),
        ("donor count", campaign.donor_count, expected["donor_count"]),
        ("refunded gifts", len(refunds), len(expected["refunds"])),
        ("refunds exact", refunds == expected["refunds"], True),
        ("refunds still parked", PendingAdjustment.objects.count(), 0),
        (
            "monthly statuses exact",
            all(statuses.get(sub) == value for sub, value in expected["status"].items()),
            True,
        ),
    ]
    ok = True
    print(f"| {'check':24} | {'ledger':>10} | {'expected':>10} |")
    print(f"|{'-' * 26}|{'-' * 12}|{'-' * 12}|")
    for name, got, want in rows:
        mark = "" if got == want else "  <-- MISMATCH"
        ok = ok and got == want
        print(f"| {name:24} | {got!s:>10} | {want!s:>10} |{mark}")
    if refunds != expected["refunds"]:
        wrong = {
            pi: (refunds.get(pi), want)
            for pi, want in expected["refunds"].items()
            if refunds.get(pi) != want
        }
        print(f"refunds that differ (ledger, expected): {wrong}")
    return ok


if __name__ == "__main__":
    main()
