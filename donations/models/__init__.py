"""The ledger: donors, pledges, gifts (online and by check), recurring gifts, deposits.

Money is integer cents plus a currency code. Every Stripe id that books money is a
unique column, so a replayed or concurrent event can never book it twice. Nothing is
deleted: refunds, disputes and voids change a gift's state, and `counted` says
whether it still counts toward totals, the goal and the feed.

One module per concern, all imported from here: who gives and what they pledged
(`donors`), the gifts (`gifts`; what offline ones need beside in `offline`), the
bank deposits of checks and of Stripe payouts (`deposits`), Stripe's balance
transactions and payouts (`payouts`), what the site records of its own work
(`records`), supporters' consent to hear from OCA (`supporters`), the staff's gift
alerts (`alerts`) and tribute gifts (`tributes`).
"""

from .alerts import StaffAlert, StaffAlertPreference
from .deposits import Deposit
from .donors import (
    DisplayChoice,
    Donor,
    Frequency,
    Interval,
    MonthlyGift,
    PaymentMethod,
    Pledge,
    first_name,
    is_listed,
    is_recurring,
    per_interval,
    public_name,
)
from .gifts import (
    DEPOSIT_METHODS,
    DIRECT_TO_BANK_METHODS,
    MAX_CHECK_CENTS,
    OFFLINE_METHODS,
    Gift,
    GiftQuerySet,
)
from .offline import OfflineDetails
from .payouts import GIFT_KINDS, BalanceTransaction, StripePayout
from .records import (
    MonthlyNotice,
    PaymentFailureNotice,
    PendingAdjustment,
    ProcessedEvent,
    YearEndStatement,
)
from .supporters import UpdatesConsent
from .tributes import NOTICE_MESSAGE_LENGTH, Tribute, TributeKind, TributeNotice

__all__ = [
    "DEPOSIT_METHODS",
    "DIRECT_TO_BANK_METHODS",
    "GIFT_KINDS",
    "MAX_CHECK_CENTS",
    "NOTICE_MESSAGE_LENGTH",
    "OFFLINE_METHODS",
    "BalanceTransaction",
    "Deposit",
    "DisplayChoice",
    "Donor",
    "Frequency",
    "Gift",
    "GiftQuerySet",
    "Interval",
    "MonthlyGift",
    "MonthlyNotice",
    "PaymentMethod",
    "PaymentFailureNotice",
    "OfflineDetails",
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
    "is_recurring",
    "per_interval",
    "public_name",
]
