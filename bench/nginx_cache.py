"""The campaign page through nginx (deploy/nginx.conf), at 100,000 gifts.

    .venv/bin/python bench/nginx_cache.py [--reuse] [--seconds 20] [--connections 20]

Loads the campaign of bench/feed_page.py (the demo campaign with `--gifts` gifts and
feed items) into its own database (oca_bench_nginx), serves the site with gunicorn
(2 sync workers, DEBUG off, 127.0.0.1, its access log on) and puts Debian's nginx in
front, running deploy/nginx.conf as deployed except for its port (bench.harness.nginx).
Then, with wrk asking for gzip as a browser does, `--connections` connections for
`--seconds`:

(b) requests per second through nginx, and how many of them reached gunicorn (its
    access log; nginx's own log gives what the cache did with each). The page says how
    long a shared cache may keep it (`s-maxage`), so at most one request per lifetime
    should reach the app: about seconds / lifetime + 1.
(c) `--book-after` seconds into the run, a monthly gift is booked: a signed
    `invoice.paid` event posted through nginx to the webhook, as Stripe's would arrive.
    From the webhook's answer on, the page is fetched through nginx every 50 ms until it
    shows the new donor's name: that delay should be at most the lifetime plus a second.

For comparison, the same page straight from gunicorn, `--direct-seconds` first (0 skips).
Writes bench/results/nginx_cache.json. `--reuse` keeps a database loaded by an earlier
run with the same `--gifts`.
"""

import argparse
import datetime
import gzip
import json
import math
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import feed_page, harness  # noqa: E402

DATABASE = "oca_bench_nginx"
RESULTS = harness.ROOT / "bench" / "results" / "nginx_cache.json"
AMOUNT = 2500
POLL_SECONDS = 0.05
BROWSER = dict(header.split(": ", 1) for header in harness.BROWSER_HEADERS)


def prepared_campaign(args, env):
    """The loaded campaign (loading it unless `--reuse` finds it)."""
    reusing = harness.kept_or_fresh_database(DATABASE, env, reuse=args.reuse)

    import django

    django.setup()
    from campaigns.models import Campaign
    from donations.models import Gift

    campaign = Campaign.objects.filter(slug="oca-2017-appeal").first()
    loaded = (
        campaign is not None
        # Earlier runs each booked one gift more than the load.
        and Gift.objects.filter(campaign=campaign, donor__email__startswith="bench").count()
        == args.gifts
    )
    if not loaded:
        if reusing:
            from django.db import connection

            connection.close()  # the drop ends it
            harness.fresh_database(DATABASE)
        started = time.perf_counter()
        campaign = feed_page.load(args.gifts)
        print(
            f"loaded {args.gifts:,} gifts and feed items in {time.perf_counter() - started:.0f} s"
        )
    return Campaign.objects.get(pk=campaign.pk)


def monthly_pledge(campaign, name):
    """An open monthly pledge, as the donation form leaves it before Checkout."""
    from donations.models import Pledge

    stamp = name.rsplit(" ", 1)[-1]
    return Pledge.objects.create(
        campaign=campaign,
        name=name,
        email=f"nginx-bench-{stamp}@example.org",
        frequency="monthly",
        gift_cents=AMOUNT,
        amount_cents=AMOUNT,
        status="open",
    )


def signed_invoice_paid(pledge, stamp):
    invoice = harness.paid_invoice(
        f"in_nginx_{stamp}",
        subscription_id=f"sub_nginx_{stamp}",
        pledge_id=pledge.public_id,
        amount=AMOUNT,
        first=True,
        payment_intent_id=f"pi_nginx_{stamp}",
    )
    return harness.signed_event_body(
        harness.stripe_event("invoice.paid", invoice, f"evt_nginx_{stamp}")
    )


