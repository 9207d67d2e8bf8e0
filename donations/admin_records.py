"""The bookkeepers' admin, continued: deposits, and the records the site writes itself
(recurring gifts, year-end statements, Stripe events, the notices it e-mails), which
staff only look at."""

from django.contrib import admin, messages
from django.contrib.admin import ActionLocation
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from campaigns.formatting import format_money

from . import admin_views, bank_failures, checks, payouts, tributes
from .admin_forms import DepositForm
from .models import (
    DEPOSIT_METHODS,
    Deposit,
    MonthlyGift,
    PaymentFailureNotice,
    ProcessedEvent,
    TributeNotice,
    YearEndStatement,
)

BOTH = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the site itself (Stripe events, statements): look, don't touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Deposits --------------------------------------------------------------------------


class DepositStateFilter(admin.SimpleListFilter):
    """Open deposits (checks can still join) or closed ones (matching the bank's slip)."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", pgettext_lazy("deposit state", "Open")),
            ("closed", pgettext_lazy("deposit state", "Closed")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(Deposit)
class DepositAdmin(admin.ModelAdmin):
    """Check deposits and Stripe payouts in one list, as the bank statement shows them.

    A check deposit is made and closed by staff; a Stripe payout deposit is written
    by donations.payouts from Stripe's events and is only looked at: its page lists
    the payout's lines (donations/payout_lines.html).
    """

    form = DepositForm
    # The name says the kind and the bank reference ("Stripe payout of ... (po_...)"),
    # so the list fits a laptop's width beside its filters.
    list_display = [
        "__str__",
        "state_display",
        "deposited_on",
        "check_count",
        "checks_total",
        "expected_display",
        "difference_display",
    ]
    list_filter = [
        DepositStateFilter,
        "kind",
        "payout__status",
        "payout__reconciliation",
    ]
    search_fields = ["bank_reference"]
    date_hierarchy = "deposited_on"
    actions = ["close_deposits"]

    class Media:
        css = {"all": ["css/backoffice.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).with_check_totals().select_related("payout")

    def get_fields(self, request, obj=None):
        if obj is not None and obj.is_payout:
            return ["kind", "deposited_on", "bank_reference", "expected_display"]
        if obj is not None and obj.is_closed:
            return ["deposited_on", "bank_reference", "expected_display", "closed_at", "closed_by"]
        return ["deposited_on", "bank_reference", "expected_total"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_payout:
            return ["kind", "deposited_on", "bank_reference", "expected_display"]
        return ["expected_display", "closed_at", "closed_by"] if obj is not None else []

    def has_change_permission(self, request, obj=None):
        # A closed deposit matches the bank's slip and stays as it is; a payout is
        # Stripe's record (closed from the start).
        return super().has_change_permission(request, obj) and not (obj and obj.is_closed)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("checks"), ordering="check_count")
    def check_count(self, obj):
        return "—" if obj.is_payout else obj.check_count

    @admin.display(description=_("sum of checks or lines"), ordering="check_total_cents")
    def checks_total(self, obj):
        if obj.is_payout:
            total = obj.payout.lines_total_cents
            return "—" if total is None else payouts.signed_money(total, obj.payout.currency)
        return format_money(obj.check_total_cents, always_cents=True)

    @admin.display(description=_("expected total"), ordering="expected_total_cents")
    def expected_display(self, obj):
        if obj.is_payout:
            return payouts.signed_money(obj.payout.amount_cents, obj.payout.currency)
        return format_money(obj.expected_total_cents, always_cents=True)

    @admin.display(description=_("difference"))
    def difference_display(self, obj):
        if obj.is_payout:
            difference = obj.payout.difference_cents
            if difference is None:
                return "—"
            # The lines less the payout, as for checks: negative when lines are missing.
            difference = -difference
        else:
            difference = obj.check_total_cents - obj.expected_total_cents
        if not difference:
            return format_money(0, always_cents=True)
        sign = "+" if difference > 0 else "−"
        return format_html(
            '<strong class="deposit-mismatch">{}{}</strong>',
            sign,
            format_money(abs(difference), always_cents=True),
        )

    @admin.display(description=_("state"))
    def state_display(self, obj):
        if obj.is_payout:
            payout = obj.payout
            if not payout.reached_bank:
                return format_html(
                    '<strong class="payout-not-paid">{}</strong>', payout.get_status_display()
                )
            if not payout.is_balanced:
                return format_html(
                    '<strong class="deposit-mismatch">{}</strong>',
                    payout.get_reconciliation_display(),
                )
            return _("Paid, reconciled")
        return _("Closed") if obj.is_closed else pgettext("deposit", "Open")

    @admin.action(permissions=["change"], description=_("Close selected deposits"))
    def close_deposits(self, request, queryset):
        closed = 0
        for deposit in queryset:
            try:
                checks.close_deposit(deposit, request.user)
                closed += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        if closed:
            self.message_user(
                request,
                ngettext("Closed %(n)d deposit.", "Closed %(n)d deposits.", closed) % {"n": closed},
                messages.SUCCESS,
            )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/close/",
                view(
                    lambda request, object_id: admin_views.close_deposit(request, self, object_id)
                ),
                name="donations_deposit_close",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.is_payout:
            context["deposit"] = obj
            context["payout"] = obj.payout
            context.update(payouts.payout_page(obj.payout))
        elif obj is not None:
            context["deposit"] = obj
            context["summary"] = obj.check_summary()
            context["checks"] = obj.gifts.filter(method__in=DEPOSIT_METHODS).select_related("donor")
            context["can_close"] = not obj.is_closed and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)


# Records written by the site -------------------------------------------------------


class StatementSentFilter(admin.SimpleListFilter):
    title = _("e-mailed")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("E-mailed")), ("no", _("Not e-mailed (print it)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


@admin.register(MonthlyGift)
class MonthlyGiftAdmin(ReadOnlyAdmin):
    list_display = [
        "donor",
        "amount_display",
        "interval",
        "status",
        "campaign",
        "started_at",
        "canceled_at",
    ]
    list_filter = ["interval", "status", "campaign"]
    search_fields = ["donor__name", "donor__email", "stripe_subscription_id"]
    list_select_related = ["donor", "campaign"]
    fields = [
        "donor",
        "campaign",
        "amount_display",
        "interval",
        "status",
        "started_at",
        "canceled_at",
        "stripe_subscription_id",
        "charges_link",
    ]
    readonly_fields = fields

    @admin.display(description=_("amount each time"), ordering="amount_cents")
    def amount_display(self, obj):
        return format_money(obj.amount_cents, obj.currency, always_cents=True)

    @admin.display(description=_("charges"))
    def charges_link(self, obj):
        url = reverse("admin:donations_gift_changelist") + f"?monthly_gift__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("See its charges"))


@admin.register(YearEndStatement)
class YearEndStatementAdmin(ReadOnlyAdmin):
    list_display = ["year", "donor", "gift_count", "total_display", "sent_at"]
    list_filter = ["year", StatementSentFilter]
    search_fields = ["donor__name", "donor__email"]
    list_select_related = ["donor"]

    @admin.display(description=_("total"), ordering="total_cents")
    def total_display(self, obj):
        return format_money(obj.total_cents, always_cents=True)


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "created", "processed_at"]
    list_filter = ["type"]
    search_fields = ["event_id"]
    date_hierarchy = "processed_at"


# Notices the site e-mails -----------------------------------------------------------


class NoticeSentFilter(StatementSentFilter):
    """Sent or not, as for statements; an unsent notice is not printed but retried."""

    def lookups(self, request, model_admin):
        return [("yes", _("E-mailed")), ("no", _("Not e-mailed yet"))]


class NoticeAdmin(ReadOnlyAdmin):
    """A notice the site e-mails by itself, tried again after a mail outage
    (`send_pending_receipts`): staff see which went out, which did not and why, and
    may send the unsent ones now, through the very function the queue uses, so none
    goes out twice. The list shows names, never the addresses written to."""

    list_filter = [NoticeSentFilter]
    actions = ["send_again"]

    def deliver(self, notice_id):
        """Sends one notice if it is still due; True when sent."""
        raise NotImplementedError

    def has_send_permission(self, request):
        # Whoever may e-mail a gift's receipt again may e-mail its notices again.
        return request.user.has_perm("donations.change_gift")

    @admin.action(permissions=["send"], description=_("Send again now"))
    def send_again(self, request, queryset):
        unsent = list(queryset.filter(sent_at__isnull=True).values_list("pk", flat=True))
        already = queryset.count() - len(unsent)
        sent = sum(self.deliver(pk) for pk in unsent)
        failed = len(unsent) - sent
        if sent:
            self.message_user(
                request,
                ngettext("E-mailed %(n)d notice.", "E-mailed %(n)d notices.", sent) % {"n": sent},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                ngettext(
                    "%(n)d notice had already been e-mailed; it was not sent again.",
                    "%(n)d notices had already been e-mailed; they were not sent again.",
                    already,
                )
                % {"n": already},
                messages.WARNING,
            )
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(n)d notice could not be sent; its problem is in the list. "
                    "It will be tried again.",
                    "%(n)d notices could not be sent; their problems are in the list. "
                    "They will be tried again.",
                    failed,
                )
                % {"n": failed},
                messages.ERROR,
            )


@admin.register(PaymentFailureNotice)
class PaymentFailureNoticeAdmin(NoticeAdmin):
    """The e-mails telling donors that a bank payment did not go through."""

    list_display = [
        "donor_name",
        "amount_display",
        "key",
        "sent_at",
        "attempts",
        "error",
        "created_at",
    ]
    list_select_related = ["pledge"]
    search_fields = ["pledge__name", "key"]
    fields = list_display
    readonly_fields = fields

    def deliver(self, notice_id):
        return bank_failures.deliver_failure_notice(notice_id)

    @admin.display(description=_("donor"), ordering="pledge__name")
    def donor_name(self, obj):
        return obj.pledge.name

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount_display(self, obj):
        return format_money(obj.amount_cents, obj.pledge.currency, always_cents=True)


@admin.register(TributeNotice)
class TributeNoticeAdmin(NoticeAdmin):
    """The e-mails telling someone that a gift honors a person (the gift's page shows
    its own notice; this list shows them all, and the unsent ones)."""

    list_display = [
        "tribute",
        "gift_link",
        "notify_name",
        "sent_at",
        "attempts",
        "error",
        "created_at",
    ]
    list_select_related = ["gift", "tribute"]
    search_fields = ["gift__donor_name", "tribute__honoree", "tribute__notify_name"]
    fields = list_display
    readonly_fields = fields

    def deliver(self, notice_id):
        return tributes.deliver_notice(notice_id)

    @admin.display(description=_("gift"))
    def gift_link(self, obj):
        url = reverse("admin:donations_gift_change", args=[obj.gift_id])
        return format_html('<a href="{}">{}</a>', url, obj.gift)

    @admin.display(description=_("notice to (name)"), ordering="tribute__notify_name")
    def notify_name(self, obj):
        return obj.tribute.notify_name
