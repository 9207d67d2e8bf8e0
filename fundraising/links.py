"""Signed links that let a supporter write and edit their page, sent to their address.

As "My giving" (donations.monthly), a supporter proves they own an address by
receiving a link at it. The token names the page (created as a draft when the link is
asked for) and a keyed digest of its address, never the address itself: tokens travel
in URLs. Its own salt, so a "My giving" link opens nothing here nor the reverse; good
for a day, since writing an appeal can take an evening.

Asking does the same work whether or not the address already has a page (one task;
the task writes the draft), and answers the same, so the form tells nobody who
raises money. At most a few links an hour reach one address however many ask.
"""

import hashlib
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from donations import languages, mail, ratelimit
from donations.signed_links import AddressLinks, LinkExpired, LinkInvalid  # noqa: F401 (what read raises)

from .models import FundraisingPage

logger = logging.getLogger(__name__)

LINK_SALT = "fundraising.page-link"
LINK_MAX_AGE = 24 * 60 * 60
LINKS_PER_ADDRESS = "3/h"


LINKS = AddressLinks(LINK_SALT, key="p", max_age=LINK_MAX_AGE)


def make_token(page):
    return LINKS.make(page.pk, page.email)


def page_from_token(token):
    """The page a link was made for; raises LinkExpired or LinkInvalid."""
    return LINKS.read(
        token, lambda pk: FundraisingPage.objects.select_related("campaign").filter(pk=pk).first()
    )


def edit_url(page, language=None):
    with mail.in_language(language):
        return settings.SITE_URL + reverse("fundraising:edit", args=[make_token(page)])


def request_link(campaign, email, language=None):
    """Queues the e-mail with a link to write (or edit) `email`'s page for `campaign`."""
    send_link.enqueue(campaign.pk, email.strip(), languages.supported(language))


def _page_for(campaign, email):
    """The address's page for the campaign: its own, or a new draft."""
    found = FundraisingPage.objects.filter(campaign=campaign, email__iexact=email).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return FundraisingPage.objects.create(campaign=campaign, email=email)
    except IntegrityError:  # the same address asked twice at once
        return FundraisingPage.objects.get(campaign=campaign, email__iexact=email)


def deliver_link(campaign_id, email, language=None):
    """Sends the link; returns "sent", "limited", "closed" or "failed"."""
    digest = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    if not ratelimit.hit_key("fundraising-link-address", digest, LINKS_PER_ADDRESS).allowed:
        logger.info("Fundraising page link not sent: too many for one address")
        return "limited"
    campaign = Campaign.objects.published().filter(pk=campaign_id).first()
    if campaign is None:
        return "closed"
    page = _page_for(campaign, email)
    with mail.in_language(language):
        context = {
            "campaign_title": campaign.localized.title,
            "is_new": page.status == FundraisingPage.Status.DRAFT,
            "url": edit_url(page, language),
            "site_url": mail.site_address(),
            "hours": LINK_MAX_AGE // 3600,
        }
        subject = _("Your link to raise money for Open Communities Alliance")
    # To the page's own address: the one typed found it case-insensitively, and a
    # lookalike ("ıan@…" matches "ian@…" in the database) is another mailbox.
    error = mail.deliver(
        mail.build("fundraising_link", page.email, subject, context, language=language)
    )
    if error is not None:
        logger.warning("Fundraising page link not sent: %s", error)
        return "failed"
    return "sent"


@task()
def send_link(campaign_id, email, language=None):
    return deliver_link(campaign_id, email, language)


def send_approved(page):
    """Tells the supporter their page is public, with its address and share link."""
    with mail.in_language(page.language):
        context = {
            "name": page.display_name,
            "campaign_title": page.campaign.localized.title,
            "page_url": settings.SITE_URL + page.get_absolute_url(page.language),
            "share_url": page.share_url(),
            "edit_url": edit_url(page, page.language),
            "site_url": mail.site_address(),
        }
        subject = _("Your fundraising page is live")
    message = mail.build("fundraising_approved", page.email, subject, context, page.language)
    error = mail.deliver(message)
    if error is not None:
        logger.warning("Fundraising page approval not sent: %s", error)
    return error is None
