from django.core.management.base import BaseCommand

from donations.bank_failures import send_due_failure_notices
from donations.monthly import send_due_card_notices
from donations.receipts import send_due_receipts
from donations.tributes import send_due_notices


class Command(BaseCommand):
    help = (
        "Sends every receipt, tribute notice, failed payment notice and monthly gift "
        "notice (update your card, amount changed, canceled) that is still due "
        "(after a mail outage, say). "
        "Safe to run at any time, e.g. every few minutes from cron: none is sent twice."
    )

    def handle(self, *args, **options):
        outcomes = send_due_receipts()
        self.stdout.write(f"Sent {outcomes['sent']} receipt(s).")
        self.stdout.write(f"Sent {send_due_notices()} tribute notice(s).")
        self.stdout.write(f"Sent {send_due_failure_notices()} failed payment notice(s).")
        self.stdout.write(f"Sent {send_due_card_notices()} monthly gift notice(s).")
        if outcomes["failed"]:
            # Not an error exit: the failures are marked and logged with their gift
            # ids, and the next run tries them again; the others went out.
            self.stderr.write(
                f"{outcomes['failed']} receipt(s) could not be sent; they stay due and "
                "the next run tries them again (the log names the gifts)."
            )
