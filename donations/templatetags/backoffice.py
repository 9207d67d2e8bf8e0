"""Template tags of the back office (admin) pages."""

from django import template

from .. import dashboard

register = template.Library()


@register.inclusion_tag("admin/donations/includes/dashboard.html", takes_context=True)
def bookkeeper_dashboard(context):
    """The bookkeepers' dashboard for the admin's home page; nothing for other staff."""
    request = getattr(context, "request", None) or context.get("request")
    if request is None or not dashboard.shows_dashboard(request.user):
        return {"dashboard": None}
    return {"dashboard": dashboard.figures(), "request": request}
