"""What a sponsor's match (campaigns.matches) owes, from the ledger's counted gifts.

A gift earns its match while it counts (paid, not refunded in full, not disputed, not
voided), for what the donor gave and kept given: its amount less any refund, less the
processing fee the donor chose to cover. The fee is not matched: it pays Stripe, not
the cause, and the sponsor matches gifts, not costs. Times the ratio, capped.

The total is recomputed in the transaction of every change to a campaign's gifts
(donations.gift_sync.refresh_progress), with the campaign row locked, and written to
the match (campaigns.progress.set_matched); so a refund, a dispute or a voided check
takes its part back at once, and events in any order give the same total. Nothing
here touches a gift: the match is the sponsor's money, never on a donor's receipt.
"""

from django.db import transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest

from campaigns import progress
from campaigns.models import Match

from .fee_totals import COVERED_FEE
from .models import Gift
from .reports import local_range

# What a counted gift puts toward the match, before the ratio: see the docstring above.
MATCHABLE = Greatest(F("amount_cents") - F("refunded_cents") - COVERED_FEE, Value(0))


def matched_gifts(match):
    """The counted gifts of the match's campaign given on its dates (local days, both
    included), each with `matchable_cents`, in the order they were given."""
    begin, stop = local_range(match.starts_on, match.ends_on)
    return (
        Gift.objects.counted()
        .filter(campaign_id=match.campaign_id, given_at__gte=begin, given_at__lt=stop)
        .annotate(matchable_cents=MATCHABLE)
        .order_by("given_at", "pk")
    )


def matched_total(match):
    """What the sponsor owes so far, in cents: the gifts' matchable sum times the
    ratio, up to the cap. One aggregate query."""
    given = matched_gifts(match).aggregate(total=Sum("matchable_cents", default=0))["total"]
    return min(match.cap_cents, given * match.ratio)


def refresh_matches(campaign_id):
    """Recomputes and stores the matched total of each of the campaign's matches.

    Runs inside the transaction that changed a gift, after the campaign row is locked
    (donations.gift_sync.refresh_progress): concurrent bookings write one after the
    other, and the last write includes every gift. Writes nothing that has not changed.
    """
    matches = Match.objects.filter(campaign_id=campaign_id)
    progress.set_matched({match.pk: matched_total(match) for match in matches})


def breakdown(match):
    """The sponsor's report: each gift the match counts, with what it earned.

    The cap is given out in the order the gifts came: the first gifts are matched in
    full, the one that reaches the cap in part, later ones not at all (they are still
    listed, at zero, so the sponsor sees the whole response). The rows add up to
    `matched_total`. Returns (rows, total in cents); a row is a dict of `gift`,
    `given_cents` (what counts toward the match) and `matched_cents`.
    """
    rows, remaining = [], match.cap_cents
    for gift in matched_gifts(match).only(
        "pk", "given_at", "amount_cents", "refunded_cents", "donor_name", "display_as"
    ):
        earned = min(gift.matchable_cents * match.ratio, remaining)
        remaining -= earned
        rows.append({"gift": gift, "given_cents": gift.matchable_cents, "matched_cents": earned})
    return rows, match.cap_cents - remaining


def refresh_after_edit(sender, instance, raw=False, **kwargs):
    """An editor changed a match's dates, ratio or cap: its total follows at once.
    (Not while fixtures load: their rows come as they were saved.)"""
    if raw:
        return
    with transaction.atomic():
        progress.lock_campaign(instance.campaign_id)
        refresh_matches(instance.campaign_id)
