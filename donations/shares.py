"""Share links: record a donor's share in the feed, then send them to the network.

The links on the campaign and thank-you pages point here rather than straight at the
networks. For a donor who has just given, from the browser that made the pledge
(the pledge view and the thank-you page put it in the session), a click adds
"… shared this on Facebook" to the feed, once per donor and network; for anyone
else it only redirects. The redirect goes to one of four fixed
share addresses, with our own campaign's address as its only variable part, so this
cannot be used to send people to arbitrary sites.
"""

import logging
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaigns import feed
from campaigns.models import Campaign, FeedItem

from .models import Gift, is_listed

logger = logging.getLogger(__name__)

FEED_KINDS = {
    "facebook": FeedItem.Kind.SHARED_FACEBOOK,
    "x": FeedItem.Kind.SHARED_X,
    "linkedin": FeedItem.Kind.SHARED_LINKEDIN,
    "email": FeedItem.Kind.SHARED_EMAIL,
}


class ShareRedirect(HttpResponseRedirect):
    # Django refuses to redirect to mailto: by default; the e-mail share needs it.
    allowed_schemes = ["https", "mailto"]


def share_url(network, campaign):
    """The network's own share address for the campaign's page."""
    page_url = settings.SITE_URL + campaign.get_absolute_url()
    # In the language of the page the share link was on (/es/give/share/... in Spanish).
    title = campaign.in_language("share_title", "title")
    if network == "facebook":
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": page_url})
    if network == "x":
        return "https://x.com/intent/post?" + urlencode({"url": page_url, "text": title})
    if network == "linkedin":
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": page_url})
    description = campaign.in_language("share_description", "summary")
    body = f"{description}\n\n{page_url}".strip()
    # quote, not quote_plus: mail programs show a "+" in a mailto: body as it is.
    return "mailto:?" + urlencode({"subject": title, "body": body}, quote_via=quote)


def _shared_gift(request, campaign):
    """The counted gift of the pledge this browser made and paid, for this campaign.

    The thank-you page names it in the session only for the browser whose session
    made the pledge; a copied thank-you address credits nobody.
    """
    pledge_id = request.session.get("shared_pledge")
    if not pledge_id or pledge_id not in request.session.get("pledges", []):
        return None
    return (
        Gift.objects.counted()
        .filter(pledge__public_id=pledge_id, campaign=campaign)
        .order_by("given_at", "pk")
        .first()
    )


def record_share(request, network, campaign):
    """Publishes the share of the donor whose browser this is, if any; returns whether
    it did. The name and display choice are those of their paid gift (none for a gift
    they asked not to list).

    Keyed `share:<network>:<donor>:<campaign>`, so a second click changes nothing.
    """
    gift = _shared_gift(request, campaign)
    if gift is None or not is_listed(gift.display_as):
        # A gift the donor asked not to list leaves no trace in the feed, shares included.
        return False
    feed.publish(
        campaign_id=campaign.pk,
        key=f"share:{network}:{gift.donor_id}:{campaign.pk}",
        kind=FEED_KINDS[network],
        display_name=gift.public_name,
        occurred_at=timezone.now(),
        is_demo=gift.is_demo,
    )
    return True


@require_GET
@never_cache
def share(request, network):
    if network not in FEED_KINDS:
        raise Http404(_("Unknown network."))
    campaign = get_object_or_404(Campaign.objects.published(), slug=request.GET.get("campaign", ""))
    try:
        record_share(request, network, campaign)
    except DatabaseError:
        # The donor still gets to share; only the line in the feed is missing.
        logger.exception("Could not record a %s share for campaign %s", network, campaign.pk)
    return ShareRedirect(share_url(network, campaign))
