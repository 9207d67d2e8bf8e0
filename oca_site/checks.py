"""Deploy checks of the site's public address and of the cache that the rate limits
count in.

SITE_URL goes into every e-mail's links and Stripe's return addresses, which no page
of the site shows: left at its development default, donors would pay and be sent back
to http://127.0.0.1:8000, and nothing would fail before that.

With DEBUG off several app servers (gunicorn's workers) serve the site. A cache in each
process's own memory would count each worker's requests apart, and "10 an hour" would
really be 10 per worker; a cache table that was never created makes every rate limit
let everyone through (a cache failure must not stop a donor, see donations.ratelimit).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import BaseDatabaseCache
from django.core.checks import Error, Tags, Warning, register
from django.db import connections, router
from django.http.request import validate_host

PROCESS_LOCAL = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    parts = urlsplit(settings.SITE_URL)
    problems = []
    if parts.scheme != "https":
        problems.append("does not start with https://")
    if not parts.hostname or parts.hostname in ("127.0.0.1", "localhost"):
        problems.append("names no public host")
    elif not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        problems.append("names a host that ALLOWED_HOSTS does not allow")
    return [
        Warning(
            f"SITE_URL ({settings.SITE_URL}) {problem}: e-mails and Stripe's return "
            "addresses would send donors there.",
            hint="Set SITE_URL to the site's public address, e.g. https://give.ctoca.org "
            "(see .env.example).",
            id="oca_site.W002",
        )
        for problem in problems
    ]


@register(Tags.caches, Tags.security, deploy=True)
def check_cache_is_shared(app_configs, **kwargs):
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PROCESS_LOCAL:
        return []
    return [
        Warning(
            f"The default cache ({backend.rsplit('.', 1)[-1]}) is not shared between "
            "processes: each app server would count the rate limits on its own.",
            hint="Set CACHE_URL to a Redis server (redis://...), or leave it unset to use "
            "the database's cache table.",
            id="oca_site.W001",
        )
    ]


@register(Tags.caches, Tags.database, deploy=True)
def check_cache_table_exists(app_configs, databases=None, **kwargs):
    # Tagged "database": like Django's own database checks, it runs only when asked to
    # look at a database (`check --deploy --database default`), and `migrate` runs no
    # deploy checks, so a fresh database is not reported before the table is made.
    errors = []
    for alias in settings.CACHES:
        cache = caches[alias]
        if not isinstance(cache, BaseDatabaseCache):
            continue
        database = router.db_for_write(cache.cache_model_class)
        if database not in (databases or ()):
            continue
        connection = connections[database]
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        if cache._table not in tables:
            errors.append(
                Error(
                    f"The cache table {cache._table!r} of cache {alias!r} does not exist "
                    f"in database {database!r}.",
                    hint="Run `python manage.py migrate`, which creates it.",
                    id="oca_site.E001",
                )
            )
    return errors
