"""What the site records of its own work: Stripe events, statements, notices."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .donors import Donor, MonthlyGift, Pledge


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
    """An e-mail about a monthly gift that must go out once: "please update your card"
    after a failed charge, or the confirmation of a new amount, of a cancellation or
    of a one-time gift made monthly (unique by its `key`, one per monthly gift).

    A card notice is unique by its invoice, so Stripe's retries of a failed invoice
    (each its own `invoice.payment_failed` event) ask the donor once. A cancellation
    is unique by its `key` (one per monthly gift). An amount notice is written only
    when the amount on file actually changes, so a replayed or echoed
    `customer.subscription.updated` writes none.
    """

    class Kind(models.TextChoices):
        CARD = "card", _("Update your card")
        AMOUNT = "amount", _("Amount changed")
        CANCELED = "canceled", _("Canceled")
        UPGRADE = "upgrade", _("One-time gift made monthly")

    monthly_gift = models.ForeignKey(MonthlyGift, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.CARD)
    stripe_invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # What the e-mail states: the monthly amount as of the change.
    amount_cents = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed on"))
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("monthly gift notice")
        verbose_name_plural = _("monthly gift notices")

    def __str__(self):
        return f"{self.get_kind_display()} notice for monthly gift {self.monthly_gift_id}"


class PaymentFailureNotice(models.Model):
    """The e-mail telling a donor that their bank payment did not go through.

    Unique by the Stripe object whose payment failed (a PaymentIntent for a one-time
    gift, the first invoice of a monthly one), so however often and in whatever order
    Stripe reports the failure, the donor hears once (donations.bank_failures).
    """

    pledge = models.ForeignKey(
        Pledge, on_delete=models.PROTECT, related_name="failure_notices", verbose_name=_("pledge")
    )
    key = models.CharField(_("Stripe payment ID"), max_length=255, unique=True)
    amount_cents = models.PositiveIntegerField(_("amount"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed on"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.CharField(_("problem"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created on"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("failed payment notice")
        verbose_name_plural = _("failed payment notices")

    def __str__(self):
        return f"Failed payment notice {self.key}"
