"""Starting a gift: the pledge and its Checkout Session.

Nothing here books money, and nothing here looks up or creates a donor: a pledge
records what was typed, and the gift (and, for a new address, the Donor and the
Stripe customer) come from donations.ledger when Stripe says it was paid.
"""

import logging
import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from campaigns.formatting import dollars

from . import languages, stripe_gateway
from .donors import find_donor  # noqa: F401 (the public name of the lookup)
from .forms import bank_suggested
from .models import PaymentMethod, Pledge, Tribute
from .supporters import UPDATES_WORDING

logger = logging.getLogger(__name__)


class CheckoutUnavailable(Exception):
    """Stripe could not open a checkout; the pledge is marked failed, nothing was charged."""

    def __init__(self, pledge, *, unreachable):
        super().__init__(f"Checkout for pledge {pledge.public_id} could not be opened")
        self.pledge = pledge
        self.unreachable = unreachable


# Both return addresses are in the pledge's language (/es/... for Spanish): the donor
# comes back from Checkout to the pages they left.


def success_url(language=None):
    # Stripe fills in {CHECKOUT_SESSION_ID}; it must reach Stripe unescaped.
    with translation.override(language or settings.LANGUAGE_CODE):
        path = reverse("donations:thank-you")
    return settings.SITE_URL + path + "?session_id={CHECKOUT_SESSION_ID}"


def cancel_url(campaign, *, gift_cents, frequency, cover_fee, method, language=None, via=""):
    """Back to the form with the donor's choices (never their name or e-mail), still
    crediting the supporter's page it was made through (`via`, its slug).

    The payment method is named only when it is not the one the form picks for that
    amount (DonationForm.for_page)."""
    query = {"amount": dollars(gift_cents), "frequency": frequency}
    if method != (PaymentMethod.BANK if bank_suggested(gift_cents) else PaymentMethod.CARD):
        query["method"] = method
    if cover_fee:
        query["fee"] = "1"
    if via:
        query["via"] = via
    query["cancelled"] = "1"
    with translation.override(language or settings.LANGUAGE_CODE):
        path = campaign.get_absolute_url()
    return f"{settings.SITE_URL}{path}?{urlencode(query)}#give"


def _same_request(pledge, *, campaign, data):
    return (
        pledge.campaign_id == campaign.pk
        and pledge.email.lower() == data["email"].strip().lower()
        and pledge.name == data["name"]
        and pledge.frequency == data["frequency"]
        and pledge.payment_method == data["payment_method"]
        and pledge.gift_cents == data["gift_cents"]
        and pledge.amount_cents == data["amount_cents"]
        # How the gift is shown in the public feed: a donor back from Checkout who
        # now chooses to stay anonymous must not pay the pledge that names them.
        and pledge.display_as == data["display_as"]
        and pledge.public_message == data["public_message"]
        and pledge.language == languages.active()
        and pledge.wants_updates == data.get("updates", False)
        and pledge.fundraiser == data.get("via")
        and _tribute_of(pledge) == tribute_fields(data)
        and pledge.status in (Pledge.Status.CREATED, Pledge.Status.OPEN)
    )


TRIBUTE_COLUMNS = (
    "kind",
    "honoree",
    "notify_name",
    "notify_email",
    "notify_message",
    "notify_amount",
)


def tribute_fields(data):
    """The tribute of a cleaned form as Tribute's fields, or None without one."""
    if not data.get("tribute_kind"):
        return None
    return {
        "kind": data["tribute_kind"],
        "honoree": data["honoree"],
        "notify_name": data.get("notify_name", ""),
        "notify_email": (data.get("notify_email") or "").strip(),
        "notify_message": data.get("notify_message", ""),
        "notify_amount": bool(data.get("notify_amount")) and bool(data.get("notify_email")),
    }


def _tribute_of(pledge):
    tribute = Tribute.objects.filter(pledge=pledge).first()
    if tribute is None:
        return None
    return {name: getattr(tribute, name) for name in TRIBUTE_COLUMNS}


