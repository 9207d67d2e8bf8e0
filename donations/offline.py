"""Offline gifts, kind by kind: what makes two entries the same gift, and what the
donor's receipt says about each kind.

A bookkeeper logs checks, cash, bank transfers (Zelle, wire), donor-advised fund
grants, stock and in-kind gifts (donations.checks.record_offline_gift). Their money
rules:

- checks and cash go into a bank deposit (donations.models.Deposit), as before; so
  does a fund's grant the fund mailed as a check;
- a bank transfer, or a grant sent by ACH or wire, reaches the bank on its own: it
  has no deposit, and its confirmation number or grant ID matches the bank's line;
- stock goes to OCA's brokerage account, valued by the IRS rule for publicly traded
  securities (the shares times the mean of the day's high and low prices, rounded to
  the cent; on a day without trading, the means of the nearest trading days before
  and after, weighted inversely by the trading days between each and that day), and
  counts in the money raised at that value;
- an in-kind gift (goods or services) states no value: its amount is $0, so it adds
  nothing to the dollars raised, a dollar goal or a bank reconciliation, but it
  counts as a gift and a donor (the donor goal, the feed). The bookkeeper may note an
  internal estimate for the books (OfflineDetails.estimated_value_cents, in the
  gift export); it never prints on a receipt, letter or statement, because the IRS
  leaves the value of a noncash gift to the donor (Publication 1771).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from campaigns.formatting import format_date, format_money, format_number

from .models import Gift, OfflineDetails

Method = Gift.Method

# The page title of each kind's "Log a gift" form, in the order the kinds are offered.
TITLES = {
    Method.CHECK: gettext_lazy("Log a check"),
    Method.CASH: gettext_lazy("Log a cash gift"),
    Method.TRANSFER: gettext_lazy("Log a bank transfer (Zelle, wire)"),
    Method.DAF: gettext_lazy("Log a donor-advised fund grant"),
    Method.STOCK: gettext_lazy("Log a gift of stock"),
    Method.IN_KIND: gettext_lazy("Log an in-kind gift"),
}

# What the receipt says beside the no-goods-or-services statement (see
# tests/donations/test_offline_receipts.py for the IRS rules each follows).
STOCK_VALUE_NOTE = gettext_lazy(
    "For your information: the IRS values publicly traded stock at the mean of its "
    "high and low prices on the day of the gift (Publication 561)."
)
STOCK_WEIGHTED_NOTE = gettext_lazy(
    "For your information: the stock did not trade on the day of the gift, so the IRS "
    "values it at the means of its high and low prices on the nearest trading days "
    "before and after, weighted by how close each is to that day (Treasury Regulation "
    "§20.2031-2(b), Publication 561)."
)
NONCASH_VALUE_NOTE = gettext_lazy(
    "We do not state a value for a gift of property: determining its value for your "
    "tax return is your responsibility (IRS Publication 1771)."
)
DAF_NOTE = gettext_lazy(
    "This grant comes from a donor-advised fund: the fund's sponsoring organization is "
    "the donor of record, and no charitable deduction is available to the advisor who "
    "recommended it."
)


def details_of(gift):
    """The gift's OfflineDetails, or None (checks and online gifts have none)."""
    try:
        return gift.offline_details
    except OfflineDetails.DoesNotExist:
        return None


# Duplicates ------------------------------------------------------------------------