def get(url, headers=BROWSER):
    """(status, headers, text) of one GET, gunzipped when it came gzipped."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (127.0.0.1)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (127.0.0.1)
        body = response.read()
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, response.headers, body.decode()


def lifetime(cache_control):
    """s-maxage and stale-while-revalidate of a Cache-Control header, in seconds."""
    found = dict(re.findall(r"([a-z-]+)=(\d+)", cache_control or ""))
    if "s-maxage" not in found:
        return None, None
    return int(found["s-maxage"]), int(found.get("stale-while-revalidate", 0))


class Booking(threading.Thread):
    """Books a gift through nginx after `delay` seconds, then watches the page through
    nginx until it shows the donor's name."""

    def __init__(self, nginx_url, page_url, body, signature, name, *, delay, give_up):
        super().__init__(daemon=True)
        self.nginx_url, self.page_url = nginx_url, page_url
        self.body, self.signature, self.name = body, signature, name
        self.delay, self.give_up = delay, give_up
        self.result = {}

    def run(self):
        try:
            self._run()
        except Exception as error:  # noqa: BLE001 (reported by main)
            self.result["error"] = repr(error)

    def _run(self):
        time.sleep(self.delay)
        request = urllib.request.Request(  # noqa: S310 (127.0.0.1)
            self.nginx_url + "/stripe/webhook/",
            data=self.body,
            headers={"Content-Type": "application/json", "Stripe-Signature": self.signature},
        )
        sent = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local)
            status, answer = response.status, response.read().decode()
        booked = time.monotonic()
        self.result.update(webhook_status=status, webhook_answer=answer.strip()[:80])
        self.result["webhook_ms"] = round((booked - sent) * 1000, 1)
        polls = 0
        while time.monotonic() - booked < self.give_up:
            status, headers, html = get(self.page_url)
            polls += 1
            if self.name in html:
                seen = time.monotonic()
                self.result.update(
                    delay_s=round(seen - booked, 2),
                    delay_from_sending_s=round(seen - sent, 2),
                    polls=polls,
                    shown_with_cache_status=headers.get("X-Cache-Status"),
                )
                return
            time.sleep(POLL_SECONDS)
        self.result.update(delay_s=None, polls=polls)


