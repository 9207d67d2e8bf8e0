"""What the site records of its own work: Stripe events, statements, notices."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .donors import Donor, MonthlyGift


class ProcessedEvent(models.Model):
    """A Stripe event already applied; stored in the transaction of its effects."""

    event_id = models.CharField(max_length=255, unique=True, verbose_name=_("Stripe event ID"))
    type = models.CharField(max_length=100, verbose_name=_("event type"))
    created = models.DateTimeField(
        help_text=_("When Stripe created the event."), verbose_name=_("sent by Stripe on")
    )
    processed_at = models.DateTimeField(default=timezone.now, verbose_name=_("processed on"))

    class Meta:
        ordering = ["-processed_at"]
        verbose_name = _("Stripe event received")
        verbose_name_plural = _("Stripe events received")

    def __str__(self):
        return f"{self.type} {self.event_id}"


class PendingAdjustment(models.Model):
    """A refund or dispute that arrived before the payment it concerns was booked.

    Stripe does not promise any order. Such an event is kept here and applied by the
    booking of its payment, so the ledger ends the same in every order of arrival.
    """

    stripe_payment_intent_id = models.CharField(max_length=255, db_index=True)
    event_id = models.CharField(max_length=255, unique=True, verbose_name=_("Stripe event ID"))
    payload = models.JSONField()
    created = models.DateTimeField(verbose_name=_("sent by Stripe on"))

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.payload.get('type')} for {self.stripe_payment_intent_id}"


class YearEndStatement(models.Model):
    """One statement per donor and year, so running the command twice sends once."""

    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="statements", verbose_name=_("donor")
    )
    year = models.PositiveIntegerField(verbose_name=_("year"))
    total_cents = models.PositiveIntegerField(verbose_name=_("total (cents)"))
    gift_count = models.PositiveIntegerField(verbose_name=_("gifts"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed on"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "donor__name"]
        verbose_name = _("year-end statement")
        verbose_name_plural = _("year-end statements")
        constraints = [
            models.UniqueConstraint(fields=["donor", "year"], name="statement_once_per_year")
        ]

    def __str__(self):
        return _("%(year)s statement for %(donor)s") % {"year": self.year, "donor": self.donor}


class MonthlyNotice(models.Model):
    """A "please update your card" e-mail about one failed monthly charge.

    The invoice id is unique, so Stripe's retries of a failed invoice (each its own
    `invoice.payment_failed` event) ask the donor once.
    """

    monthly_gift = models.ForeignKey(MonthlyGift, on_delete=models.PROTECT, related_name="notices")
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed on"))
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("card update notice")
        verbose_name_plural = _("card update notices")

    def __str__(self):
        return f"Card update notice for {self.stripe_invoice_id}"
