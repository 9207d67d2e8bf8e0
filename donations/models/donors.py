"""Donors, the pledges made through the donation form, and recurring gifts."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money
from campaigns.models import Campaign
from campaigns.validators import single_line


class DisplayChoice(models.TextChoices):
    FULL_NAME = "full", _("My full name")
    FIRST_NAME = "first", _("My first name only")
    ANONYMOUS = "anonymous", _("Anonymous (“Someone”)")
    # NationBuilder's "private donation": counted in the goal and totals, never in the
    # feed (nor in anything made from it, such as the lines of shares).
    PRIVATE = "private", _("Don’t list my gift")


def is_listed(choice):
    """Whether a gift with this display choice appears in the public feed at all."""
    return choice != DisplayChoice.PRIVATE


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
    ANNUAL = "annual", _("Yearly")


class Interval(models.TextChoices):
    """How often a recurring gift charges: Stripe's `recurring.interval` of its price."""

    MONTH = "month", _("Monthly")
    YEAR = "year", _("Yearly")


# The frequency of the form and of each gift, for the interval of its subscription.
FREQUENCY_OF_INTERVAL = {Interval.MONTH: Frequency.MONTHLY, Interval.YEAR: Frequency.ANNUAL}
INTERVAL_OF_FREQUENCY = {Frequency.MONTHLY: Interval.MONTH, Frequency.ANNUAL: Interval.YEAR}


def is_recurring(frequency):
    return frequency in INTERVAL_OF_FREQUENCY


def per_interval(amount, interval):
    """ "$25/month" or "$120/year": a recurring gift's amount with its period."""
    if interval == Interval.YEAR:
        return _("%(amount)s/year") % {"amount": amount}
    return _("%(amount)s/month") % {"amount": amount}


class PaymentMethod(models.TextChoices):
    """How the donor chose to pay on the form: Checkout then offers only that."""

    CARD = "card", _("Card or wallet")
    BANK = "bank", _("Bank account (ACH)")


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
    # The language of their latest paid pledge (donations.donors.donor_for_payment):
    # what their year-end statement is written in.
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default="en", verbose_name=_("language")
    )
    # The donor's own choice on "My giving": one cumulative statement a year instead
    # of a receipt for each monthly charge (one-time gifts and checks keep theirs).
    annual_receipt = models.BooleanField(
        _("one annual statement instead of monthly receipts"), default=False
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

    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=_("reference")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="pledges", verbose_name=_("campaign")
    )
    # Set when the pledge is paid; never from the typed address alone.
    donor = models.ForeignKey(
        Donor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        verbose_name=_("donor"),
    )
    name = models.CharField(_("name typed"), max_length=150, default="")
    email = models.EmailField(_("e-mail typed"), max_length=254, default="")
    frequency = models.CharField(
        max_length=10, choices=Frequency, default=Frequency.ONCE, verbose_name=_("frequency")
    )
    payment_method = models.CharField(
        max_length=10,
        choices=PaymentMethod,
        default=PaymentMethod.CARD,
        verbose_name=_("payment method chosen"),
    )
    gift_cents = models.PositiveIntegerField(_("gift"))
    fee_cents = models.PositiveIntegerField(_("fee covered"), default=0)
    amount_cents = models.PositiveIntegerField(_("amount charged"))
    currency = models.CharField(max_length=3, default="usd", verbose_name=_("currency"))
    display_as = models.CharField(
        max_length=10,
        choices=DisplayChoice,
        default=DisplayChoice.FULL_NAME,
        verbose_name=_("shown in the public feed as"),
    )
    public_message = models.CharField(max_length=280, blank=True, verbose_name=_("public message"))
    # "Send me occasional updates": what was ticked and the exact words it was ticked
    # under, in the language shown, and the page that showed them. It consents nothing
    # until the pledge is paid (donations.supporters.consent_from_gift).
    wants_updates = models.BooleanField(_("asked for updates"), default=False)
    updates_wording = models.CharField(
        max_length=300, blank=True, verbose_name=_("updates wording shown")
    )
    source_path = models.CharField(max_length=300, blank=True, verbose_name=_("page"))
    # The approved supporter's page the form was sent from, or whose share link opened
    # the campaign page (?via=...); its gifts are credited to it.
    fundraiser = models.ForeignKey(
        "fundraising.FundraisingPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        verbose_name=_("raised through"),
    )
    # The language of the page the form was sent from: Checkout, the pages Stripe sends
    # the donor back to, and the gift's e-mails are in it.
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default="en", verbose_name=_("language")
    )
    status = models.CharField(
        max_length=10, choices=Status, default=Status.CREATED, verbose_name=_("status")
    )
    stripe_checkout_session_id = models.CharField(
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        verbose_name=_("Stripe checkout session ID"),
    )
    # A monthly pledge made by accepting, on the thank-you page, to make this one-time
    # pledge monthly (donations.upgrades): one upgrade per gift, by this unique link.
    upgraded_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="upgrade",
        verbose_name=_("made monthly from"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created on"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")

    def __str__(self):
        return f"Pledge {self.public_id}"

    @property
    def idempotency_key(self):
        return f"pledge-{self.public_id}"

    @property
    def interval(self):
        """Stripe's `recurring.interval` for a recurring pledge ("month", "year"), or None."""
        interval = INTERVAL_OF_FREQUENCY.get(self.frequency)
        return str(interval) if interval else None


