"""The organization's details move from each campaign to one Organization row.

Until now every campaign carried the legal name, EIN, phone and mailing address, so a
second campaign made staff type them again. The row is filled from the campaign that
was edited last (the one whose details are the most recent), then the campaign fields
go. Editors, who kept these details on the campaign, may change the new row.
"""

import campaigns.images
import campaigns.validators
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


FIELDS = {
    "legal_name": "org_legal_name",
    "ein": "org_ein",
    "phone": "org_phone",
    "check_payee": "check_payee",
    "street": "check_street",
    "suite": "check_suite",
    "city_state_zip": "check_city_state_zip",
}


def move_details_to_organization(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Organization = apps.get_model("campaigns", "Organization")
    latest = Campaign.objects.order_by("-updated_at", "-pk").first()
    if latest is None:
        return  # a new site: Organization.current() makes the row with its defaults
    Organization.objects.update_or_create(
        pk=1, defaults={ours: getattr(latest, theirs) for ours, theirs in FIELDS.items()}
    )


def copy_details_back_to_campaigns(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Organization = apps.get_model("campaigns", "Organization")
    organization = Organization.objects.filter(pk=1).first()
    if organization is not None:
        Campaign.objects.update(
            **{theirs: getattr(organization, ours) for ours, theirs in FIELDS.items()}
        )


def let_editors_change_the_details(apps, schema_editor):
    app_config = apps.get_app_config("campaigns")
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
                content_type__app_label="campaigns",
                codename__in=["change_organization", "view_organization"],
            )
        )



class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0006_spanish_copy'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.CreateModel(
            name='Organization',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('legal_name', models.CharField(default='Open Communities Alliance', help_text='As registered with the IRS; printed on every receipt.', max_length=200, validators=[campaigns.validators.single_line], verbose_name='legal name')),
                ('ein', models.CharField(blank=True, help_text='The employer identification number, as 12-3456789. Receipts print it, so donors can deduct their gifts.', max_length=10, validators=[campaigns.validators.single_line], verbose_name='EIN (federal tax number)')),
                ('check_payee', models.CharField(default='Open Communities Alliance', max_length=200, validators=[campaigns.validators.single_line], verbose_name='make checks payable to')),
                ('street', models.CharField(max_length=200, validators=[campaigns.validators.single_line], verbose_name='street address')),
                ('suite', models.CharField(blank=True, max_length=100, validators=[campaigns.validators.single_line], verbose_name='suite')),
                ('city_state_zip', models.CharField(max_length=200, validators=[campaigns.validators.single_line], verbose_name='city, state and ZIP')),
                ('phone', models.CharField(blank=True, max_length=40, validators=[campaigns.validators.single_line], verbose_name='phone')),
                ('email', models.EmailField(blank=True, help_text='Where donors can write with questions; shown on receipts.', max_length=254, verbose_name='e-mail address')),
                ('website', models.URLField(blank=True, verbose_name='website')),
                ('logo', campaigns.images.ShareImageField(blank=True, help_text='JPEG, PNG or WebP, up to 10 MB; a PNG with a transparent background works best. Leave empty to use the built-in logo.', upload_to='logo/', validators=[campaigns.images.validate_share_image], verbose_name='logo')),
                ('updated_at', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'organization details',
                'verbose_name_plural': 'organization details',
                'constraints': [models.CheckConstraint(condition=models.Q(('pk', 1)), name='organization_single_row')],
            },
        ),
        migrations.RunPython(move_details_to_organization, copy_details_back_to_campaigns),
        migrations.RunPython(let_editors_change_the_details, migrations.RunPython.noop),
        # Blank first, so that going back re-adds the columns to existing rows (then
        # copy_details_back_to_campaigns fills them in).
        migrations.AlterField(
            model_name='campaign',
            name='check_street',
            field=models.CharField(blank=True, max_length=200, validators=[campaigns.validators.single_line], verbose_name='street address'),
        ),
        migrations.AlterField(
            model_name='campaign',
            name='check_city_state_zip',
            field=models.CharField(blank=True, max_length=200, validators=[campaigns.validators.single_line], verbose_name='city, state and ZIP'),
        ),
        migrations.AlterField(
            model_name='campaign',
            name='org_ein',
            field=models.CharField(blank=True, max_length=10, validators=[campaigns.validators.single_line], verbose_name='EIN'),
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='check_city_state_zip',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='check_payee',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='check_street',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='check_suite',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='org_ein',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='org_legal_name',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='org_phone',
        ),
        migrations.AlterField(
            model_name='campaign',
            name='slug',
            field=models.SlugField(error_messages={'unique': 'Another campaign already uses this slug.'}, help_text="The end of the page's address: lowercase letters, digits and hyphens, such as spring-appeal.", max_length=80, unique=True, verbose_name='slug'),
        ),
    ]
