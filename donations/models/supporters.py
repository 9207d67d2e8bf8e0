"""Consent to hear from OCA: given with a paid gift or on "My giving", withdrawn in one
click, never deleted.

Each row is one act of consent, with the time, the exact words the person agreed to
(in the language they were shown), that language and the page that showed them. A
withdrawal stamps the row (time and where it came from) rather than deleting it, so
the record says what was agreed and when it ended. A person is opted in while one of
their rows is not withdrawn.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .donors import Donor, Pledge


class UpdatesConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)


class UpdatesConsent(models.Model):
    class Withdrawal(models.TextChoices):
        LINK = "link", _("Unsubscribe link in an e-mail")
        ONE_CLICK = "one_click", _("One-click unsubscribe from the mail program")
        MY_GIVING = "my_giving", _("“My giving” page")
        MAILCHIMP = "mailchimp import", _("Mailchimp import")
        STAFF = "staff", _("Staff")

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="consents")
    # The pledge whose payment gave it (none when given on "My giving"): unique, so a
    # replayed payment never records a consent twice, nor brings back a withdrawn one.
    pledge = models.OneToOneField(
        Pledge, on_delete=models.PROTECT, null=True, blank=True, related_name="consent"
    )
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    wording = models.CharField(_("wording shown"), max_length=300)
    language = models.CharField(_("language shown"), max_length=10, choices=settings.LANGUAGES)
    source = models.CharField(_("page"), max_length=300)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_source = models.CharField(
        _("withdrawn through"), max_length=20, choices=Withdrawal, blank=True
    )

    objects = UpdatesConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("consent to updates")
        verbose_name_plural = _("consents to updates")
        indexes = [
            models.Index(
                fields=["donor"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_active_by_donor",
            )
        ]

    def __str__(self):
        return f"Consent of {self.donor} ({self.given_at:%Y-%m-%d})"

    @property
    def is_active(self):
        return self.withdrawn_at is None
