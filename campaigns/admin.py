from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models.constants import LOOKUP_SEP
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import admin_preview, admin_reach, copying, feed
from .admin_organization import OrganizationAdmin  # noqa: F401 (registers it)
from .formatting import format_money
from .matches import overlapping
from .models import Campaign, FeedItem, HelpSection, Match


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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("heading", "heading_es"):
            field.widget.attrs["class"] = "vTextField wide-input"
        return field


class MatchFormSet(BaseInlineFormSet):
    def clean(self):
        """A campaign has one match at a time: the page shows one banner."""
        super().clean()
        kept = [
            form.instance
            for form in self.forms
            if (form.instance.pk or form.has_changed())
            and not form.errors
            and not self._should_delete_form(form)
        ]
        clash = overlapping(kept)
        if clash:
            raise ValidationError(
                _(
                    "The matches from %(first)s and %(second)s share days. A campaign has "
                    "one match at a time: change the dates of one of them."
                )
                % {"first": clash[0].sponsor, "second": clash[1].sponsor}
            )


class MatchInline(admin.StackedInline):
    """A sponsor's matching challenge (campaigns.matches); what it has matched is
    written by the ledger and shown here, with the sponsor's report."""

    model = Match
    formset = MatchFormSet
    extra = 0
    fields = [
        "sponsor",
        "ratio",
        "cap_dollars",
        "starts_on",
        "ends_on",
        "note",
        "note_es",
        "matched_display",
    ]
    readonly_fields = ["matched_display"]
    # Whether this request's user may open the sponsor's report (it lists gifts, so it
    # needs the reports permission that Editors don't have). Inline instances are made
    # afresh for each request (ModelAdmin.get_inline_instances), so this is per request.
    can_open_report = False

    def get_formset(self, request, obj=None, **kwargs):
        self.can_open_report = request.user.has_perm("donations.view_reports")
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description=_("matched so far"))
    def matched_display(self, obj):
        if obj is None or obj.pk is None:
            return self.get_empty_value_display()
        figures = gettext("%(matched)s of %(cap)s") % {
            "matched": format_money(obj.matched_cents),
            "cap": format_money(obj.cap_cents),
        }
        if not self.can_open_report:
            return figures
        try:  # the sponsor's report lists gifts: the donations admin has it
            url = reverse("admin:donations_gift_match_report", args=[obj.pk])
        except NoReverseMatch:
            return figures
        return format_html('{} · <a href="{}">{}</a>', figures, url, gettext("Sponsor's report"))


