"""Forms of the back office: logging a check (the other offline kinds in
donations.offline_forms), a deposit, a void, a report's range.

They check what a person typed and say clearly what is wrong; the rules themselves
live on the models (Gift.clean, Deposit.ensure_open), which donations.checks enforces
again when saving.
"""

import datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money, parse_money
from campaigns.models import Campaign
from campaigns.validators import single_line

from . import checks, offline
from .models import Deposit, Gift


class DollarsField(forms.CharField):
    """An amount in dollars as people type it ("100", "$1,250.50"), cleaned to cents."""

    default_error_messages = {
        "invalid": _("Enter an amount in dollars, such as 100 or 100.00."),
        "negative": _("The amount must be more than $0; a negative amount is not accepted."),
    }

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if text.replace("$", "").lstrip().startswith("-"):
            raise ValidationError(self.error_messages["negative"], code="negative")
        cents = parse_money(text)
        if cents is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return cents

    def prepare_value(self, value):
        # An initial value is in cents; what the person typed is shown back as typed.
        if isinstance(value, int):
            return format_money(value, always_cents=True)
        return value


def _date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


# A check's fields as this form names them: the amount is typed in dollars.
CHECK_FORM_FIELDS = ["amount" if name == "amount_cents" else name for name in checks.CHECK_FIELDS]