# How long a form sent without JavaScript counts as "the same form sent again".
RESUBMIT_WINDOW_SECONDS = 10 * 60
_RESUBMIT_NAMESPACE = uuid.UUID("6f1d0c8e-2b7a-4c55-9a5e-0b6f1c3e8a39")


def _token_without_script(campaign, data):
    """A pledge id made of the submission itself and the current ten minutes.

    Two posts of the same choices in that window are one pledge while it is open;
    once paid, `_same_request` no longer matches and a new gift gets a new pledge.
    """
    window = int(time.time()) // RESUBMIT_WINDOW_SECONDS
    parts = [
        campaign.pk,
        data["email"].strip().lower(),
        data["name"],
        data["frequency"],
        data["payment_method"],
        data["gift_cents"],
        data["amount_cents"],
        data["display_as"],
        data["public_message"],
        data.get("updates", False),
        data["via"].pk if data.get("via") else "",
        *(tribute_fields(data) or {}).values(),
        languages.active(),
        window,
    ]
    return uuid.uuid5(_RESUBMIT_NAMESPACE, "\x1f".join(str(part) for part in parts))


def _pledge_for(campaign, data):
    """The pledge of this form submission: new, or the one a double click already made.

    The browser puts a token in the form when the page loads (static/js/donate.js); it
    becomes the pledge's id. Without JavaScript, the token is derived from what was
    submitted and the current few minutes (`_token_without_script`), so the same form
    sent twice still finds one pledge.
    The same submission arriving twice finds its pledge (and, through the gateway's
    idempotency key, its checkout session); a changed or finished one gets a new pledge.
    """
    wants_updates = bool(data.get("updates"))
    fields = {
        "campaign": campaign,
        "name": data["name"],
        "email": data["email"].strip(),
        "frequency": data["frequency"],
        "payment_method": data["payment_method"],
        "gift_cents": data["gift_cents"],
        "fee_cents": data["fee_cents"],
        "amount_cents": data["amount_cents"],
        "display_as": data["display_as"],
        "public_message": data["public_message"],
        "language": languages.active(),
        # The words the box was ticked under, as shown (in the page's language), and
        # the page that showed them: what the consent will say once this is paid.
        "wants_updates": wants_updates,
        "updates_wording": str(UPDATES_WORDING) if wants_updates else "",
        "source_path": data.get("source") or campaign.get_absolute_url(),
        "fundraiser": data.get("via"),
    }
    tribute = tribute_fields(data)
    token = data.get("token") or _token_without_script(campaign, data)
    if token:
        existing = Pledge.objects.filter(public_id=token).first()
        if existing is None:
            try:
                return _create_pledge(fields, tribute, public_id=token)
            except IntegrityError:
                existing = Pledge.objects.filter(public_id=token).first()
        if existing is not None and _same_request(existing, campaign=campaign, data=data):
            return existing
    return _create_pledge(fields, tribute)


def _create_pledge(fields, tribute, **ids):
    """The pledge and its tribute, written together or not at all."""
    with transaction.atomic():
        pledge = Pledge.objects.create(**ids, **fields)
        if tribute is not None:
            Tribute.objects.create(pledge=pledge, **tribute)
    return pledge


def start_checkout(campaign, data):
    """Records the pledge and opens its Stripe Checkout Session; returns (pledge, url).

    The pledge is in the language of the request (the page the form was sent from),
    and so are Checkout and the addresses it sends the donor back to.

    The pledge is committed before Stripe is called, so a session never exists
    without the pledge its webhook will look for. Raises CheckoutUnavailable (after
    marking the pledge failed) when Stripe cannot be reached or refuses: nothing was
    charged and nothing is booked.
    """
    pledge = _pledge_for(campaign, data)
    try:
        session = stripe_gateway.create_checkout_session(
            pledge=pledge,
            success_url=success_url(pledge.language),
            cancel_url=cancel_url(
                campaign,
                gift_cents=pledge.gift_cents,
                frequency=pledge.frequency,
                cover_fee=bool(pledge.fee_cents),
                method=pledge.payment_method,
                language=pledge.language,
                via=pledge.fundraiser.slug if pledge.fundraiser_id else "",
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
