"""Where money and dates become text, and typed amounts become cents, on the server.

Money is integer cents plus an ISO currency code, as Stripe counts it; nothing here
uses floats. `format_money` is for people and follows the active language (Django's
l10n formats), so the Spanish pages will format the same values their own way;
`dollars` is the plain number a form field or a CSV cell holds. (In the browser,
static/js/donate.js shows the fee with the browser's own Intl.NumberFormat.)
"""

import re
import unicodedata
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


def format_number(value, *, min_places=0):
    """A Decimal for people, as many places as it has (trailing zeros dropped) but at
    least `min_places`: shares "12.5", "1,000"; with min_places=2 a share price
    "187.255" or "12.50". Grouped and in the active language's format."""
    value = Decimal(value).normalize()
    places = max(min_places, -value.as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


def format_price(value, currency="usd"):
    """A price per share in dollars as a Decimal, to the tenth of a cent if it has
    one: Decimal("187.255") → "$187.255", Decimal("12.5") → "$12.50"."""
    symbol = CURRENCY_SYMBOLS.get(currency.lower(), "")
    return _("%(symbol)s%(amount)s") % {
        "symbol": symbol,
        "amount": format_number(value, min_places=2),
    }


def dollars(cents, *, always_cents=False):
    """Cents as a plain number: `5000` → "50", `5025` → "50.25"; always_cents gives "50.00".

    What a person types in an amount field (and parse_money reads back), or what a
    program reads in a CSV cell (always_cents): no currency sign, no grouping, a "."
    before the cents whatever the language. For people to read, use format_money.
    """
    places = 2 if always_cents or cents % 100 else 0
    return f"{Decimal(int(cents)) / 100:.{places}f}"


# Dollars plain ("1250") or grouped ("1,250"), then at most two decimals. ASCII only:
# other scripts' digits are folded to ASCII first (see parse_money). Twelve digits of
# dollars are far above any gift and keep int() far from Python's limit on digit
# strings (4,300), past which it raises instead of parsing.
_MONEY_RE = re.compile(r"\$?\s*(\d{1,3}(?:,\d{3}){1,3}|\d{1,12})(?:\.(\d{1,2}))?", re.ASCII)
# Longer than any amount that can match; refused before folding it character by character.
_MONEY_MAX_LENGTH = 40
# The Arabic decimal and thousands separators, typed with Arabic-Indic digits.
_SEPARATORS = {"\u066b": ".", "\u066c": ","}


def _fold_to_ascii(text):
    """Any script's decimal digits as ASCII digits; full-width $ , . and spaces as ASCII.

    Only these: NFKC alone would also read a superscript "²" or a circled "①" as a
    digit, which nobody types to mean one.
    """
    folded = []
    for char in text:
        if unicodedata.category(char) == "Nd":
            folded.append(str(unicodedata.decimal(char)))
            continue
        compatible = _SEPARATORS.get(char) or unicodedata.normalize("NFKC", char)
        folded.append(compatible if compatible in ("$", ",", ".", " ") else char)
    return "".join(folded)


def parse_money(text):
    """Parses what a person types ("50", "$1,250.5", "12.30") into cents.

    Returns None for anything else: negative numbers (and "-0"), more than two
    decimals, letters, exponents, "NaN" or "Infinity", underscores ("1_000"), more
    than twelve digits of dollars, or an empty string. It never raises, whatever
    the text or its length.

    Digits are read as typed in any script: full-width digits ("５０", from phones
    with Japanese, Chinese or Korean input methods), Arabic-Indic ("٥٠"), Devanagari
    and every other Unicode decimal digit count as 0-9, and full-width "＄", "，",
    "．" as their ASCII forms. Every amount field (the donation form, the page's
    `?amount=`, the monthly gift's new amount, a logged check) goes through here, so
    all of them read such input the same way.
    """
    if not isinstance(text, str) or len(text) > _MONEY_MAX_LENGTH:
        return None
    match = _MONEY_RE.fullmatch(_fold_to_ascii(text).strip())
    if not match:
        return None
    whole = int(match.group(1).replace(",", ""))
    fraction = (match.group(2) or "").ljust(2, "0")
    return whole * 100 + int(fraction)


def format_date(value):
    """A date (or the local date of a datetime) in the long form of the language."""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")


def format_month_day(value):
    """A day without its year, as "December 31" ("31 de diciembre"): for a date
    close enough that the year goes without saying."""
    return formats.date_format(value, "MONTH_DAY_FORMAT")
