import campaigns.images
from django.db import migrations, models


def mark_photos_shown(apps, schema_editor):
    """A page approved at some time showed its photo to the public: its photo counts as
    shown, so `manage.py move_hidden_photos` moves it if the page is now off the site."""
    FundraisingPage = apps.get_model("fundraising", "FundraisingPage")
    FundraisingPage.objects.exclude(photo="").filter(approved_at__isnull=False).update(
        photo_shown=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fundraising", "0001_fundraising_pages"),
    ]

    operations = [
        migrations.AddField(
            model_name="fundraisingpage",
            name="photo_shown",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="photo shown to the public"
            ),
        ),
        migrations.AlterField(
            model_name="fundraisingpage",
            name="photo",
            field=campaigns.images.ShareImageField(
                blank=True,
                random_names=True,
                upload_to="fundraisers/",
                validators=[campaigns.images.validate_share_image],
                verbose_name="photo",
            ),
        ),
        migrations.RunPython(mark_photos_shown, migrations.RunPython.noop),
    ]
