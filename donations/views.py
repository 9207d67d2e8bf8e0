"""The donor's pages: the form on a campaign's page, the pledge, the thank-you page (with
its offer to make a one-time gift monthly: donations.upgrades) and the request for a
"My giving" link (the signed page itself: donations.my_giving_views)."""

import logging
import re
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from campaigns.formatting import format_date, format_money
from campaigns.models import Campaign
from campaigns.views import render_campaign

from . import fees, languages, ledger, monthly, pledges, ratelimit, stripe_facts, stripe_gateway
from .cross_site import refuse_cross_site
from .forms import DonationForm, ManageLinkForm
from .models import Frequency, PaymentFailureNotice, Pledge, Tribute, first_name
from .upgrades import NoOffer, OfferChanged, accept_upgrade, upgrade_offer, upgraded_gift

logger = logging.getLogger(__name__)

FORM_TEMPLATE = "donations/includes/donation_form.html"
CLOSED_TEMPLATE = "donations/includes/giving_closed.html"
# The donation form is well under 2 KB; anything this large is not a donor.
MAX_FORM_BYTES = 16 * 1024
SESSION_ID = re.compile(r"^cs_[A-Za-z0-9_]{1,250}$")


# Guards, outermost first: size, rate, then CSRF (so neither of the first two parses
# a body that the CSRF check would read).


# A Content-Length is ASCII digits (RFC 9110); fifteen of them are far beyond any body.
CONTENT_LENGTH = re.compile(r"[0-9]{1,15}")


def declared_length(request):
    """The body's length as the client declared it: 0 when absent, None when it is
    no length at all (letters, a sign, Unicode digits, spaces, too many digits)."""
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if CONTENT_LENGTH.fullmatch(value) else None


