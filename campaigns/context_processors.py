from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .organization import Organization


def site(request):
    return {
        "site_url": settings.SITE_URL,
        # Any key that is not a live one, or any API base other than Stripe's own,
        # means no real money moves: say so on every page.
        "stripe_test_mode": bool(settings.STRIPE_API_BASE)
        or not settings.STRIPE_SECRET_KEY.startswith("sk_live_"),
    }


def organization(request):
    """`organization`: the organization's details (campaigns.organization), read from the
    database only by a page that shows them."""
    return {"organization": SimpleLazyObject(Organization.current)}
