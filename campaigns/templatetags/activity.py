"""Template filters of the activity feed."""

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_datetime(value):
    """`value` for a <time datetime> attribute: local time with its offset, whole seconds
    (HTML allows at most three decimals)."""
    return timezone.localtime(value).replace(microsecond=0).isoformat() if value else ""
