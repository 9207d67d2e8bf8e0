"""What follows every change to a gift: the public feed, the campaign's progress and
the receipt. Online gifts (donations.ledger, donations.adjustments) and checks
(donations.checks) all end here, so the three never disagree with the gifts.
"""

from django.db.models import Count, Sum

from campaigns import feed, progress
from campaigns.models import FeedItem

from . import alerts, matching, receipts, supporters, tributes
from .models import Frequency, Gift, is_listed, is_recurring


def save_gift(gift, *, created=False):
    """Derives a gift's status from its facts, saves it, and syncs what follows from it.

    A new gift for a donor without an e-mail address needs no receipt (staff print a
    letter instead), nor does a monthly charge of a donor who chose one annual
    statement instead (it is listed in that statement).
    """
    gift.derive_status()
    if created and gift.receipt_status == Gift.Receipt.PENDING:
        annual = is_recurring(gift.frequency) and gift.donor.annual_receipt
        if annual or not gift.donor.email:
            gift.receipt_status = Gift.Receipt.NOT_NEEDED
    gift.save()
    sync_gift(gift)


def sync_gift(gift):
    """Brings the feed, the campaign's progress, the receipt, a tribute's notice, the
    donor's consent to updates and the staff's alerts in line with a gift.

    Called after every change to a gift, online or check; idempotent. Consent and
    alerts follow the money: only a counted (paid) gift gives either.
    """
    sync_feed(gift)
    # Paid, whatever happened since: the same in every order of Stripe's events.
    tributes.notice_when_paid(gift)
    if gift.counted:
        if gift.receipt_status == Gift.Receipt.PENDING:
            receipts.schedule_receipt(gift)
        supporters.consent_from_gift(gift)
        alerts.gift_counted(gift)
    refresh_progress(gift.campaign_id)


def sync_feed(gift):
    """The gift's feed line: shown, under its display choice, while it counts and is
    listed; withdrawn otherwise ("don't list my gift" is counted, never shown)."""
    kind = _feed_kind(gift)
    if gift.counted and kind and is_listed(gift.display_as):
        item = feed.publish(
            campaign_id=gift.campaign_id,
            key=gift.feed_key,
            kind=kind,
            display_name=gift.public_name,
            message=gift.public_message,
            tribute=gift.tribute_kind,
            honoree=gift.tribute_name,
            occurred_at=gift.given_at,
            is_demo=gift.is_demo,
            via_name=gift.fundraiser.via_name if gift.fundraiser_id else "",
            via_ref=gift.fundraiser_id,
        )
        if item.display_name != gift.public_name[:150]:
            feed.rename(gift.feed_key, gift.public_name)
    else:
        feed.withdraw(gift.feed_key)


def _feed_kind(gift):
    if gift.frequency == Frequency.ONCE:
        return FeedItem.Kind.DONATED
    # A recurring gift shows once, as it starts; its renewals stay off the feed.
    if not gift.starts_monthly:
        return None
    return FeedItem.Kind.ANNUAL if gift.frequency == Frequency.ANNUAL else FeedItem.Kind.MONTHLY


def refresh_progress(campaign_id):
    """Recomputes a campaign's donor count and total from the counted gifts, and what
    its matching challenges have matched (donations.matching).

    The campaign row is locked first, so concurrent bookings for one campaign
    recompute one after the other and the last write includes every gift.
    """
    progress.lock_campaign(campaign_id)
    totals = Gift.objects.filter(campaign_id=campaign_id, counted=True).aggregate(
        donors=Count("donor_id", distinct=True),
        amount=Sum("amount_cents"),
        refunded=Sum("refunded_cents"),
    )
    progress.set_progress(
        campaign_id,
        donor_count=totals["donors"] or 0,
        raised_cents=(totals["amount"] or 0) - (totals["refunded"] or 0),
    )
    matching.refresh_matches(campaign_id)