class CheckGiftForm(forms.ModelForm):
    """The "Log a check" form, and the correction form of a check not yet locked.

    Gift.clean() checks the amount, number and date; its errors are shown beside the
    field they concern. The other offline kinds' forms extend it
    (donations.offline_forms.OfflineGiftForm).
    """

    method = Gift.Method.CHECK

    amount = DollarsField(
        label=_("Amount"),
        help_text=_("In dollars, as written on the check."),
        error_messages={"required": _("Enter the amount of the check.")},
    )
    send_receipt = forms.BooleanField(
        label=_("E-mail the receipt now"),
        required=False,
        initial=True,
        help_text=_(
            "Only when the donor has an e-mail address. You can also print an "
            "acknowledgement letter from the list of gifts."
        ),
    )
    # Not among the admin's fieldsets: the page shows it only once a duplicate is
    # found (admin/donations/gift/change_form.html), so nobody ticks it out of habit.
    confirm_duplicate = forms.BooleanField(label=_("This is not a duplicate"), required=False)

    class Meta:
        model = Gift
        fields = [*CHECK_FORM_FIELDS, "send_receipt"]
        labels = {"display_as": _("Shown in the public feed as")}
        help_texts = {
            "check_date": _("The date written on the check (optional)."),
            "deposit": _("Optional. Only open deposits are listed."),
            "memo": _("For staff only; never shown to the public."),
        }
        widgets = {"check_date": _date_input(), "received_on": _date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.method = self.method  # so that Gift.clean() checks it
        self.duplicate_found = False
        self.details = None
        # The admin leaves out what a locked gift may not change, and what its kind
        # does not ask.
        for name in self.declared_fields:
            if name != "confirm_duplicate" and name not in (self._meta.fields or ()):
                self.fields.pop(name, None)
        if self.instance.pk and "amount" not in self.fields:
            self.fields.pop("confirm_duplicate", None)
        if "donor" in self.fields:
            # The autocomplete <select> lists only the chosen donor, without an empty
            # first option, which makes an HTML `required` attribute invalid markup.
            # The form still requires a donor.
            self.fields["donor"].widget.use_required_attribute = lambda initial: False
        if self.instance.pk and "amount" in self.fields:
            self.initial.setdefault("amount", self.instance.amount_cents)
        if self.instance.pk:
            self.fields.pop("send_receipt", None)
        for name, message in (
            ("donor", _("Choose the donor (type a name or e-mail), or add one with “+”.")),
            ("campaign", _("Choose the campaign the check is for.")),
            ("check_number", _("Enter the check number.")),
            ("received_on", _("Enter the date the check arrived.")),
        ):
            if name in self.fields:
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = message

    def clean_check_number(self):
        return self.cleaned_data["check_number"].strip()

    def clean_deposit(self):
        deposit = self.cleaned_data["deposit"]
        if deposit is not None:
            deposit.ensure_open()
        return deposit

    def clean(self):
        cleaned = super().clean()
        if "amount" in cleaned:
            self.instance.amount_cents = cleaned["amount"]
        self._check_duplicates(cleaned)
        return cleaned

    def _check_duplicates(self, cleaned):
        if "confirm_duplicate" not in self.fields:
            return
        if self.instance.pk and not {"donor", "check_number", "amount"} & set(self.changed_data):
            return  # a check confirmed once is not questioned again for a memo edit
        duplicates = offline.find_duplicates(
            self.method,
            donor=cleaned.get("donor"),
            amount_cents=self.instance.amount_cents,
            received_on=cleaned.get("received_on"),
            details=self.details,
            check_number=cleaned.get("check_number"),
        ).exclude(pk=self.instance.pk)
        if duplicates.exists() and not cleaned.get("confirm_duplicate"):
            self.duplicate_found = True
            self.add_error("confirm_duplicate", checks.DuplicateCheck(duplicates))

    def add_error(self, field, error):
        """Shows Gift.clean()'s errors beside this form's fields.

        The model's `amount_cents` is this form's `amount`; a field the form refused
        already keeps its own message only; an error about a field the form does not
        show (one a closed deposit froze) goes above the form.
        """
        if field is None and hasattr(error, "error_dict"):
            errors = {}
            for name, messages in error.error_dict.items():
                name = "amount" if name == "amount_cents" else name
                if name != NON_FIELD_ERRORS and name not in self.fields:
                    name = NON_FIELD_ERRORS
                elif name in self._errors:
                    continue
                errors.setdefault(name, []).extend(messages)
            if not errors:
                return
            error = ValidationError(errors)
        super().add_error(field, error)

    def record_kwargs(self):
        """Keyword arguments of checks.record_offline_gift."""
        data = dict(self.cleaned_data)
        data["amount_cents"] = data.pop("amount")
        return data | {"method": self.method}

    def changes(self):
        """The changed fields, as keyword arguments of checks.change_check_gift."""
        changes = {}
        for name in self.changed_data:
            if name == "amount":
                changes["amount_cents"] = self.cleaned_data["amount"]
            elif name in checks.CHECK_FIELDS:
                changes[name] = self.cleaned_data[name]
        return changes


class DepositForm(forms.ModelForm):
    expected_total = DollarsField(
        label=_("Expected total"),
        help_text=_("The total on the deposit slip, in dollars."),
        error_messages={"required": _("Enter the total of the deposit slip.")},
    )

    class Meta:
        model = Deposit
        fields = ["deposited_on", "bank_reference", "expected_total"]
        widgets = {"deposited_on": _date_input()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "expected_total" in self.fields:
            self.initial.setdefault("expected_total", self.instance.expected_total_cents)

    def clean_expected_total(self):
        cents = self.cleaned_data["expected_total"]
        if cents <= 0:
            raise ValidationError(_("The expected total must be more than $0."), code="zero")
        if cents > checks.MAX_DEPOSIT_CENTS:
            raise ValidationError(_("That total is too large for one deposit."), code="too_large")
        return cents

    def clean(self):
        cleaned = super().clean()
        if "expected_total" in cleaned:
            self.instance.expected_total_cents = cleaned["expected_total"]
        return cleaned


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=Gift._meta.get_field("void_reason").max_length,
        validators=[single_line],
        help_text=_("Kept in the check's history, such as “bounced check” or “entered twice”."),
        error_messages={"required": _("Give the reason for voiding, such as “bounced check”.")},
    )


def _start_of_year():
    return timezone.localdate().replace(month=1, day=1)


class RangeForm(forms.Form):
    """A campaign (or all) and a range of dates, for the report and the exports."""

    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.all(),
        required=False,
        empty_label=_("All campaigns"),
    )
    start = forms.DateField(label=_("From"), widget=_date_input(), required=False)
    end = forms.DateField(label=_("To"), widget=_date_input(), required=False)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        for name, day in (("start", start), ("end", end)):
            # Gifts are counted up to the day after a date, which the last year a date
            # can hold may not have.
            if day and day.year == datetime.MAXYEAR:
                self.add_error(name, _("Enter a date before the year 9999."))
        if start and end and start > end:
            self.add_error("end", _("The end date must not be before the start date."))
        return cleaned

    def dates(self):
        """The chosen range, this year so far when left empty."""
        start = self.cleaned_data.get("start") or _start_of_year()
        end = self.cleaned_data.get("end") or max(timezone.localdate(), start)
        return start, end


def parse_year(value):
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if datetime.MINYEAR < year < datetime.MAXYEAR else None
