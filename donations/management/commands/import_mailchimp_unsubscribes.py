from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from donations.supporters_import import ImportRefused, import_unsubscribes


class Command(BaseCommand):
    help = (
        "Withdraws the consent to updates of everyone in Mailchimp's export of "
        "unsubscribed contacts (CSV with 'Email Address' and 'UNSUB_TIME'). Nothing is "
        "written unless every row can be read; running it twice changes nothing more."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file exported from Mailchimp")

    def handle(self, *args, path, **options):
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        try:
            result = import_unsubscribes(data)
        except ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(error)
            raise CommandError("Nothing was imported.") from None
        self.stdout.write(
            f"{result.rows} rows: {result.withdrawn} withdrawn, {result.already} had no "
            f"consent standing, {result.unknown} not donors."
        )
