"""The shared cache when no CACHE_URL is set: a table in the site's own database.

The rate limits (donations.ratelimit) count in the cache, so every app server must
share it; Redis (CACHE_URL) is the fast way, the database the one that needs nothing
more. `migrate` creates the table (its post_migrate signal runs `createcachetable`), so
a deploy has no extra step to forget.
"""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import db as db_cache
from django.core.cache.backends import redis as redis_cache
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


class _ReusingRedisClient(redis_cache.RedisCacheClient):
    """Django's Redis client, keeping one `redis.Redis` per connection pool.

    Django's makes a new `redis.Redis` for every cache call, and building one (its
    table of response callbacks) costs more than the round trip to Redis itself: a
    third of a millisecond on every page served from the cache. The object is
    thread-safe and only wraps its pool, so one per pool is enough.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis_cache.RedisCache):
    """Django's Redis cache (CACHE_URL=redis://...) with the client kept between calls."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ReusingRedisClient
