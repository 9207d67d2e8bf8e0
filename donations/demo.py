"""The demo campaign's gifts and activity: the 2017 page's feed, re-enacted.

Every "donated", "started a monthly donation", Facebook post and tweet of the original
page comes back as a demo gift (booked through the ledger, which publishes it) or a
demo share. Their times are the original ones moved to the weeks before the day the
demo is loaded (`DemoClock`): the original rhythm (the year-end rush, quiet summer
weeks) squeezed into the last six weeks, the newest line a couple of hours old, so
that the demo reads as a campaign under way rather than one from years ago. Earlier
anonymous gifts stand for the supporters whose lines had scrolled off the original
page. Nothing shown is typed in: the donor count and total come from
`gift_sync.refresh_progress`, the number of reactions from the feed's own count.

The names are invented. Donors, gifts and feed items are flagged `is_demo`, have no
e-mail address and send no receipt.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns import feed, progress
from campaigns.models import FeedItem

from . import gift_sync
from .models import DisplayChoice, Donor, Frequency, Gift, public_name

FULL, FIRST, ANONYMOUS = DisplayChoice.FULL_NAME, DisplayChoice.FIRST_NAME, DisplayChoice.ANONYMOUS

# The original feed, newest first, as it stood online: (what, when, donor, display
# choice, message). A share belongs to the donor whose gift came just before it.
SEED_ACTIVITY = [
    ("donated", "2017-10-28 10:48:43 -0400", "Rosa Delgado", FULL, ""),
    ("donated", "2017-10-23 15:36:15 -0400", "Martin Okafor", FIRST, ""),
    ("donated", "2017-09-28 09:25:00 -0400", "Helen Park", FULL, ""),
    ("donated", "2017-09-27 09:33:06 -0400", "Demo supporter 4", ANONYMOUS, ""),
    ("donated", "2017-09-14 10:21:16 -0400", "Samuel Whitfield", FULL, ""),
    ("donated", "2017-09-14 10:05:50 -0400", "Aisha Rahman", FIRST, ""),
    ("donated", "2017-09-01 09:48:21 -0400", "Thomas Brennan", FULL, ""),
    (
        "facebook",
        "2017-08-28 07:43:15 -0400",
        "Carmen Ruiz",
        FULL,
        "Just made a donation to Open Communities Alliance for more diverse & equal CT "
        "communities. Please consider donating.",
    ),
    ("monthly", "2017-08-28 07:32:19 -0400", "Carmen Ruiz", FULL, ""),
    ("donated", "2017-08-28 07:32:19 -0400", "Demo supporter 10", ANONYMOUS, ""),
    ("donated", "2017-08-26 16:41:57 -0400", "Peter Novak", FIRST, ""),
    ("donated", "2017-07-14 17:35:22 -0400", "Gloria Mensah", FULL, ""),
    ("donated", "2017-01-07 10:24:49 -0500", "David Levin", FULL, ""),
    ("donated", "2016-12-31 18:33:42 -0500", "Demo supporter 14", ANONYMOUS, ""),
    ("donated", "2016-12-31 18:33:19 -0500", "Nadia Haddad", FIRST, ""),
    ("donated", "2016-12-31 16:26:50 -0500", "Owen Gallagher", FULL, ""),
    ("donated", "2016-12-31 12:09:16 -0500", "Lucia Ferreira", FULL, ""),
    (
        "facebook",
        "2016-12-31 11:55:26 -0500",
        "James Whitaker",
        FIRST,
        "Just made a donation to Open Communities Alliance",
    ),
    ("donated", "2016-12-31 11:55:03 -0500", "James Whitaker", FIRST, ""),
    ("donated", "2016-12-31 10:30:14 -0500", "Demo supporter 20", ANONYMOUS, ""),
    ("donated", "2016-12-31 00:09:42 -0500", "Grace Kim", FULL, ""),
    ("donated", "2016-12-30 22:11:52 -0500", "Robert Chen", FIRST, ""),
    ("donated", "2016-12-30 18:18:57 -0500", "Elena Morales", FULL, ""),
    ("donated", "2016-12-27 17:23:05 -0500", "Demo supporter 24", ANONYMOUS, ""),
    ("donated", "2016-12-27 07:49:45 -0500", "Frances Doyle", FULL, ""),
    ("donated", "2016-12-24 16:05:02 -0500", "Kwame Asante", FIRST, ""),
    (
        "facebook",
        "2016-12-23 12:38:31 -0500",
        "Miriam Goldberg",
        FULL,
        "Just made a donation to Open Communities Alliance",
    ),
    ("x", "2016-12-23 12:38:29 -0500", "Miriam Goldberg", FULL, ""),
    ("donated", "2016-12-23 12:37:52 -0500", "Miriam Goldberg", FULL, ""),
    ("donated", "2016-12-22 09:42:33 -0500", "Victor Santos", FULL, ""),
]

SHARE_KINDS = {"facebook": FeedItem.Kind.SHARED_FACEBOOK, "x": FeedItem.Kind.SHARED_X}

# Anonymous gifts before the first line above: with the 26 donors of the seed's own
# gifts they make the 84 donors the original page showed. Every fifth is a mailed check.
EARLIER_ANONYMOUS_GIFTS = 58
EARLIER_FROM = datetime.datetime.fromisoformat("2016-12-01T09:00:00-05:00")
EARLIER_EVERY = datetime.timedelta(hours=8, minutes=41)
AMOUNTS_CENTS = [2500, 5000, 10000, 2500, 25000, 5000, 3500, 10000]


# The seed's timeline is mapped onto the weeks before now: its newest line NEWEST_AGO
# before now, its oldest gift SPREAD before that (campaigns.demo starts the demo
# campaign before the oldest).
NEWEST_AGO = datetime.timedelta(hours=2, minutes=17)
SPREAD = datetime.timedelta(days=40)


def _when(text):
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")


class DemoClock:
    """Moves a time of the 2017 seed to the same place in the weeks before `now`."""

    def __init__(self, now):
        self.newest = _when(SEED_ACTIVITY[0][1])
        self.scale = SPREAD / (self.newest - EARLIER_FROM)
        self.end = now - NEWEST_AGO

    def __call__(self, seed_time):
        moved = self.end - (self.newest - seed_time) * self.scale
        return moved.replace(microsecond=0)


def _demo_donor(name):
    donor, _ = Donor.objects.get_or_create(name=name, is_demo=True, defaults={"email": ""})
    return donor


def _demo_gift(campaign, donor, *, given_at, amount_cents, display_as, **fields):
    """Books one demo gift through the ledger once; returns whether it was new.

    Each demo donor gives once, so the gift is found by its donor: a later run, on
    another day, finds it although the times it would give have moved."""
    gift, created = Gift.objects.get_or_create(
        campaign=campaign,
        donor=donor,
        is_demo=True,
        defaults={
            "given_at": given_at,
            "amount_cents": amount_cents,
            "donor_name": donor.name,
            "display_as": display_as,
            # No receipt: demo donors have no address, and nothing real was given.
            "receipt_status": Gift.Receipt.NOT_NEEDED,
            **fields,
        },
    )
    if created:
        gift.derive_status()
        gift.save(update_fields=["status", "counted"])
        gift_sync.sync_gift(gift)
    return created


@transaction.atomic
def load_demo_activity(campaign, *, now=None):
    """Adds the demo gifts and shares to `campaign`, dated in the weeks before `now`;
    returns (gifts, shares) added.

    Safe to run again: what exists is found (gifts by donor, shares by feed key) and
    nothing is added twice. The campaign row is locked first, so two runs
    at once do one after the other.
    """
    progress.lock_campaign(campaign.pk)
    when = DemoClock(now or timezone.now())
    gifts = shares = 0
    for index in range(EARLIER_ANONYMOUS_GIFTS):
        is_check = index % 5 == 4
        gifts += _demo_gift(
            campaign,
            _demo_donor(f"Demo supporter {101 + index}"),
            given_at=when(EARLIER_FROM + index * EARLIER_EVERY),
            amount_cents=AMOUNTS_CENTS[index % len(AMOUNTS_CENTS)],
            display_as=ANONYMOUS,
            method=Gift.Method.CHECK if is_check else Gift.Method.CARD,
            check_number=str(1040 + index) if is_check else "",
        )
    # Oldest first, so that of two lines at the same second the one listed above
    # (the newer) gets the higher id and sorts first, as on the original page.
    for number, (what, seed_time, name, display_as, message) in enumerate(
        reversed(SEED_ACTIVITY), start=1
    ):
        donor = _demo_donor(name)
        if what in SHARE_KINDS:
            key = f"share:{what}:{donor.pk}:{campaign.pk}"
            shares += not FeedItem.objects.filter(source_key=key).exists()
            feed.publish(
                campaign_id=campaign.pk,
                key=key,
                kind=SHARE_KINDS[what],
                display_name=public_name(donor.name, display_as),
                message=message,
                occurred_at=when(_when(seed_time)),
                is_demo=True,
            )
            continue
        monthly = what == "monthly"
        gifts += _demo_gift(
            campaign,
            donor,
            given_at=when(_when(seed_time)),
            amount_cents=AMOUNTS_CENTS[number % len(AMOUNTS_CENTS)],
            display_as=display_as,
            public_message=message,
            frequency=Frequency.MONTHLY if monthly else Frequency.ONCE,
            starts_monthly=monthly,
        )
    return gifts, shares
