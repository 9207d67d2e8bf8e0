"""The one place where money and dates become text.

Money is integer cents plus an ISO currency code, as Stripe counts it; nothing here
uses floats. Output follows the active language (Django's l10n formats), so the Spanish
pages will format the same values their own way.
"""

import re
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

CURRENCY_SYMBOLS = {"usd": "$"}


def format_money(cents, currency="usd", *, always_cents=False):
    """`5000` → "$50", `5230` → "$52.30"; always_cents gives "$50.00" (receipts)."""
    amount = Decimal(int(cents)) / 100
    places = 2 if always_cents or cents % 100 else 0
    number = formats.number_format(amount, places, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    if symbol is None:
        return f"{number} {currency.upper()}"
    # Translators: a money amount; %(symbol)s is "$", %(amount)s like 1,250.50.
    return _("%(symbol)s%(amount)s") % {"symbol": symbol, "amount": number}


_MONEY_RE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


def parse_money(text):
    """Parses what a person types ("50", "$1,250.5", "12.30") into cents.

    Returns None for anything else: negative numbers, more than two decimals,
    letters, or an empty string.
    """
    text = (text or "").strip()
    match = _MONEY_RE.match(text)
    if not match:
        return None
    whole = int(match.group(1).replace(",", ""))
    fraction = (match.group(3) or ".")[1:].ljust(2, "0")
    return whole * 100 + int(fraction)


def format_date(value):
    """A date (or the local date of a datetime) in the long form of the language."""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def format_datetime(value):
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
