"""The demo campaign: Open Communities Alliance's 2017 appeal, as it stood online.

Used by `manage.py load_demo`, by `make run` and by the tests that need real copy.
"""

import datetime
from pathlib import Path

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from . import demo_es
from .models import Campaign, HelpSection
from .organization import PLACEHOLDER_EIN, Organization

DEMO_SLUG = "oca-2017-appeal"

LETTER = """\
Almost 90% of housing built by the government for Connecticut’s most vulnerable \
children is in areas that are poverty-concentrated with under-resourced schools. \
This makes no sense.

Open Communities Alliance has seen progress over the last three years as we have \
successfully advocated for changes in state and federal policy that promote \
integration, housing choice, and access to opportunity, including in areas with \
fully-resourced schools. But there is so much more to be done. We have now come to a \
critical crossroads and we need you to help us take our mission to the next level.

Before the election of Donald Trump the federal government had given a green light to \
transformative policies that were already having an influence on government \
priorities here in Connecticut. These policies focused on “affirmatively furthering \
fair housing,” that is, consciously reversing decades of intentional government \
policies that created our segregated housing landscape. These changes have the \
potential to address exclusionary zoning, public housing siting, and subsidized \
housing investment in a way that creates choices for lower income families while \
avoiding recreating pockets of concentrated poverty.

By addressing segregation and creating greater housing choices for low income \
families of color and many other families who rely on affordable housing options \
(single parents – especially women, people with disabilities, and lower and mid-wage \
workers) we can create a more just and economically vibrant Connecticut and champion \
a national model for diversity and inclusion.

Together, we can also revolutionize and equalize public education in Connecticut. \
Almost everywhere in the state where you live dictates where your children go to \
school, and there are deep resource divides between school districts. A more balanced \
housing policy, in which every town takes on an appropriate share of affordable \
housing, will allow all districts to deliver a high quality educational experience to \
all students. Open Communities Alliance is working to develop such a plan.
"""

SECTIONS = [
    (
        "You can help us be the voice for thousands of families.",
        "Families who want greater choices in where they live. We are working with real "
        "families facing serious obstacles. Some would like to stay in their struggling "
        "neighborhoods – and our work will help them – but many would like to move. We "
        "are laser-focused on ensuring choices.",
    ),
    (
        "You can help us implement market-based policies to take on exclusionary zoning.",
        "We are working with national partners like the National Housing Trust and "
        "respected local institutions like Yale Law School to leverage resources that "
        "will create to-scale, attractive, mixed-income housing generating open "
        "communities all across the state.",
    ),
    (
        "You can help us insulate Connecticut from the rollback of housing civil rights "
        "at the federal level",
        "Now more than ever it is critical for Connecticut to step forward as a model for "
        "inclusiveness and sound housing policy. While protecting our precious housing "
        "resources and vulnerable populations, we need to fight the knee-jerk reaction "
        "to freeze progress on civil rights in the face of adversity.",
    ),
    (
        "You can help us spread the word that HOUSING POLICY = SCHOOL POLICY",
        "Connecticut is home to some remarkable legal decisions about school segregation "
        "and the need to equalize school funding. These decisions are critically "
        "important, but, alone, they cannot address the fact that at the heart of school "
        "segregation and inequality is some of the deepest residential segregation in "
        "the country. Addressing residential segregation and the resultant inequities in "
        "education and beyond is central to OCA’s mission.",
    ),
    (
        "You can help us hold the Trump administration accountable",
        "Many people in Connecticut may not realize that OCA is part of a strong "
        "coalition of civil rights groups across the country including the NAACP LDF, "
        "the Lawyers’ Committee for Civil Rights, the Poverty and Race Research Action "
        "Council, and the ACLU, that together develops and submits critical comments on "
        "developing federal policy. Over the last few years we have contributed to "
        "numerous letters to the U.S. Department of Housing and Urban Development "
        "sharing recommendations that are often incorporated into final rules. This kind "
        "of national advocacy will be all the more critical over the next four years.",
    ),
]

CLOSING = """\
**We need you!** Please consider a generous gift. You can give online on this page, \
or send us a check.
"""

OTHER_WAYS = """\
Many employers match their employees’ gifts: ask yours, and a single gift can count \
twice.

*A past program:* from 2017 until Amazon closed the program in 2023, supporters could \
also give through AmazonSmile with their everyday purchases.
"""

