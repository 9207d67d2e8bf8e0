"""From the stand-in's "Pay" to the confirmed thank-you page, in a real browser.

    .venv/bin/python bench/pay_to_thanks.py [--donations 30] [--warmup 2]

Creates its own PostgreSQL database (oca_bench_pay), loads the demo campaign with
`manage.py load_demo`, collects the static files into a temporary folder
(STATIC_ROOT) and serves the site as in production: gunicorn, 2 sync workers,
DEBUG off, whitenoise serving the collected files. Beside it, the Stripe stand-in
(`manage.py stripe_standin`, its own process) sends its signed webhook events to that
gunicorn. Both on 127.0.0.1 and free ports.

Debian's Chromium, driven by Playwright, then gives `--donations` gifts one after the
other, each from a new donor in a fresh browser context: amounts $25, $50, $100, $250
and a typed $37.50 in turn, every third gift monthly. Each fills the form on the appeal
page, continues to the stand-in's checkout page and clicks "Pay" (a real mouse click at
the button's centre). The timer runs on the browser's clock (`performance.timeOrigin`
plus a time on the page, the same clock for both pages):

- start: the time stamp of the click event on the "Pay" button, as the checkout page
  received it;
- stop: the thank-you page's first contentful paint, provided the page had been parsed
  by then (so that the first paint shows its heading) and its heading reads "Thank you,
  <name> — your <amount> [monthly ]gift is confirmed" with the amount given. Any other
  heading (the pending "we're confirming your payment", a problem page) fails the run.
  Playwright checks for the paint on every animation frame of the new page; if a page
  were painted before it was parsed (never seen so far), the stop is the moment of that
  check instead, and the run says so.

In between: the stand-in completes the session, delivers its events to the site's
webhook and waits for the answers (one event for a one-time gift, three for a monthly
one), then redirects the browser to the thank-you page, which reads the session from
the stand-in and books it if the webhook has not (here it always has). The time to the
thank-you page's first byte (its navigation's `responseStart`) is shown too; the rest
is the browser's: parsing, the stylesheet, the first paint.

`--warmup` gifts go first, untimed (first imports and connections of both workers).
Afterwards the ledger must hold exactly one gift per donation made, of its donor, amount
and frequency, one active monthly gift per monthly donation, and the campaign's total
must have moved by exactly their sum; every event must have been answered 2xx at the
first attempt and gunicorn's log must show no exception. Prints the figures; ends with
a non-zero status if a check fails; writes them to bench/results/pay_to_thanks.json
(with each donation's figures, and `script_ms`: the same span on this script's clock, from
before the mouse press to Playwright's finding the page, as a check on the browser's).
Everything it starts, it stops.
"""

import argparse
import datetime
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness  # noqa: E402
from tests.quality import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DATABASE = "oca_bench_pay"
RESULTS = harness.ROOT / "bench" / "results" / "pay_to_thanks.json"
AMOUNTS = [2500, 5000, 10000, 25000, 3750]  # the last one typed as "Other"
FIRST_NAMES = ["Ana", "Ben", "Cy", "Dee", "Eli", "Fay", "Gus"]
TIMEOUT_MS = 20_000

# The click on "Pay", as the checkout page saw it: its event's time on the browser's clock.
PAY_CLICK = """
addEventListener("click", event => {
  if (location.origin === ORIGIN && event.isTrusted && event.target.closest("#pay"))
    window.benchPayClicked(performance.timeOrigin + event.timeStamp);
}, true);
"""
# Evaluated by Playwright at once and then on every animation frame: null until the
# thank-you page has been parsed and painted, then its heading and its timings.
THANKS_PAINTED = """
path => {
  if (location.pathname !== path || document.readyState === "loading") return null;
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  if (!paint) return null;
  const heading = document.querySelector("h1");
  const navigation = performance.getEntriesByType("navigation")[0];
  return {
    heading: heading ? heading.textContent.replace(/\\s+/g, " ").trim() : "(no heading)",
    origin: performance.timeOrigin,
    firstByte: navigation.responseStart,
    parsed: navigation.domInteractive,
    painted: paint.startTime,
    seen: performance.now(),
  };
}
"""


