"""Load drill: the appeal page, a trivial view and Stripe's webhook, in one run.

    .venv/bin/python bench/load.py [--seconds 15] [--connections 20] [--events 30000]

Creates its own PostgreSQL database (oca_bench_load), loads the demo campaign with
`manage.py load_demo`, makes one monthly pledge per bench donor and serves the site with
gunicorn (2 sync workers, DEBUG off, 127.0.0.1, `bench.wsgi` so that /bench/trivial/
exists). Then wrk, `--connections` connections on 2 threads for `--seconds` each,
every request asking for gzip as a browser does:

1. `/`, the appeal page;
2. `/bench/trivial/`, a view that returns "ok" through the same middleware, as the
   ceiling the site's own work is measured against;
3. `/stripe/webhook/` with `--events` distinct `invoice.paid` events, signed just
   before the run and read from a file by a wrk Lua script, each wrk thread taking
   every k-th line (k = threads) so that no event is sent twice;
4. the duplicate path: the events booked in step 3 sent again (every answer is
   "duplicate", nothing is booked).

Checks afterwards that every answer was 2xx, that the ledger holds exactly one gift per
event the site booked, and that the campaign's total moved by exactly their amounts.
Everything stays on 127.0.0.1 and stops by itself.
"""

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

DATABASE = "oca_bench_load"
AMOUNT = 2500
THREADS = 2

# Each wrk thread keeps the lines i with i % k == its number, and sends them in order;
# `cycle` = 1 lets it start over when it runs out (the duplicate run), 0 makes it
# report that it ran out (the distinct run then did not have enough events).
LUA = r"""
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, k = args[1], tonumber(args[2])
  cycle = args[3] == "1"
  bodies, signatures, n, sent, ran_out = {}, {}, 0, 0, 0
  local line_no = 0
  for line in io.lines(path) do
    if line_no % k == id then
      local tab = line:find("\t", 1, true)
      n = n + 1
      signatures[n] = line:sub(1, tab - 1)
      bodies[n] = line:sub(tab + 1)
    end
    line_no = line_no + 1
  end
end

function request()
  if sent >= n then
    if cycle then sent = 0 else ran_out = ran_out + 1; sent = n - 1 end
  end
  sent = sent + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Stripe-Signature"] = signatures[sent],
  }, bodies[sent])
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("thread %d: %d events loaded, %d sent, ran out %d times\n",
      thread:get("id"), thread:get("n"), thread:get("sent"), thread:get("ran_out")))
  end
end
"""


def make_pledges(donors):
    from campaigns.models import Campaign

    campaign = Campaign.objects.featured()
    return campaign, harness.monthly_pledges(campaign, donors, who="load", amount=lambda i: AMOUNT)


def write_events(path, pledges, count):
    """Signs `count` distinct invoice.paid events, one `signature<TAB>body` a line."""
    with open(path, "w", encoding="utf-8") as out:
        for n in range(count):
            pledge = pledges[n % len(pledges)]
            invoice = harness.paid_invoice(
                f"in_load_{n:07d}",
                subscription_id=f"sub_load_{pledge.pk}",
                pledge_id=pledge.public_id,
                amount=AMOUNT,
                first=n < len(pledges),
                payment_intent_id=f"pi_load_{n:07d}",
            )
            body, signature = harness.signed_event_body(
                harness.stripe_event("invoice.paid", invoice, f"evt_load_{n:07d}")
            )
            out.write(f"{signature}\t{body.decode()}\n")


def keep_lines(source, target, event_ids):
    """Copies the lines of `source` whose event is in `event_ids` (those booked)."""
    kept = 0
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            if re.search(r'"id": "(evt_load_\d+)"', line).group(1) in event_ids:
                out.write(line)
                kept += 1
    return kept


def settled_events(model):
    """The booked event ids once gunicorn has answered what wrk left in flight."""
    previous = None
    while True:
        booked = set(model.objects.values_list("event_id", flat=True))
        if booked == previous:
            return booked
        previous = booked
        time.sleep(1)


def warm(url, times=5):
    for _ in range(times):
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local)
            response.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, choices=range(1, 21))
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--events", type=int, default=30000)
    parser.add_argument("--donors", type=int, default=500)
    args = parser.parse_args()

    print(f"{datetime.date.today()}; machine: {harness.machine()}")
    print(f"load average before: {harness.load_average()}")
    harness.fresh_database(DATABASE)
    env = harness.bench_env(DATABASE)
    harness.manage(["load_demo"], env)
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from campaigns.models import Campaign
    from donations.models import Gift, ProcessedEvent

    campaign, pledges = make_pledges(args.donors)
    raised_before = campaign.raised_cents
    gifts_before = Gift.objects.count()
    connection.close()

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "events.lua")
        script.write_text(LUA)
        events, booked_events = Path(tmp, "events.txt"), Path(tmp, "booked.txt")
        common = {"seconds": args.seconds, "connections": args.connections, "threads": THREADS}
        with harness.gunicorn(env, workers=2, urlconf="bench.urls") as base:
            warm(base + "/")
            warm(base + "/bench/trivial/")
            results["appeal page /"] = harness.wrk(base + "/", **common)
            results["trivial view /bench/trivial/"] = harness.wrk(
                base + "/bench/trivial/", **common
            )

            # Signed right before the run: Stripe's signatures are good for 5 minutes.
            write_events(events, pledges, args.events)
            hook = base + "/stripe/webhook/"
            results["webhook, distinct events"], report = harness.wrk(
                hook, **common, script=script, script_args=(events, THREADS, 0), raw=True
            )
            threads = [line for line in report.splitlines() if line.startswith("thread ")]
            print("\n".join(threads))
            if sum(line.endswith("ran out 0 times") for line in threads) != THREADS:
                raise SystemExit("wrk ran out of distinct events: raise --events")
            booked = settled_events(ProcessedEvent)
            connection.close()
            kept = keep_lines(events, booked_events, booked)
            results["webhook, duplicates (already booked)"] = harness.wrk(
                hook, **common, script=script, script_args=(booked_events, THREADS, 1)
            )

    campaign = Campaign.objects.get(pk=campaign.pk)
    gifts = Gift.objects.count() - gifts_before
    processed = ProcessedEvent.objects.count()
    print(f"load average after: {harness.load_average()}")
    print()
    print(f"gunicorn 2 sync workers; wrk {THREADS} threads, {args.connections} connections, ")
    print(f"{args.seconds} s each, gzip accepted; PostgreSQL; {args.donors} monthly donors")
    print()
    print(f"| {'what':38} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | non-2xx |")
    print(f"|{'-' * 40}|{'-' * 9}|{'-' * 9}|{'-' * 9}|---------|")
    for name, r in results.items():
        print(
            f"| {name:38} | {r['rps']:7.0f} | {r['p50_ms']:7.1f} | {r['p99_ms']:7.1f} | "
            f"{r['non_2xx']:7d} |"
        )
    print()
    print(f"events booked: {processed} (each once: {gifts} new gifts); duplicates re-sent: {kept}")
    expected = raised_before + gifts * AMOUNT
    print(f"campaign total: ${campaign.raised_cents / 100:,.2f} (expected ${expected / 100:,.2f})")
    failures = [name for name, r in results.items() if r["non_2xx"]]
    if gifts != processed or campaign.raised_cents != expected or failures:
        raise SystemExit(f"ledger mismatch or errors: {failures or 'see the figures above'}")


if __name__ == "__main__":
    main()
