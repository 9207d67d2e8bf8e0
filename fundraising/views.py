"""The supporter's pages: asking for a link, writing the page, and the page itself.

The public page is a public page like the campaign's (campaigns.http_cache): the same
bytes for every visitor, kept by any cache, retired when a gift through it is booked
(the campaign's counters move) or the page is saved. A page that is not approved, or
whose campaign is not published, answers 404 to the public; its owner sees it through
their signed link (`preview`), private and never stored.
"""

from functools import wraps

from django.db.models import Count, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from campaigns import feed
from campaigns.http_cache import public_page
from campaigns.models import Campaign
from donations import languages
from donations.forms import DonationForm
from donations.models import Gift
from donations.views import _limit_body, _rate_limited, campaign_page_context

from . import links
from .forms import LinkRequestForm, PageForm, save_page
from .models import FundraisingPage

FEED_SIZE = 20


def _private(response):
    response["Cache-Control"] = "private, no-store"
    # The token in the address must not leave the site in a Referer header.
    response["Referrer-Policy"] = "same-origin"
    return response


# Asking for a link -----------------------------------------------------------------


@csrf_exempt  # checked by csrf_protect below, once size and rate have been checked
@require_http_methods(["GET", "HEAD", "POST"])
@_limit_body
@_rate_limited("fundraising-link")
@csrf_protect
@cache_control(private=True, no_store=True)
def start(request, slug):
    """ "Raise money for this campaign": the address the link goes to."""
    campaign = get_object_or_404(Campaign.objects.published(), slug=slug)
    context = {"campaign": campaign, "form": LinkRequestForm()}
    if request.method != "POST":
        return render(request, "fundraising/start.html", context)
    form = LinkRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "fundraising/start.html", context | {"form": form}, status=400)
    links.request_link(campaign, form.cleaned_data["email"], languages.active())
    context["hours"] = links.LINK_MAX_AGE // 3600
    return render(request, "fundraising/link_sent.html", context)


# The supporter's own side, behind the signed link ------------------------------------


def signed(view):
    """Runs `view(request, page, token)` for a good link; else explains the link."""

    @wraps(view)
    def wrapped(request, token, *args, **kwargs):
        try:
            page = links.page_from_token(token)
        except (links.LinkExpired, links.LinkInvalid) as error:
            expired = isinstance(error, links.LinkExpired)
            response = render(
                request,
                "fundraising/link_problem.html",
                {"problem": "expired" if expired else "invalid"},
                status=410 if expired else 404,
            )
            return _private(response)
        return _private(view(request, page, token, *args, **kwargs))

    return wrapped


@require_http_methods(["GET", "HEAD", "POST"])
@signed
def edit(request, page, token):
    """Writes or changes the page (see fundraising.models on what goes back to review)."""
    form = PageForm(instance=page)
    status = 200
    if request.method == "POST":
        form = PageForm(request.POST, request.FILES, instance=page)
        if form.is_valid():
            page = form.save(commit=False)
            page.language = languages.active()
            save_page(page)
            return HttpResponseRedirect(reverse("fundraising:edit", args=[token]) + "?saved=1")
        status = 400
    context = {
        "page": page,
        "campaign": page.campaign,
        "form": form,
        "token": token,
        "saved": request.GET.get("saved") == "1",
    }
    return render(request, "fundraising/edit.html", context, status=status)


@require_safe
@signed
def preview(request, page, token):
    if page.status == FundraisingPage.Status.DRAFT:
        return HttpResponseRedirect(reverse("fundraising:edit", args=[token]))
    return render_page(request, page, preview=True)


# The public page -------------------------------------------------------------------


def page_totals(page):
    """(donors, cents raised net of refunds) of the counted gifts made through `page`."""
    totals = Gift.objects.filter(fundraiser=page, counted=True).aggregate(
        donors=Count("donor_id", distinct=True),
        amount=Sum("amount_cents"),
        refunded=Sum("refunded_cents"),
    )
    return totals["donors"] or 0, (totals["amount"] or 0) - (totals["refunded"] or 0)


def page_feed(page):
    """The newest visible feed items of gifts made through `page`, and how many in all."""
    items = feed.visible_items(page.campaign_id).filter(via_ref=page.pk)
    return list(items.order_by("-occurred_at", "-id")[:FEED_SIZE]), items.count()


def render_page(request, page, *, preview=False, extra_context=None, status=200):
    """The supporter's page; `extra_context` and `status` as for the campaign's page
    (campaigns.views.render_campaign): the donation form posted from it, with its
    errors, is answered here (donations.views)."""
    campaign = page.campaign
    donors, raised_cents = page_totals(page)
    current = donors if page.goal_kind == FundraisingPage.GoalKind.DONORS else raised_cents // 100
    items, item_count = page_feed(page)
    context = {
        "campaign": campaign,
        "page": page,
        "is_owner_preview": preview,
        "donor_count": donors,
        "raised_cents": raised_cents,
        "goal_current": current,
        "goal_target_cents": page.goal_target * 100,
        "goal_percent": min(100, current * 100 // page.goal_target) if page.goal_target else 0,
        "feed_items": items,
        "feed_count": item_count,
        "share_url": page.share_url(),
        **campaign_page_context(request, campaign),
    }
    if "donation_form" in context:
        # The page's own form credits the page; the rest of the query as on the campaign's.
        # Its source is the public page, also in the owner's preview: that address
        # carries the signed link, which a consent to updates must not record.
        query = request.GET.copy()
        query["via"] = page.slug
        context["donation_form"] = DonationForm.for_page(campaign, query, page.get_absolute_url())
    if request.method not in ("GET", "HEAD"):
        # Answered at the form's address: the language switch leads to the page.
        context["language_switch_path"] = page.get_absolute_url()
    context |= extra_context or {}
    return render(request, "fundraising/page.html", context, status=status)


@require_safe
@public_page
def page(request, slug, page_slug):
    fundraiser = get_object_or_404(
        FundraisingPage.objects.public().select_related("campaign"),
        campaign__slug=slug,
        slug=page_slug,
    )
    return render_page(request, fundraiser)
