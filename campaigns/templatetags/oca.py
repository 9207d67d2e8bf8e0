from django import template

from campaigns import formatting, hero
from campaigns.markup import render_markdown
from campaigns.organization import Organization

register = template.Library()


@register.filter
def money(cents, currency="usd"):
    if cents in (None, ""):
        return ""
    return formatting.format_money(cents, currency)


@register.filter
def money_exact(cents, currency="usd"):
    if cents in (None, ""):
        return ""
    return formatting.format_money(cents, currency, always_cents=True)


@register.filter
def longdate(value):
    return formatting.format_date(value) if value else ""


@register.filter
def markdown(text):
    return render_markdown(text or "")


@register.simple_tag
def organization():
    """`{% organization as org %}`: the organization's details where no request's context
    processors ran (mail, letters)."""
    return Organization.current()


@register.simple_tag
def hero_picture(campaign):
    """The hero image's sources and size (campaigns.hero.picture), or None."""
    return hero.picture(campaign)