def plan(number):
    """What donation `number` gives: (name, e-mail, amount in cents, monthly?)."""
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    return (
        f"{first} Bench",
        f"pay{number}@example.org",
        AMOUNTS[number % len(AMOUNTS)],
        number % 3 == 1,
    )


def give(browser, appeal_url, standin_url, thanks_path, number):
    """One donation, timed from the click on Pay; returns its figures in ms."""
    from playwright.sync_api import expect

    from campaigns.formatting import format_money

    name, email, cents, monthly = plan(number)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    clicks = []
    context.expose_function("benchPayClicked", lambda at: clicks.append(at))
    context.add_init_script(PAY_CLICK.replace("ORIGIN", json.dumps(standin_url)))
    try:
        page = context.new_page()
        response = page.goto(appeal_url)
        if response.status != 200:
            raise SystemExit(f"the appeal page answered {response.status}")
        form = page.locator("#donation-form")
        if cents in AMOUNTS[:-1]:
            form.get_by_label(format_money(cents), exact=True).check()
        else:
            form.get_by_label("Other", exact=True).check()
            form.get_by_label("Other amount, in dollars").fill(f"{cents / 100:.2f}")
        form.get_by_label("Monthly" if monthly else "One time", exact=True).check()
        form.get_by_label("Your name").fill(name)
        form.get_by_label("E-mail").fill(email)
        form.get_by_role("button", name="Continue to payment").click()

        page.wait_for_url(standin_url + "/checkout/**")
        expect(page.locator("#amount")).to_contain_text(f"${cents // 100:,}.{cents % 100:02d}")
        pay = page.locator("#pay")
        pay.scroll_into_view_if_needed()
        box = pay.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

        started = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_url(
            re.compile(re.escape(thanks_path) + r"\?session_id=cs_"), wait_until="commit"
        )
        found = page.wait_for_function(
            THANKS_PAINTED, arg=thanks_path, polling="raf", timeout=TIMEOUT_MS
        )
        seen_by_script = time.perf_counter()

        thanks = found.json_value()
        kind = "monthly gift" if monthly else "gift"
        expected = f"Thank you, {name.split()[0]} — your {format_money(cents)} {kind} is confirmed"
        if thanks["heading"] != expected:
            raise SystemExit(
                f"donation {number}: the thank-you page says {thanks['heading']!r}, "
                f"not {expected!r}"
            )
        if len(clicks) != 1:
            raise SystemExit(f"donation {number}: {len(clicks)} clicks on Pay seen, not 1")
        # The first paint shows the heading if the page had been parsed by then; if not
        # (never seen so far), the moment the script found it painted is taken instead.
        parsed_first = thanks["parsed"] <= thanks["painted"]
        painted = thanks["painted"] if parsed_first else thanks["seen"]
        return {
            "number": number,
            "monthly": monthly,
            "amount_cents": cents,
            "first_byte_ms": thanks["origin"] + thanks["firstByte"] - clicks[0],
            "confirmed_ms": thanks["origin"] + painted - clicks[0],
            "painted_before_parsed": not parsed_first,
            "script_ms": (seen_by_script - started) * 1000,
        }
    finally:
        context.close()


def drive(site_url, appeal_path, standin_url, thanks_path, donations, warmup):
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for number in range(warmup + donations):
                result = give(browser, site_url + appeal_path, standin_url, thanks_path, number)
                if number >= warmup:
                    timings.append(result)
        finally:
            browser.close()
    return timings


def percentile(values, share):
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def standin_events(standin_url):
    with urllib.request.urlopen(standin_url + "/_standin/events", timeout=10) as response:  # noqa: S310 (local)
        return json.load(response)


