"""Webhook events booked per second: PostgreSQL, one gunicorn worker.

    .venv/bin/python bench/webhooks.py [--events 2000] [--clients 4]

Creates its own database (oca_bench_webhooks), makes one monthly pledge per donor,
signs `--events` distinct `invoice.paid` events (each books one monthly charge, the
event Stripe sends most over a campaign's life) and posts them from `--clients`
concurrent connections to gunicorn with one sync worker. Then checks the ledger holds
exactly one gift per event and the campaign total matches, and prints the figures.
"""

import argparse
import concurrent.futures
import os
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

DATABASE = "oca_bench_webhooks"


def post_all(url, bodies, clients):
    session_per_thread = {}

    def post(item):
        body, signature = item
        session = session_per_thread.setdefault(threading.get_ident(), requests.Session())
        response = session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
            timeout=30,
        )
        return response.status_code

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return list(pool.map(post, bodies))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--donors", type=int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    harness.fresh_database(DATABASE)
    env = harness.bench_env(DATABASE)
    os.environ.update(env)
    import django

    django.setup()
    from campaigns.demo import load_demo_campaign

    campaign, _ = load_demo_campaign()
    pledges = harness.monthly_pledges(campaign, args.donors, who="bench", amount=lambda i: 2500)
    now = int(time.time())
    bodies = []
    for n in range(args.events):
        pledge = pledges[n % args.donors]
        invoice = harness.paid_invoice(
            f"in_bench_{n:06d}",
            subscription_id=f"sub_bench_{pledge.pk}",
            pledge_id=pledge.public_id,
            amount=2500,
            first=n < args.donors,
            payment_intent_id=f"pi_bench_{n:06d}",
        )
        event = harness.stripe_event("invoice.paid", invoice, f"evt_bench_{n:06d}", created=now)
        bodies.append(harness.signed_event_body(event))

    with harness.gunicorn(env, workers=1) as base:
        # Warm the worker (imports, first connection) before timing.
        post_all(base + "/stripe/webhook/", bodies[:1], 1)
        started = time.perf_counter()
        statuses = post_all(base + "/stripe/webhook/", bodies[1:], args.clients)
        elapsed = time.perf_counter() - started

    from django.db import connection

    connection.close()
    from donations.models import Gift

    campaign.refresh_from_db()
    booked = Gift.objects.count()
    ok = statuses.count(200)
    rate = len(statuses) / elapsed
    print(
        f"machine: {harness.machine()}; PostgreSQL; gunicorn 1 sync worker; {args.clients} clients"
    )
    print(f"events posted: {len(statuses) + 1}, answered 200: {ok + 1}, gifts booked: {booked}")
    print(f"campaign: {campaign.donor_count} donors, ${campaign.raised_cents / 100:,.2f}")
    print(f"throughput: {rate:.0f} events booked per second ({elapsed:.1f} s)")
    expected = args.events * 2500
    if booked != args.events or campaign.raised_cents != expected or ok != len(statuses):
        raise SystemExit("ledger mismatch: see the figures above")


if __name__ == "__main__":
    main()
