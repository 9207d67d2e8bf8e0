"""The supporter list for the mailing tool: everyone opted in to updates, as CSV.

One row per person (a donor who gave twice is one row), only while their consent
stands. Two layouts, because the two tools read different columns:

- Mailchimp's import ("Email Address", "First Name", "Last Name", "Tags"; Tags is
  one cell of comma-separated tags, quoted, which Mailchimp applies per contact);
- Action Network's upload ("email", "first_name", "last_name", "zip_code", which it
  matches to its own fields by name; it has no per-row tags, so the tags are custom
  fields "monthly_donor", "campaigns" and "language", and tags chosen at upload).

Tags: "monthly donor" while a monthly gift runs, "campaign:<slug>" for each campaign
given to, "language:<code>". Cells are formula-safe and the file UTF-8, as in
donations.exports.
"""

from django.db.models import Exists, OuterRef, Prefetch

from .exports import CHUNK_SIZE, csv_lines
from .models import Donor, Gift, Interval, MonthlyGift, UpdatesConsent
from .monthly import MANAGEABLE

MAILCHIMP_COLUMNS = ["Email Address", "First Name", "Last Name", "Tags"]
ACTION_NETWORK_COLUMNS = [
    "email",
    "first_name",
    "last_name",
    "zip_code",
    "monthly_donor",
    "campaigns",
    "language",
]
TOOLS = {"mailchimp": MAILCHIMP_COLUMNS, "action-network": ACTION_NETWORK_COLUMNS}
MONTHLY_TAG = "monthly donor"
YEARLY_TAG = "yearly donor"
# A tag for each kind of recurring gift a supporter keeps going.
RECURRING_TAGS = [(MONTHLY_TAG, "is_monthly"), (YEARLY_TAG, "is_yearly")]


def opted_in(donors=None):
    """The donors whose consent to updates stands, with an address to write to."""
    donors = Donor.objects.all() if donors is None else donors
    return donors.filter(
        Exists(UpdatesConsent.objects.active().filter(donor=OuterRef("pk")))
    ).exclude(email="")


def split_name(name):
    """(first, last) as the mailing tools want them: the first word, and the rest."""
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last


def _supporters(donors):
    return (
        opted_in(donors)
        .annotate(
            is_monthly=Exists(
                MonthlyGift.objects.filter(
                    donor=OuterRef("pk"), status__in=MANAGEABLE, interval=Interval.MONTH
                )
            ),
            is_yearly=Exists(
                MonthlyGift.objects.filter(
                    donor=OuterRef("pk"), status__in=MANAGEABLE, interval=Interval.YEAR
                )
            ),
        )
        .prefetch_related(
            Prefetch(
                "gifts",
                queryset=Gift.objects.counted()
                .select_related("campaign")
                .only("donor_id", "campaign__slug"),
                to_attr="counted_gifts",
            )
        )
        .order_by("name", "pk")
    )


def _facts(donor):
    first, last = split_name(donor.name)
    campaigns = sorted({gift.campaign.slug for gift in donor.counted_gifts})
    return first, last, campaigns


def mailchimp_rows(donors=None):
    for donor in _supporters(donors).iterator(chunk_size=CHUNK_SIZE):
        first, last, campaigns = _facts(donor)
        tags = [tag for tag, has in RECURRING_TAGS if getattr(donor, has)] + [
            f"campaign:{slug}" for slug in campaigns
        ]
        tags.append(f"language:{donor.language}")
        yield [donor.email, first, last, ",".join(tags)]


def action_network_rows(donors=None):
    for donor in _supporters(donors).iterator(chunk_size=CHUNK_SIZE):
        first, last, campaigns = _facts(donor)
        yield [
            donor.email,
            first,
            last,
            donor.postal_code,
            "yes" if donor.is_monthly else "no",
            " ".join(campaigns),
            donor.language,
        ]


def supporters_csv(tool, donors=None):
    """The CSV lines of the supporter list for `tool` ("mailchimp" or "action-network")."""
    rows = mailchimp_rows(donors) if tool == "mailchimp" else action_network_rows(donors)
    return csv_lines(TOOLS[tool], rows)
