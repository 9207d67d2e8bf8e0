"""The activity feed's write side, for the apps that know what happened.

Every function is idempotent by `key`, so a replayed event or a rerun changes
nothing. They run inside the caller's transaction.
"""

from .models import FeedItem


def publish(*, campaign_id, key, kind, display_name, message="", occurred_at, is_demo=False):
    """Adds the item for `key` (once), or brings a withdrawn one back."""
    item, created = FeedItem.objects.get_or_create(
        source_key=key,
        defaults={
            "campaign_id": campaign_id,
            "kind": kind,
            "display_name": display_name,
            "message": message,
            "occurred_at": occurred_at,
            "is_demo": is_demo,
        },
    )
    if not created and item.withdrawn:
        FeedItem.objects.filter(pk=item.pk).update(withdrawn=False)


def withdraw(key):
    """Takes the item for `key` off the feed (its gift no longer counts)."""
    FeedItem.objects.filter(source_key=key).update(withdrawn=True)
