"""The donation form on a campaign's page, and the form that asks for a manage link.

Amounts are typed as dollars and parsed by campaigns.formatting.parse_money into
cents; the fee to cover comes from donations.fees. The form never talks to Stripe:
donations.pledges does that with its cleaned data.
"""

import re
import unicodedata
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.encoding import punycode
from django.utils.translation import gettext_lazy as _

from campaigns.formatting import dollars, format_money, parse_money
from fundraising.models import fundraising_page

from .fees import fee_to_cover
from .models import (
    NOTICE_MESSAGE_LENGTH,
    DisplayChoice,
    Frequency,
    PaymentMethod,
    TributeKind,
    is_recurring,
)
from .monthly import paid_by_bank
from .supporters import UPDATES_WORDING

OTHER = "other"
# Control characters (newlines included) in a name would break the lines of a
# receipt and the headers built from it; < and > are never part of a real name and
# only serve to smuggle markup into the public feed. The direction overrides,
# embeddings and isolates (U+202A-U+202E, U+2066-U+2069) reverse or hide the text
# after them up to the end of the line they are shown on ("Ana\u202e" would turn the
# rest of a feed line around); right-to-left names are written without them.
NAME_FORBIDDEN = re.compile(r"[<>\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A message may have line breaks, but no other control characters.
MESSAGE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BAD_AMOUNT = _("Enter an amount in dollars and cents, like 50 or 50.25.")
# Top-level names that only ever lead inside a network (RFC 6761, RFC 6762, ICANN's
# reservation of "internal").
LOCAL_TLDS = {"localhost", "localdomain", "local", "internal"}


def _is_local_domain(domain):
    if domain.startswith("["):
        return True  # an IP literal, well formed or not
    try:
        # As the mail is sent: full-width dots and letters become ASCII ones.
        labels = punycode(domain).lower().removesuffix(".").split(".")
    except UnicodeError:
        return False  # not a domain at all; the address is refused as invalid
    if len(labels) == 1:
        return bool(re.fullmatch(r"[a-z0-9-]+", labels[0]))  # a bare host name
    return labels[-1].isdigit() or labels[-1] in LOCAL_TLDS


def validate_public_email(value):
    """Refuses an address no public mail server delivers to: an IP literal
    (a@[127.0.0.1], a@[IPv6:::1]), a host without a dot (a@localhost, a@intranet), a
    numeric address (a@10.0.0.10) or a local-only domain (a@printer.local); then
    anything Django's own check refuses.

    Anyone can type an address and we send mail to it: such an address would only
    make our mail server knock on machines inside a network. PublicEmailField (every
    e-mail field the public can fill) runs it instead of Django's check, which lets
    a@localhost and IP literals through.
    """
    if "@" in value and _is_local_domain(value.rpartition("@")[2]):
        raise ValidationError(
            _(
                "Enter an address at an internet domain, like name@example.org, "
                "not at a local host or an IP address."
            ),
            code="local_address",
        )
    validate_email(value)


class PublicEmailField(forms.EmailField):
    default_validators = [validate_public_email]


def _offered(campaign):
    # Campaign.clean requires one; a campaign written without it still gets a form.
    return campaign.frequencies or [Frequency.ONCE]


def _preselected(campaign):
    offered = _offered(campaign)
    return campaign.default_frequency if campaign.default_frequency in offered else offered[0]


TRIBUTE_KIND_MISSING = _("Choose “In honor of” or “In memory of”.")
TRIBUTE_FIELDS = (
    "tribute_kind",
    "honoree",
    "notify_name",
    "notify_email",
    "notify_message",
    "notify_amount",
)


def clean_person_name(value):
    """A name as typed, on one line with single spaces; refuses < > and control characters.

    A name of invisible format characters only (zero-width spaces and joiners, which
    str.split keeps) is no name: "" (a required name is then asked for). Inside a
    name they stay, as some scripts and emoji need them."""
    if NAME_FORBIDDEN.search(value):
        raise forms.ValidationError(
            _("Use letters, spaces and punctuation only; < and > can’t be part of a name.")
        )
    name = " ".join(value.split())
    if all(unicodedata.category(char) == "Cf" for char in name):
        return ""
    return name


def clean_message(value):
    message = value.strip()
    if MESSAGE_FORBIDDEN.search(message):
        raise forms.ValidationError(_("The message contains characters we can’t show."))
    return message


class MessageField(forms.CharField):
    """A textarea's text with its line breaks as "\n", before its length is checked.

    The box counts a line break as one character against its maxlength, and the
    browser sends it as two (CR LF): a message that fitted the box would otherwise be
    refused as too long."""

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


class DonationForm(forms.Form):
    amount = forms.ChoiceField(
        label=_("Amount"),
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": _("Choose one of the amounts shown, or enter another amount.")
        },
    )
    other_amount = forms.CharField(
        label=_("Other amount, in dollars"),
        required=False,
        max_length=20,
        error_messages={"max_length": BAD_AMOUNT},
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how often to give."),
            "invalid_choice": _(
                "This campaign doesn’t offer gifts at that frequency. Choose one of those shown."
            ),
        },
    )
    # Not required: a page rendered before the choice existed still posts a card gift.
    payment_method = forms.ChoiceField(
        label=_("How to pay"),
        choices=PaymentMethod.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose card or wallet, or bank account.")},
    )
    # The frequency the page pre-selected (the campaign's default or the link's
    # `?frequency=`). A recurring one needs the donor's explicit confirmation below,
    # as ActBlue requires; a donor who picked monthly or yearly themselves (from a
    # one-time default) made that choice with their own click and is not asked again.
    preselected = forms.ChoiceField(
        choices=Frequency.choices, required=False, widget=forms.HiddenInput
    )
    confirm_recurring = forms.BooleanField(required=False)
    cover_fee = forms.BooleanField(label=_("Cover the processing fee"), required=False)
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        error_messages={
            "required": _("Enter your name; it goes on your receipt."),
            "max_length": _("Enter a name of at most 150 characters."),
        },
    )
    email = PublicEmailField(
        label=_("E-mail"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address so that we can send your receipt."),
            "invalid": _("Enter an e-mail address like name@example.org."),
        },
    )
    display_as = forms.ChoiceField(
        label=_("How to show your gift in the list of supporters"),
        choices=DisplayChoice.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose how your gift is shown."),
            "invalid_choice": _("Choose how your gift is shown."),
        },
    )
    public_message = MessageField(
        label=_("A public message (optional)"),
        required=False,
        max_length=280,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Keep the message to 280 characters or fewer.")},
    )
    # Unticked unless the donor ticks it: consent is opt-in (donations.supporters).
    updates = forms.BooleanField(label=UPDATES_WORDING, required=False)
    # A tribute (optional): in honor or in memory of someone, and whom to tell.
    tribute_kind = forms.ChoiceField(
        label=_("This gift is"),
        choices=TributeKind.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": TRIBUTE_KIND_MISSING},
    )
    honoree = forms.CharField(
        label=_("Name of the person honored"),
        required=False,
        max_length=150,
        error_messages={"max_length": _("Enter a name of at most 150 characters.")},
    )
    notify_name = forms.CharField(
        label=_("Name of the person to tell"),
        required=False,
        max_length=150,
        error_messages={"max_length": _("Enter a name of at most 150 characters.")},
    )
    notify_email = PublicEmailField(
        label=_("Send the notice to"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter an e-mail address like name@example.org.")},
    )
    notify_message = MessageField(
        label=_("A message for them (optional)"),
        required=False,
        max_length=NOTICE_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Keep the message to 500 characters or fewer.")},
    )
    notify_amount = forms.BooleanField(label=_("Include the amount in the notice"), required=False)
    # The honeypot: hidden from people and from assistive technology, filled by bots.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    # The path of the page that showed the form (the same for every visitor of it):
    # where a consent to updates was given.
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    # One per rendering of the form: the pledge's id, so a double submission is one pledge.
    token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # The supporter's page the gift is made through: its form, or its share link
    # (?via=<slug>) on the campaign page. Only an approved page of this campaign counts.
    via = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args, campaign, **kwargs):
        self.campaign = campaign
        super().__init__(*args, **kwargs)
        self.presets = campaign.preset_amounts_cents
        self.fields["amount"].choices = [
            (dollars(cents), format_money(cents)) for cents in self.presets
        ] + [(OTHER, _("Other amount"))]
        offered = _offered(campaign)
        self.fields["frequency"].choices = [
            (value, label) for value, label in Frequency.choices if value in offered
        ]
        self.over_limit = False
        self.is_spam = False

    @classmethod
    def for_page(cls, campaign, query, path=""):
        """An unbound form with the choices of `?amount=50&frequency=monthly&fee=1&method=bank`.

        A gift of DONATION_BANK_SUGGESTED_CENTS or more starts with the bank chosen,
        unless the query says otherwise.

        It carries no token: the page is the same for every visitor. The browser
        makes one (static/js/donate.js); see donations.pledges for a form sent
        without."""
        presets = campaign.preset_amounts_cents
        initial = {
            "source": path,
            "frequency": _preselected(campaign),
            "display_as": DisplayChoice.FIRST_NAME,
            "amount": dollars(presets[1] if len(presets) > 1 else presets[0]),
        }
        cents = parse_money(query.get("amount", ""))
        if cents:
            if cents in presets:
                initial["amount"] = dollars(cents)
            else:
                initial |= {"amount": OTHER, "other_amount": dollars(cents)}
        shown = cents or parse_money(initial["amount"]) or 0
        initial["payment_method"] = (
            PaymentMethod.BANK if bank_suggested(shown) else PaymentMethod.CARD
        )
        if query.get("method") in PaymentMethod.values:
            initial["payment_method"] = query["method"]
        if query.get("frequency") in _offered(campaign):
            initial["frequency"] = query["frequency"]
        initial["preselected"] = initial["frequency"]
        if query.get("fee") == "1":
            initial["cover_fee"] = True
        if query.get("via"):
            # A share link: a page with a query string is rendered for its visitor
            # (campaigns.http_cache), so the code travels in the form itself.
            initial["via"] = query["via"][:60]
        return cls(campaign=campaign, initial=initial)

    def clean_payment_method(self):
        return self.cleaned_data["payment_method"] or PaymentMethod.CARD

    def clean_name(self):
        name = clean_person_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        return name

    def clean_public_message(self):
        return clean_message(self.cleaned_data["public_message"])

    def clean_honoree(self):
        return clean_person_name(self.cleaned_data["honoree"])

    def clean_notify_name(self):
        return clean_person_name(self.cleaned_data["notify_name"])

    def clean_notify_message(self):
        return clean_message(self.cleaned_data["notify_message"])

    def clean_source(self):
        # Only a path of this site, on one line; anything else is recorded as nothing.
        source = self.cleaned_data["source"]
        if (
            len(source) > 300
            or not source.startswith("/")
            or source.startswith("//")
            or NAME_FORBIDDEN.search(source)
        ):
            return ""
        return source

    def clean_token(self):
        # Anything but a UUID (an old or forged page) just means a new pledge.
        try:
            return uuid.UUID(self.cleaned_data["token"])
        except ValueError:
            return None

    def clean_via(self):
        # An unknown, unapproved or other campaign's code credits nobody; the gift goes on.
        return fundraising_page(self.campaign, self.cleaned_data["via"])

    def clean_website(self):
        if self.cleaned_data["website"]:
            self.is_spam = True
        return ""

    def clean(self):
        cleaned = super().clean()
        if self.is_spam:
            # One generic message: nothing that tells a bot which field gave it away.
            raise forms.ValidationError(
                _("We couldn’t accept this form. Please try again."), code="spam"
            )
        if self.asks_confirmation() and not cleaned.get("confirm_recurring"):
            self.add_error(
                "confirm_recurring",
                _(
                    "Tick the box to confirm that your gift repeats until you cancel it, "
                    "or choose a one-time gift."
                ),
            )
        self._check_tribute(cleaned)
        gift = self._gift_cents(cleaned)
        if gift is None:
            return cleaned
        cleaned["gift_cents"] = gift
        method = cleaned.get("payment_method") or PaymentMethod.CARD
        cleaned["fee_cents"] = fee_to_cover(gift, method=method) if cleaned.get("cover_fee") else 0
        cleaned["amount_cents"] = gift + cleaned["fee_cents"]
        return cleaned

    def _check_tribute(self, cleaned):
        """A tribute needs its kind and name; a notice needs a name and an address.

        Each missing piece is said on its own field. A notice, a message or the amount
        box without a tribute is a mistake too: nothing would be sent.
        """
        kind, honoree = cleaned.get("tribute_kind"), cleaned.get("honoree")
        notice = [cleaned.get(name) for name in TRIBUTE_FIELDS[2:]]
        if self.has_error("tribute_kind") or not (kind or honoree or any(notice)):
            return
        if not kind:
            self.add_error("tribute_kind", TRIBUTE_KIND_MISSING)
        if not honoree and not self.has_error("honoree"):
            self.add_error("honoree", _("Enter the name of the person your gift honors."))
        name, email = cleaned.get("notify_name"), cleaned.get("notify_email")
        if any(notice) and not name and not self.has_error("notify_name"):
            self.add_error("notify_name", _("Enter the name of the person the notice goes to."))
        if any(notice) and not email and not self.has_error("notify_email"):
            self.add_error("notify_email", _("Enter the e-mail address the notice goes to."))

    def has_tribute(self):
        """Whether the tribute section has anything in it (it then shows open)."""
        return any(self[name].value() for name in TRIBUTE_FIELDS) or any(
            name in self.errors for name in TRIBUTE_FIELDS
        )

    def _gift_cents(self, cleaned):
        """The gift in cents, or None with an error on the field the donor used."""
        if self.has_error("other_amount"):
            return None  # too long to be an amount: the field says so already
        other = cleaned.get("other_amount", "").strip()
        choice = cleaned.get("amount")
        # Without JavaScript both controls are visible: a typed amount is the one meant.
        if other:
            field, cents = "other_amount", parse_money(other)
            if cents is None:
                self.add_error(field, BAD_AMOUNT)
                return None
        elif choice and choice != OTHER:
            field, cents = "amount", parse_money(choice)
        elif choice == OTHER:
            self.add_error("other_amount", _("Enter the amount you would like to give."))
            return None
        else:
            self.add_error("amount", _("Choose an amount or enter another amount."))
            return None
        if cents < settings.DONATION_MIN_CENTS:
            self.add_error(
                field,
                _("The smallest gift we can accept online is %(min)s.")
                % {"min": format_money(settings.DONATION_MIN_CENTS)},
            )
            return None
        message = over_cap_message(cents, cleaned.get("payment_method") or PaymentMethod.CARD)
        if message:
            self.over_limit = True
            self.add_error(field, message)
            return None
        return cents

    # For the template.

    def error_items(self):
        """(anchor, message) for the summary at the top, in the order of the fields."""
        # A group of radio buttons is reached through its first button.
        anchors = {
            "amount": "id_amount_0",
            "frequency": "id_frequency_0" if not self.single_frequency() else "donation-form",
            "display_as": "id_display_as_0",
            "tribute_kind": "id_tribute_kind_0",
        }
        items = [("donation-form", error) for error in self.non_field_errors()]
        for name in self.fields:
            for error in self.errors.get(name, []):
                items.append((anchors.get(name, self[name].id_for_label), error))
        return items

    def amount_choices(self):
        """(value, label, fee label, impact cue) of the preset radio buttons; the cue is
        what staff wrote that this amount does, in the page's language, or ""."""
        return [
            (
                dollars(cents),
                format_money(cents),
                format_money(fee_to_cover(cents), always_cents=True),
                self.campaign.impact_cue(cents),
            )
            for cents in self.presets
        ]

    def is_monthly(self):
        return self["frequency"].value() == Frequency.MONTHLY

    def is_annual(self):
        return self["frequency"].value() == Frequency.ANNUAL

    def single_frequency(self):
        """The one frequency offered, when there is only one (shown as a sentence), or None."""
        choices = self.fields["frequency"].choices
        return choices[0] if len(choices) == 1 else None

    def preselects_recurring(self):
        """Whether the page pre-selected a monthly or yearly gift: the form then shows
        the confirmation box."""
        return is_recurring(self["preselected"].value())

    def asks_confirmation(self):
        """Whether the box must be ticked: a recurring frequency was pre-selected and a
        recurring one is chosen."""
        return self.preselects_recurring() and is_recurring(self["frequency"].value())

    def confirmation_label(self):
        """The box's words without JavaScript (donate.js puts the amount in)."""
        if self.is_annual():
            return _("I understand this gift repeats every year until I cancel it.")
        return _("I understand this gift repeats every month until I cancel it.")

    def chosen_method(self):
        value = self["payment_method"].value()
        return value if value in PaymentMethod.values else PaymentMethod.CARD

    def shown_cents(self):
        """The gift chosen now, in cents, or None while no amount is valid."""
        value = self["other_amount"].value() or ""
        cents = parse_money(value) if value.strip() else parse_money(self["amount"].value() or "")
        if not cents or cents < settings.DONATION_MIN_CENTS:
            return None
        if cents > online_cap(self.chosen_method()):
            return None
        return cents

    def bank_suggested(self):
        """Whether the bank is offered first: the amount shown is large enough."""
        return bank_suggested(self.shown_cents() or 0)

    def shown_fee(self):
        """The fee for the amount and method chosen now, as text; None when no amount is
        valid yet."""
        cents = self.shown_cents()
        if cents is None:
            return None
        return format_money(fee_to_cover(cents, method=self.chosen_method()), always_cents=True)