def check_ledger(campaign, raised_before, made):
    """The problems found in the ledger after `made` donations (numbers 0..made-1)."""
    from campaigns.models import Campaign
    from donations.models import Gift, MonthlyGift, Pledge

    problems = []
    gifts = {
        (gift.donor.email, gift.amount_cents, gift.frequency)
        for gift in Gift.objects.filter(is_demo=False).select_related("donor")
    }
    booked = Gift.objects.filter(is_demo=False).count()
    expected = set()
    for number in range(made):
        _name, email, cents, monthly = plan(number)
        expected.add((email, cents, "monthly" if monthly else "once"))
    if booked != made or gifts != expected:
        problems.append(f"{booked} gifts booked for {made} donations")
        problems.extend(f"missing: {gift}" for gift in sorted(expected - gifts))
        problems.extend(f"unexpected: {gift}" for gift in sorted(gifts - expected))
    not_paid = (
        Gift.objects.filter(is_demo=False)
        .exclude(status=Gift.Status.SUCCEEDED, payment=Gift.Payment.SUCCEEDED, counted=True)
        .count()
    )
    if not_paid:
        problems.append(f"{not_paid} gifts not booked as paid and counted")
    monthly_expected = sum(plan(number)[3] for number in range(made))
    monthly_active = MonthlyGift.objects.filter(status=MonthlyGift.Status.ACTIVE).count()
    if MonthlyGift.objects.count() != monthly_expected or monthly_active != monthly_expected:
        problems.append(
            f"{MonthlyGift.objects.count()} monthly gifts ({monthly_active} active), "
            f"expected {monthly_expected}"
        )
    unfinished = Pledge.objects.exclude(status=Pledge.Status.COMPLETED).count()
    if unfinished:
        problems.append(f"{unfinished} pledges not completed")
    raised = Campaign.objects.get(pk=campaign.pk).raised_cents
    total = sum(plan(number)[2] for number in range(made))
    if raised != raised_before + total:
        problems.append(
            f"campaign total ${raised / 100:,.2f}, expected ${(raised_before + total) / 100:,.2f}"
        )
    return booked, monthly_expected, raised, problems


