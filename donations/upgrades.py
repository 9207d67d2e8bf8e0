"""Making a one-time gift monthly from the thank-you page ("Make it monthly at $10").

When a campaign offers it (Campaign.offers_monthly_upgrade), Checkout saves the card
of a one-time gift on the customer it creates (stripe_gateway.create_checkout_session).
The thank-you page, in the browser that made the pledge, then offers a monthly gift on
that card, at the amount of the campaign's tiers, first charged one month after the
one-time gift. Accepting takes one more click and no card entry: a subscription on
the saved card, a monthly pledge linked to the one-time one (`upgraded_from`) and its
MonthlyGift, so that the ledger books each monthly charge by the subscription's
metadata as any other (ledger.book_invoice). Declining, or doing nothing, changes
nothing.
"""

import calendar
import logging
import uuid
from datetime import timedelta
from typing import NamedTuple

from django.db import DatabaseError, transaction
from django.utils import timezone

from . import stripe_facts, stripe_gateway
from .models import Frequency, Gift, MonthlyGift, MonthlyNotice, Pledge
from .monthly import send_card_notice

logger = logging.getLogger(__name__)

# How long after a one-time gift its thank-you page may still offer to make it monthly.
OFFER_DAYS = 7
# The upgrade pledge's id is made of the one-time pledge's, so that a retry after a
# failure finds the same Stripe idempotency key (and so the same subscription).
_UPGRADE_NAMESPACE = uuid.UUID("0d9f5a7e-43c1-4f0b-8e26-7a51b3c2e9d4")


class Offer(NamedTuple):
    """What the thank-you page offers, and what accepting it would start."""

    pledge: Pledge  # the one-time pledge
    gift: Gift  # its paid gift
    amount_cents: int  # a month
    currency: str
    first_charge_at: object  # an aware datetime
    card_brand: str  # "Visa", "" when unknown
    card_last4: str
    saved: stripe_facts.SavedCard


class NoOffer(Exception):
    """This gift cannot be made monthly (any more): nothing was started."""


class OfferChanged(NoOffer):
    """The amount offered now is not the one the donor accepted: nothing was started."""


