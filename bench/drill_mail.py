"""Failure drill (c): the mail server down for a minute; receipts go out after, none twice.

    .venv/bin/python bench/drill_mail.py [--gifts 50] [--outage 60] [--worker-only]

Creates its own database (oca_drill_mail) with the demo campaign, serves the site with
gunicorn (2 sync workers) and runs `manage.py db_worker` beside it, as in production
(TASKS_BACKEND=django_tasks_db.DatabaseBackend). MAIL_URL points at a local port where
nothing listens yet. `--gifts` monthly gifts are booked through signed `invoice.paid`
webhooks, each from its own donor and with its own amount, so that a receipt names
its gift by recipient and amount. The worker's first attempts fail (and are deferred
with a back-off of 2, 4, 8... minutes). After `--outage` seconds the SMTP sink
(bench/smtp_sink.py) starts on that port and `manage.py send_pending_receipts` runs
twice at once, as from two hosts' cron, while the worker goes on; with `--worker-only`
the worker's deferred retries alone deliver. The drill waits until no receipt task is
left to run, then checks that every gift's receipt arrived exactly once and every gift
says `sent`.
"""

import argparse
import datetime
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402
from bench.smtp_sink import SmtpSink  # noqa: E402

DATABASE = "oca_drill_mail"
BASE_AMOUNT = 2000


class Timeline:
    def __init__(self):
        self.started = time.monotonic()
        self.rows = []

    def note(self, what):
        at = time.monotonic() - self.started
        self.rows.append((at, what))
        print(f"{at:7.1f} s  {what}", flush=True)


def state():
    """What the database says: receipts by status, receipt tasks by status."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from donations.models import Gift

    receipts = Counter(Gift.objects.filter(is_demo=False).values_list("receipt_status", flat=True))
    tasks = Counter(
        DBTaskResult.objects.filter(task_path__endswith="send_receipt").values_list(
            "status", flat=True
        )
    )
    connection.close()
    return dict(receipts), dict(tasks)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=50)
    parser.add_argument("--outage", type=int, default=60, help="seconds the mail is down")
    parser.add_argument(
        "--worker-only",
        action="store_true",
        help="no send_pending_receipts: the worker's deferred retries alone deliver",
    )
    parser.add_argument("--wait", type=int, default=600, help="longest wait for the worker")
    args = parser.parse_args()

    print(f"{datetime.date.today()}; machine: {harness.machine()}")
    print(f"load average before: {harness.load_average()}")
    folder = Path(tempfile.mkdtemp(prefix="drill_mail_"))
    smtp_port = harness.free_port()
    harness.fresh_database(DATABASE)
    env = harness.bench_env(
        DATABASE,
        MAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        MAIL_TIMEOUT="5",
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        LOG_LEVEL="INFO",
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from campaigns.demo import load_demo_campaign
    from donations.models import Gift

    campaign, _ = load_demo_campaign()
    # (recipient, amount) names each gift.
    pledges = harness.monthly_pledges(
        campaign, args.gifts, who="mail", amount=lambda i: BASE_AMOUNT + 100 * i
    )
    expected = {(p.donor.email, f"${p.amount_cents / 100:,.2f}") for p in pledges}
    connection.close()

    timeline = Timeline()
    worker_log = open(folder / "worker.log", "ab")  # noqa: SIM115 (closed below)
    worker = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [harness.PYTHON, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
        cwd=harness.ROOT,
        env=env,
        stdout=worker_log,
        stderr=worker_log,
    )
    sink = None
    try:
        with harness.gunicorn(env, workers=2, log=folder / "gunicorn.log") as base:
            timeline.note(f"gunicorn and db_worker up; mail server 127.0.0.1:{smtp_port} down")
            session, answers = requests.Session(), Counter()
            for n, pledge in enumerate(pledges):
                invoice = harness.paid_invoice(
                    f"in_mail_{n:04d}",
                    subscription_id=f"sub_mail_{pledge.pk}",
                    pledge_id=pledge.public_id,
                    amount=pledge.amount_cents,
                    first=True,
                    payment_intent_id=f"pi_mail_{n:04d}",
                )
                body, signature = harness.signed_event_body(
                    harness.stripe_event("invoice.paid", invoice, f"evt_mail_{n:04d}")
                )
                response = session.post(
                    base + "/stripe/webhook/",
                    data=body,
                    headers={"Content-Type": "application/json", "Stripe-Signature": signature},
                    timeout=30,
                )
                answers[response.status_code] += 1
            timeline.note(f"{args.gifts} gifts booked through the webhook: {dict(answers)}")

            mail_back_at = timeline.started + args.outage
            last = None
            while time.monotonic() < mail_back_at:
                now = state()
                if now != last:
                    timeline.note(f"receipts {now[0]}, receipt tasks {now[1]}")
                    last = now
                time.sleep(1)

            sink = SmtpSink(smtp_port, out=folder / "mail.jsonl").start()
            timeline.note(f"mail server up (after {args.outage} s)")
            if not args.worker_only:
                # Twice at once, as from two hosts' cron: each receipt is still sent once.
                command = [harness.PYTHON, "manage.py", "send_pending_receipts"]
                runs = [
                    subprocess.Popen(  # noqa: S603 (our own manage.py)
                        command, cwd=harness.ROOT, env=env, stdout=subprocess.PIPE, text=True
                    )
                    for _ in range(2)
                ]
                outputs = [run.communicate(timeout=300)[0].strip() for run in runs]
                timeline.note(
                    f"send_pending_receipts, twice at once: {' / '.join(outputs)}; "
                    f"{len(sink.messages)} messages at the sink"
                )

            # The worker's deferred retries come due later; each must find its receipt
            # sent already (or send it, if the command did not run), never a second time.
            deadline = time.monotonic() + args.wait
            while time.monotonic() < deadline:
                now = state()
                if now != last:
                    timeline.note(
                        f"receipts {now[0]}, receipt tasks {now[1]}, "
                        f"{len(sink.messages)} messages at the sink"
                    )
                    last = now
                if not now[1].get("READY") and not now[1].get("RUNNING"):
                    break
                time.sleep(1)
            timeline.note("no receipt task left to run")
            time.sleep(2)
    finally:
        worker.terminate()
        worker.wait(15)
        worker_log.close()
        if sink is not None:
            sink.stop()

    messages = sink.messages if sink else []
    got = Counter()
    for message in messages:
        amount = re.search(r"Amount: (\$[\d,.]+)", message["text"])
        for recipient in message["to"]:
            got[(recipient, amount.group(1) if amount else "?")] += 1
    receipts, tasks = state()
    attempts = Counter(
        Gift.objects.filter(is_demo=False).values_list("receipt_attempts", flat=True)
    )
    connection.close()
    twice = {key: n for key, n in got.items() if n > 1}
    missing = expected - set(got)
    unexpected = set(got) - expected
    print()
    print(f"messages at the sink: {len(messages)} for {len(expected)} gifts")
    print(f"receipts by status: {receipts}; delivery attempts per gift: {dict(attempts)}")
    print(f"receipt tasks by status: {tasks}")
    print(f"missing: {len(missing)}, sent twice: {len(twice)}, unexpected: {len(unexpected)}")
    print(f"load average after: {harness.load_average()}")
    print(f"logs and the messages received: {folder}")
    for error, count in harness.log_errors(folder / "worker.log").most_common(5):
        print(f"worker log: {count} × {error}")
    if missing or twice or unexpected or receipts != {"sent": len(expected)}:
        raise SystemExit("the drill failed: see above")


if __name__ == "__main__":
    main()
