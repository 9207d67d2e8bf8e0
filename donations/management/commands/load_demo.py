from django.core.management.base import BaseCommand

from campaigns.demo import load_demo_campaign


class Command(BaseCommand):
    help = "Loads the demo campaign (OCA's 2017 appeal). Safe to run more than once."

    def handle(self, *args, **options):
        campaign, created = load_demo_campaign()
        verb = "Created" if created else "Kept the existing"
        self.stdout.write(
            f"{verb} demo campaign “{campaign.title}” at {campaign.get_absolute_url()}"
        )
