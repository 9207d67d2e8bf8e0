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


def session_params(pledge):
    """What donations.stripe_gateway.create_checkout_session sends for a pledge."""
    metadata = {"pledge_id": str(pledge.public_id), "campaign_id": str(pledge.campaign_id)}
    price = {"currency": "usd", "product": "prod_bench", "unit_amount": pledge.amount_cents}
    params = {
        "customer_email": pledge.email,
        "success_url": "http://127.0.0.1/thanks/",
        "cancel_url": "http://127.0.0.1/",
        "metadata": metadata,
        "line_items": [{"price_data": price, "quantity": 1}],
    }
    if pledge.frequency == "monthly":
        price["recurring"] = {"interval": "month"}
        params |= {"mode": "subscription", "subscription_data": {"metadata": metadata}}
    else:
        params |= {
            "mode": "payment",
            "submit_type": "donate",
            "customer_creation": "always",
            "payment_intent_data": {"metadata": metadata},
        }
    return params


def make_month(standin, campaign, gifts, monthly_share):
    """Pays `gifts` Checkout Sessions on the stand-in across October; returns them."""
    from devtools.stripe_standin import checkout, objects
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
        # The session the site's gateway would open (donations.stripe_gateway), made
        # in this process: twenty thousand round trips would time the HTTP, not us.
        with objects.using_clock(standin.store.clock):
            session = checkout.create_checkout_session(
                standin.store, session_params(pledge), standin.url
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


def fill_ledger(standin, sessions, lost):
    """Books every gift but `lost` of them straight into the ledger (bulk), as the
    webhook would have: the state reconcile must find already there."""
    import random

    from donations.models import Donor, Gift, MonthlyGift, Pledge

    with standin.store.lock:
        found = {o["id"]: o for o in standin.store.objects.values()}
    charges = {o["payment_intent"]: o for o in found.values() if o["object"] == "charge"}
    disputes = {o["charge"]: o for o in found.values() if o["object"] == "dispute"}
    invoices = {}
    for o in found.values():
        if o["object"] == "invoice" and o["status"] == "paid":
            invoices[o["parent"]["subscription_details"]["subscription"]] = o
    payments = {o["invoice"]: o for o in found.values() if o["object"] == "invoice_payment"}
    pledges = {str(p.public_id): p for p in Pledge.objects.all()}
    dropped = set(random.Random(15).sample(range(len(sessions)), k=lost))
    kept = [s for i, s in enumerate(sessions) if i not in dropped]
    donors = Donor.objects.bulk_create(
        Donor(name=pledges[s["metadata"]["pledge_id"]].name, email=s["customer_details"]["email"])
        for s in kept
    )
    gifts, monthly = [], []
    for session, donor in zip(kept, donors, strict=True):
        pledge = pledges[session["metadata"]["pledge_id"]]
        pledge.donor, pledge.status = donor, Pledge.Status.COMPLETED
        pledge.stripe_checkout_session_id = session["id"]
        common = {
            "campaign_id": pledge.campaign_id,
            "donor": donor,
            "pledge": pledge,
            "donor_name": pledge.name,
            "amount_cents": pledge.amount_cents,
            "display_as": pledge.display_as,
            "given_at": stripe_time(session["created"]),
        }
        if session["mode"] == "subscription":
            invoice = invoices[session["subscription"]]
            pi = payments[invoice["id"]]["payment"]["payment_intent"]
            charge = charges[pi]
            plan = MonthlyGift(
                stripe_subscription_id=session["subscription"],
                stripe_customer_id=session["customer"],
                donor=donor,
                pledge=pledge,
                campaign_id=pledge.campaign_id,
                amount_cents=pledge.amount_cents,
                status=MonthlyGift.Status.ACTIVE,
                status_as_of=stripe_time(invoice["status_transitions"]["paid_at"]),
            )
            monthly.append(plan)
            gift = Gift(
                **common,
                frequency="monthly",
                monthly_gift=plan,
                starts_monthly=True,
                stripe_invoice_id=invoice["id"],
                stripe_payment_intent_id=pi,
                stripe_charge_id=charge["id"],
            )
        else:
            charge = charges[session["payment_intent"]]
            gift = Gift(
                **common,
                stripe_payment_intent_id=session["payment_intent"],
                stripe_charge_id=charge["id"],
                refunded_cents=charge["amount_refunded"],
            )
            dispute = disputes.get(charge["id"])
            if dispute:
                gift.dispute, gift.stripe_dispute_id = dispute["status"], dispute["id"]
        gift.card_brand = charge["payment_method_details"]["card"]["brand"]
        gift.card_last4 = charge["payment_method_details"]["card"]["last4"]
        gift.receipt_status = Gift.Receipt.SENT
        gift.derive_status()
        gifts.append(gift)
    Pledge.objects.bulk_update(
        [g.pledge for g in gifts], ["donor", "status", "stripe_checkout_session_id"], batch_size=500
    )
    MonthlyGift.objects.bulk_create(monthly)
    Gift.objects.bulk_create(gifts, batch_size=2000)
    fill_balance(found, {g.stripe_charge_id: g for g in gifts})
    return len(gifts)


def fill_balance(found, gifts_by_charge):
    """The balance transactions of the gifts in the ledger, with each gift's fee."""
    from donations.models import BalanceTransaction, Gift

    kinds = {"charge": "charge", "refund": "refund", "dispute": "dispute"}
    lines, fees = [], []
    for txn in found.values():
        if txn["object"] != "balance_transaction" or txn["type"] == "payout":
            continue
        source = found.get(txn["source"]) or {}
        charge_id = source["id"] if source.get("object") == "charge" else source.get("charge")
        gift = gifts_by_charge.get(charge_id)
        if gift is None:
            continue  # a lost gift's: reconcile books it
        kind = kinds.get(txn["reporting_category"], "other")
        lines.append(
            BalanceTransaction(
                stripe_id=txn["id"],
                kind=kind,
                stripe_type=txn["type"],
                reporting_category=txn["reporting_category"],
                amount_cents=txn["amount"],
                fee_cents=txn["fee"],
                net_cents=txn["net"],
                source_id=txn["source"],
                charge_id=charge_id,
                payment_intent_id=gift.stripe_payment_intent_id,
                gift=gift,
                created=stripe_time(txn["created"]),
                available_on=stripe_time(txn["available_on"]),
            )
        )
        if kind == "charge":
            gift.stripe_balance_transaction_id = txn["id"]
            gift.stripe_fee_cents, gift.stripe_net_cents = txn["fee"], txn["net"]
            fees.append(gift)
    BalanceTransaction.objects.bulk_create(lines, batch_size=2000)
    Gift.objects.bulk_update(
        fees,
        ["stripe_balance_transaction_id", "stripe_fee_cents", "stripe_net_cents"],
        batch_size=500,
    )


def stripe_time(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)


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
    parser.add_argument("--lost", type=int, default=1000, help="gifts whose webhooks never arrived")
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

        began = time.perf_counter()
        booked = fill_ledger(standin, sessions, args.lost)
        print(f"{booked} gifts put in the ledger in {time.perf_counter() - began:.0f} s")
        first, first_time, first_queries = timed_run(f"{args.lost} gifts missing")
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
