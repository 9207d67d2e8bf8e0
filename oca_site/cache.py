"""The shared cache when no CACHE_URL is set: a table in the site's own database.

The rate limits (donations.ratelimit) count in the cache, so every app server must
share it; Redis (CACHE_URL) is the fast way, the database the one that needs nothing
more. `migrate` creates the table (its post_migrate signal runs `createcachetable`), so
a deploy has no extra step to forget.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import db as db_cache
from django.core.management import call_command
from django.db import connections, router, transaction


class DatabaseCache(db_cache.DatabaseCache):
    """Django's database cache, with an incr() that loses no count.

    Django's own reads the value and writes it back plus one: two app servers counting
    the same address at once both read 3 and both write 4, and a burst of posts gets
    past the rate limit. Here the row is locked first, so the second waits for the
    first to commit and then reads 4. (SQLite has no row locks: several app servers need
    PostgreSQL anyway.)
    """

    def incr(self, key, delta=1, version=None):
        database = router.db_for_write(self.cache_model_class)
        connection = connections[database]
        if not connection.features.has_select_for_update:
            return super().incr(key, delta, version)
        table, column = map(connection.ops.quote_name, (self._table, "cache_key"))
        lock = f"SELECT 1 FROM {table} WHERE {column} = %s FOR UPDATE"  # noqa: S608 (names quoted, key a parameter)
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(lock, [self.make_and_validate_key(key, version=version)])
            return super().incr(key, delta, version)


def create_cache_table(using, verbosity=1, **kwargs):
    """post_migrate: creates the database cache's table if it is missing.

    The signal comes once per app; only the first call of a migrate finds it missing.
    """
    tables = {
        caches[alias]._table
        for alias in settings.CACHES
        if isinstance(caches[alias], db_cache.BaseDatabaseCache)
    }
    if tables - set(connections[using].introspection.table_names()):
        call_command("createcachetable", database=using, verbosity=verbosity)
