"""Forms of the supporter relationship: the donor's display and updates choices (for
"My giving"), a staff user's gift alerts, and the mailing tool's unsubscribe file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import format_money

from .admin_forms import DollarsField
from .models import DisplayChoice, StaffAlertPreference
from .supporters import UPDATES_WORDING
from .supporters_import import MAX_BYTES

# The threshold's column holds at most about $21 million: far above any gift, and what
# is typed above it must be refused by the form, not by the database.
MAX_ALERT_CENTS = 2_000_000_000


class DisplayChoiceForm(forms.Form):
    """How the donor appears in the feed, for all they gave (donations.display)."""

    display_as = forms.ChoiceField(
        label=_("In the list of supporters, show"),
        choices=DisplayChoice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how your gift is shown."),
            "invalid_choice": _("Choose how your gift is shown."),
        },
    )


class UpdatesForm(forms.Form):
    """The donor's updates choice on "My giving": ticked means subscribed
    (donations.supporters.give_consent / withdraw_consent)."""

    updates = forms.BooleanField(label=UPDATES_WORDING, required=False)


class StaffAlertPreferenceForm(forms.ModelForm):
    gifts_from = DollarsField(
        label=_("E-mail me each gift of at least"),
        required=False,
        help_text=_("In dollars, such as 1,000. Leave empty for no alert about single gifts."),
    )

    class Meta:
        model = StaffAlertPreference
        fields = [
            "monthly_started",
            "monthly_canceled",
            "monthly_failed",
            "daily_digest",
            "language",
        ]
        labels = {
            "monthly_started": _("E-mail me each new monthly gift"),
            "monthly_canceled": _("E-mail me each cancelled monthly gift"),
            "monthly_failed": _("E-mail me each failed monthly charge"),
            "daily_digest": _("E-mail me a daily digest (gifts, totals, new donors, failures)"),
        }

    field_order = ["gifts_from"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gifts_from"].initial = self.instance.gifts_from_cents

    def clean_gifts_from(self):
        cents = self.cleaned_data["gifts_from"]
        if cents is not None and cents <= 0:
            raise forms.ValidationError(_("Enter an amount above $0, or leave it empty."))
        if cents is not None and cents > MAX_ALERT_CENTS:
            raise forms.ValidationError(
                _("Enter an amount of at most %(amount)s.")
                % {"amount": format_money(MAX_ALERT_CENTS)}
            )
        return cents

    def save(self, commit=True):
        self.instance.gifts_from_cents = self.cleaned_data["gifts_from"]
        return super().save(commit)


class UnsubscribeUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Mailchimp’s export of unsubscribed contacts (CSV)"),
        help_text=_(
            "In Mailchimp: Audience, All contacts, Export Audience; use the "
            "“unsubscribed” file of the download."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload
