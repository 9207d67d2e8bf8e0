"""Validators shared by both apps' admin fields (`donations` imports them from here)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters (line feed, carriage return, tab, escape, NEL...) and
# the Unicode line and paragraph separators. A name, an address line or a heading
# ends up on one line of a receipt, a PDF, a CSV cell, a mail header or a <title>;
# any of these characters breaks that line or hides text from the person reading it.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def single_line(value):
    """Refuses a value that holds a line break or an invisible control character."""
    match = _NOT_ONE_LINE.search(value or "")
    if match:
        raise ValidationError(
            _(
                "Keep this to one line: remove the line break or invisible control "
                "character (%(char)s)."
            ),
            code="single_line",
            params={"char": f"U+{ord(match.group()):04X}"},
        )
