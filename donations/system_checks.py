"""System checks for the Stripe configuration.

A missing key is an error that names the variable, so a misconfigured deploy fails at
`manage.py check` (and at start-up) instead of at a donor's first click. The offline
stand-in is refused by the deploy checks: it must never take real donors' gifts.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

REQUIRED = {
    "STRIPE_SECRET_KEY": "the secret API key (sk_live_... or sk_test_...)",
    "STRIPE_WEBHOOK_SECRET": "the signing secret of the webhook endpoint (whsec_...)",
    "STRIPE_PRODUCT_ID": "the id of the Donation product (prod_...)",
}


@register()
def check_stripe_settings(app_configs, **kwargs):
    return [
        Error(
            f"{name} is not set.",
            hint=f"Set the environment variable {name} to {what}; see .env.example.",
            id="donations.E001",
        )
        for name, what in REQUIRED.items()
        if not getattr(settings, name, "")
    ]


@register(Tags.security, deploy=True)
def check_no_stripe_standin_in_production(app_configs, **kwargs):
    base = settings.STRIPE_API_BASE
    if not base or urlsplit(base).hostname == "api.stripe.com":
        return []
    return [
        Error(
            f"STRIPE_API_BASE points at {base}, not at Stripe.",
            hint="The offline Stripe stand-in is for development and tests only; "
            "leave STRIPE_API_BASE empty in production.",
            id="donations.E002",
        )
    ]


@register(deploy=True)
def check_pdf_libraries(app_configs, **kwargs):
    """Receipts carry a PDF: without Pango every receipt would fail (and be retried
    forever), so a deploy without it fails `check --deploy` instead."""
    from . import pdfs

    try:
        pdfs.weasyprint()  # loads Pango and HarfBuzz
    except OSError as error:
        return [
            Error(
                f"WeasyPrint cannot load its libraries: {error}",
                hint="Install libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0 and "
                "fonts-dejavu-core (see the Dockerfile).",
                id="donations.E003",
            )
        ]
    return []
