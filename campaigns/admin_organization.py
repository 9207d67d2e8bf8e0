"""The organization's details in the admin: one page, no list, nothing to add or delete."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .organization import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    fieldsets = [
        (
            _("For receipts and letters"),
            {"fields": ["legal_name", "ein", "logo"]},
        ),
        (
            _("Mail a check"),
            {"fields": ["check_payee", "street", "suite", "city_state_zip"]},
        ),
        (_("Contact"), {"fields": ["phone", "email", "website"]}),
    ]

    class Media:
        css = {"all": ["css/staff-admin.css"]}

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list would only ever link to it. Django's own list checks the
        # permission, which this answer, made instead of it, must do itself.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        Organization.current()
        return HttpResponseRedirect(reverse("admin:campaigns_organization_change", args=[1]))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in {"legal_name", "check_payee", "street", "city_state_zip"}:
            field.widget.attrs["class"] = "vTextField wide-input"
        return field

    def response_change(self, request, obj):
        # "Save" would go back to the list, which is this same page.
        response = super().response_change(request, obj)
        if "_continue" not in request.POST and "_addanother" not in request.POST:
            return HttpResponseRedirect(reverse("admin:index"))
        return response
