"""The processing fee a donor may choose to cover, so that the organization nets the gift.

By card, Stripe takes a percentage of the amount charged plus a fixed amount. To net
`gift`, the charge must satisfy `charge - (pct * charge + fixed) >= gift`; the smallest
such whole number of cents is `ceil((gift + fixed) / (1 - pct))`. The percentage comes
from a setting written in decimal ("2.2"), so it is read as an exact fraction: no float
ever touches the cents.

From a bank account (ACH Direct Debit), Stripe takes a percentage of the charge
rounded to the cent (halves up), never more than a cap (0.8 %, at most $5). The
smallest charge that nets `gift` is then the lesser of `gift + cap` and the smallest
`charge` with `charge - round(pct * charge) >= gift`, that is
`floor((gift - 1/2) / (1 - pct)) + 1`. What is left of it is the gift to the cent:
the net grows by at most one cent per cent charged, so it never jumps past the gift.
"""

from fractions import Fraction

from django.conf import settings

from .models import PaymentMethod


def fee_rate():
    """The percentage as an exact fraction of one (2.2 → 11/500)."""
    return Fraction(str(settings.DONATION_FEE_PERCENT)) / 100


def bank_fee_rate():
    """The bank debit's percentage as an exact fraction of one (0.8 → 1/125)."""
    return Fraction(str(settings.DONATION_BANK_FEE_PERCENT)) / 100


def fee_to_cover(gift_cents, *, method=PaymentMethod.CARD, rate=None, fixed_cents=None):
    """The cents to add to `gift_cents` so that what is left after the fee is the gift,
    for the payment method the donor chose."""
    if method == PaymentMethod.BANK:
        return bank_fee_to_cover(gift_cents)
    rate = fee_rate() if rate is None else rate
    fixed = settings.DONATION_FEE_FIXED_CENTS if fixed_cents is None else fixed_cents
    if gift_cents <= 0:
        return 0
    exact = Fraction(gift_cents + fixed) / (1 - rate)
    # Ceiling division on exact fractions: -(-a // b).
    charge = -(-exact.numerator // exact.denominator)
    return charge - gift_cents


def bank_fee_to_cover(gift_cents):
    """The cents to add to `gift_cents` paid from a bank account (see above)."""
    if gift_cents <= 0:
        return 0
    keep = 1 - bank_fee_rate()
    # floor((gift - 1/2) / keep) + 1, in integers: floor((2 gift - 1) * den / (2 num)) + 1.
    uncapped = (2 * gift_cents - 1) * keep.denominator // (2 * keep.numerator) + 1
    return min(uncapped - gift_cents, settings.DONATION_BANK_FEE_CAP_CENTS)


def fee_scale():
    """The fee formulas as integers for donate.js, so that the browser shows the same
    cents as this module, with no floats either.

    Card: charge = ceil((gift + fixed) * num / den). Bank: the fee is the lesser of
    floor((2 gift - 1) * bank_num / (2 bank_den)) + 1 - gift and bank_cap.
    """
    keep = 1 - fee_rate()
    bank_keep = 1 - bank_fee_rate()
    return {
        "num": keep.denominator,
        "den": keep.numerator,
        "fixed": settings.DONATION_FEE_FIXED_CENTS,
        "bank_num": bank_keep.denominator,
        "bank_den": bank_keep.numerator,
        "bank_cap": settings.DONATION_BANK_FEE_CAP_CENTS,
    }
