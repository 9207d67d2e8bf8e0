"""What an offline gift other than a check needs beyond the gift itself.

A bank transfer has its confirmation number and sender, a donor-advised fund's grant
its fund and grant id, stock its ticker, shares and the day's prices, an in-kind gift
its description and an estimate for the books. One small row per such gift, beside
the Gift (whose columns every kind shares), so the ledger's main table does not grow a
column per kind.
"""

import decimal
import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money, format_number, format_price
from campaigns.validators import single_line

from .gifts import MAX_CHECK_CENTS, Gift

# Exchange tickers: letters and digits, with a class after a dot or hyphen (BRK.B).
TICKER = re.compile(r"^[A-Z0-9]{1,6}([.-][A-Z0-9]{1,3})?$")
# What each kind requires, by field (the form and the service show the same message).
REQUIRED = {
    Gift.Method.TRANSFER: {
        "reference": _("Enter the transfer's confirmation or reference number.")
    },
    Gift.Method.DAF: {
        "fund_name": _("Enter the name of the fund, such as Fidelity Charitable."),
        "reference": _("Enter the grant ID the fund gave."),
    },
    Gift.Method.STOCK: {
        "ticker": _("Enter the stock's ticker symbol, such as AAPL."),
        "shares": _("Enter the number of shares."),
        "high_price": _("Enter the day's high price."),
        "low_price": _("Enter the day's low price."),
    },
    Gift.Method.IN_KIND: {"description": _("Describe the goods or services given.")},
}
# The kinds that have details (checks and cash need none).
DETAILED_METHODS = tuple(REQUIRED)
CENT = decimal.Decimal(1)


def mean_of_high_and_low(high, low):
    """The mean of a day's high and low prices, in dollars, exactly (no rounding)."""
    return (high + low) / 2


def stock_value_cents(shares, high, low):
    """The value of shares of a publicly traded stock, in cents: the number of shares
    times the mean of the day's high and low prices (IRS Publication 561), rounded to
    the cent, half up. Decimal throughout, so nothing is lost to floating point."""
    dollars = shares * mean_of_high_and_low(high, low)
    return int((dollars * 100).quantize(CENT, rounding=decimal.ROUND_HALF_UP))


class OfflineDetails(models.Model):
    """The facts of one bank transfer, fund grant, stock or in-kind gift.

    Written once with its gift by donations.checks.record_offline_gift; a mistake is
    corrected by voiding the gift and logging it again, as for a check in a closed
    deposit.
    """

    gift = models.OneToOneField(
        Gift,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="offline_details",
        verbose_name=_("gift"),
    )
    # A bank transfer's confirmation or reference number, or a fund's grant ID.
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, validators=[single_line]
    )
    sender = models.CharField(_("sender"), max_length=150, blank=True, validators=[single_line])
    fund_name = models.CharField(_("fund"), max_length=150, blank=True, validators=[single_line])
    ticker = models.CharField(_("ticker"), max_length=10, blank=True)
    shares = models.DecimalField(
        _("number of shares"), max_digits=16, decimal_places=6, null=True, blank=True
    )
    high_price = models.DecimalField(
        _("day's high price"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    low_price = models.DecimalField(
        _("day's low price"), max_digits=12, decimal_places=4, null=True, blank=True
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    # For the books only: never on a receipt, a letter or a statement, and not in the
    # money raised (the gift's amount is 0); see donations.offline.
    estimated_value_cents = models.PositiveIntegerField(
        _("internal estimate (cents)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("offline gift details")
        verbose_name_plural = _("offline gift details")

    def __str__(self):
        return self.reference or self.ticker or self.description[:50]

    @property
    def reference_text(self):
        """What the gift list's reference column shows for this gift."""
        if self.gift.method == Gift.Method.STOCK and self.shares is not None:
            return f"{format_number(self.shares)} {self.ticker}"
        return self.reference

    @property
    def mean_price(self):
        return mean_of_high_and_low(self.high_price, self.low_price)

    def value_cents(self):
        return stock_value_cents(self.shares, self.high_price, self.low_price)

    def computation(self):
        """The stock's value as computed, for the admin and the receipt:
        "12.5 shares × $187.255 (mean of high $188.01 and low $186.50) = $2,340.69"."""
        return _(
            "%(shares)s shares × %(mean)s (the mean of the high %(high)s and the low "
            "%(low)s) = %(value)s"
        ) % {
            "shares": format_number(self.shares),
            "mean": format_price(self.mean_price),
            "high": format_price(self.high_price),
            "low": format_price(self.low_price),
            "value": format_money(self.value_cents(), always_cents=True),
        }

    def clean_for(self, method):
        """The rules of `method`'s details; raises ValidationError keyed by field."""
        errors = {}
        for name, message in REQUIRED.get(method, {}).items():
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors[name] = ValidationError(message, code="required")
        if method == Gift.Method.STOCK:
            self._clean_stock(errors)
        if self.estimated_value_cents is not None and self.estimated_value_cents > MAX_CHECK_CENTS:
            errors["estimated_value_cents"] = ValidationError(
                _("That estimate is too large for one gift."), code="too_large"
            )
        if errors:
            raise ValidationError(errors)

    def _clean_stock(self, errors):
        self.ticker = (self.ticker or "").strip().upper()
        if self.ticker and not TICKER.match(self.ticker):
            errors["ticker"] = ValidationError(
                _("A ticker is letters and digits, such as AAPL or BRK.B."), code="invalid"
            )
        for name in ("shares", "high_price", "low_price"):
            value = getattr(self, name)
            if value is not None and value <= 0 and name not in errors:
                errors[name] = ValidationError(
                    _("Enter a number more than 0."), code="not_positive"
                )
        high, low = self.high_price, self.low_price
        if high and low and high > 0 and low > 0 and low > high:
            errors["low_price"] = ValidationError(
                _("The low price cannot be above the high price."), code="low_above_high"
            )
        if not errors and self.shares and high and low:
            value = self.value_cents()
            if value <= 0:
                errors["shares"] = ValidationError(
                    _("These shares are worth less than a cent."), code="worthless"
                )
            elif value > MAX_CHECK_CENTS:
                errors["shares"] = ValidationError(
                    _("That value is too large for one gift."), code="too_large"
                )
