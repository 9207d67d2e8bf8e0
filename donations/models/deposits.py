"""Bank deposits: of mailed checks, and of Stripe payouts (donations.models.payouts)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_date, format_money
from campaigns.validators import single_line

from .gifts import DEPOSIT_METHODS


class DepositQuerySet(models.QuerySet):
    def with_check_totals(self):
        """Annotates each deposit with the number and sum of its checks and cash (voided
        ones aside): `check_count`, `check_total_cents`."""
        in_deposit = models.Q(gifts__method__in=DEPOSIT_METHODS, gifts__voided_at__isnull=True)
        return self.annotate(
            check_count=models.Count("gifts", filter=in_deposit),
            check_total_cents=models.Sum("gifts__amount_cents", filter=in_deposit, default=0),
        )


class Deposit(models.Model):
    """A bank deposit: of mailed checks, or a Stripe payout.

    A closed deposit stands for a deposit slip the bank has accepted: its checks can
    no longer change amount, donor or check details, and none can join or leave it.

    A deposit of kind `stripe_payout` is made by donations.payouts for one Stripe
    payout (its facts are on `deposit.payout`, a StripePayout): it is born closed,
    holds no checks, and staff cannot change it; its date is the payout's arrival
    date and its bank reference the payout id.
    """

    class Kind(models.TextChoices):
        CHECKS = "checks", _("Checks")
        STRIPE_PAYOUT = "stripe_payout", _("Stripe payout")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.CHECKS)
    deposited_on = models.DateField(_("deposit date"), default=timezone.localdate)
    bank_reference = models.CharField(
        _("bank reference"), max_length=100, blank=True, validators=[single_line]
    )
    expected_total_cents = models.PositiveIntegerField(_("expected total (cents)"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created on"))

    objects = DepositQuerySet.as_manager()

    class Meta:
        ordering = ["-deposited_on", "-pk"]
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")

    def __str__(self):
        date = format_date(self.deposited_on)
        values = {"date": date, "reference": self.bank_reference}
        if self.is_payout:
            if self.bank_reference:
                return _("Stripe payout of %(date)s (%(reference)s)") % values
            return _("Stripe payout of %(date)s") % values
        if self.bank_reference:
            return _("Deposit of %(date)s (%(reference)s)") % values
        return _("Deposit of %(date)s") % values

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def is_payout(self):
        return self.kind == self.Kind.STRIPE_PAYOUT

    def ensure_open(self):
        """Refuses (ValidationError) to let a check join or leave a closed deposit."""
        if self.is_payout:
            raise ValidationError(
                _("%(deposit)s is a Stripe payout: checks cannot join it. Choose a check deposit.")
                % {"deposit": self},
                code="stripe_payout",
            )
        if self.is_closed:
            raise ValidationError(
                _(
                    "%(deposit)s is closed: no check can join or leave it. Choose an open "
                    "deposit, or none."
                )
                % {"deposit": self},
                code="deposit_closed",
            )

    def check_summary(self):
        """Its checks' and cash's count and sum against the expected total (voided ones
        aside)."""
        totals = self.gifts.filter(method__in=DEPOSIT_METHODS, voided_at__isnull=True).aggregate(
            count=models.Count("pk"), total=models.Sum("amount_cents", default=0)
        )
        difference = totals["total"] - self.expected_total_cents
        return {
            "count": totals["count"],
            "total_cents": totals["total"],
            "expected_cents": self.expected_total_cents,
            "difference_cents": difference,
            "difference_abs_cents": abs(difference),
            "balanced": difference == 0,
        }

    def close(self, user):
        """Closes a deposit whose checks add up to its expected total; returns the summary.

        Sets closed_at/by; the caller saves it while holding the deposit's row lock
        (donations.checks.close_deposit). Refuses an empty or unbalanced deposit, and
        one already closed, so that nothing is closed twice.
        """
        if self.is_payout:
            raise ValidationError(
                _("%(deposit)s is a Stripe payout: Stripe's own records settle it."),
                code="stripe_payout",
            )
        if self.is_closed:
            raise ValidationError(
                _("%(deposit)s was already closed on %(date)s.")
                % {"deposit": self, "date": format_date(self.closed_at)},
                code="already_closed",
            )
        summary = self.check_summary()
        if not summary["count"]:
            raise ValidationError(
                _("%(deposit)s has no checks yet; log its checks before closing it.")
                % {"deposit": self},
                code="empty",
            )
        if not summary["balanced"]:
            raise ValidationError(
                _(
                    "The checks in %(deposit)s add up to %(total)s, not the expected "
                    "%(expected)s. Correct the checks or the expected total first."
                )
                % {
                    "deposit": self,
                    "total": format_money(summary["total_cents"], always_cents=True),
                    "expected": format_money(summary["expected_cents"], always_cents=True),
                },
                code="unbalanced",
            )
        self.closed_at = timezone.now()
        self.closed_by = user
        return summary
