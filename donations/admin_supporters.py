"""The back office of the supporter list and of gift alerts: the consents (read-only),
the supporters export for the mailing tool, the import of its unsubscribes, and each
staff user's "My gift alerts" page.

The pages are mounted behind `admin_site.admin_view` (staff login) and check their
own permission, as donations.admin_views does.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import supporters_export
from .admin_records import ReadOnlyAdmin
from .admin_views import _csv_response, _page, _require
from .models import StaffAlert, StaffAlertPreference, UpdatesConsent
from .supporter_forms import StaffAlertPreferenceForm, UnsubscribeUploadForm
from .supporters_import import ImportRefused, import_unsubscribes

# Supporters export -----------------------------------------------------------------


def supporters_csv_response(tool, donors=None):
    stamp = timezone.localdate().isoformat()
    return _csv_response(
        supporters_export.supporters_csv(tool, donors), f"supporters-{tool}-{stamp}.csv"
    )


def export_supporters(request, model_admin):
    """Everyone opted in to updates, in the layout of ?tool=mailchimp|action-network."""
    _require(request, "donations.export_gifts")
    tool = request.GET.get("tool", "mailchimp")
    if tool not in supporters_export.TOOLS:
        messages.error(request, _("Choose Mailchimp or Action Network for the supporters file."))
        return HttpResponseRedirect(reverse("admin:donations_gift_report"))
    return supporters_csv_response(tool)


# Unsubscribes from the mailing tool ---------------------------------------------------


def import_mailchimp_unsubscribes(request, model_admin):
    _require(request, "donations.change_updatesconsent")
    form = UnsubscribeUploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = import_unsubscribes(form.cleaned_data["file"].read())
        except ImportRefused as refused:
            errors = refused.errors
            messages.error(request, _("Nothing was imported: correct these rows and try again."))
        else:
            messages.success(
                request,
                _(
                    "%(rows)s rows read: %(withdrawn)s people will no longer get updates, "
                    "%(already)s had none to stop, %(unknown)s are not donors of ours."
                )
                % vars(result),
            )
            return HttpResponseRedirect(reverse("admin:donations_updatesconsent_changelist"))
    return _page(
        request,
        model_admin,
        "admin/donations/updatesconsent/import.html",
        {"title": _("Import unsubscribes from Mailchimp"), "form": form, "errors": errors[:200]},
    )


@admin.register(UpdatesConsent)
class UpdatesConsentAdmin(ReadOnlyAdmin):
    list_display = ["donor", "given_at", "language", "source", "withdrawn_at", "withdrawn_source"]
    list_filter = [("withdrawn_at", admin.EmptyFieldListFilter), "withdrawn_source", "language"]
    search_fields = ["donor__name", "donor__email"]
    list_select_related = ["donor"]
    fields = [
        "donor",
        "pledge",
        "given_at",
        "wording",
        "language",
        "source",
        "withdrawn_at",
        "withdrawn_source",
    ]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "import-unsubscribes/",
                view(lambda request: import_mailchimp_unsubscribes(request, self)),
                name="donations_updatesconsent_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_import": request.user.has_perm("donations.change_updatesconsent"),
            "can_export": request.user.has_perm("donations.export_gifts"),
        }
        return super().changelist_view(request, extra | (extra_context or {}))


# Gift alerts -------------------------------------------------------------------------


def my_alerts(request, model_admin):
    """The signed-in staff user's own choices of gift alerts."""
    _require(request, "donations.view_gift")
    preference = StaffAlertPreference.objects.filter(user=request.user).first()
    preference = preference or StaffAlertPreference(user=request.user)
    form = StaffAlertPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your gift alerts are saved."))
        return HttpResponseRedirect(reverse("admin:donations_gift_alerts"))
    return _page(
        request,
        model_admin,
        "admin/donations/gift/alerts.html",
        {
            "title": _("My gift alerts"),
            "form": form,
            "no_address": not request.user.email,
        },
    )


@admin.register(StaffAlert)
class StaffAlertAdmin(ReadOnlyAdmin):
    list_display = ["kind", "key", "user", "created_at", "sent_at", "attempts", "error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]

    # The log of who was told what: for whoever runs the site, not for every bookkeeper.
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
