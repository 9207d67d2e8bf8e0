"""What an offline gift other than a check needs beyond the gift itself.

A bank transfer has its confirmation number and sender, a donor-advised fund's grant
its fund and grant id, stock its ticker, shares and the day's prices (or, for a day
without trading, the prices of the nearest trading days before and after), an in-kind
gift its description and an estimate for the books. One small row per such gift, beside
the Gift (whose columns every kind shares), so the ledger's main table does not grow a
column per kind.
"""

import datetime
import decimal
import re
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_date, format_money, format_number, format_price
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
    },
    Gift.Method.IN_KIND: {"description": _("Describe the goods or services given.")},
}
# The prices a stock gift requires: the day's, or those of the nearest trading days
# before and after when there was no trading on the day (OfflineDetails.no_trading).
REQUIRED_PRICES = {
    False: {
        "high_price": _("Enter the day's high price."),
        "low_price": _("Enter the day's low price."),
    },
    True: {
        "before_date": _("Enter the date of the nearest trading day before."),
        "before_high": _("Enter the high price of the nearest trading day before."),
        "before_low": _("Enter the low price of the nearest trading day before."),
        "after_date": _("Enter the date of the nearest trading day after."),
        "after_high": _("Enter the high price of the nearest trading day after."),
        "after_low": _("Enter the low price of the nearest trading day after."),
    },
}
# The (high, low) pairs of prices, each checked the same way.
PRICE_PAIRS = (
    ("high_price", "low_price"),
    ("before_high", "before_low"),
    ("after_high", "after_low"),
)
# The kinds that have details (checks and cash need none).
DETAILED_METHODS = tuple(REQUIRED)
CENT = decimal.Decimal(1)


def shares_text(shares):
    """ "12.5 shares", "1 share": only exactly one share is singular (a fraction of
    shares is plural, in English as in Spanish)."""
    return ngettext("%(shares)s share", "%(shares)s shares", 1 if shares == 1 else 2) % {
        "shares": format_number(shares)
    }


def mean_of_high_and_low(high, low):
    """The mean of a day's high and low prices, in dollars, exactly (no rounding)."""
    return (high + low) / 2


def stock_value_cents(shares, high, low):
    """The value of shares of a publicly traded stock, in cents: the number of shares
    times the mean of the day's high and low prices (IRS Publication 561), rounded to
    the cent, half up. Decimal throughout, so nothing is lost to floating point."""
    dollars = shares * mean_of_high_and_low(high, low)
    return int((dollars * 100).quantize(CENT, rounding=decimal.ROUND_HALF_UP))


def weekdays_from(start, end):
    """The weekdays (Monday to Friday) d with start <= d < end."""
    count, day = 0, start
    while day < end:
        count += day.weekday() < 5
        day += datetime.timedelta(days=1)
    return count


def trading_days_between(before, valued_on, after):
    """The trading days between each of the nearest trading dates and the valuation
    date, as (days before, days after), counted as weekdays: the trading date counts
    and the valuation date does not.

    That count reproduces both of the regulation's examples (Treas. Reg.
    §20.2031-2(b)): a Friday, June 15 between trades on Wednesday, June 13 and
    Wednesday, June 20 is "two trading days" after the first and "three trading days"
    before the second; a Sunday, October 7 between Friday, October 5 and Monday,
    October 8 is one trading day from each, so the two means weigh the same ($20 and
    $23 give $21.50). Counting neither date would make those 1 and 2 days, and 0 and
    0. Exchange holidays are not known here: counted as weekdays, they make a count
    too large, which staff correct (OfflineDetails.days_before and days_after as
    typed).
    """
    return (
        weekdays_from(before, valued_on),
        weekdays_from(valued_on + datetime.timedelta(days=1), after + datetime.timedelta(days=1)),
    )


