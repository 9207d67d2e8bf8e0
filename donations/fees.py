"""The processing fee a donor may choose to cover, so that the organization nets the gift.

Stripe takes a percentage of the amount charged plus a fixed amount. To net `gift`, the
charge must satisfy `charge - (pct * charge + fixed) >= gift`; the smallest such whole
number of cents is `ceil((gift + fixed) / (1 - pct))`. The percentage comes from a
setting written in decimal ("2.2"), so it is read as an exact fraction: no float ever
touches the cents.
"""

from fractions import Fraction

from django.conf import settings


def fee_rate():
    """The percentage as an exact fraction of one (2.2 → 11/500)."""
    return Fraction(str(settings.DONATION_FEE_PERCENT)) / 100


def fee_to_cover(gift_cents, *, rate=None, fixed_cents=None):
    """The cents to add to `gift_cents` so that what is left after the fee is the gift."""
    rate = fee_rate() if rate is None else rate
    fixed = settings.DONATION_FEE_FIXED_CENTS if fixed_cents is None else fixed_cents
    if gift_cents <= 0:
        return 0
    exact = Fraction(gift_cents + fixed) / (1 - rate)
    # Ceiling division on exact fractions: -(-a // b).
    charge = -(-exact.numerator // exact.denominator)
    return charge - gift_cents


def fee_scale():
    """The fee formula as integers for donate.js: charge = ceil((gift + fixed) * num / den).

    The browser then shows the same cents as this module, with no floats either.
    """
    keep = 1 - fee_rate()
    return {
        "num": keep.denominator,
        "den": keep.numerator,
        "fixed": settings.DONATION_FEE_FIXED_CENTS,
    }
