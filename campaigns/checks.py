"""Checks of the organization's details and of the sites that may frame the donate button.

A deploy check of the organization's details: receipts must carry the real EIN.

A receipt with the demo's 00-0000000 (or none) does not let a donor deduct their gift.
Tagged "database", like Django's own database checks: it runs when asked to look at a
database (`check --deploy --database default`), and `migrate` runs no deploy checks,
so a fresh database is not reported before its tables exist.
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError, connections, router

from .embed import origin_problem
from .organization import Organization


@register(Tags.security)
def check_embed_allowed_origins(app_configs, **kwargs):
    """Each of EMBED_ALLOWED_ORIGINS must be an origin a browser can match, such as
    https://www.ctoca.org: a typo would quietly keep the button from showing there, and
    anything else written into the page's policy could open it to more sites."""
    return [
        Error(
            f"EMBED_ALLOWED_ORIGINS holds {origin!r}, which cannot frame the donate "
            f"button: {problem}.",
            hint="List the sites that may frame it, comma-separated, as "
            "https://www.ctoca.org,https://ctoca.org (see .env.example).",
            id="campaigns.E001",
        )
        for origin in settings.EMBED_ALLOWED_ORIGINS
        if (problem := origin_problem(origin))
    ]


@register(Tags.database, deploy=True)
def check_organization_ein(app_configs, databases=None, **kwargs):
    database = router.db_for_read(Organization)
    if database not in (databases or ()):
        return []
    connection = connections[database]
    try:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        if Organization._meta.db_table not in tables:
            return []  # not migrated yet: the migration checks say so
        organization = Organization.objects.using(database).filter(pk=1).first()
    except DatabaseError:
        return []  # Django's own checks report a database that does not answer
    if organization is not None and not organization.ein_is_placeholder:
        return []
    return [
        Warning(
            "The organization's EIN is not set (it is empty or the placeholder 00-0000000): "
            "receipts would not let donors deduct their gifts.",
            hint="Enter the real EIN in the admin, under Organization details.",
            id="campaigns.W001",
        )
    ]
