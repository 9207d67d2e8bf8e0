"""Staff who hear about gifts: each user's choices, and each alert sent to them.

A StaffAlert is unique by (user, kind, key), the key naming what it is about (a gift,
a monthly gift, a failed invoice, a day). It is written in the transaction that books
what it reports and sent by a task after that commits; a replayed Stripe event finds
the row and sends nothing more.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaffAlertPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_alerts"
    )
    # None: no alert for single gifts.
    gifts_from_cents = models.PositiveIntegerField(
        _("e-mail me each gift of at least (cents)"), null=True, blank=True
    )
    monthly_started = models.BooleanField(_("each new monthly gift"), default=False)
    monthly_canceled = models.BooleanField(_("each cancelled monthly gift"), default=False)
    monthly_failed = models.BooleanField(_("each failed monthly charge"), default=False)
    daily_digest = models.BooleanField(_("a daily digest"), default=False)
    language = models.CharField(
        _("language of the e-mails"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("gift alert choice")
        verbose_name_plural = _("gift alert choices")

    def __str__(self):
        return f"Gift alerts of {self.user}"


class StaffAlert(models.Model):
    class Kind(models.TextChoices):
        GIFT = "gift", _("Gift")
        MONTHLY_STARTED = "monthly_started", _("New monthly gift")
        MONTHLY_CANCELED = "monthly_canceled", _("Cancelled monthly gift")
        MONTHLY_FAILED = "monthly_failed", _("Failed monthly charge")
        BANK_FAILED = "bank_failed", _("Failed bank payment")
        DIGEST = "digest", _("Daily digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gift_alerts_sent"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    # What it is about: a gift's or a monthly gift's id, an invoice id, a date.
    key = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("staff alert")
        verbose_name_plural = _("staff alerts")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="staff_alert_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key} for {self.user}"
