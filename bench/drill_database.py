"""Failure drill (b): PostgreSQL stopped for ten seconds under load.

    .venv/bin/python bench/drill_database.py [--before 10] [--outage 10] [--after 15]

Starts a PostgreSQL cluster of its own (temporary folder, free port: the machine's
PostgreSQL is never touched), migrates it, loads the demo campaign, and serves the
site with gunicorn (2 sync workers, 127.0.0.1). Load: two clients fetching `/`, one
polling `/healthz`, two posting distinct signed `invoice.paid` events. After
`--before` seconds the cluster is stopped (`pg_ctl stop -m fast`), after `--outage`
more it is started again; gunicorn is never restarted. The load goes on for
`--after` seconds.

Shows, second by second, what the clients got; checks that during the outage the
site answered 503 with the friendly page (and Retry-After), once the page cache's copy
of the campaign's state (two seconds at most) had run out, the cached page before
that, and nothing else; that it recovered by itself, and that every event answered other than 2xx, delivered again afterwards as
Stripe would, was booked exactly once (one gift per event, the campaign's total).
"""

import argparse
import datetime
import itertools
import os
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

DATABASE = "oca_drill_database"
AMOUNT = 2500
FRIENDLY = "We’ll be right back"


class Load:
    """The clients: each request is recorded as (second since start, kind, outcome)."""

    def __init__(self, base, pledges):
        self.base = base
        self.pledges = pledges
        self.started = time.monotonic()
        self.running = True
        self.lock = threading.Lock()
        self.records = []
        self.sent, self.to_redeliver = [], []
        self.numbers = itertools.count()

    def record(self, kind, outcome):
        with self.lock:
            self.records.append((time.monotonic() - self.started, kind, outcome))

    def page(self):
        session = requests.Session()
        while self.running:
            try:
                response = session.get(self.base + "/", timeout=30)
                outcome = str(response.status_code)
                if response.status_code == 200:
                    outcome += " page" if 'id="donation-form"' in response.text else " other"
                if response.status_code == 503:
                    friendly = FRIENDLY in response.text and "Retry-After" in response.headers
                    outcome += " friendly" if friendly else " plain"
            except requests.RequestException as error:
                outcome = type(error).__name__
            self.record("page", outcome)

    def healthz(self):
        session = requests.Session()
        while self.running:
            try:
                outcome = str(session.get(self.base + "/healthz", timeout=30).status_code)
            except requests.RequestException as error:
                outcome = type(error).__name__
            self.record("healthz", outcome)
            time.sleep(0.25)

    def event(self, n):
        pledge = self.pledges[n % len(self.pledges)]
        invoice = harness.paid_invoice(
            f"in_outage_{n:06d}",
            subscription_id=f"sub_outage_{pledge.pk}",
            pledge_id=pledge.public_id,
            amount=AMOUNT,
            first=n < len(self.pledges),
            payment_intent_id=f"pi_outage_{n:06d}",
        )
        return harness.stripe_event("invoice.paid", invoice, f"evt_outage_{n:06d}")

    def deliver(self, session, event):
        body, signature = harness.signed_event_body(event)
        try:
            response = session.post(
                self.base + "/stripe/webhook/",
                data=body,
                headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                timeout=30,
            )
            return str(response.status_code)
        except requests.RequestException as error:
            return type(error).__name__

    def webhooks(self):
        session = requests.Session()
        while self.running:
            event = self.event(next(self.numbers))
            outcome = self.deliver(session, event)
            self.record("webhook", outcome)
            with self.lock:
                self.sent.append(event)
                if not outcome.startswith("2"):
                    self.to_redeliver.append(event)
            time.sleep(0.02)


