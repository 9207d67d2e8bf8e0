"""The sponsor's report of a matching challenge (campaigns.matches): the gifts it
matched and what each earned, the total, the cap and what remains, as a page and a CSV.

It is what OCA sends the sponsor, so it holds no e-mail address, no address and no
name a donor did not choose to show: a donor who gave anonymously (or asked not to be
listed) is "Anonymous" here too. Bookkeepers see it (the report's permission).
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from campaigns.formatting import dollars
from campaigns.models import Match

from . import matching
from .admin_views import _csv_response, _file_date
from .exports import csv_lines, local_date

SPONSOR_COLUMNS = ["date", "donor", "given", "matched"]


def _match_for(request, match_id):
    if not request.user.has_perm("donations.view_reports"):
        raise PermissionDenied
    return get_object_or_404(Match.objects.select_related("campaign"), pk=match_id)


def shown_name(gift):
    """The donor's name as the donor lets it be shown in public, else "Anonymous"."""
    return gift.public_name or _("Anonymous")


def match_report(request, model_admin, match_id):
    match = _match_for(request, match_id)
    rows, total = matching.breakdown(match)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Sponsor's report: %(match)s") % {"match": match},
        "match": match,
        "rows": [row | {"name": shown_name(row["gift"])} for row in rows],
        "total_cents": total,
        "remaining_cents": match.cap_cents - total,
    }
    return TemplateResponse(request, "admin/donations/match_report.html", context)


def match_csv(request, model_admin, match_id):
    match = _match_for(request, match_id)
    rows, _total = matching.breakdown(match)
    lines = csv_lines(
        SPONSOR_COLUMNS,
        (
            [
                local_date(row["gift"].given_at),
                shown_name(row["gift"]),
                dollars(row["given_cents"], always_cents=True),
                dollars(row["matched_cents"], always_cents=True),
            ]
            for row in rows
        ),
    )
    return _csv_response(lines, f"match-{match.pk}-{_file_date()}.csv")
