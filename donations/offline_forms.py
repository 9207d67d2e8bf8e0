"""The "Log a gift" forms of the kinds other than a check: cash, bank transfer, a
donor-advised fund's grant, stock and in kind.

Each kind's form is the check's form (admin_forms.CheckGiftForm: donor, campaign,
dates, deposit, feed display, memo, duplicates) with the fields of its kind
(OfflineDetails); `FORM_FIELDS` says which, in the order the page shows them. The
rules are the models' (Gift.clean, OfflineDetails.clean_for), shown beside the field
they concern; donations.checks.record_offline_gift checks them again when saving.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.validators import single_line

from .admin_forms import CHECK_FORM_FIELDS, CheckGiftForm, DollarsField, _date_input
from .models import Gift, OfflineDetails

Method = Gift.Method

# The fields each kind's form shows, in order ("amount" in dollars; "estimated_value"
# is OfflineDetails.estimated_value_cents, in dollars). A stock gift has no amount
# field: its value is computed from its shares and the day's prices.
FORM_FIELDS = {
    Method.CHECK: CHECK_FORM_FIELDS,
    Method.CASH: ["donor", "amount", "campaign", "received_on", "deposit", "display_as", "memo"],
    Method.TRANSFER: [
        "donor",
        "amount",
        "campaign",
        "reference",
        "sender",
        "received_on",
        "display_as",
        "memo",
    ],
    Method.DAF: [
        "donor",
        "fund_name",
        "reference",
        "amount",
        "campaign",
        "received_on",
        "deposit",
        "display_as",
        "memo",
    ],
    Method.STOCK: [
        "donor",
        "campaign",
        "ticker",
        "shares",
        "received_on",
        "high_price",
        "low_price",
        "no_trading",
        "before_date",
        "before_high",
        "before_low",
        "after_date",
        "after_high",
        "after_low",
        "days_before",
        "days_after",
        "display_as",
        "memo",
    ],
    Method.IN_KIND: [
        "donor",
        "campaign",
        "description",
        "estimated_value",
        "received_on",
        "display_as",
        "memo",
    ],
}
DETAIL_FIELDS = (
    "reference",
    "sender",
    "fund_name",
    "ticker",
    "shares",
    "high_price",
    "low_price",
    "no_trading",
    "before_date",
    "before_high",
    "before_low",
    "after_date",
    "after_high",
    "after_low",
    "days_before",
    "days_after",
)


class PriceField(forms.DecimalField):
    """A price per share in dollars, as people type it ("187.255", "$1,012.50"): a
    text box, since a number box refuses the dollar sign and the comma."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    default_error_messages = {"invalid": _("Enter a price in dollars, such as 187.25.")}

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace("$", "").replace(",", "").strip()
        return super().to_python(value)


class SharesField(forms.DecimalField):
    """A number of shares as people type it ("1,000", "12.5")."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})
    default_error_messages = {"invalid": _("Enter a number of shares, such as 100 or 12.5.")}

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", "").strip()
        return super().to_python(value)


class OfflineGiftForm(CheckGiftForm):
    """The form of one offline kind other than a check; `method` says which (see
    form_for)."""

    reference = forms.CharField(max_length=100, required=False, validators=[single_line])
    sender = forms.CharField(
        label=_("Sender"),
        max_length=150,
        required=False,
        validators=[single_line],
        help_text=_("The name the bank shows for who sent it, if not the donor (optional)."),
    )
    fund_name = forms.CharField(
        label=_("Fund"),
        max_length=150,
        required=False,
        validators=[single_line],
        help_text=_(
            "The sponsoring organization, such as Fidelity Charitable or Schwab Charitable."
        ),
    )
    ticker = forms.CharField(label=_("Ticker symbol"), max_length=10, required=False)
    shares = SharesField(
        label=_("Number of shares"), max_digits=16, decimal_places=6, required=False
    )
    high_price = PriceField(
        label=_("The day's high price"),
        max_digits=12,
        decimal_places=4,
        required=False,
        help_text=_("In dollars per share, on the transfer date."),
    )
    low_price = PriceField(
        label=_("The day's low price"),
        max_digits=12,
        decimal_places=4,
        required=False,
        help_text=_(
            "The value is the shares times the mean of the high and the low, rounded to "
            "the cent (IRS Publication 561)."
        ),
    )
    # A day without trading (donations.models.offline.weighted_value_cents).
    no_trading = forms.BooleanField(
        label=_("No trading on the transfer date"),
        required=False,
        help_text=_(
            "For a weekend, a market holiday or a day the stock did not trade: leave the "
            "day's prices empty and enter the nearest trading days before and after. The "
            "value is then the mean of each day's high and low, weighted inversely by the "
            "trading days between that day and the transfer date, rounded to the cent "
            "(Treasury Regulation §20.2031-2(b))."
        ),
    )
    before_date = forms.DateField(
        label=_("Nearest trading day before"), required=False, widget=_date_input()
    )
    before_high = PriceField(
        label=_("High price on the trading day before"),
        max_digits=12,
        decimal_places=4,
        required=False,
    )
    before_low = PriceField(
        label=_("Low price on the trading day before"),
        max_digits=12,
        decimal_places=4,
        required=False,
    )
    after_date = forms.DateField(
        label=_("Nearest trading day after"), required=False, widget=_date_input()
    )
    after_high = PriceField(
        label=_("High price on the trading day after"),
        max_digits=12,
        decimal_places=4,
        required=False,
    )
    after_low = PriceField(
        label=_("Low price on the trading day after"),
        max_digits=12,
        decimal_places=4,
        required=False,
    )
    days_before = forms.IntegerField(
        label=_("Trading days before"),
        required=False,
        help_text=_("Leave empty to count the weekdays (see below)."),
    )
    days_after = forms.IntegerField(
        label=_("Trading days after"),
        required=False,
        help_text=_(
            "Left empty, each count is the weekdays from the trading day to the transfer "
            "date (the trading day counted, the transfer date not). The site does not "
            "know exchange holidays: if one falls between the dates, enter the trading "
            "days yourself."
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was given, as the receipt will describe it (no value is stated)."),
    )
    estimated_value = DollarsField(
        label=_("Internal estimate"),
        required=False,
        help_text=_(
            "Optional, for the books only: never on a receipt, letter or statement, and "
            "not counted in the money raised."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "reference": {
                Method.TRANSFER: _("Confirmation or reference number"),
                Method.DAF: _("Grant ID"),
            },
            "donor": {Method.DAF: _("Advisor (who recommended the grant)")},
            "received_on": {Method.STOCK: _("Transfer date")},
        }
        for name, by_method in labels.items():
            if name in self.fields and self.method in by_method:
                self.fields[name].label = by_method[self.method]
        if "received_on" in self.fields:
            self.fields["received_on"].error_messages["required"] = (
                _("Enter the date the shares reached OCA's account.")
                if self.method == Method.STOCK
                else _("Enter the date the gift was received.")
            )
        if "amount" in self.fields:
            self.fields["amount"].help_text = _("In dollars.")
            self.fields["amount"].error_messages["required"] = _("Enter the amount of the gift.")
        if "deposit" in self.fields and self.method == Method.DAF:
            self.fields["deposit"].help_text = _(
                "Only for a grant the fund mailed as a check. Only open deposits are listed."
            )
        if "campaign" in self.fields:
            self.fields["campaign"].error_messages["required"] = _(
                "Choose the campaign the gift is for."
            )

    def _check_duplicates(self, cleaned):
        if self.instance.pk:
            return  # once logged, only the feed display and the memo change
        # The details are read first: a stock gift's amount, and every kind's
        # duplicates, depend on them.
        self.details = self._details(cleaned)
        super()._check_duplicates(cleaned)

    def _details(self, cleaned):
        values = {name: cleaned.get(name) for name in DETAIL_FIELDS if name in self.fields}
        details = OfflineDetails(
            **{
                name: value.strip() if isinstance(value, str) else value
                for name, value in values.items()
            },
            description=(cleaned.get("description") or "").strip(),
            estimated_value_cents=cleaned.get("estimated_value"),
        )
        try:
            details.clean_for(self.method, received_on=cleaned.get("received_on"))
        except ValidationError as error:
            self.add_error(None, error)
        else:
            if self.method == Method.STOCK:
                self.instance.amount_cents = details.value_cents()
        if self.method == Method.IN_KIND:
            self.instance.amount_cents = 0
        return details

    def add_error(self, field, error):
        if field is None and hasattr(error, "error_dict"):
            errors = dict(error.error_dict)
            if "estimated_value_cents" in errors:
                errors["estimated_value"] = errors.pop("estimated_value_cents")
            if self.method in (Method.STOCK, Method.IN_KIND) and "amount" not in self.fields:
                # Computed (stock) or none (in kind): what is wrong is said beside the
                # shares and prices.
                errors.pop("amount_cents", None)
            if not errors:
                return
            error = ValidationError(errors)
        super().add_error(field, error)

    def record_kwargs(self):
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in (*DETAIL_FIELDS, "description", "estimated_value")
        }
        if "amount" in data:
            data["amount_cents"] = data.pop("amount")
        return data | {"method": self.method, "details": self.details}


def form_for(method):
    """The form class of `method`'s "Log a gift" page."""
    if method == Method.CHECK:
        return CheckGiftForm
    return type(
        f"{method.title().replace('_', '')}GiftForm", (OfflineGiftForm,), {"method": method}
    )
