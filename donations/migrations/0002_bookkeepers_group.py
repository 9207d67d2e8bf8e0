from django.contrib.auth.management import create_permissions
from django.db import migrations

# Permissions of their own: the report and the CSV exports (donor e-mails and amounts).
CUSTOM_PERMISSIONS = [
    ("gift", "view_reports", "Can view gift reports"),
    ("gift", "export_gifts", "Can export gifts and donors"),
]

BOOKKEEPER_PERMISSIONS = [
    ("donations", "donor", ["add", "change", "view"]),
    ("donations", "gift", ["add", "change", "view", "view_reports", "export_gifts"]),
    ("donations", "monthlygift", ["view"]),
    ("donations", "deposit", ["add", "change", "view"]),
    ("donations", "yearendstatement", ["view"]),
    ("donations", "processedevent", ["view"]),
    ("campaigns", "feeditem", ["change", "view"]),
]


def _ensure_model_permissions(apps, label):
    # Permissions are normally created after all migrations ran; create them now so
    # that the group can be given them (as campaigns/0002_editors_group does).
    app_config = apps.get_app_config(label)
    historical = getattr(app_config, "models_module", None) is None
    if historical:
        app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    if historical:
        app_config.models_module = None


def create_bookkeepers(apps, schema_editor):
    """The "Bookkeepers" group: donors, gifts, deposits, statements, reports, exports."""
    for label in ("campaigns", "donations"):
        _ensure_model_permissions(apps, label)

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for model, codename, name in CUSTOM_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label="donations", model=model)
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )

    group, _ = Group.objects.get_or_create(name="Bookkeepers")
    for app_label, model, actions in BOOKKEEPER_PERMISSIONS:
        codenames = [action if "_" in action else f"{action}_{model}" for action in actions]
        permissions = Permission.objects.filter(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=codenames,
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for the Bookkeepers group: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_bookkeepers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Bookkeepers").delete()
    apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="donations",
        codename__in=[codename for _, codename, _ in CUSTOM_PERMISSIONS],
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0001_initial"),
        ("campaigns", "0003_feeditem"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_bookkeepers, remove_bookkeepers)]
