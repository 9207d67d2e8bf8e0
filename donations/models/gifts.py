"""Gifts: one-time payments, monthly charges and offline gifts, with the facts of each."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_date, format_money
from campaigns.models import Campaign
from campaigns.validators import single_line

from .donors import DisplayChoice, Donor, Frequency, MonthlyGift, Pledge, public_name
from .tributes import TributeKind, tribute_line

# Far above any real check ($10 million), well below the integer column's limit.
MAX_CHECK_CENTS = 1_000_000_000


class GiftQuerySet(models.QuerySet):
    def counted(self):
        return self.filter(counted=True)


class Gift(models.Model):
    """One booked gift: a one-time payment, one monthly charge, or one offline gift."""

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        WALLET = "wallet", _("Wallet (Apple Pay, Google Pay, Link)")
        BANK = "bank", _("Bank account (ACH)")
        CHECK = "check", _("Check")
        OTHER = "other", _("Other")
        # Gifts a bookkeeper logs (donations.offline), beside checks.
        CASH = "cash", _("Cash")
        TRANSFER = "transfer", _("Bank transfer (Zelle, wire)")
        DAF = "daf", _("Donor-advised fund grant")
        STOCK = "stock", _("Stock")
        IN_KIND = "in_kind", _("In-kind (goods or services)")

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

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="gifts", verbose_name=_("campaign")
    )
    donor = models.ForeignKey(
        Donor, on_delete=models.PROTECT, related_name="gifts", verbose_name=_("donor")
    )
    pledge = models.ForeignKey(
        Pledge,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("pledge"),
    )
    monthly_gift = models.ForeignKey(
        MonthlyGift,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charges",
        verbose_name=_("recurring gift"),
    )
    # The supporter's page the gift was made through (copied from its pledge by the
    # ledger): it counts toward that page's goal and shows "via" in the feed.
    fundraiser = models.ForeignKey(
        "fundraising.FundraisingPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gifts",
        verbose_name=_("raised through"),
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency, default=Frequency.ONCE, verbose_name=_("frequency")
    )
    # The first charge of a recurring gift (monthly or yearly): the one the feed shows
    # as "started a monthly donation" or "started a yearly donation" (renewals stay off
    # the feed).
    starts_monthly = models.BooleanField(
        default=False, verbose_name=_("first charge of a recurring gift")
    )
    method = models.CharField(
        max_length=10, choices=Method, default=Method.CARD, verbose_name=_("payment method")
    )
    amount_cents = models.PositiveIntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="usd", verbose_name=_("currency"))
    given_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    # The facts that make up a gift's state. Each is merged so that events applied in
    # any order give the same result; `status` and `counted` are derived from them.
    payment = models.CharField(
        max_length=10, choices=Payment, default=Payment.SUCCEEDED, verbose_name=_("payment")
    )
    refunded_cents = models.PositiveIntegerField(_("refunded (cents)"), default=0)
    dispute = models.CharField(
        max_length=5, choices=Dispute, default=Dispute.NONE, blank=True, verbose_name=_("dispute")
    )
    stripe_dispute_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("Stripe dispute ID")
    )
    voided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("voided on"))
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.CharField(
        _("void reason"), max_length=200, blank=True, validators=[single_line]
    )
    status = models.CharField(
        max_length=20, choices=Status, default=Status.SUCCEEDED, verbose_name=_("status")
    )
    counted = models.BooleanField(default=True, editable=False)

    # Who gave, as typed in the pledge that was paid (checks: the donor's name when
    # logged). Receipts, the thank-you page, the feed and exports read it, so a later
    # pledge with the same address, paid or not, never renames this gift.
    donor_name = models.CharField(
        _("name on the gift"), max_length=150, blank=True, validators=[single_line]
    )
    # Public display, copied from the pledge (checks: anonymous unless asked).
    display_as = models.CharField(
        max_length=10,
        choices=DisplayChoice,
        default=DisplayChoice.ANONYMOUS,
        verbose_name=_("shown in the public feed as"),
    )
    public_message = models.CharField(max_length=280, blank=True, verbose_name=_("public message"))
    # In honor or in memory of someone, copied from the pledge onto the gift it paid
    # (the first charge of a monthly gift): its receipt, the feed and exports say so.
    tribute_kind = models.CharField(
        max_length=10, choices=TributeKind, blank=True, verbose_name=_("tribute")
    )
    tribute_name = models.CharField(
        _("in honor or memory of"), max_length=150, blank=True, validators=[single_line]
    )
    # The language its receipt is written in: its pledge's (checks: the donor's).
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default="en", verbose_name=_("language")
    )

    # Stripe references: unique, so a gift is booked once whatever arrives twice.
    stripe_payment_intent_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True, verbose_name=_("Stripe payment ID")
    )
    stripe_invoice_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True, verbose_name=_("Stripe invoice ID")
    )
    stripe_charge_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True, verbose_name=_("Stripe charge ID")
    )
    # The charge's balance transaction at Stripe, with Stripe's fee and the net it
    # added to the balance (donations.balance); null until Stripe's figures are known.
    stripe_balance_transaction_id = models.CharField(
        _("balance transaction"), max_length=255, unique=True, null=True, blank=True
    )
    stripe_fee_cents = models.IntegerField(_("Stripe fee (cents)"), null=True, blank=True)
    stripe_net_cents = models.IntegerField(_("net of the charge (cents)"), null=True, blank=True)
    card_brand = models.CharField(max_length=20, blank=True, verbose_name=_("card brand"))
    card_last4 = models.CharField(max_length=4, blank=True, verbose_name=_("card's last 4 digits"))

    # Checks.
    check_number = models.CharField(
        _("check number"), max_length=30, blank=True, validators=[single_line]
    )
    check_date = models.DateField(_("check date"), null=True, blank=True)
    received_on = models.DateField(_("date received"), null=True, blank=True)
    deposit = models.ForeignKey(
        "Deposit", on_delete=models.PROTECT, null=True, blank=True, related_name="gifts"
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True, validators=[single_line])
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )

    # The acknowledgement sent to the donor.
    receipt_status = models.CharField(
        max_length=12, choices=Receipt, default=Receipt.PENDING, verbose_name=_("receipt")
    )
    receipt_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("receipt sent on"))
    receipt_attempts = models.PositiveIntegerField(default=0, verbose_name=_("receipt attempts"))
    receipt_error = models.CharField(max_length=300, blank=True, verbose_name=_("receipt problem"))

    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded on"))

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
            # An in-kind gift states no value (its estimate stays on OfflineDetails),
            # so it adds nothing to the money raised; every other gift is money.
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0) | models.Q(method="in_kind", amount_cents=0),
                name="gift_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_cents__lte=models.F("amount_cents")),
                name="gift_refund_within_amount",
            ),
        ]

    def __str__(self):
        if self.method == self.Method.IN_KIND:
            return _("In-kind gift by %(donor)s") % {"donor": self.donor_name or self.donor}
        amount = format_money(self.amount_cents, self.currency, always_cents=True)
        return _("%(method)s gift of %(amount)s by %(donor)s") % {
            "method": self.get_method_display(),
            "amount": amount,
            "donor": self.donor_name or self.donor,
        }

    def save(self, *args, **kwargs):
        if not self.donor_name and self.donor_id:
            # A gift written without a name (a bookkeeper's, a fixture's) is given
            # under the name on file when it is recorded, and keeps it.
            self.donor_name = self.donor.name
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("admin:donations_gift_change", args=[self.pk])

    @property
    def is_offline(self):
        """Whether a bookkeeper logged it (check, cash, transfer, grant, stock, in kind)."""
        return self.method in OFFLINE_METHODS

    @property
    def net_cents(self):
        return self.amount_cents - self.refunded_cents if self.counted else 0

    @property
    def public_name(self):
        """The name the feed shows for this gift; "" means anonymous."""
        return public_name(self.donor_name, self.display_as)

    @property
    def tribute_line(self):
        """The line "In memory of Rosa" in the active language; "" without a tribute."""
        return tribute_line(self.tribute_kind, self.tribute_name)

    @property
    def feed_key(self):
        return f"gift:{self.pk}"

    @property
    def reference(self):
        """The outside reference of the money: PaymentIntent, Invoice, check number, or
        an offline gift's own (a transfer's confirmation, a grant's ID, the shares)."""
        if self.stripe_payment_intent_id or self.stripe_invoice_id or self.check_number:
            return self.stripe_payment_intent_id or self.stripe_invoice_id or self.check_number
        details = getattr(self, "offline_details", None)
        return details.reference_text if details is not None else ""

    # Merging Stripe's facts ----------------------------------------------------------
    #
    # Each merge moves a fact one way only, so that events applied twice, or in any
    # order, leave the same gift. The caller derives the status and saves.

    def merge_payment(self, payment):
        """A payment that succeeded or failed is final; pending only fills an unknown state."""
        if self.payment not in (self.Payment.SUCCEEDED, self.Payment.FAILED):
            self.payment = payment

    def merge_refund(self, amount_refunded, charge_id):
        """Stripe sends the cumulative amount refunded: refunds only grow, the largest wins.

        Never more than the gift itself.
        """
        self.refunded_cents = max(self.refunded_cents, min(amount_refunded, self.amount_cents))
        self.stripe_charge_id = self.stripe_charge_id or charge_id

    def merge_dispute(self, dispute_id, *, closed, lost):
        """A dispute is open until it closes, then won or lost, and never reopens.

        A late `charge.dispute.created` after the close changes nothing. A dispute
        closed without being lost counts as won; so does an inquiry that never became
        a dispute (`warning_closed`).
        """
        if self.dispute in (self.Dispute.WON, self.Dispute.LOST):
            return
        if closed:
            self.dispute = self.Dispute.LOST if lost else self.Dispute.WON
        else:
            self.dispute = self.Dispute.OPEN
        self.stripe_dispute_id = dispute_id or self.stripe_dispute_id

    # Offline gifts -------------------------------------------------------------------

    def clean(self):
        """The rules of an offline gift as a bookkeeper logs or corrects it.

        Run by the admin's forms and by donations.checks before saving; the rules of
        each kind's own details are OfflineDetails.clean(). An online gift's facts
        come from Stripe and are not checked here.
        """
        if not self.is_offline:
            return
        errors = {}
        if self.method == self.Method.IN_KIND:
            if self.amount_cents:
                errors["amount_cents"] = ValidationError(
                    _("An in-kind gift states no amount; enter its estimate instead."),
                    code="in_kind_amount",
                )
        elif self.amount_cents is None or self.amount_cents <= 0:
            errors["amount_cents"] = ValidationError(
                _("The amount must be more than $0. To take back a gift, void it."),
                code="not_positive",
            )
        elif self.amount_cents > MAX_CHECK_CENTS:
            errors["amount_cents"] = ValidationError(
                _("That amount is too large to be a check.")
                if self.method == self.Method.CHECK
                else _("That amount is too large for one gift."),
                code="too_large",
            )
        today = timezone.localdate()
        if self.received_on is None:
            errors["received_on"] = ValidationError(
                _("Enter the date the check arrived.")
                if self.method == self.Method.CHECK
                else _("Enter the date the gift was received."),
                code="required",
            )
        elif self.received_on > today:
            errors["received_on"] = ValidationError(
                _("The date received cannot be in the future (today is %(today)s).")
                % {"today": format_date(today)},
                code="future",
            )
        if self.method == self.Method.CHECK and not (self.check_number or "").strip():
            errors["check_number"] = ValidationError(_("Enter the check number."), code="required")
        if self.deposit_id and self.method not in DEPOSIT_METHODS:
            errors["deposit"] = ValidationError(
                _("Only checks, cash and grants paid by check go into a bank deposit."),
                code="not_deposited",
            )
        if errors:
            raise ValidationError(errors)

    def void(self, reason, user):
        """Voids a bounced or mistaken offline gift: its row stays, its money stops counting.

        Sets voided_at/by/reason and the status; the caller saves it and takes it out
        of the totals, the goal and the feed (donations.checks.void_gift). Refuses an
        online gift, and a gift already voided, so that nothing is voided twice.
        """
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationError(
                _("Give the reason for voiding, such as “bounced check”."), code="required"
            )
        max_length = self._meta.get_field("void_reason").max_length
        if len(reason) > max_length:
            raise ValidationError(
                _("Keep the reason under %(max)s characters.") % {"max": max_length},
                code="too_long",
            )
        if not self.is_offline:
            raise ValidationError(
                _("Only checks can be voided; refund an online gift in Stripe."),
                code="not_a_check",
            )
        if self.voided_at:
            if self.method == self.Method.CHECK:
                message = _("Check no. %(number)s was already voided on %(date)s.")
            else:
                message = _("This gift was already voided on %(date)s.")
            raise ValidationError(
                message % {"number": self.check_number, "date": format_date(self.voided_at)},
                code="already_voided",
            )
        self.voided_at = timezone.now()
        self.voided_by = user
        self.void_reason = reason
        self.derive_status()

    # Status --------------------------------------------------------------------------

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
        elif self.refunded_cents and self.refunded_cents >= self.amount_cents:
            status = self.Status.REFUNDED
        elif self.refunded_cents:
            status = self.Status.PARTIALLY_REFUNDED
        else:
            status = self.Status.SUCCEEDED
        was_counted = self.counted
        self.status = status
        self.counted = status in (self.Status.SUCCEEDED, self.Status.PARTIALLY_REFUNDED)
        return was_counted != self.counted


# The methods a bookkeeper logs by hand; the others come from Stripe.
OFFLINE_METHODS = (
    Gift.Method.CHECK,
    Gift.Method.CASH,
    Gift.Method.TRANSFER,
    Gift.Method.DAF,
    Gift.Method.STOCK,
    Gift.Method.IN_KIND,
)
# The methods whose money may go to the bank on a deposit slip: checks, cash, and a
# donor-advised fund's grant when the fund mails it as a check (one sent by ACH or
# wire stays out, as a bank transfer does: it reaches the bank on its own, and its
# reference on the gift matches the bank's line). Stock goes to a brokerage account
# and goods or services never reach a bank: neither joins a deposit.
DEPOSIT_METHODS = (Gift.Method.CHECK, Gift.Method.CASH, Gift.Method.DAF)
# Offline gifts that reach the bank as a line of their own, not on a deposit slip
# (a fund's grant only when it is in no deposit: one mailed as a check joins one).
DIRECT_TO_BANK_METHODS = (Gift.Method.TRANSFER, Gift.Method.DAF)
