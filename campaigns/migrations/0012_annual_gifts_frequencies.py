"""Annual gifts: each campaign chooses the frequencies its form offers and the one it
pre-selects, instead of "monthly pre-selected". Existing campaigns keep the form they
had (one-time and monthly, the same one pre-selected); new ones offer yearly too."""

from django.db import migrations, models


def frequency_from_monthly_by_default(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Campaign.objects.filter(monthly_by_default=True).update(default_frequency="monthly")


def monthly_by_default_from_frequency(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Campaign.objects.filter(default_frequency="monthly").update(monthly_by_default=True)


class Migration(migrations.Migration):
    dependencies = [
        ('campaigns', '0011_monthly_upgrade_offer'),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="default_frequency",
            field=models.CharField(
                choices=[("once", "One time"), ("monthly", "Monthly"), ("annual", "Yearly")],
                default="once",
                help_text=(
                    "Pre-selecting monthly or yearly adds a required box the donor ticks to "
                    "confirm that the gift repeats until they cancel."
                ),
                max_length=10,
                verbose_name="pre-selected frequency",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="offers_once",
            field=models.BooleanField(default=True, verbose_name="offer one-time gifts"),
        ),
        migrations.AddField(
            model_name="campaign",
            name="offers_monthly",
            field=models.BooleanField(default=True, verbose_name="offer monthly gifts"),
        ),
        # False for the campaigns there are, True for new ones.
        migrations.AddField(
            model_name="campaign",
            name="offers_annual",
            field=models.BooleanField(default=False, verbose_name="offer yearly gifts"),
        ),
        migrations.AlterField(
            model_name="campaign",
            name="offers_annual",
            field=models.BooleanField(default=True, verbose_name="offer yearly gifts"),
        ),
        migrations.RunPython(frequency_from_monthly_by_default, monthly_by_default_from_frequency),
        migrations.RemoveField(
            model_name="campaign",
            name="monthly_by_default",
        ),
        migrations.AlterField(
            model_name="feeditem",
            name="kind",
            field=models.CharField(
                choices=[
                    ("donated", "donated"),
                    ("monthly", "started a monthly donation"),
                    ("annual", "started a yearly donation"),
                    ("shared_facebook", "shared this on Facebook"),
                    ("shared_x", "shared this on X"),
                    ("shared_linkedin", "shared this on LinkedIn"),
                    ("shared_email", "shared this by e-mail"),
                ],
                max_length=20,
                verbose_name="what happened",
            ),
        ),
    ]
