from django.conf import settings
from django.templatetags.static import static

# The organization's logo in the header of every public page. Where the organization's
# own logo is uploaded (in admin), this is the one place that picks it instead.
DEFAULT_LOGO = "img/oca-logo.svg"


def logo_url():
    """The URL of the logo the site's header shows."""
    return static(DEFAULT_LOGO)


def site(request):
    return {
        "site_url": settings.SITE_URL,
        "site_logo_url": logo_url(),
        # Any key that is not a live one, or any API base other than Stripe's own,
        # means no real money moves: say so on every page.
        "stripe_test_mode": bool(settings.STRIPE_API_BASE)
        or not settings.STRIPE_SECRET_KEY.startswith("sk_live_"),
    }
