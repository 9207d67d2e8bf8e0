from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import embed, feed
from .http_cache import public_page
from .models import Campaign


def _get_campaign_for_user(user, slug):
    """A published campaign for anyone; a draft only for staff who may edit it."""
    campaign = get_object_or_404(Campaign, slug=slug)
    if not campaign.is_published and not user.has_perm("campaigns.change_campaign"):
        raise Http404
    return campaign


def sections_with_anchors(sections):
    """Each section with its fragment id on the page, unique among them."""
    with_anchors, seen = [], set()
    for section in sections:
        anchor = section.anchor
        while anchor in seen:
            anchor = f"{anchor}-{section.pk}"
        seen.add(anchor)
        with_anchors.append((section, anchor))
    return with_anchors


def render_campaign(request, campaign, *, extra_context=None, status=200, sections=None):
    """Renders a campaign's page (with `sections` instead of its saved ones: a preview).

    Other apps add to the page without campaigns importing them: each callable named
    in settings.CAMPAIGN_PAGE_CONTEXT takes (request, campaign) and returns context
    (the donation form, for one); `extra_context` wins over what they return.
    """
    context = {
        "campaign": campaign,
        "sections": sections_with_anchors(
            campaign.sections.all() if sections is None else sections
        ),
        "is_preview": not campaign.is_published,
        "feed_page": feed.page(campaign.pk)
        if campaign.pk
        else feed.FeedPage(items=[], next_cursor=""),
    }
    if request.method not in ("GET", "HEAD"):
        # The donation form answered with its errors: the language switch leads to the
        # campaign's page, not to the address the form was posted to.
        context["language_switch_path"] = campaign.get_absolute_url()
    for path in getattr(settings, "CAMPAIGN_PAGE_CONTEXT", []):
        context |= import_string(path)(request, campaign)
    context |= extra_context or {}
    return render(request, "campaigns/campaign_detail.html", context, status=status)


@require_safe
@public_page
def featured(request):
    campaign = Campaign.objects.featured()
    if campaign is None:
        return render(request, "campaigns/no_campaign.html")
    return render_campaign(request, campaign)


@require_safe
@public_page
def detail(request, slug):
    return render_campaign(request, _get_campaign_for_user(request.user, slug))


@require_safe
@public_page
@embed.framable
def embed_button(request, slug, amount=None, frequency=None):
    """The donate button OCA's main site frames (campaigns.embed): tiny, public, and
    framable only by the origins in settings.EMBED_ALLOWED_ORIGINS."""
    campaign = _get_campaign_for_user(request.user, slug)
    button = embed.Button.from_path(campaign, amount, frequency)
    return render(request, "campaigns/embed.html", {"campaign": campaign, "button": button})


def _feed_response(request, slug, after, *, fragment):
    campaign = _get_campaign_for_user(request.user, slug)
    try:
        page = feed.page(campaign.pk, after=after)
    except feed.InvalidCursor:
        error = _("This link to more reactions is not valid. It may have been cut short.")
        if fragment:
            return HttpResponseBadRequest(error, content_type="text/plain; charset=utf-8")
        context = {"campaign": campaign, "error": error}
        return render(request, "campaigns/feed_page.html", context, status=400)
    context = {"campaign": campaign, "feed_page": page}
    if fragment:
        return render(request, "campaigns/includes/feed.html#feed-list", context)
    return render(request, "campaigns/feed_page.html", context)


@require_safe
@public_page
def feed_page(request, slug, after=""):
    """The feed from its newest items, or after a cursor (/feed/after/<cursor>/): a page of
    its own, what "Show more" opens without JavaScript.

    The cursor is in the path, not the query string, so that every page of the feed is
    a public page that HTTP caches keep (campaigns.http_cache). The older form,
    `?after=<cursor>` (with `&fragment=1` for the items alone), is still answered.
    """
    after = after or request.GET.get("after", "")
    return _feed_response(request, slug, after, fragment=request.GET.get("fragment") == "1")


@require_safe
@public_page
def feed_items(request, slug, after):
    """Only the items after the cursor and the next "Show more" link, as an HTML fragment
    that static/js/feed.js adds to the list in place; public and cacheable as the page."""
    return _feed_response(request, slug, after, fragment=True)


@require_safe
@cache_control(no_store=True)
def healthz(request):
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /stripe/",
        "Disallow: /give/",
        "Disallow: /es/give/",
        "Allow: /",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
