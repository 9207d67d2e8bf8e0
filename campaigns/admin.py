from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Campaign, HelpSection


class HelpSectionInline(admin.StackedInline):
    model = HelpSection
    extra = 0
    fields = ["position", "heading", "body"]
    ordering = ["position", "pk"]
    classes = ["sortable-sections"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "is_published", "starts_on", "ends_on", "goal_display"]
    list_filter = ["is_published", "goal_kind"]
    search_fields = ["title", "slug", "summary", "letter"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "starts_on"
    save_on_top = True
    inlines = [HelpSectionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "is_published"]}),
        (_("Appeal"), {"fields": ["letter", "help_heading", "closing"]}),
        (
            _("Goal and dates"),
            {"fields": ["goal_kind", "goal_target", "starts_on", "ends_on"]},
        ),
        (_("Donation form"), {"fields": ["preset_amounts", "monthly_by_default"]}),
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
            {"fields": ["org_legal_name", "org_ein", "org_phone", "tax_statement"]},
        ),
        (_("Other ways to give"), {"fields": ["other_ways_to_give"]}),
        (
            _("Link previews"),
            {"fields": ["share_title", "share_description", "share_image"]},
        ),
    ]

    class Media:
        js = ["admin/js/sortable-inline.js"]

    @admin.display(description=_("goal"))
    def goal_display(self, obj):
        unit = _("donors") if obj.goal_kind == Campaign.GoalKind.DONORS else _("dollars")
        return f"{obj.goal_target:,} {unit}"
