from django.contrib.auth.management import create_permissions
from django.db import migrations


def let_editors_review_pages(apps, schema_editor):
    """Editors, who keep the campaigns' public copy, approve supporters' pages and hide
    them (the change permission the admin's actions ask for); deleting one stays with
    superusers, as gifts are credited to it."""
    app_config = apps.get_app_config("fundraising")
    # A migration's app has no models module, which create_permissions wants; the
    # test suite runs this with the project's own apps, whose module is kept.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Editors").first()
    if group is not None:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="fundraising",
                codename__in=["change_fundraisingpage", "view_fundraisingpage"],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("fundraising", "0002_hide_photos_of_pages_off_the_site"),
        ("campaigns", "0002_editors_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(let_editors_review_pages, migrations.RunPython.noop),
    ]
