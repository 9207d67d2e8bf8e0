"""The words a bookkeeper reads for a gift's stored values, in one mapping.

The database keeps short codes ("card", "once", "partially_refunded"); the CSV exports
and the report's charts show these plain words instead, so a spreadsheet and the page
say the same thing. The model's own choice labels serve forms and filters, where a
longer explanation ("Wallet (Apple Pay, Google Pay, Link)") helps; a column of a
spreadsheet wants a short word.
"""

from django.utils.translation import gettext_lazy as _

PLAIN_VALUES = {
    "method": {
        "card": _("Card"),
        "wallet": _("Wallet"),
        "bank": _("Bank (ACH)"),
        "check": _("Check"),
        "other": _("Other"),
        "cash": _("Cash"),
        "transfer": _("Bank transfer (Zelle, wire)"),
        "daf": _("Donor-advised fund grant"),
        "stock": _("Stock"),
        "in_kind": _("In kind"),
    },
    "frequency": {
        "once": _("One-time"),
        "monthly": _("Monthly"),
        "annual": _("Yearly"),
    },
    "status": {
        "pending": _("Pending"),
        "succeeded": _("Paid"),
        "partially_refunded": _("Partly refunded"),
        "refunded": _("Refunded"),
        "disputed": _("Disputed"),
        "dispute_lost": _("Dispute lost"),
        "failed": _("Failed"),
        "voided": _("Voided"),
    },
    "tribute_kind": {
        "honor": _("In honor of"),
        "memory": _("In memory of"),
    },
}


def plain(field, value):
    """The plain word for a stored value of `field` ("method", "frequency", "status",
    "tribute_kind").

    A code this mapping does not know yet (a new method) reads as itself, capitalized,
    rather than failing an export.
    """
    word = PLAIN_VALUES[field].get(value)
    return str(word) if word is not None else str(value or "").replace("_", " ").capitalize()