@admin.register(Campaign)
class CampaignAdmin(CampaignsLookupsOnly, admin.ModelAdmin):
    list_display = ["title", "is_published", "starts_on", "ends_on", "goal_display"]
    list_filter = ["is_published", "goal_kind"]
    search_fields = ["title", "title_es", "slug", "summary", "letter"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "starts_on"
    save_on_top = True
    inlines = [HelpSectionInline, MatchInline]
    readonly_fields = ["pages", "reach"]
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
                    ("offers_once", "offers_monthly", "offers_annual"),
                    "default_frequency",
                    "offers_monthly_upgrade",
                    "monthly_upgrade_tiers",
                ]
            },
        ),
        (
            _("Tax notice"),
            {
                "fields": ["tax_statement", "tax_statement_es"],
                "description": _(
                    "The organization's legal name, EIN and mailing address are entered "
                    "once for every campaign, under Organization details."
                ),
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
        (_("QR code and donate button"), {"fields": ["reach"]}),
    ]

    actions = ["duplicate_campaigns"]

    class Media:
        js = ["admin/js/sortable-inline.js"]
        css = {"all": ["css/staff-admin.css"]}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "slug" in form.base_fields:
            # The real address, with the site's own host (escaped: the admin renders
            # help text as HTML, where "<slug>" would vanish as an unknown tag).
            form.base_fields["slug"].help_text = format_html(
                gettext(
                    "The page will be at {pattern}. Use lowercase letters, digits and "
                    "hyphens, such as spring-appeal."
                ),
                pattern=f"{settings.SITE_URL}/campaigns/<slug>/",
            )
        return form

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in WIDE_FIELDS and field is not None:
            field.widget.attrs["class"] = "vTextField wide-input"
        return field

    def get_urls(self):
        def mount(route, view, name):
            wrapped = self.admin_site.admin_view(
                lambda request, **kwargs: view(request, self, **kwargs)
            )
            return path(route, wrapped, name=name)

        return [
            mount("add/preview/", admin_preview.preview, "campaigns_campaign_preview_new"),
            mount(
                "<int:object_id>/change/preview/",
                admin_preview.preview,
                "campaigns_campaign_preview",
            ),
            mount("<int:object_id>/duplicate/", duplicate_view, "campaigns_campaign_duplicate"),
            mount("<int:object_id>/reach/", admin_reach.reach_page, "campaigns_campaign_reach"),
            mount(
                "<int:object_id>/reach/qr-<slug:language>.<slug:kind>",
                admin_reach.qr_code,
                "campaigns_campaign_qr",
            ),
            mount(
                "<int:object_id>/reach/link-preview/",
                admin_reach.link_preview,
                "campaigns_campaign_link_preview",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["preview_url"] = reverse("admin:campaigns_campaign_preview", args=[obj.pk])
            context["can_duplicate"] = self.has_add_permission(request)
        else:
            context["preview_url"] = reverse("admin:campaigns_campaign_preview_new")
        context["reorder_labels"] = reorder_labels()
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(permissions=["add"], description=_("Duplicate the selected campaigns"))
    def duplicate_campaigns(self, request, queryset):
        copies = [self._duplicate(request, campaign) for campaign in queryset.order_by("pk")]
        if len(copies) == 1:
            return HttpResponseRedirect(
                reverse("admin:campaigns_campaign_change", args=[copies[0].pk])
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d campaign duplicated: the copies are drafts.",
                "%(count)d campaigns duplicated: the copies are drafts.",
                len(copies),
            )
            % {"count": len(copies)},
            messages.SUCCESS,
        )
        return None

    def _duplicate(self, request, campaign):
        copy = copying.duplicate_campaign(campaign)
        self.log_addition(request, copy, [{"added": {}}])
        self.message_user(
            request,
            format_html(
                gettext(
                    "“{copy}” is a copy of “{original}”, saved as a draft at {address}. "
                    "Edit it, then tick “Published” when it is ready."
                ),
                copy=copy.title,
                original=campaign.title,
                address=copy.get_absolute_url(),
            ),
            messages.SUCCESS,
        )
        return copy

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

    @admin.display(description=_("print and other sites"))
    def reach(self, obj):
        """The QR code of the page, and the way to the snippets of the donate button."""
        if obj is None or obj.pk is None:
            return gettext("Save the campaign first.")
        return format_html(
            '<div class="reach-qr-thumb"><img src="{}" width="96" height="96" alt="{}">'
            '<a href="{}">{}</a></div>',
            reverse("admin:campaigns_campaign_qr", args=[obj.pk, "en", "svg"]),
            gettext("QR code of the campaign’s page"),
            reverse("admin:campaigns_campaign_reach", args=[obj.pk]),
            gettext("QR code downloads and the donate button for other sites"),
        )

    @admin.display(description=_("goal"))
    def goal_display(self, obj):
        unit = _("donors") if obj.goal_kind == Campaign.GoalKind.DONORS else _("dollars")
        return f"{obj.goal_target:,} {unit}"


# Long one-line texts: the admin's default input is far narrower than what they hold.
WIDE_FIELDS = {"title", "title_es", "summary", "summary_es", "help_heading", "help_heading_es"}
WIDE_FIELDS |= {"share_title", "share_title_es", "share_description", "share_description_es"}


def reorder_labels():
    """The words of the help sections' move buttons (static/admin/js/sortable-inline.js)."""
    return {
        "up": gettext("Move up"),
        "down": gettext("Move down"),
        "moved": gettext("“%(name)s” is now section %(position)s of %(count)s."),
        "unnamed": gettext("New section"),
        "hint": gettext(
            "Change the order with the Move up and Move down buttons, or by dragging a "
            "section; then save."
        ),
    }


@require_POST
def duplicate_view(request, model_admin, object_id):
    """The change form's "Duplicate campaign" button: copies it and opens the copy."""
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    copy = model_admin._duplicate(request, campaign)
    return HttpResponseRedirect(reverse("admin:campaigns_campaign_change", args=[copy.pk]))


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
