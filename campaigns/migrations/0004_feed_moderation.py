import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def count_visible_items(apps, schema_editor):
    """Starts each campaign's feed_count at the number of its visible items."""
    Campaign = apps.get_model("campaigns", "Campaign")
    FeedItem = apps.get_model("campaigns", "FeedItem")
    counts = (
        FeedItem.objects.filter(withdrawn=False, hidden=False)
        .values("campaign_id")
        .annotate(n=models.Count("id"))
    )
    for row in counts:
        Campaign.objects.filter(pk=row["campaign_id"]).update(feed_count=row["n"])


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0003_feeditem"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="feed_count",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="visible feed items"
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="feed_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="feeditem",
            name="hidden_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="hidden at"),
        ),
        migrations.AddField(
            model_name="feeditem",
            name="hidden_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="hidden by",
            ),
        ),
        migrations.RunPython(count_visible_items, migrations.RunPython.noop),
    ]
