"""`manage.py stripe_standin`: the offline Stripe stand-in, in the foreground.

`make run` starts it beside the development server. It signs its webhook events with
STRIPE_WEBHOOK_SECRET and sends them to SITE_URL + "/stripe/webhook/" unless told
otherwise. It refuses to start with DEBUG off, so a production configuration can never
serve it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.stripe_standin import StripeStandin


class Command(BaseCommand):
    help = "Runs the offline Stripe stand-in (development only: needs DEBUG on)."
    # The stand-in is not the site: it needs only DEBUG and the webhook secret, so the
    # site's own checks (Stripe keys, database...) need not pass for it to start.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=12111, help="Port to listen on.")
        parser.add_argument(
            "--webhook-url",
            help='Where to send events (default: SITE_URL + "/stripe/webhook/").',
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "The Stripe stand-in is a development tool and refuses to run with "
                "DEBUG off. Set DEBUG=true (make run does) on a developer's machine only."
            )
        secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
        if not secret:
            raise CommandError(
                "STRIPE_WEBHOOK_SECRET is empty; the stand-in signs its events with it. "
                "Set it (make run uses whsec_standin)."
            )
        webhook_url = options["webhook_url"] or settings.SITE_URL.rstrip("/") + "/stripe/webhook/"
        standin = StripeStandin(
            webhook_url=webhook_url,
            webhook_secret=secret,
            host=options["host"],
            port=options["port"],
        )
        try:
            standin.bind()
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {error}"
            ) from error
        self.stdout.write(
            f"Stripe stand-in (test mode, no real money moves) at {standin.url}\n"
            f"Webhook events go to {webhook_url}\n"
            "Stop with Ctrl-C."
        )
        self.stdout.flush()
        try:
            standin.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stripe stand-in stopped.")