def online_cap(method):
    """The largest gift accepted online for a payment method, in cents."""
    if method == PaymentMethod.BANK:
        return settings.DONATION_BANK_MAX_CENTS
    return settings.DONATION_MAX_CENTS


def bank_suggested(cents):
    """Whether a gift is large enough for the form to suggest the bank account."""
    return cents >= settings.DONATION_BANK_SUGGESTED_CENTS


def over_cap_message(cents, method):
    """Why `cents` is too much to give online by `method`, or "" when it is not.

    A card gift over the card's cap but within the bank's is pointed to the bank."""
    if cents <= online_cap(method):
        return ""
    bank_cap = settings.DONATION_BANK_MAX_CENTS
    if method == PaymentMethod.CARD and cents <= bank_cap:
        return _(
            "Card gifts online are limited to %(max)s. For a larger gift, choose Bank "
            "account (ACH), up to %(bank_max)s, or send a check."
        ) % {"max": format_money(settings.DONATION_MAX_CENTS), "bank_max": format_money(bank_cap)}
    if method == PaymentMethod.CARD:
        return _(
            "Online gifts are limited to %(max)s by card and %(bank_max)s from a bank "
            "account. For a larger gift, please send a check."
        ) % {"max": format_money(settings.DONATION_MAX_CENTS), "bank_max": format_money(bank_cap)}
    return _(
        "Gifts from a bank account online are limited to %(max)s. For a larger gift, "
        "please send a check."
    ) % {"max": format_money(bank_cap)}


