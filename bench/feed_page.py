"""The campaign page at 100,000 gifts, against a trivial view, on PostgreSQL.

    .venv/bin/python bench/feed_page.py [--gifts 100000] [--seconds 15] [--reuse]

Loads the demo campaign into its own database (oca_bench_feed) with `--gifts` gifts
from a tenth as many donors and one feed item per gift (bulk inserts in batches),
brings the campaign's counters up to date the way the ledger does, then serves the
site with gunicorn (2 sync workers, DEBUG off, 127.0.0.1 on a free port) and measures
with wrk, 20 connections for `--seconds` each, every request asking for gzip as a
browser does: the campaign page, a trivial view of the same app (bench/urls.py, never in
production), and a deep page of the feed. Prints
requests per second, p50 and p99 latency, and the page's share of the trivial rate
(target: at least 80%).

`--reuse` keeps a database loaded by an earlier run with the same `--gifts`.
"""

import argparse
import datetime
import os
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402

DATABASE = "oca_bench_feed"
BATCH = 5000
TARGET_SHARE = 0.80


def load(gifts):
    """Fills the database; returns the campaign."""
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns import feed
    from campaigns.demo import load_demo_campaign
    from campaigns.models import FeedItem
    from donations import gift_sync
    from donations.models import DisplayChoice, Donor, Gift

    campaign, _ = load_demo_campaign()
    choices = [DisplayChoice.FULL_NAME, DisplayChoice.FIRST_NAME, DisplayChoice.ANONYMOUS]
    donors = Donor.objects.bulk_create(
        (
            Donor(name=f"Bench Donor {i}", email=f"bench{i}@example.org")
            for i in range(max(1, gifts // 10))
        ),
        batch_size=BATCH,
    )
    start = timezone.now() - datetime.timedelta(days=365)
    step = datetime.timedelta(days=365) / gifts
    for first in range(0, gifts, BATCH):
        batch = Gift.objects.bulk_create(
            Gift(
                campaign=campaign,
                donor=donors[n % len(donors)],
                donor_name=donors[n % len(donors)].name,
                amount_cents=2500 + (n % 8) * 500,
                display_as=choices[n % 3],
                public_message="For open communities" if n % 7 == 0 else "",
                given_at=start + n * step,
                receipt_status=Gift.Receipt.NOT_NEEDED,
            )
            for n in range(first, min(gifts, first + BATCH))
        )
        FeedItem.objects.bulk_create(
            FeedItem(
                campaign=campaign,
                kind=FeedItem.Kind.DONATED,
                display_name=gift.public_name,
                message=gift.public_message,
                occurred_at=gift.given_at,
                source_key=gift.feed_key,
            )
            for gift in batch
        )
    with transaction.atomic():
        gift_sync.refresh_progress(campaign.pk)
        feed.recount(campaign.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return campaign


def loaded_campaign(gifts):
    from campaigns.models import Campaign
    from donations.models import Gift

    campaign = Campaign.objects.filter(slug="oca-2017-appeal").first()
    if (
        campaign
        and campaign.feed_count == gifts
        and Gift.objects.filter(campaign=campaign).count() == gifts
    ):
        return campaign
    return None  # missing, or a load that did not finish


def check(url):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (127.0.0.1)
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")
        return response.read().decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gifts", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="alternate runs; medians shown")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()

    env = harness.bench_env(DATABASE)
    os.environ.update(env)
    reusing = harness.kept_or_fresh_database(DATABASE, env, reuse=args.reuse)

    import django

    django.setup()
    from django.db import connection

    from campaigns.models import Campaign, FeedItem

    campaign = loaded_campaign(args.gifts) if reusing else None
    if campaign is None:
        if reusing:
            harness.fresh_database(DATABASE)
        started = time.perf_counter()
        campaign = load(args.gifts)
        elapsed = time.perf_counter() - started
        print(f"loaded {args.gifts:,} gifts and feed items in {elapsed:.0f} s")
    campaign = Campaign.objects.get(pk=campaign.pk)
    deep_item = (
        FeedItem.objects.filter(campaign=campaign, withdrawn=False, hidden=False)
        .order_by("-occurred_at", "-id")
        .values_list("pk", flat=True)[args.gifts // 2]
    )
    from campaigns import feed

    deep_cursor = feed.encode_cursor(FeedItem.objects.get(pk=deep_item))
    connection.close()

    page_path = campaign.get_absolute_url()
    deep_page = args.gifts // 2 // feed.PAGE_SIZE + 1
    paths = {
        "trivial view": "/bench/trivial/",
        "campaign page": page_path,
        f"feed page {deep_page:,}": f"/campaigns/{campaign.slug}/feed/?after={deep_cursor}",
    }
    rounds = {name: [] for name in paths}
    load_before = os.getloadavg()[0]
    with harness.gunicorn(env, workers=2, urlconf="bench.urls") as base:
        html = check(base + page_path)
        if f"Showing {campaign.feed_count} reactions" not in html:
            raise SystemExit("the campaign page does not show the feed's count")
        for path in paths.values():
            for _ in range(20):  # warm both workers: imports, connections, caches
                check(base + path)
        # Alternated, so that a change in the machine's other load hits all alike.
        for _ in range(args.rounds):
            for name, path in paths.items():
                rounds[name].append(
                    harness.wrk(base + path, seconds=args.seconds, connections=args.connections)
                )
    load_after = os.getloadavg()[0]

    print(
        f"machine: {harness.machine()}; load average {load_before:.1f} before, "
        f"{load_after:.1f} after; PostgreSQL; gunicorn 2 sync workers; "
        f"wrk {args.connections} connections, {args.seconds} s per run, {args.rounds} round(s), "
        f"gzip accepted"
    )
    print(
        f"campaign: {campaign.donor_count:,} donors, {campaign.feed_count:,} feed items, "
        f"{args.gifts:,} gifts"
    )
    results = {}
    for name, runs in rounds.items():
        results[name] = result = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
        each = ", ".join(f"{run['rps']:.0f}" for run in runs)
        print(
            f"{name:>18}: {result['rps']:8.0f} req/s   p50 {result['p50_ms']:6.1f} ms   "
            f"p99 {result['p99_ms']:6.1f} ms   non-2xx {sum(r['non_2xx'] for r in runs)}"
            f"   (each run: {each} req/s)"
        )
    share = results["campaign page"]["rps"] / results["trivial view"]["rps"]
    verdict = "met" if share >= TARGET_SHARE else "MISSED"
    print(f"campaign page / trivial view: {share:.0%} (target {TARGET_SHARE:.0%}: {verdict})")
    if any(r["non_2xx"] for runs in rounds.values() for r in runs):
        raise SystemExit("some requests failed: see non-2xx above")


if __name__ == "__main__":
    main()