def weighted_value_cents(shares, mean_before, mean_after, days_before, days_after):
    """The value of shares not traded on the valuation date, in cents (Treas. Reg.
    §20.2031-2(b)(1), which §1.170A-1(c)(2) and Publication 561 apply to gifts):

        "If there were no sales on the valuation date but there were sales on dates
        within a reasonable period both before and after the valuation date, the fair
        market value is determined by taking a weighted average of the means between
        the highest and lowest sales on the nearest date before and the nearest date
        after the valuation date. The average is to be weighted inversely by the
        respective numbers of trading days between the selling dates and the
        valuation date."

    So the mean of the day before weighs the days after, and the other way round:
    shares × (days_after × mean_before + days_before × mean_after) ÷ (days_before +
    days_after). Computed as an exact fraction (the division may not end, as in ÷ 3)
    and rounded to the cent once, half up, as stock_value_cents does.
    """
    weighted = Fraction(mean_before) * days_after + Fraction(mean_after) * days_before
    cents = Fraction(shares) * weighted / (days_before + days_after) * 100
    return int((cents * 2 + 1) // 2)


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
    # No trading on the transfer date: the stock is valued from the nearest trading
    # days before and after it (trading_days_between, weighted_value_cents).
    no_trading = models.BooleanField(_("no trading on the transfer date"), default=False)
    before_date = models.DateField(_("nearest trading day before"), null=True, blank=True)
    before_high = models.DecimalField(
        _("high price on the trading day before"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
    )
    before_low = models.DecimalField(
        _("low price on the trading day before"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
    )
    after_date = models.DateField(_("nearest trading day after"), null=True, blank=True)
    after_high = models.DecimalField(
        _("high price on the trading day after"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
    )
    after_low = models.DecimalField(
        _("low price on the trading day after"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
    )
    days_before = models.PositiveSmallIntegerField(_("trading days before"), null=True, blank=True)
    days_after = models.PositiveSmallIntegerField(_("trading days after"), null=True, blank=True)
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

    @property
    def mean_before(self):
        return mean_of_high_and_low(self.before_high, self.before_low)

    @property
    def mean_after(self):
        return mean_of_high_and_low(self.after_high, self.after_low)

    def value_cents(self):
        """The value in cents; None for a day without trading whose trading-day counts
        are not known yet (clean_for counts them from the gift's date)."""
        if self.no_trading:
            if self.days_before is None or self.days_after is None:
                return None
            return weighted_value_cents(
                self.shares, self.mean_before, self.mean_after, self.days_before, self.days_after
            )
        return stock_value_cents(self.shares, self.high_price, self.low_price)

    def computation(self):
        """The stock's value as computed, for the admin and the receipt:
        "12.5 shares × $187.255 (mean of high $188.01 and low $186.50) = $2,340.69", or
        for a day without trading the two days' means and their weights."""
        if self.no_trading:
            return self._weighted_computation()
        return gettext(
            "%(shares)s × %(mean)s (the mean of the high %(high)s and the low %(low)s) = %(value)s"
        ) % {
            "shares": shares_text(self.shares),
            "mean": format_price(self.mean_price),
            "high": format_price(self.high_price),
            "low": format_price(self.low_price),
            "value": format_money(self.value_cents(), always_cents=True),
        }

    def _weighted_computation(self):
        return gettext(
            "No trading on the transfer date. Nearest trading day before: "
            "%(before_date)s (trading days to the transfer date: %(days_before)s), where "
            "the mean of the high %(before_high)s and the low %(before_low)s is "
            "%(mean_before)s. Nearest trading day after: %(after_date)s (trading days "
            "from the transfer date: %(days_after)s), where the mean of the high "
            "%(after_high)s and the low %(after_low)s is %(mean_after)s. Weighted "
            "inversely by those days (Treas. Reg. §20.2031-2(b)): %(shares)s × "
            "(%(days_after)s × %(mean_before)s + %(days_before)s × %(mean_after)s) ÷ "
            "%(days)s = %(value)s"
        ) % {
            "before_high": format_price(self.before_high),
            "before_low": format_price(self.before_low),
            "before_date": format_date(self.before_date),
            "days_before": self.days_before,
            "mean_before": format_price(self.mean_before),
            "after_high": format_price(self.after_high),
            "after_low": format_price(self.after_low),
            "after_date": format_date(self.after_date),
            "days_after": self.days_after,
            "mean_after": format_price(self.mean_after),
            "shares": shares_text(self.shares),
            "days": self.days_before + self.days_after,
            "value": format_money(self.value_cents(), always_cents=True),
        }

    def clean_for(self, method, received_on=None):
        """The rules of `method`'s details; raises ValidationError keyed by field.

        `received_on` is the gift's date: a stock gift without trading that day is
        valued from the trading days around it."""
        errors = {}
        required = REQUIRED.get(method, {})
        if method == Gift.Method.STOCK:
            required = required | REQUIRED_PRICES[bool(self.no_trading)]
        for name, message in required.items():
            value = getattr(self, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors[name] = ValidationError(message, code="required")
        if method == Gift.Method.STOCK:
            self._clean_stock(errors, received_on)
        if self.estimated_value_cents is not None and self.estimated_value_cents > MAX_CHECK_CENTS:
            errors["estimated_value_cents"] = ValidationError(
                _("That estimate is too large for one gift."), code="too_large"
            )
        if errors:
            raise ValidationError(errors)

    def _clean_stock(self, errors, received_on):
        self.ticker = (self.ticker or "").strip().upper()
        if self.ticker and not TICKER.match(self.ticker):
            errors["ticker"] = ValidationError(
                _("A ticker is letters and digits, such as AAPL or BRK.B."), code="invalid"
            )
        self._clean_unused_prices(errors)
        # The trading-day counts divide the value: one of 0 or less is refused even
        # when the transfer date is missing and they cannot be checked against it.
        counts = ("days_before", "days_after")
        for name in ("shares", *(name for pair in PRICE_PAIRS for name in pair), *counts):
            value = getattr(self, name)
            if value is not None and value <= 0 and name not in errors:
                errors[name] = ValidationError(
                    _("Enter a number more than 0."), code="not_positive"
                )
        for high_name, low_name in PRICE_PAIRS:
            high, low = getattr(self, high_name), getattr(self, low_name)
            if high and low and high > 0 and low > 0 and low > high:
                errors[low_name] = ValidationError(
                    _("The low price cannot be above the high price."), code="low_above_high"
                )
        if self.no_trading:
            self._clean_trading_days(errors, received_on)
        value = None if errors or not self.shares else self.value_cents()
        if value is not None:
            if value <= 0:
                errors["shares"] = ValidationError(
                    _("These shares are worth less than a cent."), code="worthless"
                )
            elif value > MAX_CHECK_CENTS:
                errors["shares"] = ValidationError(
                    _("That value is too large for one gift."), code="too_large"
                )

    def _clean_unused_prices(self, errors):
        """Prices of the other valuation left filled in: which one is meant is unclear,
        so nothing is guessed."""
        if self.no_trading:
            unused = ("high_price", "low_price")
            message = _("Leave the day's prices empty: there was no trading that day.")
        else:
            unused = (*REQUIRED_PRICES[True], "days_before", "days_after")
            message = _(
                "These are for a day without trading: tick “No trading on the transfer "
                "date”, or leave them empty."
            )
        for name in unused:
            if getattr(self, name) is not None and name not in errors:
                errors[name] = ValidationError(message, code="unused")

    def _clean_trading_days(self, errors, received_on):
        """The nearest trading days fall on weekdays on either side of the valuation
        date, the one after not in the future; the trading-day counts are the weekdays
        between them (trading_days_between) unless staff typed fewer, for an exchange
        holiday in between."""
        before, after = self.before_date, self.after_date
        for name, day in (("before_date", before), ("after_date", after)):
            if day is not None and day.weekday() >= 5 and name not in errors:
                errors[name] = ValidationError(
                    _("A trading day is a weekday: %(date)s is not."),
                    code="weekend",
                    params={"date": format_date(day)},
                )
        if before and received_on and before >= received_on and "before_date" not in errors:
            errors["before_date"] = ValidationError(
                _("The nearest trading day before must come before the transfer date."),
                code="not_before",
            )
        if after and received_on and after <= received_on and "after_date" not in errors:
            errors["after_date"] = ValidationError(
                _("The nearest trading day after must come after the transfer date."),
                code="not_after",
            )
        elif after and after > timezone.localdate() and "after_date" not in errors:
            errors["after_date"] = ValidationError(
                _(
                    "The nearest trading day after cannot be in the future: log the gift "
                    "once that day's prices are known."
                ),
                code="future",
            )
        if None in (received_on, before, after) or {"before_date", "after_date"} & set(errors):
            return
        counts = trading_days_between(before, received_on, after)
        for name, weekdays in zip(("days_before", "days_after"), counts, strict=True):
            typed = getattr(self, name)
            if typed is None:
                setattr(self, name, weekdays)
            elif not 1 <= typed <= weekdays:
                errors[name] = ValidationError(
                    _(
                        "Between 1 and %(weekdays)s, the weekdays between these dates (fewer "
                        "only for an exchange holiday among them)."
                    ),
                    code="trading_days",
                    params={"weekdays": weekdays},
                )
