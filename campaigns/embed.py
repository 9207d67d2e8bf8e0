"""The donate button other sites embed, and the snippets editors copy to place it.

OCA's main site shows a campaign's button in an <iframe> of `/campaigns/<slug>/embed/`
(`.../embed/50/once/` or `.../embed/50/monthly/` for a set amount): the only page of this
site that may be framed, and only by the origins in settings.EMBED_ALLOWED_ORIGINS.
Every other page, and this one when no origin is set, keeps `frame-ancestors 'none'`
and `X-Frame-Options: DENY`, so no site can dress our pages up as its own
(clickjacking). The amount is in the path, not the query string, so that the button
is a public page that HTTP caches keep (campaigns.http_cache), like the campaign's.

For sites that allow no iframes there is a plain link, styled inline, to the same form.
Both open the campaign's form in a new tab with the amount chosen
(`?amount=50&frequency=monthly`, which the form reads).
"""

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override

from .formatting import format_money

# A scheme, a host and maybe a port: what a browser compares a framing page's origin
# with. Plain http only for this machine (development and tests), which browsers
# treat as secure too.
_ORIGIN_RE = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)"
    r"(?::(?P<port>[0-9]{1,5}))?",
    re.ASCII,
)
_LOOPBACK = {"localhost", "127.0.0.1"}


def offered_frequencies(campaign):
    """The frequencies `campaign`'s form offers (one-time for a campaign saved without
    any, as donations.forms does), the only ones a button may preset: for any other,
    the form opens with another chosen than the button says."""
    return campaign.frequencies or ["once"]


def origin_problem(origin):
    """Why `origin` cannot be allowed to frame the button ("" when it can)."""
    match = _ORIGIN_RE.fullmatch(origin)
    if match is None:
        return (
            "it is not an origin: write the scheme and the host, and a port if needed, "
            "with no path, such as https://www.ctoca.org"
        )
    if match["scheme"] != "https" and match["host"] not in _LOOPBACK:
        return "it must start with https:// (plain http is allowed for localhost only)"
    if match["port"] is not None and not 0 < int(match["port"]) < 65536:
        return "its port must be a number from 1 to 65535"
    return ""


def allowed_origins():
    """The valid origins of EMBED_ALLOWED_ORIGINS (the system check reports the others,
    which are left out rather than written into a header)."""
    return [
        origin
        for origin in getattr(settings, "EMBED_ALLOWED_ORIGINS", [])
        if not origin_problem(origin)
    ]


def framable(view):
    """Lets the allowed origins (and this site, for the admin's preview) frame `view`'s
    pages; with none allowed, the site's policy stands and nobody may."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        origins = allowed_origins()
        if not origins:
            return view(request, *args, **kwargs)
        policy = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF, *origins]}
        return xframe_options_exempt(csp_override(policy)(view))(request, *args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Button:
    """What the button says and where it leads, in the active language."""

    campaign: object
    amount_cents: int | None = None
    frequency: str = ""

    @classmethod
    def from_path(cls, campaign, amount=None, frequency=None):
        """The button of `.../embed/` or `.../embed/<amount>/<frequency>/`.

        Http404 for an amount the form would refuse or a frequency it does not offer
        (it would open with another chosen than the button says), so that no junk
        address becomes a cached page."""
        if amount is None:
            return cls(campaign)
        cents = amount * 100
        if not settings.DONATION_MIN_CENTS <= cents <= settings.DONATION_MAX_CENTS:
            raise Http404("No such amount")
        if frequency not in offered_frequencies(campaign):
            raise Http404("No such frequency")
        return cls(campaign, cents, frequency)

    @property
    def label(self):
        if self.amount_cents is None:
            return _("Give now")
        amount = format_money(self.amount_cents)
        if self.frequency == "monthly":
            return _("Give %(amount)s monthly") % {"amount": amount}
        if self.frequency == "annual":
            return _("Give %(amount)s yearly") % {"amount": amount}
        return _("Give %(amount)s now") % {"amount": amount}

    @property
    def form_url(self):
        """The campaign's page with its form preset, at the site's own address."""
        url = settings.SITE_URL + self.campaign.get_absolute_url()
        if self.amount_cents is not None:
            query = {"amount": self.amount_cents // 100, "frequency": self.frequency}
            url += "?" + urlencode(query)
        return url + "#give"

    @property
    def embed_url(self):
        """The framable button page, at the site's own address."""
        if self.amount_cents is None:
            path = reverse("campaigns:embed", args=[self.campaign.slug])
        else:
            args = [self.campaign.slug, self.amount_cents // 100, self.frequency]
            path = reverse("campaigns:embed-amount", args=args)
        return settings.SITE_URL + path


def iframe_snippet(button):
    """The HTML an editor pastes into the main site for the framed button."""
    return format_html(
        '<iframe src="{}" title="{}" width="340" height="120" loading="lazy" '
        'style="border:0;max-width:100%"></iframe>',
        button.embed_url,
        _("Donate to Open Communities Alliance"),
    )


def link_snippet(button):
    """The plain link, for sites that allow no iframes: styled inline, since the page it
    sits in has no stylesheet of ours."""
    return format_html(
        '<a href="{}" target="_blank" rel="noopener" style="display:inline-block;'
        "padding:0.75em 1.5em;border-radius:6px;background:#b93d0a;color:#ffffff;"
        "font:600 1.125rem/1.3 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
        'text-decoration:none">{}</a>',
        button.form_url,
        button.label,
    )


def snippets(campaign, *, language, amount=None, frequency=None):
    """Both snippets and the button page's address, in `language`, for the admin."""
    with translation.override(language):
        button = Button.from_path(campaign, amount, frequency)
        return {
            "iframe": iframe_snippet(button),
            "link": link_snippet(button),
            "embed_url": button.embed_url,
        }
