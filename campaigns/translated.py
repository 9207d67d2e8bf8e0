"""Campaign copy in English and Spanish: fields of our own (`title` and `title_es`).

A page asks `campaign.in_language("title")` (or `{{ campaign.localized.title }}`) and gets
the text in the page's language, or the whole English field when the Spanish one is
empty, marked so that the template can say lang="en" on it and staff can see it.
Fields of our own rather than django-modeltranslation: the page must know when it fell
back, and `campaign.title` keeps one meaning for receipts, exports and the admin.
"""

from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

MARKDOWN_HELP = _(
    "Plain text. Blank lines separate paragraphs; *emphasis*, **strong**, "
    "[a link](https://example.org) and lists starting with “- ” are understood. "
    "HTML is not."
)


# The language of a campaign's own fields (title, letter...). Each other language of
# settings.LANGUAGES that a text field has a twin for is a field named `<field>_<code>`
# (`title_es`), empty until an editor writes it.
COPY_LANGUAGE = "en"
SPANISH_HELP = _("Leave empty to show the English text to Spanish readers.")


def _spanish(verbose_name):
    return format_lazy(_("{field} (Spanish)"), field=verbose_name)


def _spanish_markdown_help():
    return format_lazy("{} {}", MARKDOWN_HELP, SPANISH_HELP)


class LocalizedText(str):
    """A text of a campaign as a page shows it: the text itself, plus the language it is
    really in (`language`) and whether it stands in for a missing translation
    (`is_fallback`), so that a template can say lang="en" on it and staff can see it."""

    def __new__(cls, text, language, is_fallback=False):
        self = super().__new__(cls, text)
        self.language = language
        self.is_fallback = is_fallback
        return self


class _InLanguage:
    """`obj.localized.title`: attribute access to `obj.in_language(name)`."""

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, name):
        if name not in self._obj.TRANSLATED_FIELDS:
            raise AttributeError(name)
        return self._obj.in_language(name)


class TranslatedCopy:
    """Text fields with a twin per other language; see COPY_LANGUAGE."""

    TRANSLATED_FIELDS = ()

    def in_language(self, *names, language=None):
        """The first of the fields `names` that has text in `language` (the active
        language by default), as a LocalizedText.

        A field without that language's text falls back to its English text, the whole
        field (never a sentence of one language in a paragraph of another), marked
        `is_fallback`; the English is used only when none of `names` has the language's
        own text, so `in_language("share_title", "title")` prefers a Spanish title to
        an English share title.
        """
        language = (language or translation.get_language() or COPY_LANGUAGE).split("-")[0]
        if language != COPY_LANGUAGE:
            for name in names:
                text = getattr(self, f"{name}_{language}", "")
                if text.strip():
                    return LocalizedText(text, language)
        for name in names:
            text = getattr(self, name)
            if text.strip():
                return LocalizedText(text, COPY_LANGUAGE, is_fallback=language != COPY_LANGUAGE)
        return LocalizedText("", language)

    @property
    def localized(self):
        """The translated fields in the active language: `{{ campaign.localized.title }}`."""
        return _InLanguage(self)
