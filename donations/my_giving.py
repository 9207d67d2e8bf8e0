""" "My giving": what a donor sees and changes about themselves through a signed link.

The page lists every gift of the donor (online and checks, the ones that no longer
count marked as such), their monthly gifts, the receipts and statements they can
download, and the choices they can change. Everything here is scoped to one donor:
each lookup starts from the donor the link names, so no id typed into an address
can reach another donor's gift.
"""

from django.db import transaction
from django.utils import timezone

from . import display, monthly, ratelimit, receipts, statements
from .models import Donor

# However often the button is pressed, a donor gets at most this many receipts re-sent
# an hour: a signed link must not become a way to flood an inbox.
RESENDS_PER_DONOR = "5/h"


def gifts_of(donor):
    """All of the donor's gifts, newest first, with their campaign."""
    return donor.gifts.select_related("campaign", "monthly_gift").order_by("-given_at", "-pk")


def gift_of(donor, gift_id):
    """One of the donor's gifts whose receipt they may have (it counts); None otherwise."""
    return gifts_of(donor).filter(pk=gift_id, counted=True).first()


def monthly_gifts(donor):
    """The donor's monthly gifts that can still be changed, each with its next charge
    date and the card that paid it last: [(monthly gift, next charge, brand, last4)]."""
    return [
        (gift, monthly.next_charge_date(gift), *monthly.card_of(gift))
        for gift in monthly.manageable_gifts(donor)
    ]


def statement_years(donor):
    """The past years (local dates) in which the donor has a gift that counts and that
    a statement lists (statements.gifts_of), newest first."""
    this_year = timezone.localdate().year
    stated = donor.gifts.filter(counted=True).exclude(statements.NOT_STATED)
    years = {
        timezone.localtime(given_at).year for given_at in stated.values_list("given_at", flat=True)
    }
    return sorted((year for year in years if year < this_year), reverse=True)


def statement_of(donor, year):
    """(pdf bytes, filename) of the donor's statement for a past year; None if there is none."""
    if year not in statement_years(donor):
        return None
    gifts = list(statements.gifts_of(donor, year))
    return statements.statement_pdf(donor, year, gifts), statements.statement_filename(year)


def resend_receipt(donor, gift):
    """E-mails the receipt of one of the donor's gifts again, to the address on file.

    Returns "sent", "failed" or "limited" (too many re-sends this hour).
    """
    if not ratelimit.hit_key("receipt-resend", donor.pk, RESENDS_PER_DONOR).allowed:
        return "limited"
    return "sent" if receipts.resend_receipt(gift) else "failed"


def current_display(donor):
    """How the donor's newest gift shows in the feed (the choice the form starts from)."""
    latest = donor.gifts.order_by("-given_at", "-pk").only("display_as").first()
    return latest.display_as if latest else ""


@transaction.atomic
def set_display(donor, choice):
    """Shows every gift of the donor under `choice` in the feed, from now on, "don't
    list my gift" included (donations.display.change_display: feed and share lines
    renamed, withdrawn or brought back; later monthly charges follow). Idempotent.
    """
    return display.change_display(donor, choice)


def set_annual_receipt(donor, annual):
    """One statement a year instead of a receipt per monthly charge (or back)."""
    Donor.objects.filter(pk=donor.pk).update(annual_receipt=annual)
    donor.annual_receipt = annual


DETAIL_FIELDS = ["name", "street", "city", "state", "postal_code"]


def update_details(donor, data):
    """Sets the donor's name and mailing address (used on future receipts, statements
    and letters; the name on each past gift stays as it was given)."""
    for name in DETAIL_FIELDS:
        setattr(donor, name, data[name])
    donor.full_clean(exclude=["email", "stripe_customer_id", "language"])
    donor.save(update_fields=DETAIL_FIELDS)