def find_duplicates(method, *, donor, amount_cents, received_on, details=None, check_number=""):
    """Gifts of `method` already logged (voided ones aside) that look like this one.

    A check: the same donor, number and amount. Cash: the same donor, amount and day.
    A transfer: the same confirmation number; a fund's grant: the same fund and grant
    ID (whoever the advisor). Stock: the same donor, ticker, shares and day. In kind:
    the same donor, day and description. Nothing when what identifies it is missing.
    """
    found = Gift.objects.filter(method=method, voided_at__isnull=True)
    details = details or OfflineDetails()
    if method == Method.CHECK:
        if donor is None or not (check_number or "").strip() or not amount_cents:
            return Gift.objects.none()
        found = found.filter(
            donor=donor, check_number__iexact=check_number.strip(), amount_cents=amount_cents
        )
    elif method == Method.CASH:
        if donor is None or not amount_cents or received_on is None:
            return Gift.objects.none()
        found = found.filter(donor=donor, amount_cents=amount_cents, received_on=received_on)
    elif method == Method.TRANSFER:
        if not details.reference.strip():
            return Gift.objects.none()
        found = found.filter(offline_details__reference__iexact=details.reference.strip())
    elif method == Method.DAF:
        if not details.reference.strip() or not details.fund_name.strip():
            return Gift.objects.none()
        found = found.filter(
            offline_details__reference__iexact=details.reference.strip(),
            offline_details__fund_name__iexact=details.fund_name.strip(),
        )
    elif method == Method.STOCK:
        if donor is None or received_on is None or not details.ticker or not details.shares:
            return Gift.objects.none()
        found = found.filter(
            donor=donor,
            received_on=received_on,
            offline_details__ticker__iexact=details.ticker.strip(),
            offline_details__shares=details.shares,
        )
    elif method == Method.IN_KIND:
        if donor is None or received_on is None or not details.description.strip():
            return Gift.objects.none()
        found = found.filter(
            donor=donor,
            received_on=received_on,
            offline_details__description__iexact=details.description.strip(),
        )
    else:
        return Gift.objects.none()
    return found.select_related("donor", "offline_details").order_by("created_at")


def duplicate_message(first):
    """What the bookkeeper reads about `first`, the gift already logged."""
    details = details_of(first)
    values = {
        "number": first.check_number,
        "amount": _money(first),
        "donor": first.donor.name,
        "date": format_date(first.created_at),
        "received": format_date(first.received_on) if first.received_on else "",
    }
    if details is not None:
        values |= {
            "reference": details.reference,
            "fund": details.fund_name,
            "ticker": details.ticker,
            "shares": format_number(details.shares) if details.shares is not None else "",
            "description": details.description,
        }
    what = {
        Method.CHECK: _(
            "Check no. %(number)s for %(amount)s from %(donor)s was already logged on %(date)s."
        ),
        Method.CASH: _(
            "A cash gift of %(amount)s from %(donor)s received on %(received)s was already "
            "logged on %(date)s."
        ),
        Method.TRANSFER: _(
            "Transfer %(reference)s (%(amount)s from %(donor)s) was already logged on %(date)s."
        ),
        Method.DAF: _("Grant %(reference)s from %(fund)s was already logged on %(date)s."),
        Method.STOCK: _(
            "%(shares)s shares of %(ticker)s from %(donor)s received on %(received)s were "
            "already logged on %(date)s."
        ),
        Method.IN_KIND: _(
            "An in-kind gift from %(donor)s received on %(received)s (“%(description)s”) was "
            "already logged on %(date)s."
        ),
    }[first.method]
    return (
        (what % values)
        + " "
        + _("If this really is a second gift, tick “This is not a duplicate” and save again.")
    )


# Admin -----------------------------------------------------------------------------


def admin_rows(gift):
    """(label, value) lines of what a bookkeeper entered for the gift's kind, the
    stock's computation and the in-kind estimate included (staff only)."""
    details = details_of(gift)
    if details is None:
        return []
    rows = {
        Method.TRANSFER: [
            (_("Confirmation or reference number"), details.reference),
            (_("Sender"), details.sender),
        ],
        Method.DAF: [(_("Fund"), details.fund_name), (_("Grant ID"), details.reference)],
        Method.STOCK: [
            (_("Ticker symbol"), details.ticker),
            (_("Value"), details.computation() if details.shares else ""),
        ],
        Method.IN_KIND: [
            (_("Description"), details.description),
            (
                _("Internal estimate"),
                format_money(details.estimated_value_cents, always_cents=True)
                if details.estimated_value_cents is not None
                else "–",
            ),
        ],
    }.get(gift.method, [])
    return [(label, value) for label, value in rows if value]


