from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self):
        from django.db.models.signals import post_save

        from campaigns.models import Match

        from . import (
            matching,
            system_checks,  # noqa: F401 (registers the system checks)
        )

        # campaigns never imports donations: the ledger follows an editor's match here.
        post_save.connect(matching.refresh_after_edit, sender=Match)
