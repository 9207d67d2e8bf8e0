"""Cross-site request forgery protection for the donation form, without a token.

The campaign page is the same bytes for every visitor so that shared caches can serve
it (campaigns.http_cache); a CSRF token in its form would make it per visitor. The
form's POST is instead checked with what the browser says about where the request
comes from:

- `Sec-Fetch-Site` (every current browser sends it): only `same-origin` passes;
  `cross-site` and `same-site` (another subdomain) are refused.
- Where it is missing (older browsers), `Origin` must be this site's own origin or
  one of CSRF_TRUSTED_ORIGINS; `Origin: null` (a sandboxed frame, a data: page) is
  refused.
- A request with neither header does not come from a browser that would carry a
  visitor's cookies into a forged post (browsers have sent `Origin` on every
  cross-origin POST for years), so it is let through like any other client.

Why not django-modern-csrf: it replaces the CSRF middleware for the whole site, while
the admin and the manage pages keep Django's token check; this guard is one decorator
on one view. What a forged donation could do is also small (open a Checkout page for
the visitor), but the refusal keeps the form honest.
"""

import logging
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseForbidden
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _own_origin(request):
    return f"{request.scheme}://{request.get_host()}"


def is_cross_site(request):
    """Whether the browser says this request was started by another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        # "none": the visitor typed or bookmarked the address; never a forged post.
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    if origin == "null" or not urlsplit(origin).netloc:
        return True
    return origin != _own_origin(request) and origin not in settings.CSRF_TRUSTED_ORIGINS


def refuse_cross_site(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and is_cross_site(request):
            logger.warning(
                "Refused a cross-site POST to %s (Sec-Fetch-Site %s)",
                request.path,
                request.headers.get("Sec-Fetch-Site", "absent"),
            )
            return HttpResponseForbidden(
                _("This form can only be sent from our own page.") + "\n",
                content_type="text/plain; charset=utf-8",
            )
        return view(request, *args, **kwargs)

    return wrapped