def read_from(path, offset):
    with open(path, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace").splitlines()


def size(path):
    return Path(path).stat().st_size if Path(path).exists() else 0


def settled_size(path):
    """The log's size once it stops growing: when wrk stops, gunicorn still answers the
    requests its listening socket had queued (up to one per connection)."""
    previous = -1
    while (current := size(path)) != previous:
        previous = current
        time.sleep(1)
    return current


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--direct-seconds", type=int, default=10)
    parser.add_argument("--book-after", type=float, default=5.0)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()

    env = harness.bench_env(DATABASE)
    os.environ.update(env)
    campaign = prepared_campaign(args, env)
    from django.db import connection

    from donations.models import Gift

    stamp = str(int(time.time()))
    name = f"Nginx Bench {stamp}"
    pledge = monthly_pledge(campaign, name)
    body, signature = signed_invoice_paid(pledge, stamp)
    feed_before = campaign.feed_count
    connection.close()

    path = campaign.get_absolute_url()
    load_before = harness.load_average()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        app_log, nginx_log = Path(tmp, "gunicorn-access.log"), Path(tmp, "nginx-access.log")
        with (
            harness.gunicorn(env, workers=2, access_log=app_log) as app,
            harness.nginx(app.removeprefix("http://"), access_log=nginx_log) as nginx,
        ):
            status, headers, html = get(nginx + path)
            if status != 200 or name in html:
                raise SystemExit(f"{path} through nginx: {status}, or the gift shows already")
            max_age, stale = lifetime(headers.get("Cache-Control"))
            results["page_headers"] = {
                key: headers.get(key)
                for key in ("Cache-Control", "ETag", "Vary", "Content-Encoding", "X-Cache-Status")
            }
            for _ in range(20):  # both workers: imports, connections, the app's own cache
                get(app + path)
                get(nginx + path)
            if args.direct_seconds:
                results["direct"] = harness.wrk(
                    app + path, seconds=args.direct_seconds, connections=args.connections
                )
            cached = get(nginx + path)[1].get("X-Cache-Status")
            if max_age is None or cached != "HIT":
                print(
                    f"warning: nginx does not keep the page (Cache-Control: "
                    f"{headers.get('Cache-Control')!r}, X-Cache-Status: {cached})"
                )

            app_offset, nginx_offset = settled_size(app_log), settled_size(nginx_log)
            booking = Booking(
                nginx,
                nginx + path,
                body,
                signature,
                name,
                delay=args.book_after,
                give_up=(max_age or 15) + (stale or 0) + 15,
            )
            started = time.monotonic()
            booking.start()
            results["through_nginx"] = harness.wrk(
                nginx + path, seconds=args.seconds, connections=args.connections
            )
            booking.join()
            window = time.monotonic() - started
            time.sleep(1)  # the last lines reach the logs
            app_lines = read_from(app_log, app_offset)
            nginx_lines = read_from(nginx_log, nginx_offset)
    load_after = harness.load_average()

    page_request = re.compile(rf'"(?:GET|HEAD) {re.escape(path)} HTTP/[\d.]+" (\d+)')
    reached = Counter(match.group(1) for line in app_lines if (match := page_request.search(line)))
    statuses = Counter(
        match.group(1)
        for line in nginx_lines
        if page_request.search(line) and (match := re.search(r" cache=(\S*)", line))
    )
    served = sum(statuses.values())
    expected = math.ceil(window / max_age) + 1 if max_age else None
    campaign.refresh_from_db()
    booked = Gift.objects.filter(pledge=pledge).count()
    connection.close()

    results.update(
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M +0000"),
        command=".venv/bin/python bench/nginx_cache.py " + " ".join(sys.argv[1:]),
        machine=harness.machine(),
        load_average={"before": load_before, "after": load_after},
        served=(
            f"nginx {harness.nginx_version()} with deploy/nginx.conf (port changed only) in "
            "front of gunicorn oca_site.wsgi, 2 sync workers, DEBUG off, PostgreSQL, "
            f"{args.gifts:,} gifts and feed items; wrk {args.connections} connections, "
            f"{args.seconds} s, gzip accepted"
        ),
        page=path,
        cache_lifetime_s={"s-maxage": max_age, "stale-while-revalidate": stale},
        window_s=round(window, 1),
        requests_through_nginx=served,
        nginx_cache_status=dict(statuses.most_common()),
        requests_reaching_gunicorn=sum(reached.values()),
        gunicorn_statuses=dict(reached.most_common()),
        expected_at_most=expected,
        gift=dict(
            booking.result, booked_gifts=booked, feed_count_change=campaign.feed_count - feed_before
        ),
    )
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")

    through, gift = results["through_nginx"], results["gift"]
    print(f"machine: {harness.machine()}; load average {load_before} before, {load_after} after")
    print(f"page {path}: Cache-Control {results['page_headers']['Cache-Control']!r}")
    if "direct" in results:
        direct = results["direct"]
        print(
            f"straight from gunicorn ({args.direct_seconds} s): {direct['rps']:,.0f} req/s, "
            f"p50 {direct['p50_ms']:.1f} ms, p99 {direct['p99_ms']:.1f} ms"
        )
    print(
        f"through nginx ({args.seconds} s): {through['rps']:,.0f} req/s, "
        f"p50 {through['p50_ms']:.1f} ms, p99 {through['p99_ms']:.1f} ms, "
        f"non-2xx {through['non_2xx']}"
    )
    print(f"nginx cache: {dict(statuses.most_common())} over {served:,} requests")
    print(
        f"reached gunicorn in {window:.1f} s: {sum(reached.values())} "
        f"({dict(reached)}; expected at most {expected})"
    )
    print(
        f"gift booked {args.book_after:.0f} s in (webhook {gift.get('webhook_status')}, "
        f"{gift.get('webhook_ms')} ms): shown through nginx after {gift.get('delay_s')} s "
        f"(target: at most {max_age} + 1 s); {booked} gift booked, feed "
        f"+{results['gift']['feed_count_change']}"
    )
    print(f"written to {RESULTS.relative_to(harness.ROOT)}")
    problems = []
    if "error" in gift:
        problems.append(f"booking failed: {gift['error']}")
    if through["non_2xx"]:
        problems.append("some requests through nginx failed")
    if booked != 1:
        problems.append(f"{booked} gifts booked for one event")
    if gift.get("delay_s") is None:
        problems.append("the gift never showed through nginx")
    if problems:
        raise SystemExit("; ".join(problems))


if __name__ == "__main__":
    main()
