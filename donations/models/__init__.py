"""The ledger: donors, pledges, gifts (online and by check), monthly gifts, deposits.

Money is integer cents plus a currency code. Every Stripe id that books money is a
unique column, so a replayed or concurrent event can never book it twice. Nothing is
deleted: refunds, disputes and voids change a gift's state, and `counted` says
whether it still counts toward totals, the goal and the feed.

One module per concern, all imported from here: who gives and what they pledged
(`donors`), the gifts (`gifts`), the bank deposits of checks and of Stripe payouts
(`deposits`), Stripe's balance transactions and payouts (`payouts`), what the site
records of its own work (`records`), supporters' consent to hear from OCA
(`supporters`), the staff's gift alerts (`alerts`) and tribute gifts (`tributes`).
"""

from .alerts import StaffAlert, StaffAlertPreference
from .deposits import Deposit
from .donors import (
    DisplayChoice,
    Donor,
    Frequency,
    MonthlyGift,
    Pledge,
    first_name,
    is_listed,
    public_name,
)
from .gifts import MAX_CHECK_CENTS, Gift, GiftQuerySet
from .payouts import GIFT_KINDS, BalanceTransaction, StripePayout
from .records import MonthlyNotice, PendingAdjustment, ProcessedEvent, YearEndStatement
from .supporters import UpdatesConsent
from .tributes import NOTICE_MESSAGE_LENGTH, Tribute, TributeKind, TributeNotice

__all__ = [
    "GIFT_KINDS",
    "MAX_CHECK_CENTS",
    "NOTICE_MESSAGE_LENGTH",
    "BalanceTransaction",
    "Deposit",
    "DisplayChoice",
    "Donor",
    "Frequency",
    "Gift",
    "GiftQuerySet",
    "MonthlyGift",
    "MonthlyNotice",
    "PendingAdjustment",
    "Pledge",
    "ProcessedEvent",
    "StaffAlert",
    "StaffAlertPreference",
    "StripePayout",
    "Tribute",
    "TributeKind",
    "TributeNotice",
    "UpdatesConsent",
    "YearEndStatement",
    "first_name",
    "is_listed",
    "public_name",
]