def timeline(records, marks, seconds):
    """One row a second: what each kind of client got."""
    rows = defaultdict(lambda: defaultdict(Counter))
    for at, kind, outcome in records:
        rows[int(at)][kind][outcome] += 1
    lines = ["| s | phase | `/` | `/healthz` | webhook |", "|---|---|---|---|---|"]
    for second in range(seconds):
        phase = "up"
        if marks["stopped"] <= second < marks["started"]:
            phase = "**down**"
        elif marks["stop"] <= second < marks["stopped"] or (
            marks["started"] <= second < marks["started"] + 1
        ):
            phase = "stopping" if second < marks["started"] else "starting"
        cells = [
            ", ".join(f"{n}× {o}" for o, n in sorted(rows[second][kind].items())) or "-"
            for kind in ("page", "healthz", "webhook")
        ]
        lines.append(f"| {second} | {phase} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=int, default=10)
    parser.add_argument("--outage", type=int, default=10)
    parser.add_argument("--after", type=int, default=15)
    args = parser.parse_args()

    print(f"{datetime.date.today()}; machine: {harness.machine()}")
    print(f"load average before: {harness.load_average()}")
    log = Path(tempfile.mkdtemp(prefix="drill_database_")) / "gunicorn.log"
    with harness.PrivateCluster() as cluster:
        harness.fresh_database(DATABASE, admin_url=cluster.url)
        env = harness.bench_env(DATABASE, DATABASE_URL=f"{cluster.url}/{DATABASE}")
        harness.manage(["load_demo"], env)
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection

        from campaigns.models import Campaign
        from donations.models import Gift, ProcessedEvent

        campaign = Campaign.objects.featured()
        raised_before, gifts_before = campaign.raised_cents, Gift.objects.count()
        pledges = harness.monthly_pledges(campaign, 50, who="outage", amount=lambda i: AMOUNT)
        connection.close()

        with harness.gunicorn(env, workers=2, log=log) as base:
            load = Load(base, pledges)
            clients = [load.page, load.page, load.healthz, load.webhooks, load.webhooks]
            threads = [threading.Thread(target=client, daemon=True) for client in clients]
            for thread in threads:
                thread.start()
            marks = {}
            time.sleep(args.before)
            marks["stop"] = time.monotonic() - load.started
            cluster.stop()
            marks["stopped"] = time.monotonic() - load.started
            time.sleep(args.outage)
            marks["start"] = time.monotonic() - load.started
            cluster.start()
            marks["started"] = time.monotonic() - load.started
            time.sleep(args.after)
            load.running = False
            for thread in threads:
                thread.join(60)

            # Stripe delivers again what was not answered 2xx, until it is.
            session, rounds = requests.Session(), 0
            while load.to_redeliver and rounds < 5:
                again, load.to_redeliver, rounds = load.to_redeliver, [], rounds + 1
                answers = Counter()
                for event in again:
                    outcome = load.deliver(session, event)
                    answers[outcome] += 1
                    if not outcome.startswith("2"):
                        load.to_redeliver.append(event)
                print(f"redelivery round {rounds}: {len(again)} events, {dict(answers)}")

        seconds = int(marks["started"]) + args.after + 1
        print()
        print(
            f"stop at {marks['stop']:.1f} s (down at {marks['stopped']:.1f} s), "
            f"start at {marks['start']:.1f} s (accepting at {marks['started']:.1f} s)"
        )
        print(timeline(load.records, {k: int(v) for k, v in marks.items()}, seconds))
        print()
        checks = summarise(load, marks)
        connection.close()
        campaign.refresh_from_db()
        booked = Gift.objects.count() - gifts_before
        expected_raised = raised_before + len(load.sent) * AMOUNT
        checks += [
            ("events sent (distinct)", len(load.sent), None),
            ("gifts booked", booked, len(load.sent)),
            ("processed events", ProcessedEvent.objects.count(), len(load.sent)),
            ("campaign total (cents)", campaign.raised_cents, expected_raised),
            ("events never accepted", len(load.to_redeliver), 0),
        ]
        connection.close()
    print(f"server log: {log}")
    for error, count in harness.log_errors(log).most_common(8):
        print(f"server log: {count} × {error}")
    print(f"load average after: {harness.load_average()}")
    ok = True
    for name, got, want in checks:
        good = want is None or got == want
        ok = ok and good
        print(f"{name}: {got}" + ("" if good else f"  <-- expected {want}"))
    if not ok:
        raise SystemExit("the drill failed: see above")


def summarise(load, marks):
    """What the outage looked like to the clients, as (name, value, expected) rows."""
    from campaigns.page_cache import STATE_SECONDS

    # The page cache still serves `/` while the campaign's state it holds is fresh: at
    # most STATE_SECONDS after the last read before the stop.
    cached_until = marks["stopped"] + STATE_SECONDS + 0.5
    down = [r for r in load.records if marks["stopped"] + 0.5 <= r[0] < marks["start"]]
    early = [r for r in down if r[0] < cached_until]
    late = [r for r in down if r[0] >= cached_until]
    after = [r for r in load.records if r[0] >= marks["started"]]

    def first_ok(kind):
        times = [at for at, k, outcome in after if k == kind and outcome.startswith("2")]
        return round(min(times) - marks["started"], 2) if times else None

    def pages(records):
        return Counter(outcome for _at, kind, outcome in records if kind == "page")

    hooks = Counter(outcome for _at, kind, outcome in load.records if kind == "webhook")
    return [
        ("`/` during the outage", dict(pages(down)), None),
        (
            f"`/` in its first {STATE_SECONDS} s: the cached page or the friendly 503",
            set(pages(early)) <= {"200 page", "503 friendly"},
            True,
        ),
        (
            f"`/` after its first {STATE_SECONDS} s: all the friendly 503",
            set(pages(late)) == {"503 friendly"},
            True,
        ),
        (
            "`/healthz` during the outage: all 503",
            {o for _a, k, o in down if k == "healthz"} == {"503"},
            True,
        ),
        ("webhook answers over the run", dict(hooks), None),
        ("seconds to the first `/` 200 after the start", first_ok("page"), None),
        ("seconds to the first webhook 200 after the start", first_ok("webhook"), None),
        ("`/` answered 200 again after the start", first_ok("page") is not None, True),
    ]


if __name__ == "__main__":
    main()
