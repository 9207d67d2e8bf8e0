"""Progress toward a campaign's goal, written by the side that books gifts.

The donations app recomputes a campaign's donor count and total from its own ledger
and hands them here, inside the transaction that changed the ledger; campaigns never
reads the ledger itself.
"""

from . import http_cache
from .models import Campaign, Match


def lock_campaign(campaign_id):
    """Locks the campaign row until the end of the transaction.

    Bookings for one campaign then recompute its progress one after another, so two
    concurrent gifts cannot both write a count that misses the other.
    """
    return Campaign.objects.select_for_update().only("pk").get(pk=campaign_id)


def set_progress(campaign_id, *, donor_count, raised_cents):
    Campaign.objects.filter(pk=campaign_id).update(
        donor_count=donor_count, raised_cents=raised_cents
    )


def set_matched(matched_cents_by_match):
    """Writes what each of a campaign's matches has matched (campaigns.matches); only
    the figures that changed, and then the cached public pages are out of date."""
    changed = False
    for match_id, cents in matched_cents_by_match.items():
        changed |= bool(
            Match.objects.filter(pk=match_id)
            .exclude(matched_cents=cents)
            .update(matched_cents=cents)
        )
    if changed:
        http_cache.pages_changed()
