from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from campaigns.formatting import format_money
from donations.statements import send_year_end_statements


class Command(BaseCommand):
    help = (
        "E-mails each donor with counted gifts in YEAR (local dates) one statement of "
        "their gifts. Safe to run again: nobody gets a statement twice, and one that "
        "failed to send is sent by the next run. Donors without e-mail are listed for "
        "a printed statement. Without YEAR: last year (the January cron job). Each "
        "statement carries its PDF."
    )

    def add_arguments(self, parser):
        # Without a year: last year, so that a cron line in January needs no date sums.
        parser.add_argument("year", type=int, nargs="?")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Send nothing and write nothing; print who would get what.",
        )

    def handle(self, *args, year, dry_run, **options):
        if year is None:
            year = timezone.localdate().year - 1
        this_year = timezone.localdate().year
        if not 2000 <= year <= this_year:
            raise CommandError(f"{year} is not a year with gifts to report.")
        if year == this_year and not dry_run:
            # A statement is sent once per donor and year: one sent now would stand for
            # the whole year, and the January run would skip the gifts still to come.
            # A dry run writes nothing, so it may preview the year.
            raise CommandError(f"{year} is not over yet; its statements go out in January.")
        outcome = send_year_end_statements(year, dry_run=dry_run)

        def describe(donor):
            # The donors come annotated with their gifts of the year (statements.donors_for).
            total = format_money(donor.year_cents, always_cents=True)
            who = f"{donor.name} <{donor.email}>" if donor.email else donor.name
            return f"{who}: {donor.year_gifts} gift(s), {total}"

        for donor in outcome.would_send:
            self.stdout.write(f"Would e-mail {describe(donor)}")
        for donor in outcome.sent:
            self.stdout.write(f"Sent to {describe(donor)}")
        for donor in outcome.already_sent:
            self.stdout.write(f"Already sent: {describe(donor)}")
        for donor in outcome.needs_print:
            self.stdout.write(f"Needs a printed statement (no e-mail): {describe(donor)}")
        for donor, error in outcome.failed:
            self.stderr.write(f"Not sent to {describe(donor)}: {error}")

        verb = "would be sent" if dry_run else "sent"
        count = len(outcome.would_send) if dry_run else len(outcome.sent)
        self.stdout.write(
            f"{year}: {count} statement(s) {verb}, {len(outcome.already_sent)} already sent, "
            f"{len(outcome.needs_print)} to print."
        )
        if outcome.failed:
            raise CommandError(
                f"{len(outcome.failed)} statement(s) could not be sent; run the command "
                "again to send them."
            )
