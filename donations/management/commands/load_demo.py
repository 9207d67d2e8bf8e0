from django.core.management.base import BaseCommand

from campaigns.demo import load_demo_campaign
from donations.demo import load_demo_activity


class Command(BaseCommand):
    help = (
        "Loads the demo campaign (OCA's 2017 appeal) with its demo gifts and activity "
        "feed. Safe to run more than once."
    )

    def handle(self, *args, **options):
        campaign, created = load_demo_campaign()
        verb = "Created" if created else "Kept the existing"
        self.stdout.write(
            f"{verb} demo campaign “{campaign.title}” at {campaign.get_absolute_url()}"
        )
        gifts, shares = load_demo_activity(campaign)
        campaign.refresh_from_db()
        self.stdout.write(
            f"Demo activity: {gifts} gifts and {shares} shares added; the page shows "
            f"{campaign.donor_count} donors and {campaign.feed_count} reactions."
        )
