"""How a donor appears in the public feed, changed after the fact (for "My giving").

The form chooses the display of each new gift. A donor who proved their address (a
signed link) may change it for everything they gave: the gifts' own choice, the feed
lines made from them (shown under the new name, or withdrawn for "don't list my
gift"), the lines of their shares, and the pledges of their running monthly gifts, so
that each later charge is booked with the new choice.
"""

from django.db import transaction

from campaigns import feed
from campaigns.models import FeedItem

from .gift_sync import sync_feed
from .models import DisplayChoice, Gift, Pledge, is_listed
from .shares import FEED_KINDS


@transaction.atomic
def change_display(donor, choice):
    """Sets `choice` (a DisplayChoice) on all of the donor's gifts and feed lines.

    Moves no money. Safe to run twice: the second run finds everything as it left it.
    Returns how many gifts changed.
    """
    choice = DisplayChoice(choice)
    gifts = list(
        Gift.objects.select_for_update(of=("self",))
        .filter(donor=donor)
        .exclude(display_as=choice)
        .order_by("pk")
    )
    for gift in gifts:
        gift.display_as = choice
        gift.save(update_fields=["display_as"])
        sync_feed(gift)
    # Each later charge of a monthly gift copies its pledge's choice (donations.ledger).
    Pledge.objects.filter(monthly_gift__donor=donor).update(display_as=choice)
    _sync_shares(donor, choice)
    return len(gifts)


def _sync_shares(donor, choice):
    """A donor's share lines follow their display: renamed, withdrawn, or back."""
    for campaign_id in set(
        Gift.objects.counted().filter(donor=donor).values_list("campaign_id", flat=True)
    ):
        gift = (
            Gift.objects.counted()
            .filter(donor=donor, campaign_id=campaign_id)
            .order_by("given_at", "pk")
            .first()
        )
        for network in FEED_KINDS:
            key = f"share:{network}:{donor.pk}:{campaign_id}"
            if is_listed(choice):
                feed.rename(key, gift.public_name)
                _bring_back(key)
            else:
                feed.withdraw(key)


def _bring_back(key):
    """A share line withdrawn only because the donor had asked not to be listed (shares
    are withdrawn for nothing else)."""
    item = FeedItem.objects.filter(source_key=key, withdrawn=True).first()
    if item is not None:
        feed.publish(
            campaign_id=item.campaign_id,
            key=key,
            kind=item.kind,
            display_name=item.display_name,
            occurred_at=item.occurred_at,
            is_demo=item.is_demo,
        )
