"""Impact cues: what each preset amount does ("$50 helps a family file a fair-housing
complaint"), written by staff one line per amount and shown beside the amount.

The format is one line per amount, `50 = helps a family file a complaint`: an editor
types it in the campaign's admin page in English and Spanish, without a table of its own
to keep in step with the preset amounts.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .formatting import parse_money

MAX_CUE = 120


class ImpactCueError(ValidationError):
    pass


def parse_impact_cues(text):
    """{cents: cue} of `text`; raises ImpactCueError naming the first line it cannot read."""
    cues = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        amount, equals, cue = line.partition("=")
        cents = parse_money(amount.strip()) if equals else None
        cue = " ".join(cue.split())
        if not cents or cents % 100 or not cue:
            raise ImpactCueError(
                _(
                    "Line %(number)d: write an amount, “=”, then what it does, "
                    "as “50 = helps a family”."
                ),
                params={"number": number},
            )
        if len(cue) > MAX_CUE:
            raise ImpactCueError(
                _("Line %(number)d: keep each description to %(max)d characters."),
                params={"number": number, "max": MAX_CUE},
            )
        if cents in cues:
            raise ImpactCueError(
                _("Line %(number)d: this amount has a line already."), params={"number": number}
            )
        cues[cents] = cue
    return cues
