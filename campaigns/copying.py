"""Duplicating a campaign: a new appeal that starts from an earlier one's copy.

What is copied is what an editor wrote (both languages), the help sections, the
donation form's presets and the goal; what is not is everything that happened to the
campaign (its donor and dollar counters, its feed; gifts and pledges belong to the
donations app and point at the original). The copy is a draft, so nothing new goes
public until an editor publishes it.
"""

from django.db import transaction

from .models import Campaign, HelpSection

SLUG_MAX = Campaign._meta.get_field("slug").max_length
# Not copied: the row's identity, the page's address (made unique below), the state
# it is published in, and what the ledger and the feed keep up to date.
NOT_COPIED = {"id", "slug", "is_published", "created_at", "updated_at", *Campaign.COUNTERS}


def copy_slug(slug):
    """ "<slug>-copy", or "<slug>-copy-2", "-copy-3"... whichever no campaign uses yet,
    cut so that it fits the slug's 80 characters."""
    taken = set(Campaign.objects.values_list("slug", flat=True))
    number = 1
    while True:
        suffix = "-copy" if number == 1 else f"-copy-{number}"
        candidate = slug[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


@transaction.atomic
def duplicate_campaign(campaign):
    """A new draft campaign with `campaign`'s copy and sections; returns it."""
    fields = {
        field.attname: getattr(campaign, field.attname)
        for field in Campaign._meta.concrete_fields
        if field.name not in NOT_COPIED
    }
    copy = Campaign.objects.create(slug=copy_slug(campaign.slug), is_published=False, **fields)
    HelpSection.objects.bulk_create(
        HelpSection(
            campaign=copy,
            position=section.position,
            heading=section.heading,
            heading_es=section.heading_es,
            body=section.body,
            body_es=section.body_es,
        )
        for section in campaign.sections.all()
    )
    return copy
