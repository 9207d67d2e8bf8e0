"""The donor's language: the one a pledge, a gift and a donor remember.

A pledge takes the language of the page its form was sent from (English at /...,
Spanish at /es/...); its gift copies it, and the donor takes that of their latest
paid pledge. Everything the donor sees afterwards, Checkout, the pages Stripe sends
them back to and every e-mail, is in it.
"""

from django.conf import settings
from django.utils import translation


def supported(code):
    """`code` as one of settings.LANGUAGES ("es-mx" gives "es"); else the site's own."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def active():
    """The language of the request being served (LocaleMiddleware set it from the path)."""
    return supported(translation.get_language())
