from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import feed
from .models import Campaign, FeedItem, HelpSection


class CampaignsLookupsOnly:
    """Changelist filters that stay inside the campaigns app.

    Anyone who may open a changelist can type a filter into its query string, and
    Django allows a lookup across one relation by default: `?gifts__gt=0` or
    `?pledges__isnull=False` on the campaign list would let an editor, who may see
    campaign content only, learn about gifts and pledges by which campaigns remain
    listed (and so on, one question at a time). A lookup whose path reaches a model
    of another app is refused (400) for everyone: nothing on these pages makes one,
    and the donations admin is where staff who may see gifts ask about them. A list
    filter across apps would have to be allowed here explicitly.
    """

    def lookup_allowed(self, lookup, value, request):
        model = self.model
        for part in lookup.split(LOOKUP_SEP):
            try:
                field = model._meta.get_field(part)
            except FieldDoesNotExist:
                break  # a lookup or transform (exact, gte, year): the path ends here
            if not field.is_relation:
                break
            model = field.related_model
            if model is None or model._meta.app_label != self.opts.app_label:
                return False
        return super().lookup_allowed(lookup, value, request)


class HelpSectionInline(admin.StackedInline):
    model = HelpSection
    extra = 0
    # Each text with its Spanish right after it (see Campaign.in_language).
    fields = ["position", "heading", "heading_es", "body", "body_es"]
    ordering = ["position", "pk"]
    classes = ["sortable-sections"]


@admin.register(Campaign)
class CampaignAdmin(CampaignsLookupsOnly, admin.ModelAdmin):
    list_display = ["title", "is_published", "starts_on", "ends_on", "goal_display"]
    list_filter = ["is_published", "goal_kind"]
    search_fields = ["title", "title_es", "slug", "summary", "letter"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "starts_on"
    save_on_top = True
    inlines = [HelpSectionInline]
    readonly_fields = ["pages"]
    # Each text an editor writes has its Spanish right after it: an empty Spanish field
    # shows the English to Spanish readers (Campaign.in_language), marked for staff.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "title_es",
                    "slug",
                    "summary",
                    "summary_es",
                    "is_published",
                    "pages",
                ]
            },
        ),
        (
            _("Appeal"),
            {
                "fields": [
                    "letter",
                    "letter_es",
                    "help_heading",
                    "help_heading_es",
                    "closing",
                    "closing_es",
                ]
            },
        ),
        (
            _("Goal and dates"),
            {"fields": ["goal_kind", "goal_target", "starts_on", "ends_on"]},
        ),
        (
            _("Picture"),
            {"fields": ["hero_image", "hero_image_alt", "hero_image_alt_es"]},
        ),
        (
            _("Donation form"),
            {
                "fields": [
                    "preset_amounts",
                    "impact_cues",
                    "impact_cues_es",
                    "monthly_by_default",
                ]
            },
        ),
        (
            _("Mail a check"),
            {
                "fields": [
                    "check_payee",
                    "check_street",
                    "check_suite",
                    "check_city_state_zip",
                ]
            },
        ),
        (
            _("Organization and tax notice"),
            {
                "fields": [
                    "org_legal_name",
                    "org_ein",
                    "org_phone",
                    "tax_statement",
                    "tax_statement_es",
                ]
            },
        ),
        (_("Other ways to give"), {"fields": ["other_ways_to_give", "other_ways_to_give_es"]}),
        (
            _("Link previews"),
            {
                "fields": [
                    "share_title",
                    "share_title_es",
                    "share_description",
                    "share_description_es",
                    "share_image",
                ]
            },
        ),
    ]

    class Media:
        js = ["admin/js/sortable-inline.js"]

    @admin.display(description=_("pages on the site"))
    def pages(self, obj):
        """The campaign's page in each language; a draft shows to staff as a preview."""
        if obj is None or obj.pk is None:
            return self.get_empty_value_display()
        return format_html_join(
            " · ",
            '<a href="{}" hreflang="{}">{}</a>',
            (
                (obj.get_absolute_url(language=code), code, name)
                for code, name in settings.LANGUAGES
            ),
        )

    @admin.display(description=_("goal"))
    def goal_display(self, obj):
        unit = _("donors") if obj.goal_kind == Campaign.GoalKind.DONORS else _("dollars")
        return f"{obj.goal_target:,} {unit}"


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why hide these items?"),
        max_length=200,
        help_text=_("Kept with each item, for the other staff. The public never sees it."),
        error_messages={"required": _("Say why the items are hidden.")},
    )


@admin.register(FeedItem)
class FeedItemAdmin(CampaignsLookupsOnly, admin.ModelAdmin):
    """The public activity feed, for staff who moderate it (not the Editors group).

    Items are written by the ledger and never edited here: staff hide an item with a
    reason, or unhide it, through the actions, which keep the campaign's count exact.
    """

    list_display = [
        "occurred_at",
        "campaign",
        "display_name_or_someone",
        "kind",
        "message_excerpt",
        "state",
        "is_demo",
    ]
    list_filter = ["hidden", "withdrawn", "kind", "is_demo", "campaign"]
    search_fields = ["display_name", "message"]
    list_select_related = ["campaign", "hidden_by"]
    date_hierarchy = "occurred_at"
    actions = ["hide_items", "unhide_items"]
    fields = [
        "campaign",
        "kind",
        "display_name",
        "message",
        "occurred_at",
        "withdrawn",
        "hidden",
        "hidden_reason",
        "hidden_at",
        "hidden_by",
        "is_demo",
        "source_key",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The actions need the change permission; a single item's page stays read-only
        # because saving a copy read earlier could undo a concurrent withdrawal.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("name"), ordering="display_name")
    def display_name_or_someone(self, obj):
        return obj.display_name or gettext("Someone (anonymous)")

    @admin.display(description=_("message"))
    def message_excerpt(self, obj):
        return Truncator(obj.message).chars(60)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.hidden:
            who = obj.hidden_by.get_username() if obj.hidden_by else gettext("staff")
            return gettext("Hidden by %(who)s: %(reason)s") % {
                "who": who,
                "reason": obj.hidden_reason,
            }
        if obj.withdrawn:
            return gettext("Withdrawn (gift no longer counts)")
        return gettext("Visible")

    @admin.action(description=_("Hide from the public feed…"), permissions=["change"])
    def hide_items(self, request, queryset):
        form = HideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            items = list(queryset.filter(hidden=False))
            count = feed.hide(
                [item.pk for item in items], reason=form.cleaned_data["reason"], user=request.user
            )
            for item in items:
                self.log_change(request, item, f"Hidden: {form.cleaned_data['reason']}")
            self.message_user(
                request,
                ngettext("%(count)d item hidden.", "%(count)d items hidden.", count)
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Hide feed items"),
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/campaigns/feeditem/hide.html", context)

    @admin.action(description=_("Show again on the public feed"), permissions=["change"])
    def unhide_items(self, request, queryset):
        items = list(queryset.filter(hidden=True))
        count = feed.unhide([item.pk for item in items])
        for item in items:
            self.log_change(request, item, "Unhidden")
        self.message_user(
            request,
            ngettext("%(count)d item shown again.", "%(count)d items shown again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