CAMPAIGN_FIELDS = {
    "title": "Help us take our mission to the next level",
    "summary": (
        "Open Communities Alliance works for housing choice, integration and access "
        "to opportunity across Connecticut."
    ),
    "letter": LETTER,
    "help_heading": "How will Open Communities Alliance help? How can YOU help?",
    "closing": CLOSING,
    "preset_amounts": "25,50,100,250",
    "offers_annual": True,
    "default_frequency": "once",
    "other_ways_to_give": OTHER_WAYS,
    "tax_statement": (
        "As a 501(c)(3) organization, all donations to Open Communities Alliance are "
        "tax deductible."
    ),
    "goal_kind": Campaign.GoalKind.DONORS,
    "goal_target": 100,
    "impact_cues": (
        "25 = pays for a fair-housing workshop’s handouts for one family\n"
        "50 = helps a family file a fair-housing complaint\n"
        "100 = trains a volunteer to guide renters through a housing search\n"
        "250 = funds a week of research for a lawsuit on segregated housing"
    ),
    "hero_image_alt": (
        "An illustration of a street of varied houses and apartments at sunrise, with "
        "neighbours walking on the sidewalk."
    ),
    "is_published": True,
    "share_title": "Support Open Communities Alliance",
    "share_description": (
        "Help Connecticut families choose where they live: give to Open Communities "
        "Alliance, a fair-housing nonprofit."
    ),
}


# OCA's details as the 2017 page gave them. The EIN is a placeholder that staff replace
# in the admin (every admin page and `check --deploy` say so until they do).
ORGANIZATION_FIELDS = {
    "legal_name": "Open Communities Alliance",
    "ein": PLACEHOLDER_EIN,
    "check_payee": "Open Communities Alliance",
    "street": "75 Charter Oak Avenue",
    "suite": "Suite 1-210",
    "city_state_zip": "Hartford, CT 06106",
    "phone": "860-610-6040",
    "website": "https://www.ctoca.org",
}


def load_demo_organization():
    """Fills in the organization's details from the demo, unless staff already did
    (a row with a street address is left as it is)."""
    organization = Organization.current()
    if not organization.street:
        for name, value in ORGANIZATION_FIELDS.items():
            setattr(organization, name, value)
        organization.save()
    return organization


HERO_IMAGE = Path(__file__).resolve().parent / "demo_assets" / "hero-street.jpg"
# The demo looks like a campaign under way: it began some weeks ago (its activity,
# donations.demo, is spread over them) and ends in a few weeks.
DEMO_STARTED_DAYS_AGO = 42
DEMO_ENDS_IN_DAYS = 33


def demo_dates(today=None):
    today = today or timezone.localdate()
    return {
        "starts_on": today - datetime.timedelta(days=DEMO_STARTED_DAYS_AGO),
        "ends_on": today + datetime.timedelta(days=DEMO_ENDS_IN_DAYS),
    }


# What storing the demo picture gave (its stored name and size), kept for the process:
# the picture's checks and re-encoding take a noticeable fraction of a second, and the
# stored file, named by its content, is the same for every demo campaign made later.
_stored_demo_hero = {}


def _store_demo_hero(campaign):
    """Gives `campaign` the demo picture: stored (with its renditions) the first time,
    then the same stored file, as long as it is still in the storage."""
    field = campaign.hero_image
    folder = getattr(field.storage, "location", "")
    known = _stored_demo_hero.get(folder)
    if known and field.storage.exists(known["name"]):
        campaign.hero_image.name = known["name"]
        campaign.hero_image_width, campaign.hero_image_height = known["size"]
        campaign.save(update_fields=["hero_image", "hero_image_width", "hero_image_height"])
        return
    with HERO_IMAGE.open("rb") as image:
        campaign.hero_image.save(HERO_IMAGE.name, File(image), save=True)
    _stored_demo_hero[folder] = {
        "name": campaign.hero_image.name,
        "size": (campaign.hero_image_width, campaign.hero_image_height),
    }


@transaction.atomic
def load_demo_campaign():
    """Creates the demo campaign and its five sections, in English and Spanish (the
    `_es` fields, from campaigns.demo_es); returns (campaign, created).

    Safe to run again: an existing demo campaign, including any edits staff made to
    it, is left as it is (migration 0006 gave one made earlier its Spanish).
    """
    load_demo_organization()
    spanish = {f"{name}_es": text for name, text in demo_es.CAMPAIGN_FIELDS_ES.items()}
    campaign, created = Campaign.objects.get_or_create(
        slug=DEMO_SLUG, defaults=CAMPAIGN_FIELDS | spanish | demo_dates()
    )
    if created:
        _store_demo_hero(campaign)
        HelpSection.objects.bulk_create(
            HelpSection(
                campaign=campaign,
                position=index,
                heading=heading,
                body=body,
                heading_es=heading_es,
                body_es=body_es,
            )
            for index, ((heading, body), (heading_es, body_es)) in enumerate(
                zip(SECTIONS, demo_es.SECTIONS, strict=True), start=1
            )
        )
    return campaign, created
