import datetime

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from donations.exports import filtered_gifts, gifts_csv


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
        "Writes every gift (all statuses, refunded and voided included) as CSV on "
        "standard output: date, donor_name, donor_email, amount, currency, method, "
        "frequency, status, campaign, reference, fee_covered, deposit, memo. Methods, "
        "frequencies and statuses are plain words, campaigns their titles; dates are "
        "local (the site's time zone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", metavar="SLUG", help="Only this campaign's gifts.")
        parser.add_argument("--since", metavar="DATE", help="From this date (YYYY-MM-DD).")
        parser.add_argument("--until", metavar="DATE", help="Up to this date, included.")

    def handle(self, *args, **options):
        since = _date("--since", options["since"]) if options["since"] else None
        until = _date("--until", options["until"]) if options["until"] else None
        if since and until and since > until:
            raise CommandError("--since must not be after --until.")
        campaign = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                known = ", ".join(Campaign.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(
                    f"No campaign has the slug “{options['campaign']}” (known: {known})."
                )
        gifts = filtered_gifts(campaign=campaign, since=since, until=until)
        for line in gifts_csv(gifts):
            self.stdout.write(line, ending="")