def one_month_after(moment):
    """The same day and time next month, or the month's last day when it is shorter
    (January 31 → February 28), as Stripe counts a monthly billing period."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def upgrade_offer(pledge, payment_intent, *, now=None):
    """The offer to make `pledge`'s one-time gift monthly, or None.

    Only for a one-time gift paid by card (or a card in a wallet) in full, not refunded
    or disputed, within OFFER_DAYS, while its campaign runs and offers it at this
    amount, and not made monthly already; `payment_intent` (the dict Stripe sent) must
    have saved the card for later charges. A bank debit is never offered.
    """
    now = now or timezone.now()
    campaign = pledge.campaign
    if pledge.frequency != Frequency.ONCE or not (campaign.is_published and campaign.is_running):
        return None
    if Pledge.objects.filter(upgraded_from=pledge).exists():
        return None
    amount = campaign.monthly_upgrade_cents(pledge.gift_cents)
    if amount is None:
        return None
    gift = (
        Gift.objects.filter(
            pledge=pledge,
            frequency=Frequency.ONCE,
            method__in=(Gift.Method.CARD, Gift.Method.WALLET),
            status=Gift.Status.SUCCEEDED,
        )
        .exclude(stripe_payment_intent_id="")
        .first()
    )
    if gift is None or gift.given_at < now - timedelta(days=OFFER_DAYS):
        return None
    if stripe_facts.expanded_id(payment_intent) != gift.stripe_payment_intent_id:
        return None
    saved = stripe_facts.saved_card(payment_intent)
    if saved is None:
        return None
    first_charge_at = one_month_after(gift.given_at)
    if first_charge_at <= now:
        return None
    return Offer(
        pledge=pledge,
        gift=gift,
        amount_cents=amount,
        currency=gift.currency,
        first_charge_at=first_charge_at,
        card_brand=gift.card_brand.title() if gift.card_last4 else "",
        card_last4=gift.card_last4,
        saved=saved,
    )


def upgraded_gift(pledge):
    """The monthly gift `pledge` was made into, or None."""
    return MonthlyGift.objects.select_related("pledge").filter(pledge__upgraded_from=pledge).first()


def accept_upgrade(pledge, *, amount_cents):
    """Makes the one-time gift of `pledge` monthly at `amount_cents`, the amount the
    donor was offered and accepted; returns the MonthlyGift.

    Books nothing: it starts a subscription on the card the one-time gift saved and
    records the monthly pledge and its MonthlyGift (with the donor of the one-time
    gift), and queues the confirmation e-mail; each charge is booked by
    ledger.book_invoice when Stripe says it was paid. Raises NoOffer when there is no
    offer for this gift (anymore), OfferChanged when the offer is now for another
    amount (staff changed the tiers since the page was shown: the card is charged
    only what the donor agreed to), and StripeUnavailable or StripeRejected when
    Stripe did not start it: then nothing is written.

    Safe twice: the one-time pledge's row is locked while Stripe is asked, so a second
    click waits and then finds the first one's monthly gift (returned as is); and the
    subscription is created with the upgrade pledge's idempotency key, made of the
    one-time pledge's id, so even a retry after our own failure makes no second one.
    """
    with transaction.atomic():
        pledge = Pledge.objects.select_for_update().select_related("campaign").get(pk=pledge.pk)
        existing = upgraded_gift(pledge)
        if existing is not None:
            return existing
        gift = Gift.objects.filter(pledge=pledge, frequency=Frequency.ONCE).first()
        if gift is None or not gift.stripe_payment_intent_id:
            raise NoOffer(pledge.public_id)
        payment_intent = stripe_gateway.retrieve_payment_intent(gift.stripe_payment_intent_id)
        offer = upgrade_offer(pledge, payment_intent)
        if offer is None:
            raise NoOffer(pledge.public_id)
        if offer.amount_cents != amount_cents:
            raise OfferChanged(pledge.public_id)
        upgrade = Pledge(
            public_id=uuid.uuid5(_UPGRADE_NAMESPACE, str(pledge.public_id)),
            campaign=pledge.campaign,
            donor=gift.donor,
            name=pledge.name,
            email=pledge.email,
            frequency=Frequency.MONTHLY,
            gift_cents=offer.amount_cents,
            fee_cents=0,
            amount_cents=offer.amount_cents,
            currency=offer.currency,
            display_as=pledge.display_as,
            language=pledge.language,
            source_path=pledge.source_path,
            # A gift made through a supporter's page stays theirs when it goes monthly.
            fundraiser_id=pledge.fundraiser_id,
            status=Pledge.Status.COMPLETED,
            upgraded_from=pledge,
        )
        # Stripe first, then our rows: if Stripe fails, this transaction writes nothing.
        subscription = stripe_gateway.create_upgrade_subscription(
            pledge=upgrade,
            customer_id=offer.saved.customer_id,
            payment_method_id=offer.saved.payment_method_id,
            first_charge_at=offer.first_charge_at,
        )
        try:
            monthly = _record(upgrade, gift, offer, subscription["id"])
        except DatabaseError:
            # Stripe started it and we could not record it: the donor's retry (same
            # idempotency key, for 24 hours) records this same subscription. Until then
            # staff must know, as its charges would belong to no monthly gift of ours.
            logger.error(
                "Subscription %s of pledge %s started but not recorded",
                subscription["id"],
                pledge.public_id,
            )
            raise
    logger.info("One-time pledge %s made monthly: %s", pledge.public_id, subscription["id"])
    return monthly


def _record(upgrade, gift, offer, subscription_id):
    upgrade.save()
    monthly = MonthlyGift.objects.create(
        donor=gift.donor,
        campaign=upgrade.campaign,
        pledge=upgrade,
        stripe_subscription_id=subscription_id,
        stripe_customer_id=offer.saved.customer_id,
        amount_cents=offer.amount_cents,
        currency=offer.currency,
        status=MonthlyGift.Status.ACTIVE,
        next_charge_at=offer.first_charge_at,
    )
    notice = MonthlyNotice.objects.create(
        monthly_gift=monthly,
        kind=MonthlyNotice.Kind.UPGRADE,
        key=f"upgrade:{monthly.pk}",
        amount_cents=monthly.amount_cents,
    )
    transaction.on_commit(lambda: send_card_notice.enqueue(notice.pk))
    return monthly
