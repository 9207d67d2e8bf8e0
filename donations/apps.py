from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self):
        import uuid

        from campaigns import page_cache

        from . import system_checks  # noqa: F401 (registers the system checks)

        # The donation form's one-time token, different for every visitor of a
        # cached campaign page (see donations.forms.DonationForm.for_page).
        page_cache.register("pledge-token", lambda request: uuid.uuid4())
