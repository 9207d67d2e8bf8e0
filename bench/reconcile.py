"""reconcile_stripe over a month of 20,000 gifts: time and database queries.

    .venv/bin/python bench/reconcile.py [--gifts 20000] [--monthly-share 0.2] [--reuse]

Makes its own database (oca_bench_reconcile) and runs the Stripe stand-in in this
process, its clock set to October 2026. Opens and pays one Checkout Session per gift
through the site's own gateway (a fifth of them monthly gifts, whose first invoice is
the gift), refunds 1% and disputes 0.1%, and delivers no webhook at all. Then:

1. `reconcile(since=October 1, until=November 1)` on the empty ledger: every gift,
   refund and dispute is booked from Stripe's lists (the worst case: a month of
   webhooks lost);
2. the same again on the full ledger: nothing is booked (what the hourly run does
   on a normal day, over the last days; here over the whole month).

Each run prints its time, the part of it spent waiting for the stand-in's answers,
and the number of SQL queries (counted with a connection wrapper). The ledger is
checked after each: one gift per paid session, and nothing more on the second run.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

DATABASE = "oca_bench_reconcile"
OCTOBER = datetime.datetime(2026, 10, 1, 4, tzinfo=datetime.UTC)  # midnight in Hartford


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def make_month(standin, campaign, gifts, monthly_share):
    """Pays `gifts` Checkout Sessions on the stand-in across October; returns them."""
    from donations import stripe_gateway
    from donations.models import Pledge

    monthly_every = round(1 / monthly_share) if monthly_share else 0
    pledges = Pledge.objects.bulk_create(
        Pledge(
            campaign=campaign,
            name=f"Bench donor {i}",
            email=f"bench{i}@example.org",
            frequency="monthly" if monthly_every and i % monthly_every == 0 else "once",
            gift_cents=2500 + (i % 40) * 250,
            amount_cents=2500 + (i % 40) * 250,
            status="open",
        )
        for i in range(gifts)
    )
    step = int(30 * 24 * 3600 / gifts)  # spread evenly over the month
    standin.set_clock(OCTOBER + datetime.timedelta(hours=1))
    sessions = []
    started = time.perf_counter()
    for n, pledge in enumerate(pledges):
        session = stripe_gateway.create_checkout_session(
            pledge=pledge, success_url="http://127.0.0.1/thanks/", cancel_url="http://127.0.0.1/"
        )
        sessions.append(standin.pay(session["id"]))
        standin.advance_clock(step)
        if n and n % 2000 == 0:
            print(f"  {n} gifts paid at Stripe ({time.perf_counter() - started:.0f} s)", flush=True)
    one_time = [s for s in sessions if s.get("payment_intent")]
    for session in one_time[::100]:
        standin.refund(session["payment_intent"])
    for session in one_time[50::1000]:
        dispute = standin.dispute(session["payment_intent"])
        standin.close_dispute(dispute["id"], won=False)
    return sessions


def timed_run(label):
    from django.db import connection

    from donations import reconcile, stripe_gateway

    waiting = [0.0]
    call = stripe_gateway._call

    def timed_call(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            waiting[0] += time.perf_counter() - begun

    stripe_gateway._call = timed_call
    counter = QueryCounter()
    try:
        with connection.execute_wrapper(counter):
            begun = time.perf_counter()
            run = reconcile.reconcile(since=OCTOBER, until=OCTOBER.replace(month=11))
            elapsed = time.perf_counter() - begun
    finally:
        stripe_gateway._call = call
    listed = {kind: tally.listed for kind, tally in run.tallies.items()}
    print(
        f"{label}: {elapsed:.1f} s ({waiting[0]:.1f} s waiting for Stripe's answers), "
        f"{counter.count:,} queries, {run.booked:,} booked, errors: {len(run.errors)}"
    )
    print(f"  listed: {listed}")
    return run, elapsed, counter.count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=20_000)
    parser.add_argument("--monthly-share", type=float, default=0.2)
    args = parser.parse_args()

    # The shared cache in Redis, as in production (each booked gift bumps the public
    # pages' cache generation there).
    env = harness.bench_env(DATABASE, CACHE_URL="redis://127.0.0.1:6379/6")
    harness.fresh_database(DATABASE)
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    from campaigns.demo import load_demo_campaign
    from devtools.stripe_standin import StripeStandin
    from donations.models import Gift

    standin = StripeStandin(webhook_url=None, webhook_secret=harness.WEBHOOK_SECRET).start()
    settings.STRIPE_API_BASE = standin.url
    try:
        campaign, _ = load_demo_campaign()
        began = time.perf_counter()
        sessions = make_month(standin, campaign, args.gifts, args.monthly_share)
        print(f"{len(sessions)} gifts paid at Stripe in {time.perf_counter() - began:.0f} s")

        first, first_time, first_queries = timed_run("empty ledger")
        gifts = Gift.objects.count()
        second, second_time, second_queries = timed_run("full ledger")
    finally:
        standin.stop()
    print(f"machine: {harness.machine()}; PostgreSQL; stand-in in this process")
    print(
        f"healing {gifts:,} gifts: {first_time:.1f} s, {first_queries:,} queries "
        f"({first_queries / max(first.booked, 1):.1f} per object booked); "
        f"nothing to book: {second_time:.1f} s, {second_queries:,} queries"
    )
    if gifts != len(sessions) or second.booked or first.errors or second.errors:
        raise SystemExit("ledger mismatch: see the figures above")


if __name__ == "__main__":
    main()
