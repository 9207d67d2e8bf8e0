"""The monthly amount offered after a one-time gift ("Make it monthly at $10").

As donate-wagtail (Mozilla's donation site) does: a list of tiers, each a one-time
amount and the monthly amount offered for a gift of at least that much; the highest
tier the gift reaches wins, and a gift below every tier gets no offer (asking $5 a
month of someone who gave $3 once reads as a rebuke, not an invitation).

Staff write the tiers one a line, whole dollars, as `100: 25` ("a one-time gift of
$100 or more: offer $25 a month"), in the campaign's admin page.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .formatting import format_money

DEFAULT_TIERS = "10: 5\n25: 10\n50: 15\n100: 25\n250: 50\n1000: 100"
# A monthly gift is a card charge each month: the same bounds as the donation form's.
MIN_MONTHLY_DOLLARS = 5
MAX_MONTHLY_DOLLARS = 25_000
MAX_TIERS = 12


def parse_upgrade_tiers(text):
    """[(one-time cents, monthly cents)] of `text`, highest first; raises ValidationError
    naming the first line it cannot read."""
    tiers = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        once, colon, monthly = line.partition(":")
        try:
            once, monthly = int(once.strip().lstrip("$")), int(monthly.strip().lstrip("$"))
        except ValueError:
            once = monthly = None
        if not colon or once is None or once < 1:
            raise ValidationError(
                _(
                    "Line %(number)d: write a one-time amount, “:”, then the monthly amount "
                    "to offer, in whole dollars, as “100: 25”."
                ),
                params={"number": number},
            )
        if not MIN_MONTHLY_DOLLARS <= monthly <= MAX_MONTHLY_DOLLARS:
            raise ValidationError(
                _("Line %(number)d: a monthly amount must be between %(min)s and %(max)s."),
                params={
                    "number": number,
                    "min": format_money(MIN_MONTHLY_DOLLARS * 100),
                    "max": format_money(MAX_MONTHLY_DOLLARS * 100),
                },
            )
        if once in tiers:
            raise ValidationError(
                _("Line %(number)d: this one-time amount has a line already."),
                params={"number": number},
            )
        tiers[once] = monthly
    if len(tiers) > MAX_TIERS:
        raise ValidationError(_("Enter at most %(max)d tiers."), params={"max": MAX_TIERS})
    return [(once * 100, tiers[once] * 100) for once in sorted(tiers, reverse=True)]


def validate_upgrade_tiers(text):
    parse_upgrade_tiers(text)


def monthly_offer(text, gift_cents):
    """The monthly amount (cents) to offer after a one-time gift of `gift_cents`, or None."""
    try:
        tiers = parse_upgrade_tiers(text)
    except ValidationError:
        return None
    return next((monthly for once, monthly in tiers if gift_cents >= once), None)
