"""The bookkeepers' admin: donors, gifts (online and offline), deposits, statements.

Online gifts are read-only here: their money facts come from Stripe. Offline gifts
(checks, cash, bank transfers, fund grants, stock, in kind) are logged, corrected and
voided through donations.checks, which also writes the History entries, so the
admin's own log lines are switched off for gifts. "Log a gift" asks for the kind
first (`?kind=`, a check when none is given, so old links still open the check form).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.formatting import format_date, format_money
from campaigns.models import Campaign

from . import admin_matching, admin_supporters, admin_views, checks, offline, receipts
from . import donors as donors_service
from .admin_forms import CHECK_FORM_FIELDS, CheckGiftForm

# Deposits, monthly gifts, statements and Stripe events are in admin_records.
from .admin_records import BOTH
from .models import OFFLINE_METHODS, Deposit, Donor, Gift
from .offline_forms import FORM_FIELDS, form_for

# Donors ----------------------------------------------------------------------------


@admin.register(Donor)
class DonorAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "city", "state", "language", "created_at"]
    list_filter = ["language"]
    search_fields = ["name", "email", "city", "postal_code"]
    fields = [
        "name",
        "email",
        "street",
        "city",
        "state",
        "postal_code",
        # Their receipts for gifts staff log, their statements and letters: set from
        # their latest online gift, and by staff for a donor who gives by check.
        "language",
        "gifts_link",
        "stripe_customer_id",
        "created_at",
    ]
    readonly_fields = ["gifts_link", "stripe_customer_id", "created_at"]
    actions = ["export_donors", "export_supporters", "merge_donors"]

    def has_delete_permission(self, request, obj=None):
        return False  # a donor's gifts keep pointing at them

    @admin.action(permissions=["change"], description=_("Merge the two selected donors"))
    def merge_donors(self, request, queryset):
        donors = list(queryset.order_by("created_at", "pk")[:3])
        if len(donors) != 2:
            self.message_user(request, _("Select exactly two donors to merge."), messages.ERROR)
            return None
        keep, other = donors
        try:
            donors_service.merge_donors(keep, other)
        except donors_service.CannotMerge as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.log_change(request, keep, _("Merged another donor record into this one."))
        self.message_user(
            request,
            _("Merged into %(donor)s, the older record; every gift keeps its own name.")
            % {"donor": keep},
            messages.SUCCESS,
        )
        return None

    def has_export_permission(self, request):
        return request.user.has_perm("donations.export_gifts")

    @admin.display(description=_("gifts"))
    def gifts_link(self, obj):
        if not obj.pk:
            return "–"
        url = reverse("admin:donations_gift_changelist") + f"?donor__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("See this donor’s gifts"))

    @admin.action(permissions=["export"], description=_("Export selected donors (CSV)"))
    def export_donors(self, request, queryset):
        return admin_views.donor_csv_response(queryset, timezone.localdate().year)

    @admin.action(
        permissions=["export"],
        description=_("Export the selected donors who want updates (Mailchimp CSV)"),
    )
    def export_supporters(self, request, queryset):
        return admin_supporters.supporters_csv_response("mailchimp", queryset)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "export/",
                view(lambda request: admin_views.export_donors(request, self)),
                name="donations_donor_export",
            ),
            path(
                "supporters/",
                view(lambda request: admin_supporters.export_supporters(request, self)),
                name="donations_donor_supporters",
            ),
            *super().get_urls(),
        ]


# Gifts -----------------------------------------------------------------------------

CHECK_STATUS_FIELDS = [
    "status",
    "logged_by",
    "created_at",
    "receipt_status",
    "receipt_sent_at",
    "voided_at",
    "voided_by",
    "void_reason",
]
ONLINE_FIELDSETS = [
    (
        None,
        {
            "fields": [
                "donor",
                "campaign",
                "amount_display",
                "refunded_display",
                "frequency",
                "method",
                "given_at",
                "status",
                "dispute",
                "display_as",
                "public_message",
            ]
        },
    ),
    (_("Tribute"), {"fields": ["tribute_kind", "tribute_name", "tribute_notice_display"]}),
    (
        _("Stripe"),
        {
            "fields": [
                "stripe_payment_intent_id",
                "stripe_invoice_id",
                "stripe_charge_id",
                "stripe_dispute_id",
                "card_brand",
                "card_last4",
                "monthly_gift",
                "pledge",
            ]
        },
    ),
    (
        _("Receipt"),
        {"fields": ["receipt_status", "receipt_sent_at", "receipt_attempts", "receipt_error"]},
    ),
]
# An offline gift other than a check, once logged: its facts are shown, and only how
# it shows in the feed and its memo change (checks.OPEN_FIELDS).
OFFLINE_FIELDS = [
    "donor",
    "campaign",
    "method",
    "amount_display",
    "received_on",
    "details_display",
    "deposit",
    "display_as",
    "memo",
]


class OriginFilter(admin.SimpleListFilter):
    """Gifts paid online (through Stripe) or logged by staff (offline kinds)."""

    title = _("origin")
    parameter_name = "origin"

    def lookups(self, request, model_admin):
        return [("online", _("Online (Stripe)")), ("offline", _("Logged by staff"))]

    def queryset(self, request, queryset):
        if self.value() == "online":
            return queryset.exclude(method__in=OFFLINE_METHODS)
        if self.value() == "offline":
            return queryset.filter(method__in=OFFLINE_METHODS)
        return queryset


@admin.register(Gift)
class GiftAdmin(admin.ModelAdmin):
    form = CheckGiftForm
    list_display = [
        "given_at",
        "donor",
        "amount_display",
        "method",
        "frequency",
        "status",
        "campaign",
        "reference_display",
        "receipt_status",
    ]
    list_filter = [
        "status",
        OriginFilter,
        "method",
        "campaign",
        "frequency",
        "receipt_status",
        "tribute_kind",
    ]
    search_fields = [
        "donor__name",
        "donor__email",
        "check_number",
        "offline_details__reference",
        "offline_details__fund_name",
        "offline_details__ticker",
        "stripe_payment_intent_id",
        "stripe_invoice_id",
        "stripe_charge_id",
        "tribute_name",
    ]
    list_select_related = ["donor", "campaign", "offline_details"]
    date_hierarchy = "given_at"
    autocomplete_fields = ["donor"]
    actions = ["send_receipts", "print_letters", "void_checks", "export_gifts"]

    class Media:
        css = {"all": ["css/backoffice.css"]}

    # Which form, which fields ------------------------------------------------------

    def _kind(self, request):
        """The offline kind the "Log a gift" page is for: ?kind=, a check by default."""
        kind = request.GET.get("kind")
        return kind if kind in OFFLINE_METHODS else Gift.Method.CHECK

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [*FORM_FIELDS[self._kind(request)], "send_receipt"]})]
        if not obj.is_offline:
            return ONLINE_FIELDSETS
        if obj.method != Gift.Method.CHECK:
            return [
                (None, {"fields": OFFLINE_FIELDS}),
                (_("Status"), {"fields": CHECK_STATUS_FIELDS}),
            ]
        entry = CHECK_FORM_FIELDS
        if checks.is_locked(obj):
            entry = [name if name != "amount" else "amount_display" for name in entry]
        return [(None, {"fields": entry}), (_("Status"), {"fields": CHECK_STATUS_FIELDS})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = [
            *CHECK_STATUS_FIELDS,
            "amount_display",
            "refunded_display",
            "tribute_notice_display",
        ]
        if obj.is_offline and obj.method != Gift.Method.CHECK:
            return readonly + [name for name in OFFLINE_FIELDS if name not in checks.OPEN_FIELDS]
        if checks.is_locked(obj):
            readonly += [name for name in checks.LOCKED_FIELDS if name != "amount_cents"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = form_for(self._kind(request))
        elif not obj.is_offline:
            kwargs["form"] = forms.ModelForm
        else:
            kwargs["form"] = form_for(obj.method)
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "deposit":
            kwargs["queryset"] = Deposit.objects.filter(closed_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = {"received_on": timezone.localdate()}
        featured = Campaign.objects.featured()
        if featured is not None:
            initial["campaign"] = featured.pk
        return initial | super().get_changeform_initial_data(request)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        # Online gifts follow Stripe; a voided check is final.
        return obj is None or (obj.is_offline and not obj.voided_at)

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is deleted: refunds and voids change the status

    def has_export_permission(self, request):
        return request.user.has_perm("donations.export_gifts")

    # Saving through the service ----------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        kind = self._kind(request)
        return super().add_view(
            request, form_url, {"title": offline.TITLES[kind], **(extra_context or {})}
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The form checked the same rules a moment earlier; only a race with
            # another bookkeeper (a deposit closed meanwhile) ends up here.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:
            saved = checks.change_check_gift(
                obj,
                user=request.user,
                confirm_duplicate=form.cleaned_data.get("confirm_duplicate", False),
                **form.changes(),
            )
        else:
            saved = checks.record_offline_gift(user=request.user, **form.record_kwargs())
        obj.pk = saved.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def log_addition(self, request, obj, message):
        return None  # record_offline_gift wrote the History entry

    def log_change(self, request, obj, message):
        return None  # change_check_gift wrote the History entry

    # Columns -----------------------------------------------------------------------

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount_display(self, obj):
        if obj.method == Gift.Method.IN_KIND:
            return _("In kind")  # no stated value (donations.offline)
        return format_money(obj.amount_cents, obj.currency, always_cents=True)

    @admin.display(description=_("tribute notice"))
    def tribute_notice_display(self, obj):
        notice = obj.tribute_notices.select_related("tribute").first()
        if notice is None:
            return "–"
        to = f"{notice.tribute.notify_name} <{notice.tribute.notify_email}>"
        if notice.sent_at:
            return _("Sent to %(to)s on %(date)s") % {"to": to, "date": format_date(notice.sent_at)}
        return _("Not sent yet to %(to)s (attempts: %(attempts)s) %(error)s") % {
            "to": to,
            "attempts": notice.attempts,
            "error": notice.error,
        }

    @admin.display(description=_("refunded"))
    def refunded_display(self, obj):
        return (
            format_money(obj.refunded_cents, obj.currency, always_cents=True)
            if obj.refunded_cents
            else "–"
        )

    @admin.display(description=_("reference"))
    def reference_display(self, obj):
        return obj.reference or "–"

    @admin.display(description=_("details"))
    def details_display(self, obj):
        rows = offline.admin_rows(obj)
        if not rows:
            return "–"
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    # Actions -----------------------------------------------------------------------

    @admin.action(
        permissions=["change"],
        description=_("E-mail the receipt (again)"),
        location=BOTH,
    )
    def send_receipts(self, request, queryset):
        sent = skipped = failed = 0
        for gift in queryset.select_related("donor"):
            if not gift.counted or not gift.donor.email:
                skipped += 1
            elif receipts.resend_receipt(gift):
                sent += 1
                checks.log(request.user, gift, CHANGE, str(_("Receipt e-mailed.")))
            else:
                failed += 1
        if sent:
            self.message_user(
                request,
                ngettext("E-mailed %(n)d receipt.", "E-mailed %(n)d receipts.", sent) % {"n": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d gift has no receipt to send (no e-mail address, or it no longer "
                    "counts): print a letter instead.",
                    "%(n)d gifts have no receipt to send (no e-mail address, or they no "
                    "longer count): print letters instead.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(n)d receipt could not be sent: the mail server did not accept it. "
                    "It will be tried again.",
                    "%(n)d receipts could not be sent: the mail server did not accept "
                    "them. They will be tried again.",
                    failed,
                )
                % {"n": failed},
                messages.ERROR,
            )

    @admin.action(
        permissions=["view"],
        description=_("Print acknowledgement letter"),
        location=BOTH,
    )
    def print_letters(self, request, queryset):
        if self._too_many(request, queryset):
            return None
        return HttpResponseRedirect(
            admin_views.selection_url("admin:donations_gift_letters", queryset)
        )

    @admin.action(permissions=["change"], description=_("Void offline gift…"), location=BOTH)
    def void_checks(self, request, queryset):
        if self._too_many(request, queryset):
            return None
        return HttpResponseRedirect(
            admin_views.selection_url("admin:donations_gift_void", queryset)
        )

    def _too_many(self, request, queryset):
        """Whether more gifts are chosen than a letters or void page takes: it would
        have shown the first of them alone, as if they were all."""
        if queryset.count() <= admin_views.MAX_SELECTION:
            return False
        self.message_user(
            request,
            _(
                "Nothing was done: choose at most %(count)s gifts at a time (narrow the "
                "list by date, for instance)."
            )
            % {"count": admin_views.MAX_SELECTION},
            messages.ERROR,
        )
        return True

    @admin.action(permissions=["export"], description=_("Export selected gifts (CSV)"))
    def export_gifts(self, request, queryset):
        return admin_views.gift_csv_response(queryset)

    # Pages -------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view

        def mount(route, function, name):
            return path(route, view(lambda request: function(request, self)), name=name)

        return [
            mount("report/", admin_views.report, "donations_gift_report"),
            mount("export/", admin_views.export_gifts, "donations_gift_export"),
            mount("letters/", admin_views.letters, "donations_gift_letters"),
            mount("void/", admin_views.void, "donations_gift_void"),
            mount("alerts/", admin_supporters.my_alerts, "donations_gift_alerts"),
            mount("month-end/", admin_views.month_end, "donations_gift_month_end"),
            mount("month-end/journal/", admin_views.journal, "donations_gift_journal"),
            path(
                "matches/<int:match_id>/",
                view(
                    lambda request, match_id: admin_matching.match_report(request, self, match_id)
                ),
                name="donations_gift_match_report",
            ),
            path(
                "matches/<int:match_id>/csv/",
                view(lambda request, match_id: admin_matching.match_csv(request, self, match_id)),
                name="donations_gift_match_csv",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["is_check"] = obj is not None and obj.method == Gift.Method.CHECK
        context["is_offline"] = obj is not None and obj.is_offline
        context["can_void"] = (
            context["is_offline"] and not obj.voided_at and self.has_change_permission(request)
        )
        if add:
            context["kinds"] = self._kind_links(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _kind_links(self, request):
        """The "Log a gift" page's choice of kind: one link per kind, keeping the
        other parameters of the address (a deposit to log into)."""
        current = self._kind(request)
        links = []
        for method in OFFLINE_METHODS:
            query = request.GET.copy()
            query["kind"] = method
            links.append(
                {
                    "label": Gift.Method(method).label,
                    "url": "?" + query.urlencode(),
                    "current": method == current,
                }
            )
        return links

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_report": request.user.has_perm("donations.view_reports"),
            "can_export": self.has_export_permission(request),
        }
        return super().changelist_view(request, extra | (extra_context or {}))
