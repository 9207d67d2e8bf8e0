"""Staff's side of supporters' pages: read, approve, hide; what each page raised.

A page is public only once approved (an e-mail tells the supporter); hiding takes it
off the site at once, with a reason kept for the other staff. Staff may also correct
a page's words or photo; saving retires the cached public pages.
"""

import functools
import itertools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign

from . import links, reports
from .models import FundraisingPage

REPORT_PERMISSION = "donations.view_reports"


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why hide these pages?"),
        max_length=200,
        help_text=_("Kept with each page, for the other staff. The public never sees it."),
        error_messages={"required": _("Say why the pages are hidden.")},
    )


def _tell_supporter(page, unsent):
    """E-mails the supporter that their page is public; notes it in `unsent` if the
    mail server did not accept the message."""
    if not links.send_approved(page):
        unsent.append(page.pk)


def _campaign_or_none(value):
    """The campaign the report is narrowed to; None (every campaign) for nothing, or
    for a value that names no campaign, such as a hand-edited address."""
    try:
        return Campaign.objects.filter(pk=value or None).first()
    except ValueError:
        return None


@admin.register(FundraisingPage)
class FundraisingPageAdmin(admin.ModelAdmin):
    list_display = ["display_name_or_address", "campaign", "status", "public_link", "updated_at"]
    list_filter = ["status", "campaign"]
    search_fields = ["display_name", "email", "slug"]
    list_select_related = ["campaign"]
    actions = ["approve_pages", "hide_pages"]
    fields = [
        "campaign",
        "email",
        "slug",
        "status",
        "hidden_reason",
        "approved_at",
        "approved_by",
        "display_name",
        "appeal",
        "photo",
        "photo_alt",
        "goal_kind",
        "goal_target",
        "language",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [
        "campaign",
        "email",
        "slug",
        "status",
        "hidden_reason",
        "approved_at",
        "approved_by",
        "language",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        # Pages are written by supporters, through their signed link.
        return False

    @admin.display(description=_("name shown"), ordering="display_name")
    def display_name_or_address(self, obj):
        return obj.display_name or gettext("(not written yet: %(email)s)") % {"email": obj.email}

    @admin.display(description=_("public page"))
    def public_link(self, obj):
        if obj.status != FundraisingPage.Status.APPROVED or not obj.slug:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), gettext("Open"))

    @admin.action(description=_("Approve and publish the selected pages"), permissions=["change"])
    def approve_pages(self, request, queryset):
        approved, unsent = 0, []
        for page in queryset.select_related("campaign").order_by("pk"):
            if page.status not in (FundraisingPage.Status.PENDING, FundraisingPage.Status.HIDDEN):
                continue
            if not page.slug:  # hidden before its supporter wrote it: nothing to publish
                continue
            with transaction.atomic():
                page.status = FundraisingPage.Status.APPROVED
                page.hidden_reason = ""
                page.approved_at, page.approved_by = timezone.now(), request.user
                page.save()
                self.log_change(request, page, "Approved")
                transaction.on_commit(functools.partial(_tell_supporter, page, unsent))
            approved += 1
        skipped = queryset.count() - approved
        message = ngettext(
            "%(count)d page approved; its supporter is told by e-mail.",
            "%(count)d pages approved; their supporters are told by e-mail.",
            approved,
        ) % {"count": approved}
        if skipped:
            message += " " + gettext(
                "Pages not written yet, or already public, were left as they were."
            )
        self.message_user(request, message, messages.SUCCESS if approved else messages.WARNING)
        if unsent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d supporter could not be told by e-mail: the mail server did not "
                    "accept the message (the log says why). The page is public all the same.",
                    "%(count)d supporters could not be told by e-mail: the mail server did not "
                    "accept the messages (the log says why). The pages are public all the same.",
                    len(unsent),
                )
                % {"count": len(unsent)},
                messages.WARNING,
            )

    @admin.action(description=_("Hide the selected pages from the public…"), permissions=["change"])
    def hide_pages(self, request, queryset):
        form = HideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            hidden = 0
            for page in queryset.exclude(status=FundraisingPage.Status.HIDDEN).order_by("pk"):
                page.status, page.hidden_reason = FundraisingPage.Status.HIDDEN, reason
                page.save()
                self.log_change(request, page, f"Hidden: {reason}")
                hidden += 1
            self.message_user(
                request,
                ngettext("%(count)d page hidden.", "%(count)d pages hidden.", hidden)
                % {"count": hidden},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Hide fundraising pages"),
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/fundraising/fundraisingpage/hide.html", context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("report/", view(self.report_view), name="fundraising_fundraisingpage_report"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = (extra_context or {}) | {
            "report_url": reverse("admin:fundraising_fundraisingpage_report")
            if request.user.has_perm(REPORT_PERMISSION)
            else ""
        }
        return super().changelist_view(request, extra_context)

    def report_view(self, request):
        """Money raised per supporter, on screen or as CSV (?format=csv)."""
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied
        campaign = _campaign_or_none(request.GET.get("campaign"))
        pages = reports.raised_per_supporter(campaign)
        if request.GET.get("format") == "csv":
            response = StreamingHttpResponse(
                itertools.chain(["\ufeff"], reports.report_csv(pages)),
                content_type="text/csv; charset=utf-8",
            )
            day = timezone.localdate().isoformat()
            response["Content-Disposition"] = (
                f'attachment; filename="raised-per-supporter-{day}.csv"'
            )
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Money raised per supporter"),
            "opts": self.model._meta,
            "pages": pages,
            "campaigns": Campaign.objects.order_by("title"),
            "campaign": campaign,
        }
        return TemplateResponse(request, "admin/fundraising/fundraisingpage/report.html", context)