def bad_length(request):
    """The answer to a request whose Content-Length is no length: only a broken or
    hostile client sends one, and guessing its body's size is not safe."""
    logger.warning(
        "Refused a %s to %s: Content-Length %r is not a length",
        request.method,
        request.path,
        request.META.get("CONTENT_LENGTH", "")[:40],
    )
    return HttpResponse(
        _("This request is malformed.") + "\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _limit_body(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        length = declared_length(request)
        if length is None:
            return bad_length(request)
        if length > MAX_FORM_BYTES:
            return HttpResponse(
                _("This form is too large to accept.") + "\n",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return view(request, *args, **kwargs)

    return wrapped


def _too_many(request, verdict):
    minutes = max(1, -(-verdict.retry_after // 60))
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _rate_limited(scope):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                verdict = ratelimit.hit(request, scope)
                if not verdict.allowed:
                    return _too_many(request, verdict)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _no_store(view):
    return cache_control(private=True, no_store=True)(view)


# The form on the campaign page -----------------------------------------------------


def campaign_page_context(request, campaign):
    """What the donation form adds to a campaign's page (settings.CAMPAIGN_PAGE_CONTEXT)."""
    if not campaign.is_running:
        return {"donation_form_template": CLOSED_TEMPLATE}
    return {
        "donation_form": DonationForm.for_page(campaign, request.GET, request.path),
        "donation_form_template": FORM_TEMPLATE,
        "donation_cancelled": request.GET.get("cancelled") == "1",
        "fee_scale": fees.fee_scale(),
        "donation_limits": {
            "min": settings.DONATION_MIN_CENTS,
            "max": settings.DONATION_MAX_CENTS,
            "bank_max": settings.DONATION_BANK_MAX_CENTS,
            "bank_from": settings.DONATION_BANK_SUGGESTED_CENTS,
        },
    }


def _render_form(request, campaign, form, *, status, notice=""):
    """The page the form was posted from, with the form's errors or `notice`: the
    supporter's page whose form it was (its `via` names a public page of this
    campaign), else the campaign's page. An error is never kept by a cache
    (oca_site.middleware.errors_not_cached). The page is the one the form's own check
    found (DonationForm.clean_via): the raw `via` may be anything, a NUL byte that
    PostgreSQL refuses in a query included."""
    extra_context = {"donation_form": form, "donation_notice": notice}
    page = form.cleaned_data.get("via")
    if page is not None:
        # Imported here: fundraising.views builds its page from this module.
        from fundraising.views import render_page

        return render_page(request, page, extra_context=extra_context, status=status)
    return render_campaign(request, campaign, extra_context=extra_context, status=status)


@csrf_exempt  # the page is the same for everyone: no token; see donations.cross_site
@require_POST
@refuse_cross_site
@_limit_body
@_rate_limited("pledge")
def pledge(request, slug):
    campaign = get_object_or_404(Campaign.objects.published(), slug=slug)
    if not campaign.is_running:
        return render_campaign(request, campaign, status=409)
    form = DonationForm(request.POST, campaign=campaign)
    if not form.is_valid():
        return _render_form(request, campaign, form, status=400)
    try:
        made, url = pledges.start_checkout(campaign, form.cleaned_data)
    except pledges.CheckoutUnavailable as error:
        notice = _(
            "We couldn’t reach our payment processor. Nothing was charged, please try again."
        )
        return _render_form(
            request, campaign, form, status=503 if error.unreachable else 502, notice=notice
        )
    _remember_pledge(request, made)
    return _see_other(url)


# How many of a browser's recent pledges its session remembers.
REMEMBERED_PLEDGES = 5


def _remember_pledge(request, pledge):
    """Notes in this browser's session that it made the pledge.

    The thank-you page's address can be copied or leaked; only the browser that made
    the pledge may add "… shared this" to the feed in the donor's name.
    """
    made = [p for p in request.session.get("pledges", []) if p != str(pledge.public_id)]
    request.session["pledges"] = (made + [str(pledge.public_id)])[-REMEMBERED_PLEDGES:]


def _see_other(url):
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


# Thank you -------------------------------------------------------------------------


def _problem(request, problem, status, campaign=None, back=None):
    response = render(
        request,
        "donations/thank_you_problem.html",
        {"problem": problem, "campaign": campaign, "back": back},
        status=status,
    )
    if status == 503:
        response["Retry-After"] = "30"
    return response


def _unknown_session(request):
    """A session id that is no pledge of ours: a typo, an old link, or a scan.

    Answered without asking Stripe, counted per address (a scan must not spend our
    Stripe API rate limit), and logged at INFO: it is no fault of ours.
    """
    verdict = ratelimit.hit(request, "thank-you-unknown", settings.THANK_YOU_UNKNOWN_RATE_LIMIT)
    logger.info("Thank-you page asked for a checkout session that is not ours")
    if not verdict.allowed:
        return _too_many(request, verdict)
    return _problem(request, "unknown", 404)


@require_safe
@_no_store
def thank_you(request):
    """Where Stripe sends the donor back: books the gift at once and says thank you.

    The booking is the webhook's own idempotent function, so whichever of the two
    arrives first books the gift and the other changes nothing. The page shows only
    what was typed in this pledge and what was paid, never what is on file.
    """
    session_id = request.GET.get("session_id", "")
    pledge = None
    if SESSION_ID.match(session_id):
        pledge = (
            Pledge.objects.select_related("campaign")
            .filter(stripe_checkout_session_id=session_id)
            .first()
        )
    if pledge is None:
        return _unknown_session(request)
    # Counted too: anyone can open a checkout of their own and reload its page, each
    # time asking Stripe, whose API rate limit every donor's Checkout shares.
    verdict = ratelimit.hit(request, "thank-you", settings.THANK_YOU_RATE_LIMIT)
    if not verdict.allowed:
        logger.info("Thank-you page asked too often from one address")
        # The gift may well be paid: the page says it is safe, never "nothing charged".
        response = _problem(request, "unavailable", 429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        session = stripe_gateway.retrieve_checkout_session(session_id)
    except stripe_gateway.StripeRejected:
        return _problem(request, "unknown", 404)
    except stripe_gateway.StripeUnavailable:
        return _problem(request, "unavailable", 503)
    if str(stripe_facts.metadata_pledge_id(session.get("metadata"))) != str(pledge.public_id):
        logger.warning("Checkout session of pledge %s names another pledge", pledge.public_id)
        return _problem(request, "unknown", 404)
    if session.get("status") != "complete":
        return _problem(request, "incomplete", 200, campaign=pledge.campaign)
    with transaction.atomic():
        ledger.book_checkout_session(session)
    made_here = _made_here(request, pledge)
    if made_here:
        # This browser made the pledge: its share clicks are credited to this gift.
        request.session["shared_pledge"] = str(pledge.public_id)
    campaign = pledge.campaign
    context = {
        **(_upgrade_context(request, pledge, session) if made_here else {}),
        "campaign": campaign,
        "first_name": first_name(pledge.name),
        "amount": format_money(
            session.get("amount_total") or pledge.amount_cents,
            session.get("currency") or pledge.currency,
        ),
        "is_monthly": pledge.frequency == Frequency.MONTHLY,
        "is_annual": pledge.frequency == Frequency.ANNUAL,
        "is_pending": session.get("payment_status") != "paid",
        # Stripe's session stays unpaid once a bank debit has failed; the ledger knows.
        "is_failed": PaymentFailureNotice.objects.filter(pledge=pledge).exists(),
        "tribute": Tribute.objects.filter(pledge=pledge).first(),
    }
    return render(request, "donations/thank_you.html", context)


def _made_here(request, pledge):
    return str(pledge.public_id) in request.session.get("pledges", [])


def _upgrade_context(request, pledge, session):
    """The offer to make this one-time gift monthly, or the monthly gift it became.

    Only for the browser that made the pledge: the page's address can be copied or
    leaked, and the offer names the card and starts charges on it.
    """
    if pledge.frequency != Frequency.ONCE or session.get("payment_status") != "paid":
        return {}
    made = upgraded_gift(pledge)
    if made is not None:
        return {
            "upgraded": made,
            "upgraded_amount": format_money(made.amount_cents, made.currency),
            "upgraded_first_charge": format_date(made.next_charge_at)
            if made.next_charge_at
            else "",
        }
    if str(pledge.public_id) in request.session.get("declined_upgrades", []):
        return {}
    offer = upgrade_offer(pledge, session.get("payment_intent"))
    if offer is None:
        return {}
    return {
        "upgrade": offer,
        "upgrade_amount": format_money(offer.amount_cents, offer.currency),
        "upgrade_first_charge": format_date(offer.first_charge_at),
        "session_id": session["id"],
    }


@csrf_exempt  # checked by csrf_protect below, once size and rate have been checked
@require_POST
@_limit_body
@_rate_limited("upgrade")
@csrf_protect
@_no_store
def upgrade(request):
    """Makes a one-time gift monthly ("Yes, make it monthly") or declines the offer.

    Only the browser that made the pledge may (its session remembers it); anything
    else, or a gift that has no offer, is refused and starts nothing. Accepting twice
    answers with the monthly gift the first click started.
    """
    pledge = ledger.pledge_by_id(request.POST.get("pledge"))
    session_id = request.POST.get("session_id", "")
    if (
        pledge is None
        or not _made_here(request, pledge)
        or not SESSION_ID.match(session_id)
        or pledge.stripe_checkout_session_id != session_id
    ):
        logger.info("Refused a monthly upgrade of a pledge this browser did not make")
        return _problem(request, "upgrade_refused", 403)
    back = reverse("donations:thank-you") + "?" + urlencode({"session_id": session_id})
    if request.POST.get("choice") != "accept":
        declined = request.session.get("declined_upgrades", [])
        request.session["declined_upgrades"] = (declined + [str(pledge.public_id)])[
            -REMEMBERED_PLEDGES:
        ]
        return _see_other(back)
    try:
        accept_upgrade(pledge, amount_cents=_offered_cents(request.POST.get("amount")))
    except OfferChanged:
        return _problem(request, "upgrade_changed", 409, campaign=pledge.campaign, back=back)
    except NoOffer:
        return _problem(request, "upgrade_refused", 409, campaign=pledge.campaign, back=back)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected) as error:
        status = 503 if isinstance(error, stripe_gateway.StripeUnavailable) else 502
        return _problem(request, "upgrade_unavailable", status, campaign=pledge.campaign, back=back)
    return _see_other(back)


def _offered_cents(value):
    """The monthly amount the offer's form was shown with, in cents; None when it is no
    amount (an old or forged form), which no offer matches."""
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


# "My giving": asking for a link --------------------------------------------------


@csrf_exempt  # checked by csrf_protect below, once size and rate have been checked
@require_http_methods(["GET", "HEAD", "POST"])
@_limit_body
@_rate_limited("manage-link")
@csrf_protect
@_no_store
def manage(request):
    """Asks for an address and mails a manage link; the same answer for every address."""
    if request.method != "POST":
        return render(request, "donations/manage_request.html", {"form": ManageLinkForm()})
    form = ManageLinkForm(request.POST)
    if not form.is_valid():
        return render(request, "donations/manage_request.html", {"form": form}, status=400)
    # The e-mail in the language of this page, its links to the pages in it.
    monthly.request_manage_link(form.cleaned_data["email"], languages.active())
    return render(request, "donations/manage_sent.html", {"minutes": monthly.LINK_MAX_AGE // 60})
