from django.conf import settings
from django.utils.functional import SimpleLazyObject, lazy

from .organization import Organization


def _organization_of(request):
    """The organization's row, read once per request, and only by a page that uses it."""
    if not hasattr(request, "_organization"):
        request._organization = Organization.current()
    return request._organization


def logo_url(request):
    """The URL of the logo the site's header shows: the organization's uploaded one, or
    the drawing that ships with the site."""
    return lazy(lambda: _organization_of(request).logo_url, str)()


def site(request):
    return {
        "site_url": settings.SITE_URL,
        "site_logo_url": logo_url(request),
        # Any key that is not a live one, or any API base other than Stripe's own,
        # means no real money moves: say so on every page.
        "stripe_test_mode": bool(settings.STRIPE_API_BASE)
        or not settings.STRIPE_SECRET_KEY.startswith("sk_live_"),
    }


def organization(request):
    """`organization`: the organization's details (campaigns.organization), read from the
    database only by a page that shows them."""
    return {"organization": SimpleLazyObject(lambda: _organization_of(request))}
