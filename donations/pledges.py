"""Starting a gift: the donor, their Stripe customer, the pledge and its Checkout Session.

Nothing here books money. A pledge only records what the donor asked for; the gift is
booked by donations.ledger when Stripe says it was paid (webhook or thank-you page).
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse

from . import stripe_gateway
from .forms import dollars
from .models import Donor, Pledge

logger = logging.getLogger(__name__)


class CheckoutUnavailable(Exception):
    """Stripe could not open a checkout; the pledge is marked failed, nothing was charged."""

    def __init__(self, pledge, *, unreachable):
        super().__init__(f"Checkout for pledge {pledge.public_id} could not be opened")
        self.pledge = pledge
        self.unreachable = unreachable


def find_donor(email):
    """The donor with this e-mail address, compared without case, or None."""
    return (
        Donor.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=email.strip().lower())
        .first()
    )


def find_or_create_donor(*, email, name):
    """One donor per e-mail address, compared without case, even under concurrency.

    An existing donor keeps the name on file: anyone can type any address into the
    form, and a pledge that is never paid must not rename someone's record.
    """
    donor = find_donor(email)
    if donor is not None:
        return donor
    try:
        with transaction.atomic():
            return Donor.objects.create(email=email.strip(), name=name)
    except IntegrityError:
        # Another request created the same donor a moment ago (the unique index on
        # Lower(email) made this insert wait for it, then fail): use that one.
        donor = find_donor(email)
        if donor is None:
            raise
        return donor


def ensure_stripe_customer(donor):
    """The donor's one Stripe customer id, created on their first pledge and reused.

    Safe to run twice or concurrently: the gateway's idempotency key is per donor, so
    Stripe answers both calls with the same customer, and only an empty column is set.
    """
    if donor.stripe_customer_id:
        return donor.stripe_customer_id
    customer = stripe_gateway.create_customer(email=donor.email, name=donor.name, donor_id=donor.pk)
    Donor.objects.filter(pk=donor.pk, stripe_customer_id__isnull=True).update(
        stripe_customer_id=customer["id"]
    )
    donor.refresh_from_db(fields=["stripe_customer_id"])
    return donor.stripe_customer_id


def success_url():
    # Stripe fills in {CHECKOUT_SESSION_ID}; it must reach Stripe unescaped.
    return settings.SITE_URL + reverse("donations:thank-you") + "?session_id={CHECKOUT_SESSION_ID}"


def cancel_url(campaign, *, gift_cents, frequency, cover_fee):
    """Back to the form with the donor's choices (never their name or e-mail)."""
    query = {"amount": dollars(gift_cents), "frequency": frequency}
    if cover_fee:
        query["fee"] = "1"
    query["cancelled"] = "1"
    return f"{settings.SITE_URL}{campaign.get_absolute_url()}?{urlencode(query)}#give"


def _same_request(pledge, *, campaign, donor, data):
    return (
        pledge.campaign_id == campaign.pk
        and pledge.donor_id == donor.pk
        and pledge.frequency == data["frequency"]
        and pledge.gift_cents == data["gift_cents"]
        and pledge.amount_cents == data["amount_cents"]
        and pledge.status in (Pledge.Status.CREATED, Pledge.Status.OPEN)
    )


def _pledge_for(campaign, donor, data):
    """The pledge of this form submission: new, or the one a double click already made.

    The form carries a token made when it was rendered; it becomes the pledge's id.
    The same submission arriving twice finds its pledge (and, through the gateway's
    idempotency key, its checkout session); a changed or finished one gets a new pledge.
    """
    fields = {
        "campaign": campaign,
        "donor": donor,
        "frequency": data["frequency"],
        "gift_cents": data["gift_cents"],
        "fee_cents": data["fee_cents"],
        "amount_cents": data["amount_cents"],
        "display_as": data["display_as"],
        "public_message": data["public_message"],
    }
    token = data.get("token")
    if token:
        existing = Pledge.objects.filter(public_id=token).first()
        if existing is None:
            try:
                with transaction.atomic():
                    return Pledge.objects.create(public_id=token, **fields)
            except IntegrityError:
                existing = Pledge.objects.filter(public_id=token).first()
        if existing is not None and _same_request(
            existing, campaign=campaign, donor=donor, data=data
        ):
            return existing
    return Pledge.objects.create(**fields)


def start_checkout(campaign, data):
    """Records the pledge and opens its Stripe Checkout Session; returns (pledge, url).

    The pledge is committed before Stripe is called, so a session never exists
    without the pledge its webhook will look for. Raises CheckoutUnavailable (after
    marking the pledge failed) when Stripe cannot be reached or refuses: nothing was
    charged and nothing is booked.
    """
    donor = find_or_create_donor(email=data["email"], name=data["name"])
    pledge = _pledge_for(campaign, donor, data)
    try:
        customer_id = ensure_stripe_customer(donor)
        session = stripe_gateway.create_checkout_session(
            pledge=pledge,
            customer_id=customer_id,
            success_url=success_url(),
            cancel_url=cancel_url(
                campaign,
                gift_cents=pledge.gift_cents,
                frequency=pledge.frequency,
                cover_fee=bool(pledge.fee_cents),
            ),
        )
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected) as error:
        Pledge.objects.filter(pk=pledge.pk).exclude(status=Pledge.Status.COMPLETED).update(
            status=Pledge.Status.FAILED
        )
        raise CheckoutUnavailable(
            pledge, unreachable=isinstance(error, stripe_gateway.StripeUnavailable)
        ) from error
    Pledge.objects.filter(pk=pledge.pk, status=Pledge.Status.CREATED).update(
        status=Pledge.Status.OPEN, stripe_checkout_session_id=session["id"]
    )
    return pledge, session["url"]
