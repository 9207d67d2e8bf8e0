"""The activity feed: written by the apps that know what happened, read by the page.

Write side: every function is idempotent (by `key` for the ledger's functions, by
state for staff's hide and unhide), so a replayed event or a rerun changes nothing.
Each is atomic (inside the caller's transaction when there is one) and locks the
item's row first, so that the campaign's `feed_count` (the number of visible items)
moves by exactly one for each item that appears or disappears, however concurrent
changes interleave; `feed_version` goes up with it, and the write retires the cached
public pages (campaigns.http_cache).

Read side: visible items newest first, by keyset pagination on (occurred_at, id), so
that items published between two pages cause neither repeats nor gaps, and a deep
page costs what the first one does.
"""

import base64
import binascii
import datetime
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Campaign, FeedItem

PAGE_SIZE = 20


# Write side ------------------------------------------------------------------------


def _adjust_count(campaign_id, delta):
    """An item appeared (+1) or disappeared (-1): count it, and retire cached copies."""
    if delta:
        Campaign.objects.filter(pk=campaign_id).update(
            feed_count=F("feed_count") + delta, feed_version=F("feed_version") + 1
        )


def _locked(**lookup):
    return FeedItem.objects.select_for_update().filter(**lookup).first()


@transaction.atomic
def publish(
    *,
    campaign_id,
    key,
    kind,
    display_name,
    message="",
    occurred_at,
    is_demo=False,
    via_name="",
    via_ref=None,
    tribute="",
    honoree="",
):
    """Adds the item for `key` (once), or brings a withdrawn one back; keeps the
    supporter's page it came through (`via_name`, `via_ref`) as the ledger says.

    `tribute` ("honor" or "memory") and `honoree` make it read "… in memory of Rosa".
    """
    item = _locked(source_key=key)
    if item is None:
        # get_or_create, not create: a concurrent publish of the same key may insert
        # first (the unique key makes this one wait for it and then find its row).
        item, created = FeedItem.objects.get_or_create(
            source_key=key,
            defaults={
                "campaign_id": campaign_id,
                "kind": kind,
                "display_name": display_name[:150],
                "message": message[:280],
                "tribute": tribute if honoree else "",
                "honoree": honoree[:150] if tribute else "",
                "occurred_at": occurred_at,
                "is_demo": is_demo,
                "via_name": via_name[:80],
                "via_ref": via_ref,
            },
        )
        if created:
            _adjust_count(campaign_id, +1)
            return item
        item = _locked(pk=item.pk)
    if (item.via_name, item.via_ref) != (via_name[:80], via_ref):
        FeedItem.objects.filter(pk=item.pk).update(via_name=via_name[:80], via_ref=via_ref)
        item.via_name, item.via_ref = via_name[:80], via_ref
        Campaign.objects.filter(pk=item.campaign_id).update(feed_version=F("feed_version") + 1)
    if item.withdrawn:
        FeedItem.objects.filter(pk=item.pk).update(withdrawn=False)
        item.withdrawn = False
        _adjust_count(item.campaign_id, +1 if not item.hidden else 0)
    return item


@transaction.atomic
def withdraw(key):
    """Takes the item for `key` off the feed (its gift no longer counts)."""
    item = _locked(source_key=key)
    if item is None or item.withdrawn:
        return
    FeedItem.objects.filter(pk=item.pk).update(withdrawn=True)
    _adjust_count(item.campaign_id, -1 if not item.hidden else 0)


@transaction.atomic
def rename(key, display_name):
    """Shows the item for `key` under another name (its donor changed how they appear).

    Changes nothing when the name is already that one; a visible item's change retires
    the cached public pages. Returns whether the name changed.
    """
    item = _locked(source_key=key)
    display_name = display_name[:150]
    if item is None or item.display_name == display_name:
        return False
    FeedItem.objects.filter(pk=item.pk).update(display_name=display_name)
    if not (item.withdrawn or item.hidden):
        Campaign.objects.filter(pk=item.campaign_id).update(feed_version=F("feed_version") + 1)
    return True