class MonthlyGift(models.Model):
    """A Stripe subscription: one recurring gift (monthly or yearly, as its `interval`
    says), each of whose charges is a Gift. Named for the first kind it held."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("Incomplete")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        CANCELED = "canceled", _("Canceled")

    # Null until its first charge is paid: a subscription's status events may come
    # first, and a Donor exists only once money arrived.
    donor = models.ForeignKey(
        Donor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="monthly_gifts",
        verbose_name=_("donor"),
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="monthly_gifts", verbose_name=_("campaign")
    )
    pledge = models.OneToOneField(
        Pledge,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monthly_gift",
        verbose_name=_("pledge"),
    )
    stripe_subscription_id = models.CharField(
        max_length=255, unique=True, verbose_name=_("Stripe subscription ID")
    )
    # The customer that owns the subscription (its card, its portal): Checkout makes
    # one per paid session, so a donor who gave twice may have two.
    stripe_customer_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("Stripe customer ID")
    )
    amount_cents = models.PositiveIntegerField(_("amount each time"))
    currency = models.CharField(max_length=3, default="usd", verbose_name=_("currency"))
    # From the pledge that started it (never changes: a new amount keeps the interval).
    interval = models.CharField(
        _("repeats"), max_length=5, choices=Interval, default=Interval.MONTH
    )
    status = models.CharField(
        max_length=12, choices=Status, default=Status.ACTIVE, verbose_name=_("status")
    )
    # Stripe's `created` time of the newest event applied to the status, so that an
    # older update arriving late cannot overwrite a newer one.
    status_as_of = models.DateTimeField(null=True, blank=True, verbose_name=_("status as of"))
    started_at = models.DateTimeField(default=timezone.now, verbose_name=_("started on"))
    canceled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("canceled on"))
    # The end of the period last paid for, by Stripe's clock (the subscription item's
    # `current_period_end`, or the paid invoice's line period): the next charge.
    next_charge_at = models.DateTimeField(_("next charge"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("recurring gift")
        verbose_name_plural = _("recurring gifts")

    def __str__(self):
        who = self.donor.name if self.donor_id else self.stripe_subscription_id
        return f"{who}: {self.amount_per_period} ({self.status})"

    @property
    def frequency(self):
        return FREQUENCY_OF_INTERVAL.get(self.interval, Frequency.MONTHLY)

    @property
    def is_yearly(self):
        return self.interval == Interval.YEAR

    @property
    def amount_per_period(self):
        """ "$25/month" or "$120/year", in the active language."""
        return per_interval(format_money(self.amount_cents, self.currency), self.interval)
