"""Gifts booked through the ledger, for the feed and goal tests.

Gifts are made with the ORM and brought in line with `donations.gift_sync.sync_gift`,
as the ledger and the check log do after every change to a gift.
"""

import itertools

from django.utils import timezone

from donations import gift_sync
from donations.models import Donor, Gift

_numbers = itertools.count(1)


def donor(name="Ana Lopez", email=None):
    email = email if email is not None else f"donor{next(_numbers)}@example.org"
    return Donor.objects.create(name=name, email=email)


def give(campaign, who=None, *, display_as="full", message="", amount=5000, **fields):
    gift = Gift.objects.create(
        campaign=campaign,
        donor=who or donor(),
        amount_cents=amount,
        display_as=display_as,
        public_message=message,
        given_at=fields.pop("given_at", None) or timezone.now(),
        receipt_status=Gift.Receipt.NOT_NEEDED,
        **fields,
    )
    gift_sync.sync_gift(gift)
    return gift


def change(gift, **facts):
    """Changes a gift's facts (refund, void...) and syncs it, as the ledger does."""
    for name, value in facts.items():
        setattr(gift, name, value)
    gift.derive_status()
    gift.save()
    gift_sync.sync_gift(gift)
    return gift
