import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from donations.reconcile import reconcile
from donations.reports import local_range

KINDS = [
    ("checkout_sessions", "Checkout Sessions"),
    ("invoices", "paid invoices"),
    ("subscriptions", "subscriptions"),
    ("refunds", "refunds"),
    ("disputes", "disputes"),
    ("balance_transactions", "balance transactions"),
    ("payouts", "payouts"),
    ("charges", "charges"),
]


def _date(option, value):
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not “{value}”.") from None
    if day == datetime.date.max:  # the period ends the day after, which no date holds
        raise CommandError(f"{option} must be a date before 9999-12-31.")
    return day


class Command(BaseCommand):
    help = (
        "Lists from Stripe the Checkout Sessions, invoices, charges, refunds, disputes, "
        "balance transactions and payouts created in a period and books whatever the "
        "ledger lacks, through the functions the webhook uses. Safe to run at any time "
        "and as often as wanted (hourly from cron, say): nothing is booked twice. Exits "
        "1 when Stripe failed or an object could not be booked; what was booked stays "
        "booked, and the next run goes on."
    )

    def add_arguments(self, parser):
        when = parser.add_mutually_exclusive_group(required=True)
        when.add_argument("--since", metavar="DATE", help="From this local date (YYYY-MM-DD).")
        when.add_argument(
            "--days",
            type=int,
            metavar="N",
            help="The last N days up to now (4 covers Stripe's three days of retries).",
        )
        parser.add_argument(
            "--until", metavar="DATE", help="Up to this local date, included (default: now)."
        )

    def handle(self, *args, **options):
        since, until = self._period(options)
        run = reconcile(since=since, until=until)
        self.stdout.write(
            f"Stripe objects created {timezone.localtime(since):%Y-%m-%d %H:%M} to "
            f"{timezone.localtime(until):%Y-%m-%d %H:%M}:"
        )
        for kind, label in KINDS:
            tally = run.tallies.get(kind)
            if tally is None:
                continue
            line = f"  {label}: {tally.listed} listed"
            if kind != "charges":  # charges are booked as their gifts, never alone
                line += f", {len(tally.booked)} booked now"
            if tally.unmatched:
                line += f", {len(tally.unmatched)} not ours"
            self.stdout.write(line)
            for object_id in tally.booked:
                self.stdout.write(f"    booked {object_id}")
            for object_id in tally.unmatched[:20]:
                self.stdout.write(f"    not ours {object_id}")
        self.stdout.write(f"Booked {run.booked} missing object(s).")
        if not run.ok:
            for error in run.errors:
                self.stderr.write(f"  {error}")
            raise CommandError(
                f"{len(run.errors)} problem(s); what was booked stays booked, "
                "and the next run tries the rest again."
            )

    def _period(self, options):
        now = timezone.now()
        if options["days"] is not None:
            if not 1 <= options["days"] <= 366:
                raise CommandError("--days must be between 1 and 366.")
            since = now - datetime.timedelta(days=options["days"])
        else:
            since = local_range(_date("--since", options["since"]), now.date())[0]
        until = now
        if options["until"]:
            day = _date("--until", options["until"])
            until = local_range(day, day)[1]
        if since >= until:
            raise CommandError("--since must not be after --until.")
        return since, until
