"""The campaign page's feed section, rendered once and reused until the feed changes.

Rendering twenty items with their relative times is a third of the page's cost. The
HTML is cached under a key that holds the campaign's `feed_version`, which
campaigns.feed raises in the transaction of every change to what the feed shows: the
first request after a gift, a refund or a hide reads the new version with the campaign
row and renders afresh, on every app server, whatever the cache backend. The key also
holds a 30-second time slot, so "3 minutes ago" is never more than that out of date.
"""

import logging
import time

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import feed

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60
TIME_SLOT_SECONDS = 30
TEMPLATE = "campaigns/includes/feed.html"


class RenderedFeed:
    """Stands in for a template in `{% include feed_template %}`: already rendered."""

    def __init__(self, html):
        self.html = html

    def render(self, context):
        return self.html


def _key(campaign):
    # created_at and updated_at tell apart a campaign that reuses a deleted one's id,
    # and a campaign whose slug (in the "Show more" link) an editor just changed.
    return ":".join(
        str(part)
        for part in (
            "campaign-feed",
            campaign.pk,
            campaign.created_at.timestamp(),
            campaign.updated_at.timestamp(),
            campaign.feed_version,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            int(time.time()) // TIME_SLOT_SECONDS,
        )
    )


def feed_section(campaign):
    """The rendered feed section of `campaign`'s page, from the cache when it is there."""
    key = _key(campaign)
    try:
        html = cache.get(key)
    except Exception:  # a cache outage must not take the page down: render instead
        logger.warning("Feed cache unavailable", exc_info=True)
        html = None
    if html is None:
        context = {"campaign": campaign, "feed_page": feed.page(campaign.pk)}
        html = render_to_string(TEMPLATE, context)
        try:
            cache.set(key, html, CACHE_SECONDS)
        except Exception:
            logger.warning("Feed cache unavailable", exc_info=True)
    return RenderedFeed(html)