def summary(values):
    return {
        "median": round(statistics.median(values), 1),
        "p95": round(percentile(values, 0.95), 1),
        "max": round(max(values), 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donations", type=int, default=30, help="timed donations")
    parser.add_argument("--warmup", type=int, default=2, help="untimed donations first")
    args = parser.parse_args()
    if args.donations < 1 or args.warmup < 0:
        parser.error("--donations must be at least 1, --warmup at least 0")

    started = datetime.datetime.now().astimezone()
    load_before = harness.load_average()
    print(f"{started:%Y-%m-%d}; machine: {harness.machine()}; load average before: {load_before}")
    site_port = harness.free_port()
    standin_port = harness.free_port()
    while standin_port == site_port:
        standin_port = harness.free_port()
    site_url = f"http://127.0.0.1:{site_port}"
    standin_url = f"http://127.0.0.1:{standin_port}"

    with tempfile.TemporaryDirectory(prefix="bench_pay_") as tmp:
        env = harness.bench_env(
            DATABASE,
            STATIC_ROOT=str(Path(tmp, "static")),
            SITE_URL=site_url,
            STRIPE_API_BASE=standin_url,
            # Every donation comes from 127.0.0.1: the per-address limit (10/h) would stop them.
            PLEDGE_RATE_LIMIT="10000/h",
        )
        harness.fresh_database(DATABASE)
        harness.manage(["load_demo"], env)
        harness.manage(["collectstatic", "--no-input", "-v0"], env)
        os.environ.update(env)
        import django

        django.setup()
        from django.db import connection
        from django.urls import reverse

        from campaigns.models import Campaign

        campaign = Campaign.objects.featured()
        raised_before = campaign.raised_cents
        appeal_path = campaign.get_absolute_url()
        thanks_path = reverse("donations:thank-you")
        connection.close()

        site_log, standin_log = Path(tmp, "gunicorn.log"), Path(tmp, "standin.log")
        with (
            harness.stripe_standin(
                site_url + "/stripe/webhook/", port=standin_port, log=standin_log
            ),
            harness.gunicorn(env, workers=2, port=site_port, log=site_log) as base,
        ):
            timings = drive(
                base, appeal_path, standin_url, thanks_path, args.donations, args.warmup
            )
            events = standin_events(standin_url)
        errors = harness.log_errors(site_log)
    load_after = harness.load_average()

    made = args.warmup + args.donations
    booked, monthly, raised, problems = check_ledger(campaign, raised_before, made)
    failed = [event["id"] for event in events if not event["delivery"]["delivered"]]
    retried = [event["id"] for event in events if len(event["delivery"]["attempts"]) != 1]
    if failed or retried:
        problems.append(
            f"events not answered 2xx at once: {len(failed)} failed, {len(retried)} retried"
        )
    problems.extend(f"gunicorn log: {count} × {error}" for error, count in errors.items())
    by_type = {}
    for event in events:
        by_type[event["type"]] = by_type.get(event["type"], 0) + 1

    timed_monthly = sum(run["monthly"] for run in timings)
    results = {
        "date": f"{started:%Y-%m-%d %H:%M %z}",
        "command": " ".join([".venv/bin/python bench/pay_to_thanks.py", *sys.argv[1:]]),
        "machine": harness.machine(),
        "load_average": {"before": load_before, "after": load_after},
        "served": "gunicorn oca_site.wsgi, 2 sync workers, DEBUG off, whitenoise compressed "
        "manifest static files, PostgreSQL, demo campaign; Stripe stand-in in its own "
        "process; Chromium headless (Playwright)",
        "timer": "browser clock: from the click event on the stand-in's Pay button to the "
        "thank-you page's first contentful paint, its heading confirming the amount",
        "donations": {
            "timed": len(timings),
            "one_time": len(timings) - timed_monthly,
            "monthly": timed_monthly,
            "warmup": args.warmup,
        },
        "confirmed_ms": summary([run["confirmed_ms"] for run in timings]),
        "first_byte_ms": summary([run["first_byte_ms"] for run in timings]),
        "runs": timings,
        "events": by_type,
        "ledger": {
            "donations": made,
            "gifts_booked": booked,
            "monthly_gifts": monthly,
            "raised_cents_before": raised_before,
            "raised_cents_after": raised,
        },
        "problems": problems,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    print(f"load average after: {load_after}")
    print()
    print(
        f"N = {len(timings)} timed donations ({len(timings) - timed_monthly} one-time, "
        f"{timed_monthly} monthly) after {args.warmup} untimed; gunicorn 2 sync workers, "
        "DEBUG off; the stand-in in its own process; Chromium headless"
    )
    print()
    print(f"| {'from the click on Pay to':40} | median | p95 | max |")
    print(f"|{'-' * 42}|-------:|----:|----:|")
    for what, key in (
        ("the thank-you page's first byte", "first_byte_ms"),
        ("the confirmed thank-you page, painted", "confirmed_ms"),
    ):
        figures = results[key]
        print(
            f"| {what:40} | {figures['median']:6.0f} | {figures['p95']:3.0f} "
            f"| {figures['max']:3.0f} |"
        )
    print("(ms; p95 by nearest rank)")
    print()
    print("each (ms, in order): " + ", ".join(f"{run['confirmed_ms']:.0f}" for run in timings))
    late = sum(run["painted_before_parsed"] for run in timings)
    if late:
        print(f"{late} painted before parsed: stopped when Playwright found the heading")
    print(
        f"events sent: {len(events)} "
        f"({', '.join(f'{n} {kind}' for kind, n in sorted(by_type.items()))}), "
        "each answered 2xx at the first attempt"
        if not (failed or retried)
        else f"events sent: {len(events)}"
    )
    print(
        f"ledger: {booked} gifts booked for {made} donations ({args.warmup} warm-up), "
        f"{monthly} monthly; campaign total ${raised / 100:,.2f} "
        f"(${raised_before / 100:,.2f} before)"
    )
    print(f"results: {RESULTS.relative_to(harness.ROOT)}")
    if problems:
        print("\n".join(problems))
        raise SystemExit("the ledger, the deliveries or the server log are not as expected")


if __name__ == "__main__":
    main()
