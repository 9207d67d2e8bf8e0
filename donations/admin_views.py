"""Back-office pages that are not plain admin forms: report, exports, letters, void, close.

Each is mounted by a ModelAdmin's get_urls() behind `admin_site.admin_view` (staff
login), and checks its own permission: Bookkeepers have them, Editors do not.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import accounting, charts, checks, exports, reports
from .admin_forms import RangeForm, VoidForm, parse_year
from .letters import letter_context
from .models import OFFLINE_METHODS, Deposit, Donor, Gift
from .month_end import Month, month_end_figures

# The most gifts a letters or void page takes: their ids travel in its address.
MAX_SELECTION = 500


def _require(request, *perms):
    if not request.user.has_perms(perms):
        raise PermissionDenied


def _selected_ids(request):
    """The gifts' ids in ?ids= (or the form's "ids"): the parts that can name a gift.

    Only ASCII digits, and no longer than a key holds: "²" passes str.isdigit() and a
    number of thousands of digits is refused by int(), and either would crash the page.
    """
    raw = request.GET.get("ids", "") or request.POST.get("ids", "")
    parts = (part.strip() for part in raw.split(","))
    ids = [int(part) for part in parts if part.isascii() and part.isdigit() and len(part) < 19]
    return ids[:MAX_SELECTION]


def selection_url(name, gifts):
    ids = ",".join(str(pk) for pk in gifts.values_list("pk", flat=True)[:MAX_SELECTION])
    return f"{reverse(name)}?ids={ids}"


def _page(request, model_admin, template, context):
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        **context,
    }
    return TemplateResponse(request, template, context)


# Report and exports ----------------------------------------------------------------


def report(request, model_admin):
    _require(request, "donations.view_reports")
    form = RangeForm(request.GET)  # empty means this year so far, all campaigns
    figures, figure_charts, export_query = None, [], ""
    if form.is_valid():
        start, end = form.dates()
        campaign = form.cleaned_data.get("campaign")
        figures = reports.campaign_report(start=start, end=end, campaign=campaign)
        figure_charts = charts.report_charts(figures)
        export_query = urlencode(
            {"campaign": campaign.pk if campaign else "", "start": start, "end": end}
        )
    return _page(
        request,
        model_admin,
        "admin/donations/report.html",
        {
            "title": _("Gift report"),
            "form": form,
            "report": figures,
            "charts": figure_charts,
            "export_query": export_query,
            "can_export": request.user.has_perm("donations.export_gifts"),
            "year": timezone.localdate().year,
        },
    )


def _csv_response(lines, filename):
    # The byte-order mark makes Excel read the file as UTF-8 (accented names).
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_bom(lines):
    yield "\ufeff"
    yield from lines


def _file_date():
    """Today in the site's time zone (not the server's, nor UTC): a file downloaded at
    9 pm in Hartford is named for that day."""
    return timezone.localdate(timezone=timezone.get_default_timezone()).isoformat()


def gift_csv_response(gifts):
    return _csv_response(exports.gifts_csv(gifts), f"gifts-{_file_date()}.csv")


def donor_csv_response(donors, year):
    return _csv_response(exports.donors_csv(donors, year), f"donors-{_file_date()}.csv")


def export_gifts(request, model_admin):
    _require(request, "donations.export_gifts")
    form = RangeForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("The export was not made: check the dates below."))
        return HttpResponseRedirect(
            reverse("admin:donations_gift_report") + "?" + request.GET.urlencode()
        )
    gifts = exports.filtered_gifts(
        campaign=form.cleaned_data["campaign"],
        since=form.cleaned_data["start"],
        until=form.cleaned_data["end"],
    )
    return gift_csv_response(gifts)


def export_donors(request, model_admin):
    _require(request, "donations.export_gifts")
    year = parse_year(request.GET.get("year", timezone.localdate().year))
    if year is None:
        messages.error(
            request, _("The export was not made: the year must be a number such as 2026.")
        )
        return HttpResponseRedirect(reverse("admin:donations_donor_changelist"))
    return donor_csv_response(Donor.objects.all(), year)


# Letters and voids -----------------------------------------------------------------


def letters(request, model_admin):
    _require(request, "donations.view_gift")
    gifts = list(
        Gift.objects.filter(pk__in=_selected_ids(request))
        .select_related("donor", "campaign")
        .order_by("donor__name", "pk")
    )
    printable = [gift for gift in gifts if gift.counted]
    if not printable:
        messages.error(
            request,
            _("No letter to print: choose gifts that count (a voided or refunded gift gets none)."),
        )
        return HttpResponseRedirect(reverse("admin:donations_gift_changelist"))
    return render(
        request,
        "donations/letter.html",
        {
            "letters": [letter_context(gift) for gift in printable],
            "skipped": len(gifts) - len(printable),
            "back_url": reverse("admin:donations_gift_changelist"),
        },
    )


def void(request, model_admin):
    _require(request, "donations.change_gift")
    gifts = list(
        Gift.objects.filter(pk__in=_selected_ids(request), method__in=OFFLINE_METHODS)
        .select_related("donor", "offline_details")
        .order_by("pk")
    )
    if not gifts:
        messages.error(
            request,
            _(
                "Choose one or more checks or other offline gifts to void; online gifts "
                "are refunded in Stripe."
            ),
        )
        return HttpResponseRedirect(reverse("admin:donations_gift_changelist"))
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        voided = 0
        for gift in gifts:
            try:
                checks.void_gift(gift, form.cleaned_data["reason"], request.user)
                voided += 1
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        if voided:
            messages.success(
                request,
                (
                    ngettext("Voided %(count)d check.", "Voided %(count)d checks.", voided)
                    if all(gift.method == Gift.Method.CHECK for gift in gifts)
                    else ngettext("Voided %(count)d gift.", "Voided %(count)d gifts.", voided)
                )
                % {"count": voided},
            )
        if len(gifts) == 1:
            return HttpResponseRedirect(reverse("admin:donations_gift_change", args=[gifts[0].pk]))
        return HttpResponseRedirect(reverse("admin:donations_gift_changelist"))
    return _page(
        request,
        model_admin,
        "admin/donations/gift/void.html",
        {
            "title": _("Void offline gifts"),
            "gifts": gifts,
            "form": form,
            "ids": ",".join(str(gift.pk) for gift in gifts),
        },
    )


# Deposits --------------------------------------------------------------------------


def close_deposit(request, model_admin, object_id):
    _require(request, "donations.change_deposit")
    deposit = get_object_or_404(Deposit, pk=object_id)
    page = reverse("admin:donations_deposit_change", args=[deposit.pk])
    if request.method == "POST":
        try:
            checks.close_deposit(deposit, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(deposit)s is closed; its checks are locked.") % {"deposit": deposit}
            )
        return HttpResponseRedirect(page)
    return _page(
        request,
        model_admin,
        "admin/donations/deposit/close.html",
        {
            "title": _("Close %(deposit)s") % {"deposit": deposit},
            "deposit": deposit,
            "object": deposit,
            "summary": deposit.check_summary(),
            "deposit_url": page,
        },
    )


# Month-end close -------------------------------------------------------------------


def _month(request):
    """The month asked for (?month=YYYY-MM), or the last one; with an error when the
    text is not a month."""
    asked = request.GET.get("month")
    month = Month.parse(asked) if asked else None
    if asked and month is None:
        messages.error(
            request, _("“%(month)s” is not a month; showing the last one.") % {"month": asked}
        )
    return month or Month.parse(timezone.localdate().strftime("%Y-%m")).previous()


def month_end(request, model_admin):
    _require(request, "donations.view_reports")
    month = _month(request)
    return _page(
        request,
        model_admin,
        "admin/donations/month_end.html",
        {
            "title": _("Month-end close"),
            "close": month_end_figures(month),
            "can_export": request.user.has_perm("donations.export_gifts"),
        },
    )


def journal(request, model_admin):
    _require(request, "donations.export_gifts")
    month = _month(request)
    # No byte-order mark (unlike the other exports, made for Excel): QuickBooks reads
    # the header's first cell as the column "Journal No." only without one.
    response = StreamingHttpResponse(
        accounting.journal_csv(month), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="journal-{month}.csv"'
    return response
