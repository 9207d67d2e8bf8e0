"""Share links: record a donor's share in the feed, then send them to the network.

The links on the campaign and thank-you pages point here rather than straight at the
networks. For a donor who has just given (the thank-you page put them in the
session) a click adds "… shared this on Facebook" to the feed, once per donor and
network; for anyone else it only redirects. The redirect goes to one of four fixed
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

from .models import Donor, Gift, Pledge

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
    title = campaign.share_title or campaign.title
    if network == "facebook":
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": page_url})
    if network == "x":
        return "https://x.com/intent/post?" + urlencode({"url": page_url, "text": title})
    if network == "linkedin":
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": page_url})
    body = f"{campaign.share_description or campaign.summary}\n\n{page_url}".strip()
    # quote, not quote_plus: mail programs show a "+" in a mailto: body as it is.
    return "mailto:?" + urlencode({"subject": title, "body": body}, quote_via=quote)


def _display_choice(donor_id, campaign_id):
    """How the donor chose to appear: on their latest gift, else their latest pledge."""
    for model, date_field in ((Gift, "-given_at"), (Pledge, "-created_at")):
        choice = (
            model.objects.filter(donor_id=donor_id, campaign_id=campaign_id)
            .order_by(date_field, "-pk")
            .values_list("display_as", flat=True)
            .first()
        )
        if choice:
            return choice
    return None


def record_share(request, network, campaign):
    """Publishes the share of the donor in the session, if any; returns whether it did.

    Keyed `share:<network>:<donor>:<campaign>`, so a second click changes nothing.
    """
    donor_id = request.session.get("thank_you_donor_id")
    # Compared as text: the session may hold the id as a number or a string.
    if not donor_id or str(request.session.get("thank_you_campaign_id")) != str(campaign.pk):
        return False
    donor = Donor.objects.filter(pk=donor_id).first()
    choice = donor and _display_choice(donor.pk, campaign.pk)
    if not choice:
        return False
    feed.publish(
        campaign_id=campaign.pk,
        key=f"share:{network}:{donor.pk}:{campaign.pk}",
        kind=FEED_KINDS[network],
        display_name=donor.public_name(choice),
        occurred_at=timezone.now(),
        is_demo=donor.is_demo,
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
