import sys

from django.core.management.base import BaseCommand

from donations.supporters_export import TOOLS, supporters_csv


class Command(BaseCommand):
    help = "Writes everyone opted in to updates as CSV for the mailing tool, to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--tool", choices=sorted(TOOLS), default="mailchimp")

    def handle(self, *args, tool, **options):
        for line in supporters_csv(tool):
            sys.stdout.write(line)
