import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from donations import alerts


class Command(BaseCommand):
    help = (
        "Sends the daily gift digest (of yesterday, local time, unless --date says) to "
        "each staff user who asked for one, once per day however often it runs; then "
        "retries any gift alert a mail outage held back. Schedule it each morning."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to report, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, date=None, **options):
        today = timezone.localdate()
        if date:
            try:
                day = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date must be a date like 2026-11-28, not {date!r}") from None
            if day >= today:
                # A digest goes once per day and user: one sent now would stand for the
                # whole day, and the next morning's run would skip the gifts still to come.
                raise CommandError(f"{day} is not over yet; its digest goes out the next morning.")
        else:
            day = today - datetime.timedelta(days=1)
        digests = alerts.send_daily_digests(day)
        retried = alerts.send_due_staff_alerts()
        self.stdout.write(f"{digests} digest(s) of {day} sent; {retried} held-back alert(s) sent.")
