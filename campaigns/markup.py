"""Staff-written copy to safe HTML.

Editors write plain text with light Markdown. Markdown alone passes raw HTML through,
so its output is then cleaned by nh3 (the Rust `ammonia` sanitizer) against a short
allow-list: whatever an editor pastes, no script, style, event handler or foreign
element reaches the page.
"""

from functools import lru_cache

import markdown
import nh3
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "ul", "ol", "li", "blockquote", "code", "h3", "h4",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}


@lru_cache(maxsize=512)
def render_markdown(text):
    """Returns `text` rendered as sanitised HTML, marked safe for templates.

    Cached by text: the same copy is rendered on every page view, and both steps are
    pure functions of it.
    """
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 (sanitised just above)
