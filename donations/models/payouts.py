"""Money at Stripe on its way to the bank: balance transactions and payouts.

Every movement of money in the Stripe balance is a balance transaction (`txn_...`):
a charge (gross, Stripe's fee, net), a refund, a dispute (the amount taken back and
its fee), a dispute reversal, a Stripe fee, an adjustment, and the payout itself.
`BalanceTransaction` keeps one row per transaction id (unique), so a replayed event
or a second listing books it once. Automatic payouts sweep the available balance to
the bank: `StripePayout` is one of them, and its lines are the transactions it paid
out, whose nets add up to what reached the bank (or the payout is flagged).

A Stripe payout is shown as a Deposit of kind `stripe_payout` (one Deposits view for
checks and payouts); the Deposit row carries the date and amount the bank shows and
this model the facts from Stripe.

For the reconciliation and month-end code: `BalanceTransaction.gift` is null for a
transaction whose charge the ledger does not know (yet); `payout` is null until a
payout lists it. `StripePayout.reached_bank` says whether its amount counts as
deposited (paid, not failed or canceled). Amounts are signed integer cents.
"""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money

from .deposits import Deposit
from .gifts import Gift


class BalanceTransaction(models.Model):
    """One Stripe balance transaction (`txn_...`), booked once by its id.

    `kind` is what it is to the ledger, read from Stripe's `reporting_category`
    (or its `type`); `amount - fee = net` as Stripe states them. `gift` is the gift
    whose charge it concerns (its charge, a refund of it, a dispute on it), null
    while that charge is unknown to the ledger.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Gift (charge)")
        REFUND = "refund", _("Refund")
        REFUND_FAILURE = "refund_failure", _("Failed refund returned")
        DISPUTE = "dispute", _("Dispute")
        DISPUTE_REVERSAL = "dispute_reversal", _("Dispute won back")
        STRIPE_FEE = "stripe_fee", _("Stripe fee")
        ADJUSTMENT = "adjustment", _("Adjustment")
        PAYOUT = "payout", _("Payout")
        PAYOUT_FAILURE = "payout_failure", _("Payout returned")
        OTHER = "other", _("Other")

    stripe_id = models.CharField(_("balance transaction"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.OTHER)
    # Stripe's own words, kept as sent, for the bookkeeper and for later reading.
    stripe_type = models.CharField(max_length=50, blank=True)
    reporting_category = models.CharField(max_length=50, blank=True)
    amount_cents = models.IntegerField(_("amount (cents)"))
    fee_cents = models.IntegerField(_("fee (cents)"), default=0)
    net_cents = models.IntegerField(_("net (cents)"))
    currency = models.CharField(max_length=3, default="usd")
    # What the transaction is about: ch_, py_, re_, dp_, po_... and the charge and
    # PaymentIntent it concerns, to find its gift when it is booked later.
    source_id = models.CharField(max_length=255, blank=True, db_index=True)
    charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    description = models.CharField(max_length=300, blank=True)
    gift = models.ForeignKey(
        Gift,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="balance_lines",
        verbose_name=_("gift"),
    )
    payout = models.ForeignKey(
        "StripePayout",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
        verbose_name=_("payout"),
    )
    created = models.DateTimeField(_("created at Stripe"))
    available_on = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "pk"]
        verbose_name = _("Stripe balance transaction")
        verbose_name_plural = _("Stripe balance transactions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(net_cents=models.F("amount_cents") - models.F("fee_cents")),
                name="balance_net_is_amount_less_fee",
            )
        ]

    def __str__(self):
        return f"{self.stripe_id} ({self.kind}) {format_money(self.net_cents, self.currency)}"

    @property
    def matched(self):
        """Whether the ledger knows what it is: a gift's line, or one that needs no gift."""
        return self.gift_id is not None or self.kind not in GIFT_KINDS


# The kinds that concern one charge, hence one gift.
GIFT_KINDS = frozenset(
    {
        BalanceTransaction.Kind.CHARGE,
        BalanceTransaction.Kind.REFUND,
        BalanceTransaction.Kind.REFUND_FAILURE,
        BalanceTransaction.Kind.DISPUTE,
        BalanceTransaction.Kind.DISPUTE_REVERSAL,
    }
)


class StripePayout(models.Model):
    """A Stripe payout (`po_...`): the deposit of a Stripe balance into the bank.

    Its `deposit` is the row the Deposits view lists beside check deposits. The
    status only moves forward (pending, in transit, paid, then failed or canceled),
    so events in any order leave the same payout. `reconciliation` says whether its
    lines (the balance transactions it paid out) add up to its amount:
    `difference_cents` is amount - sum of the lines' nets.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IN_TRANSIT = "in_transit", _("In transit")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")

    class Reconciliation(models.TextChoices):
        NOT_LISTED = "not_listed", _("Lines not listed yet")
        BALANCED = "balanced", _("Reconciled")
        UNBALANCED = "unbalanced", _("Does not add up")

    deposit = models.OneToOneField(
        Deposit, on_delete=models.PROTECT, related_name="payout", verbose_name=_("deposit")
    )
    stripe_payout_id = models.CharField(_("Stripe payout"), max_length=255, unique=True)
    amount_cents = models.IntegerField(_("amount (cents)"))
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.PENDING)
    arrival_date = models.DateField(_("arrival date"))
    # The payout's own balance transaction (the money leaving the Stripe balance).
    balance_transaction_id = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(_("created at Stripe"))
    reconciliation = models.CharField(
        _("reconciliation"),
        max_length=12,
        choices=Reconciliation,
        default=Reconciliation.NOT_LISTED,
    )
    lines_total_cents = models.IntegerField(_("sum of the lines (cents)"), null=True, blank=True)
    difference_cents = models.IntegerField(_("difference (cents)"), null=True, blank=True)
    lines_listed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-arrival_date", "-pk"]
        verbose_name = _("Stripe payout")
        verbose_name_plural = _("Stripe payouts")

    def __str__(self):
        return f"{self.stripe_payout_id} {format_money(self.amount_cents, self.currency)}"

    def get_absolute_url(self):
        return reverse("admin:donations_deposit_change", args=[self.deposit_id])

    @property
    def reached_bank(self):
        """Whether its amount counts as deposited: paid, and not failed or canceled since."""
        return self.status == self.Status.PAID

    @property
    def is_balanced(self):
        return self.reconciliation == self.Reconciliation.BALANCED
