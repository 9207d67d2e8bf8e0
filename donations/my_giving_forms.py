"""The choices a donor changes on "My giving", one small form each.

Each form knows whom it is offered to (`offered_to`), what it starts from
(`initial_for(donor)`) and how to apply itself (`save(donor)`);
donations.my_giving_views.PREFERENCES names them. Another choice (say, hearing about
OCA's work) is one more form here, one more line there and one more partial under
templates/donations/my_giving/<name>.html.
"""

from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from campaigns.validators import single_line

from . import my_giving, supporters
from .models import DisplayChoice


class Preference(forms.Form):
    saved_message = ""

    @staticmethod
    def offered_to(donor, *, has_monthly):
        return True


class DisplayForm(Preference):
    display_as = forms.ChoiceField(
        label=_("How your gifts appear in the public list of supporters"),
        choices=DisplayChoice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how your gifts are shown."),
            "invalid_choice": _("Choose how your gifts are shown."),
        },
    )

    saved_message = _("Your choice is saved. The list of supporters shows it from now on.")

    @staticmethod
    def initial_for(donor):
        return {"display_as": my_giving.current_display(donor)}

    def save(self, donor):
        my_giving.set_display(donor, self.cleaned_data["display_as"])


class ReceiptChoiceForm(Preference):
    annual_receipt = forms.TypedChoiceField(
        label=_("Receipts for your recurring gifts"),
        choices=[
            ("0", _("A receipt by e-mail after each charge")),
            ("1", _("One statement in January for the whole year, instead")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how you get your receipts."),
            "invalid_choice": _("Choose how you get your receipts."),
        },
    )

    saved_message = _("Your choice of receipts is saved.")

    @staticmethod
    def offered_to(donor, *, has_monthly):
        # Only a monthly gift has charges to receipt once a year (or a donor who chose
        # it, so that they can choose back).
        return has_monthly or donor.annual_receipt

    @staticmethod
    def initial_for(donor):
        return {"annual_receipt": "1" if donor.annual_receipt else "0"}

    def save(self, donor):
        my_giving.set_annual_receipt(donor, self.cleaned_data["annual_receipt"])


class UpdatesChoiceForm(Preference):
    """Hearing from OCA: the consent given or withdrawn here is recorded with its time,
    the words shown, the language and this page as its source (donations.supporters)."""

    updates = forms.TypedChoiceField(
        label=_("Updates from OCA"),
        choices=[
            ("1", supporters.UPDATES_WORDING),
            ("0", _("Don’t send me updates")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether you want updates."),
            "invalid_choice": _("Choose whether you want updates."),
        },
    )

    saved_message = _("Your choice about updates is saved.")

    @staticmethod
    def initial_for(donor):
        return {"updates": "1" if supporters.is_subscribed(donor) else "0"}

    def save(self, donor):
        if self.cleaned_data["updates"]:
            supporters.give_consent(
                donor,
                source=reverse("donations:manage"),
                language=translation.get_language(),
            )
        else:
            supporters.withdraw_consent(donor, supporters.Withdrawal.MY_GIVING)


def _line(label, max_length, *, required=False, autocomplete=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": autocomplete} if autocomplete else {}),
        error_messages={
            "max_length": _("Keep this to %(limit_value)s characters or fewer."),
        },
    )


class DetailsForm(Preference):
    name = _line(_("Your name"), 150, required=True, autocomplete="name")
    street = _line(_("Street address"), 200, autocomplete="address-line1")
    city = _line(_("City"), 100, autocomplete="address-level2")
    state = _line(_("State"), 50, autocomplete="address-level1")
    postal_code = _line(_("ZIP code"), 20, autocomplete="postal-code")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _(
            "Enter your name; it goes on your receipts."
        )

    def clean(self):
        data = super().clean()
        for name, value in data.items():
            if isinstance(value, str):
                data[name] = " ".join(value.split())
        return data

    saved_message = _("Your name and address are saved.")

    @staticmethod
    def initial_for(donor):
        return {name: getattr(donor, name) for name in my_giving.DETAIL_FIELDS}

    def save(self, donor):
        my_giving.update_details(donor, self.cleaned_data)
