"""System checks for the Stripe configuration and the donation form's settings.

A missing key is an error that names the variable, so a misconfigured deploy fails at
`manage.py check` (and at start-up) instead of at a donor's first click. The offline
stand-in is refused by the deploy checks: it must never take real donors' gifts. So is
a rate limit, fee or bank cap the form could not use.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

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


# Read per request, so a wrong value would only show at a donor's click: the donation
# form (a rate limit that cannot be read answers 500; a fee percentage of 100 or more
# divides by zero, a negative one charges less than the gift).
RATE_LIMITS = ("PLEDGE_RATE_LIMIT", "THANK_YOU_UNKNOWN_RATE_LIMIT")
FEE_PERCENTS = ("DONATION_FEE_PERCENT", "DONATION_BANK_FEE_PERCENT")
NON_NEGATIVE_CENTS = ("DONATION_FEE_FIXED_CENTS", "DONATION_BANK_FEE_CAP_CENTS")
# The largest amount a gift's column holds (a PositiveIntegerField).
MAX_AMOUNT_CENTS = 2_147_483_647


@register()
def check_giving_settings(app_configs, **kwargs):
    from .ratelimit import parse_rate

    problems = []
    for name in RATE_LIMITS:
        value = getattr(settings, name)
        try:
            count, _period = parse_rate(value)
        except ImproperlyConfigured:
            count = 0
        if count < 1:
            problems.append(f"{name} is {value!r}; it must look like 10/h (per s, m, h or d)")
    for name in FEE_PERCENTS:
        value = getattr(settings, name)
        if not 0 <= value < 100:
            problems.append(f"{name} is {value}; it must be a percentage from 0 to under 100")
    for name in NON_NEGATIVE_CENTS:
        value = getattr(settings, name)
        if value < 0:
            problems.append(f"{name} is {value}; it must not be negative")
    bank_max = settings.DONATION_BANK_MAX_CENTS
    if not settings.DONATION_MIN_CENTS <= bank_max <= MAX_AMOUNT_CENTS:
        problems.append(
            f"DONATION_BANK_MAX_CENTS is {bank_max}; it must be from "
            f"{settings.DONATION_MIN_CENTS} to {MAX_AMOUNT_CENTS} cents"
        )
    return [
        Error(f"{problem}.", hint="See .env.example.", id="donations.E004") for problem in problems
    ]


# The variable each of settings.ACCOUNTING_ACCOUNTS comes from (oca_site.settings).
ACCOUNT_VARIABLES = {
    "stripe": "ACCOUNT_STRIPE",
    "bank": "ACCOUNT_BANK",
    "contributions": "ACCOUNT_CONTRIBUTIONS",
    "fees": "ACCOUNT_STRIPE_FEES",
    "refunds": "ACCOUNT_REFUNDS",
    "disputes": "ACCOUNT_DISPUTES",
    "securities": "ACCOUNT_DONATED_SECURITIES",
    "stock_contributions": "ACCOUNT_STOCK_CONTRIBUTIONS",
    "in_kind": "ACCOUNT_IN_KIND",
    "in_kind_contributions": "ACCOUNT_IN_KIND_CONTRIBUTIONS",
}


@register()
def check_accounting_accounts(app_configs, **kwargs):
    """Each account of the month's journal (donations.accounting) must be named: a
    variable set to nothing (`ACCOUNT_BANK=` in .env) would write lines with no account,
    which QuickBooks refuses or books nowhere, and only at month end."""
    return [
        Error(
            f"{ACCOUNT_VARIABLES.get(role, role)} is empty: the month's journal would "
            "have lines with no account.",
            hint="Set it to the account's name in the chart of accounts, or remove it to "
            "use the default (see .env.example).",
            id="donations.E005",
        )
        for role, name in settings.ACCOUNTING_ACCOUNTS.items()
        if not name.strip()
    ]
