from django.core.management.base import BaseCommand

from donations.receipts import send_pending_receipts


class Command(BaseCommand):
    help = (
        "Sends every receipt that is still due (after a mail outage, say). "
        "Safe to run at any time, e.g. every few minutes from cron: none is sent twice."
    )

    def handle(self, *args, **options):
        sent = send_pending_receipts()
        self.stdout.write(f"Sent {sent} receipt(s).")
