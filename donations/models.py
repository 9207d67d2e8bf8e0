"""The ledger: donors, pledges, gifts (online and by check), monthly gifts, deposits.

Money is integer cents plus a currency code. Every Stripe id that books money is a
unique column, so a replayed or concurrent event can never book it twice. Nothing is
deleted: refunds, disputes and voids change a gift's state, and `counted` says
whether it still counts toward totals, the goal and the feed.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money
from campaigns.models import Campaign
from campaigns.validators import single_line


class DisplayChoice(models.TextChoices):
    FULL_NAME = "full", _("My full name")
    FIRST_NAME = "first", _("My first name only")
    ANONYMOUS = "anonymous", _("Anonymous (“Someone”)")


def first_name(name):
    return name.split()[0] if name.strip() else ""


def public_name(name, choice):
    """The name shown in the public feed for a display choice; "" means anonymous."""
    if choice == DisplayChoice.FULL_NAME:
        return name.strip()
    if choice == DisplayChoice.FIRST_NAME:
        return first_name(name)
    return ""


class Frequency(models.TextChoices):
    ONCE = "once", _("One time")
    MONTHLY = "monthly", _("Monthly")


class Donor(models.Model):
    """A person who gave, once per e-mail address (compared without case)."""

    name = models.CharField(_("name"), max_length=150, validators=[single_line])
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    street = models.CharField(
        _("street address"), max_length=200, blank=True, validators=[single_line]
    )
    city = models.CharField(_("city"), max_length=100, blank=True, validators=[single_line])
    state = models.CharField(_("state"), max_length=50, blank=True, validators=[single_line])
    postal_code = models.CharField(
        _("ZIP code"), max_length=20, blank=True, validators=[single_line]
    )
    stripe_customer_id = models.CharField(
        _("Stripe customer"), max_length=255, unique=True, null=True, blank=True
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="donor_email_unique_ci",
                violation_error_message=_("A donor with this e-mail address already exists."),
            )
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>" if self.email else self.name

    @property
    def first_name(self):
        return first_name(self.name)


class Pledge(models.Model):
    """One submission of the donation form, before and after Stripe Checkout.

    It keeps what was typed (name, address, display choice, message) and nothing
    else: anyone can type any address, so a pledge is tied to a Donor only once it
    was paid (see donations.donors.donor_for_payment).
    """

    class Status(models.TextChoices):
        CREATED = "created", _("Created")
        OPEN = "open", _("Checkout open")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Could not start checkout")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges")
    # Set when the pledge is paid; never from the typed address alone.
    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, null=True, blank=True, related_name="pledges"
    )
    name = models.CharField(_("name typed"), max_length=150, default="")
    email = models.EmailField(_("e-mail typed"), max_length=254, default="")
    frequency = models.CharField(max_length=10, choices=Frequency, default=Frequency.ONCE)
    gift_cents = models.PositiveIntegerField(_("gift"))
    fee_cents = models.PositiveIntegerField(_("fee covered"), default=0)
    amount_cents = models.PositiveIntegerField(_("amount charged"))
    currency = models.CharField(max_length=3, default="usd")
    display_as = models.CharField(
        max_length=10, choices=DisplayChoice, default=DisplayChoice.FULL_NAME
    )
    public_message = models.CharField(max_length=280, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.CREATED)
    stripe_checkout_session_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")

    def __str__(self):
        return f"Pledge {self.public_id}"

    @property
    def idempotency_key(self):
        return f"pledge-{self.public_id}"


class MonthlyGift(models.Model):
    """A Stripe subscription: one monthly gift, each of whose charges is a Gift."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("Incomplete")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        CANCELED = "canceled", _("Canceled")

    # Null until its first charge is paid: a subscription's status events may come
    # first, and a Donor exists only once money arrived.
    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, null=True, blank=True, related_name="monthly_gifts"
    )
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="monthly_gifts")
    pledge = models.OneToOneField(
        Pledge, on_delete=models.SET_NULL, null=True, blank=True, related_name="monthly_gift"
    )
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    # The customer that owns the subscription (its card, its portal): Checkout makes
    # one per paid session, so a donor who gave twice may have two.
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    amount_cents = models.PositiveIntegerField(_("monthly amount"))
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=12, choices=Status, default=Status.ACTIVE)
    # Stripe's `created` time of the newest event applied to the status, so that an
    # older update arriving late cannot overwrite a newer one.
    status_as_of = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")

    def __str__(self):
        who = self.donor.name if self.donor_id else self.stripe_subscription_id
        return f"{who}: {format_money(self.amount_cents, self.currency)}/month ({self.status})"


