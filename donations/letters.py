"""Printed acknowledgement letters, for donors who gave by check (and have no e-mail).

The letter says what the e-mail receipt says (donations.receipts), in the same language,
on the organization's letterhead, addressed to the donor's postal address, and fits on one
page.
"""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.formatting import format_date

from . import offline
from .receipts import receipt_context


def donor_address_lines(donor, name=None):
    place = " ".join(part for part in (donor.state, donor.postal_code) if part)
    last = ", ".join(part for part in (donor.city, place) if part)
    return [line for line in (name or donor.name, donor.street, last) if line]


def _recipient_lines(gift):
    """The letter's address block: the donor's; a fund's grant is addressed to the
    fund (its donor of record) in care of the advisor, whose address is on file."""
    lines = donor_address_lines(gift.donor, gift.donor_name)
    details = offline.details_of(gift)
    if gift.method == gift.Method.DAF and details is not None:
        care_of = _("c/o %(name)s") % {"name": lines[0]}
        return [details.fund_name, care_of, *lines[1:]]
    return lines


def letter_context(gift):
    """What one letter says, in the gift's language, whatever the admin's is (the page
    renders each letter in its own: donations/letter.html)."""
    with translation.override(gift.language):
        return receipt_context(gift) | {
            "language": gift.language,
            "donor_address_lines": _recipient_lines(gift),
            "letter_date": format_date(timezone.localdate()),
            "received_on": format_date(gift.received_on or gift.given_at),
            "check_number": gift.check_number,
            "is_check": gift.method == gift.Method.CHECK,
        }
