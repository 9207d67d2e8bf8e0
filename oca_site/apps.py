from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SiteConfig(AppConfig):
    """The project itself: its system checks, and the cache table `migrate` creates."""

    name = "oca_site"
    verbose_name = "OCA giving site"

    def ready(self):
        from . import cache, checks  # noqa: F401 (registers the system checks)

        post_migrate.connect(cache.create_cache_table, dispatch_uid="oca_site.cache_table")