class Deposit(models.Model):
    """A bank deposit of mailed checks."""

    deposited_on = models.DateField(_("deposit date"), default=timezone.localdate)
    bank_reference = models.CharField(
        _("bank reference"), max_length=100, blank=True, validators=[single_line]
    )
    expected_total_cents = models.PositiveIntegerField(_("expected total (cents)"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deposited_on", "-pk"]
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")

    def __str__(self):
        ref = f" ({self.bank_reference})" if self.bank_reference else ""
        return f"Deposit of {self.deposited_on}{ref}"

    @property
    def is_closed(self):
        return self.closed_at is not None


class GiftQuerySet(models.QuerySet):
    def counted(self):
        return self.filter(counted=True)


class Gift(models.Model):
    """One booked gift: a one-time payment, one monthly charge, or one check."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        WALLET = "wallet", _("Wallet (Apple Pay, Google Pay, Link)")
        BANK = "bank", _("Bank transfer")
        CHECK = "check", _("Check")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending (payment confirming)")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed (on hold)")
        DISPUTE_LOST = "dispute_lost", _("Dispute lost")
        FAILED = "failed", _("Failed")
        VOIDED = "voided", _("Voided")

    class Payment(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Dispute(models.TextChoices):
        NONE = "", _("None")
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Receipt(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="gifts")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="gifts")
    pledge = models.ForeignKey(
        Pledge, on_delete=models.SET_NULL, null=True, blank=True, related_name="gifts"
    )
    monthly_gift = models.ForeignKey(
        MonthlyGift, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    frequency = models.CharField(max_length=10, choices=Frequency, default=Frequency.ONCE)
    # The first charge of a monthly gift: the one the feed shows as "started a monthly
    # donation" (renewals stay off the feed).
    starts_monthly = models.BooleanField(default=False)
    method = models.CharField(max_length=10, choices=Method, default=Method.CARD)
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="usd")
    given_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    # The facts that make up a gift's state. Each is merged so that events applied in
    # any order give the same result; `status` and `counted` are derived from them.
    payment = models.CharField(max_length=10, choices=Payment, default=Payment.SUCCEEDED)
    refunded_cents = models.PositiveIntegerField(_("refunded (cents)"), default=0)
    dispute = models.CharField(max_length=5, choices=Dispute, default=Dispute.NONE, blank=True)
    stripe_dispute_id = models.CharField(max_length=255, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(
        _("void reason"), max_length=200, blank=True, validators=[single_line]
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.SUCCEEDED)
    counted = models.BooleanField(default=True, editable=False)

    # Who gave, as typed in the pledge that was paid (checks: the donor's name when
    # logged). Receipts, the thank-you page, the feed and exports read it, so a later
    # pledge with the same address, paid or not, never renames this gift.
    donor_name = models.CharField(
        _("name on the gift"), max_length=150, blank=True, validators=[single_line]
    )
    # Public display, copied from the pledge (checks: anonymous unless asked).
    display_as = models.CharField(
        max_length=10, choices=DisplayChoice, default=DisplayChoice.ANONYMOUS
    )
    public_message = models.CharField(max_length=280, blank=True)

    # Stripe references: unique, so a gift is booked once whatever arrives twice.
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_charge_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    # Checks.
    check_number = models.CharField(
        _("check number"), max_length=30, blank=True, validators=[single_line]
    )
    check_date = models.DateField(_("check date"), null=True, blank=True)
    received_on = models.DateField(_("date received"), null=True, blank=True)
    deposit = models.ForeignKey(
        Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="gifts"
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True, validators=[single_line])
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The acknowledgement sent to the donor.
    receipt_status = models.CharField(max_length=12, choices=Receipt, default=Receipt.PENDING)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_attempts = models.PositiveIntegerField(default=0)
    receipt_error = models.CharField(max_length=300, blank=True)

    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = GiftQuerySet.as_manager()

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        indexes = [
            models.Index(fields=["campaign", "counted"], name="gift_campaign_counted"),
            models.Index(fields=["receipt_status"], name="gift_receipt_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="gift_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_cents__lte=models.F("amount_cents")),
                name="gift_refund_within_amount",
            ),
        ]

    def __str__(self):
        amount = format_money(self.amount_cents, self.currency, always_cents=True)
        return f"{self.get_method_display()} gift of {amount} by {self.donor_name or self.donor}"

    def save(self, *args, **kwargs):
        if not self.donor_name and self.donor_id:
            # A gift written without a name (a bookkeeper's, a fixture's) is given
            # under the name on file when it is recorded, and keeps it.
            self.donor_name = self.donor.name
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:donations_gift_change", args=[self.pk])

    @property
    def net_cents(self):
        return self.amount_cents - self.refunded_cents if self.counted else 0

    @property
    def public_name(self):
        """The name the feed shows for this gift; "" means anonymous."""
        return public_name(self.donor_name, self.display_as)

    @property
    def feed_key(self):
        return f"gift:{self.pk}"

    @property
    def reference(self):
        """The outside reference of the money: PaymentIntent, Invoice or check number."""
        return self.stripe_payment_intent_id or self.stripe_invoice_id or self.check_number

    def derive_status(self):
        """Sets `status` and `counted` from the facts; returns whether `counted` changed."""
        if self.voided_at:
            status = self.Status.VOIDED
        elif self.payment == self.Payment.PENDING:
            status = self.Status.PENDING
        elif self.payment == self.Payment.FAILED:
            status = self.Status.FAILED
        elif self.dispute == self.Dispute.OPEN:
            status = self.Status.DISPUTED
        elif self.dispute == self.Dispute.LOST:
            status = self.Status.DISPUTE_LOST
        elif self.refunded_cents >= self.amount_cents:
            status = self.Status.REFUNDED
        elif self.refunded_cents:
            status = self.Status.PARTIALLY_REFUNDED
        else:
            status = self.Status.SUCCEEDED
        was_counted = self.counted
        self.status = status
        self.counted = status in (self.Status.SUCCEEDED, self.Status.PARTIALLY_REFUNDED)
        return was_counted != self.counted


class ProcessedEvent(models.Model):
    """A Stripe event already applied; stored in the transaction of its effects."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text=_("When Stripe created the event."))
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-processed_at"]
        verbose_name = _("processed Stripe event")
        verbose_name_plural = _("processed Stripe events")

    def __str__(self):
        return f"{self.type} {self.event_id}"


class PendingAdjustment(models.Model):
    """A refund or dispute that arrived before the payment it concerns was booked.

    Stripe does not promise any order. Such an event is kept here and applied by the
    booking of its payment, so the ledger ends the same in every order of arrival.
    """

    stripe_payment_intent_id = models.CharField(max_length=255, db_index=True)
    event_id = models.CharField(max_length=255, unique=True)
    payload = models.JSONField()
    created = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.payload.get('type')} for {self.stripe_payment_intent_id}"


class YearEndStatement(models.Model):
    """One statement per donor and year, so running the command twice sends once."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="statements")
    year = models.PositiveIntegerField()
    total_cents = models.PositiveIntegerField()
    gift_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "donor__name"]
        constraints = [
            models.UniqueConstraint(fields=["donor", "year"], name="statement_once_per_year")
        ]

    def __str__(self):
        return f"{self.year} statement for {self.donor}"


class MonthlyNotice(models.Model):
    """A "please update your card" e-mail about one failed monthly charge.

    The invoice id is unique, so Stripe's retries of a failed invoice (each its own
    `invoice.payment_failed` event) ask the donor once.
    """

    monthly_gift = models.ForeignKey(MonthlyGift, on_delete=models.PROTECT, related_name="notices")
    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("card update notice")
        verbose_name_plural = _("card update notices")

    def __str__(self):
        return f"Card update notice for {self.stripe_invoice_id}"