@transaction.atomic
def rename_via(via_ref, via_name):
    """Shows the items that came through supporter's page `via_ref` under its new
    name ("" while the page is not public); returns how many changed."""
    via_name = via_name[:80]
    items = FeedItem.objects.filter(via_ref=via_ref).exclude(via_name=via_name)
    campaign_ids = set(items.values_list("campaign_id", flat=True))
    changed = items.update(via_name=via_name)
    if campaign_ids:
        Campaign.objects.filter(pk__in=campaign_ids).update(feed_version=F("feed_version") + 1)
    return changed


@transaction.atomic
def hide(item_ids, *, reason, user):
    """Staff take items off the public feed, saying why; returns how many were hidden.

    Items already hidden keep their first reason.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required to hide a feed item")
    hidden = 0
    # Locked in id order, so that two staff hiding overlapping items cannot deadlock.
    items = FeedItem.objects.select_for_update().filter(pk__in=item_ids, hidden=False)
    for item in items.order_by("pk"):
        FeedItem.objects.filter(pk=item.pk).update(
            hidden=True, hidden_reason=reason[:200], hidden_at=timezone.now(), hidden_by=user
        )
        _adjust_count(item.campaign_id, -1 if not item.withdrawn else 0)
        hidden += 1
    return hidden


@transaction.atomic
def unhide(item_ids):
    """Staff put hidden items back; returns how many were unhidden.

    A withdrawn item (its gift was refunded) stays off the feed all the same.
    """
    unhidden = 0
    items = FeedItem.objects.select_for_update().filter(pk__in=item_ids, hidden=True)
    for item in items.order_by("pk"):
        FeedItem.objects.filter(pk=item.pk).update(
            hidden=False, hidden_reason="", hidden_at=None, hidden_by=None
        )
        _adjust_count(item.campaign_id, +1 if not item.withdrawn else 0)
        unhidden += 1
    return unhidden


@transaction.atomic
def recount(campaign_id):
    """Sets `feed_count` from the items themselves; for bulk loads and repairs.

    Counts under the campaign's row lock, so no publish for it can slip in between
    the count and the write.
    """
    Campaign.objects.select_for_update().only("pk").get(pk=campaign_id)
    count = visible_items(campaign_id).count()
    Campaign.objects.filter(pk=campaign_id).update(
        feed_count=count, feed_version=F("feed_version") + 1
    )
    return count


# Read side -------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """A "Show more" link that this site did not make (or that was cut short)."""


@dataclass(frozen=True)
class FeedPage:
    items: list
    next_cursor: str  # "" on the last page


def visible_items(campaign_id):
    # Matches the partial index feed_visible_newest, column for column.
    return FeedItem.objects.filter(campaign_id=campaign_id, withdrawn=False, hidden=False)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_CURSOR_RE = re.compile(r"(-?[0-9]{1,19})\.([1-9][0-9]{0,18})")


def encode_cursor(item):
    """The position just after `item`, as an opaque, URL-safe token."""
    micros = (item.occurred_at - _EPOCH) // datetime.timedelta(microseconds=1)
    raw = f"{micros}.{item.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token):
    """Returns (occurred_at, id) for a token made by `encode_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        match = _CURSOR_RE.fullmatch(raw)
        if match is None:
            raise ValueError(token)
        occurred_at = _EPOCH + datetime.timedelta(microseconds=int(match.group(1)))
    except (ValueError, TypeError, OverflowError, binascii.Error) as error:
        raise InvalidCursor(token) from error
    return occurred_at, int(match.group(2))


def page(campaign_id, *, after="", size=PAGE_SIZE):
    """The visible items after cursor `after` (from the newest when empty), newest first.

    One query, of at most `size + 1` rows: the extra row only says whether there is
    a next page. Raises InvalidCursor for a token that does not decode.
    """
    items = visible_items(campaign_id).order_by("-occurred_at", "-id")
    if after:
        occurred_at, pk = decode_cursor(after)
        # The first condition alone bounds the index scan; the second drops the items
        # at the cursor's own instant that were already shown.
        items = items.filter(occurred_at__lte=occurred_at).filter(
            Q(occurred_at__lt=occurred_at) | Q(id__lt=pk)
        )
    rows = list(
        items.only(
            "id",
            "kind",
            "display_name",
            "message",
            "via_name",
            "tribute",
            "honoree",
            "occurred_at",
            "campaign_id",
        )[: size + 1]
    )
    shown = rows[:size]
    next_cursor = encode_cursor(shown[-1]) if len(rows) > size else ""
    return FeedPage(items=shown, next_cursor=next_cursor)
