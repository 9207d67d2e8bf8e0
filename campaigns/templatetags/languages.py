"""Template tags for the page's language: the same page in the other languages (the
language switch and the hreflang links of base.html), and campaign copy that falls back
to English (campaigns.models.TranslatedCopy)."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@dataclass(frozen=True)
class PageInLanguage:
    code: str
    name: str  # in the language itself: "English", "Español"
    path: str
    url: str  # absolute, from SITE_URL, for <link rel="alternate" hreflang>
    is_current: bool
    is_default: bool  # the x-default: LANGUAGE_CODE's, at the unprefixed address


@register.simple_tag(takes_context=True)
def page_languages(context):
    """This page in each language of settings.LANGUAGES, or [] for a page that exists
    in one language only (an error page, a path outside i18n_patterns).

    Made of the request's path and query alone, never of cookies or headers: a public
    page stays the same bytes for everyone who asks for its address. A view answering a
    POST (the donation form with its errors) names its page in `language_switch_path`,
    since the other language's POST address is nothing to follow with a link.
    """
    request = context.get("request")
    if request is None:
        return []
    path = context.get("language_switch_path") or request.get_full_path()
    current = translation.get_language()
    pages = []
    for code, _name in settings.LANGUAGES:
        translated = path if code == current else translate_url(path, code)
        if code != current and translated == path:
            return []  # translate_url gives back what it cannot resolve
        info = translation.get_language_info(code)
        pages.append(
            PageInLanguage(
                code=code,
                name=info["name_local"][:1].upper() + info["name_local"][1:],
                path=translated,
                url=settings.SITE_URL.rstrip("/") + translated,
                is_current=code == current,
                is_default=code == settings.LANGUAGE_CODE,
            )
        )
    return pages


def _in_other_language(text):
    language = getattr(text, "language", None)
    return language is not None and language != translation.get_language()


@register.filter
def lang_attr(text):
    """` lang="en"` for a campaign text shown in another language than the page's (an
    English fallback on a Spanish page), so screen readers pronounce it right; else ""."""
    if _in_other_language(text):
        return format_html(' lang="{}"', text.language)
    return ""


@register.filter
def lang_span(text):
    """A campaign text to put inside a sentence of the page's language: wrapped in
    <span lang="en"> when it is in another language, escaped either way."""
    if _in_other_language(text):
        return format_html('<span lang="{}">{}</span>', text.language, text)
    return format_html("{}", text)


@register.simple_tag(takes_context=True)
def fallback_badge(context, text):
    """For staff only, a small "English — no Spanish yet" after a text that stands in for
    a missing translation, so an editor previewing the Spanish page sees what is left
    to translate. Donors never get it.

    Only a request with a session can be staff's, and staff requests are never served
    from or stored in the page cache (campaigns.http_cache). Looking at the session
    cookie first keeps every other request from loading the session, which would add
    `Vary: Cookie` to a public page.
    """
    request = context.get("request")
    if (
        request is None
        or not getattr(text, "is_fallback", False)
        or settings.SESSION_COOKIE_NAME not in request.COOKIES
        or not request.user.is_staff
    ):
        return ""
    return format_html(
        ' <span class="copy-fallback" lang="{}">{}</span>',
        translation.get_language(),
        gettext("English — no Spanish yet"),
    )


@register.simple_tag
def localized(obj, *names):
    """`{% localized campaign "share_title" "title" as share_title %}`: the first of the
    fields with text in the page's language, else the first with English text."""
    return obj.in_language(*names)
