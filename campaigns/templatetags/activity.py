"""Template filters of the activity feed."""

import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def ago(value, now=None):
    """How long ago `value` was, in its largest unit: "3 hours ago", "8 years ago"."""
    if not value:
        return ""
    now = now or timezone.now()
    if now - value < datetime.timedelta(minutes=1):
        return _("just now")
    # Translators: %(time)s is a duration such as "3 hours" or "2 days".
    return _("%(time)s ago") % {"time": timesince(value, now, depth=1)}


@register.filter
def iso_datetime(value):
    """`value` for a <time datetime> attribute: local time with its offset, whole seconds
    (HTML allows at most three decimals)."""
    return timezone.localtime(value).replace(microsecond=0).isoformat() if value else ""