# Receipts --------------------------------------------------------------------------


def method_label(gift):
    """How the receipt names the way an offline gift came, or None for a check."""
    details = details_of(gift)
    if gift.method == Method.TRANSFER and details is not None:
        return _("Bank transfer, reference %(reference)s") % {"reference": details.reference}
    if gift.method == Method.DAF and details is not None:
        return _("Grant %(grant)s from %(fund)s") % {
            "grant": details.reference,
            "fund": details.fund_name,
        }
    if gift.method in (Method.CASH, Method.STOCK, Method.IN_KIND):
        return gift.get_method_display()
    return None


def _plural(details):
    """The count ngettext chooses the wording by: shares may be a fraction (12.5
    shares), and only exactly one share is singular, in English as in Spanish."""
    return 1 if details.shares == 1 else 2


def noncash_description(gift):
    """A gift of property in one line, without a value: "12.5 shares of AAPL", or
    what was given."""
    details = details_of(gift)
    if details is None:
        return gift.get_method_display()
    if gift.method == Method.STOCK:
        return ngettext(
            "%(shares)s share of %(ticker)s", "%(shares)s shares of %(ticker)s", _plural(details)
        ) % {
            "shares": format_number(details.shares),
            "ticker": details.ticker,
        }
    return details.description


def receipt_facts(gift):
    """What a receipt says of an offline gift beyond a check's facts, as a dict:

    - `shows_amount`: False for stock and in-kind gifts (property: described, not
      valued);
    - `detail_rows`: (label, value) lines of the receipt's table;
    - `notes`: sentences after the no-goods-or-services statement, each a lazy string
      (the receipt prints it in the donor's language and in English);
    - `addressee`: the name the receipt is addressed to (a fund's grant: the fund);
    - `deductible_note`: whether the "tax deductible to the extent allowed by law"
      sentence applies (not to the advisor of a fund's grant).
    """
    facts = {
        "shows_amount": True,
        "detail_rows": [],
        "notes": [],
        "addressee": gift.donor_name or gift.donor.name,
        "deductible_note": True,
    }
    details = details_of(gift)
    if details is None:
        return facts
    if gift.method == Method.STOCK:
        facts["shows_amount"] = False
        facts["detail_rows"] = [
            (
                _("Description"),
                ngettext(
                    "%(shares)s share of %(ticker)s, received on %(date)s",
                    "%(shares)s shares of %(ticker)s, received on %(date)s",
                    _plural(details),
                )
                % {
                    "shares": format_number(details.shares),
                    "ticker": details.ticker,
                    "date": format_date(gift.received_on),
                },
            ),
            (_("Value, for your information"), details.computation()),
        ]
        value_note = STOCK_WEIGHTED_NOTE if details.no_trading else STOCK_VALUE_NOTE
        facts["notes"] = [value_note, NONCASH_VALUE_NOTE]
    elif gift.method == Method.IN_KIND:
        facts["shows_amount"] = False
        facts["detail_rows"] = [
            (_("Description"), details.description),
            (_("Date received"), format_date(gift.received_on)),
        ]
        facts["notes"] = [NONCASH_VALUE_NOTE]
    elif gift.method == Method.DAF:
        facts["addressee"] = details.fund_name
        facts["deductible_note"] = False
        facts["detail_rows"] = [
            (_("Donor-advised fund"), details.fund_name),
            (_("Grant ID"), details.reference),
            (_("Recommended by"), gift.donor_name or gift.donor.name),
        ]
        facts["notes"] = [DAF_NOTE]
    elif gift.method == Method.TRANSFER and details.sender:
        facts["detail_rows"] = [(_("Sent by"), details.sender)]
    return facts


def _money(gift):
    return format_money(gift.amount_cents, gift.currency, always_cents=True)
