from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    ("campaigns", "campaign", ["add", "change", "view"]),
    ("campaigns", "helpsection", ["add", "change", "delete", "view"]),
]


def create_editors(apps, schema_editor):
    """The "Editors" group: campaign content and nothing else (no donor data)."""
    # Permissions are normally created after all migrations ran; make sure the
    # campaign permissions exist now so that the group can be given them.
    app_config = apps.get_app_config("campaigns")
    # A migration's app has no models module, which create_permissions wants; the
    # test suite runs this with the project's own apps, whose module is kept.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    for app_label, model, actions in EDITOR_PERMISSIONS:
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, migrations.RunPython.noop)]