class ManageLinkForm(forms.Form):
    email = PublicEmailField(
        label=_("The e-mail address you gave with"),
        max_length=254,
        error_messages={
            "required": _("Enter the e-mail address you used when you gave."),
            "invalid": _("Enter an e-mail address like name@example.org."),
        },
    )


class ChangeAmountForm(forms.Form):
    """A new amount for one of the donor's recurring gifts.

    Given the donor's gifts (`gifts`, a queryset), it finds the one chosen (`self.gift`;
    another id is an error on `monthly_id`) and caps the amount as that gift is paid:
    a gift from a bank account may grow up to the bank's cap, any other to the card's.
    """

    monthly_id = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.CharField(
        label=_("New amount, in dollars"),
        max_length=20,
        error_messages={"required": _("Enter the new amount."), "max_length": BAD_AMOUNT},
    )

    def __init__(self, *args, gifts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.gifts = gifts
        self.gift = None

    def clean_monthly_id(self):
        monthly_id = self.cleaned_data["monthly_id"]
        if self.gifts is not None:
            self.gift = self.gifts.select_related("pledge").filter(pk=monthly_id).first()
            if self.gift is None:
                raise forms.ValidationError(_("Choose one of your recurring gifts."))
        return monthly_id

    def payment_method(self):
        """How the chosen gift is paid now (donations.monthly.paid_by_bank: the donor
        may have moved it from a bank account to a card in Stripe's portal)."""
        if self.gift is not None and paid_by_bank(self.gift):
            return PaymentMethod.BANK
        return PaymentMethod.CARD

    def clean_amount(self):
        cents = parse_money(self.cleaned_data["amount"])
        if cents is None:
            raise forms.ValidationError(BAD_AMOUNT)
        if cents < settings.DONATION_MIN_CENTS:
            raise forms.ValidationError(
                _("The smallest recurring gift is %(min)s.")
                % {"min": format_money(settings.DONATION_MIN_CENTS)}
            )
        method = self.payment_method()
        cap = online_cap(method)
        if cents > cap:
            if method == PaymentMethod.BANK:
                message = _("A recurring gift from a bank account is limited to %(max)s.")
            else:
                message = _("A recurring gift online is limited to %(max)s.")
            raise forms.ValidationError(message % {"max": format_money(cap)})
        return cents
