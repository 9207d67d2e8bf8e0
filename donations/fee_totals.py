"""Gross, Stripe's fees, the fees donors covered, and net: what reached OCA of a set
of gifts. Read by the bookkeepers' report (donations.reports) and the gifts export
(donations.exports); the figures come from the gifts and their balance transactions
(donations.balance), in a fixed number of queries whatever the number of gifts.

- gross: what donors paid, for every gift whose payment went through (refunded and
  disputed ones too: they were charged);
- fees: Stripe's fees on those gifts' charges and disputes (less any fee a won
  dispute gave back), as Stripe booked them;
- covered: the part of the gross that donors added to cover the fee (pledge.fee_cents);
- net: gross less refunds, disputes lost and fees: what stays with OCA.

A gift whose fee Stripe has not told yet counts no fee; `fees_pending` says how many.
"""

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from .models import OFFLINE_METHODS, BalanceTransaction, Gift

# The fee the donor covered in a gift: its pledge's, while the gift was charged at the
# pledge's price. Every charge of a monthly gift keeps its first pledge, but once the
# donor changes the amount (donations.monthly.change_amount, Stripe's portal) the new
# price is the gift alone, with no fee in it. A gift without a pledge covered none.
COVERED_FEE = Case(
    When(amount_cents=F("pledge__amount_cents"), then=F("pledge__fee_cents")),
    default=Value(0),
)


def paid(gifts):
    """The gifts whose payment went through and that were not voided."""
    return gifts.filter(payment=Gift.Payment.SUCCEEDED, voided_at__isnull=True)


def fee_totals(gifts):
    """Gross, fees, covered and net of a Gift queryset, in cents, as a dict."""
    charged = paid(gifts)
    online = ~Q(method__in=OFFLINE_METHODS)
    sums = charged.aggregate(
        gross=Sum("amount_cents", default=0),
        refunded=Sum("refunded_cents", default=0),
        disputed=Sum(
            F("amount_cents") - F("refunded_cents"),
            filter=Q(dispute=Gift.Dispute.LOST),
            default=0,
        ),
        covered=Sum(COVERED_FEE, filter=online, default=0),
        fees_pending=Count("pk", filter=online & Q(stripe_balance_transaction_id__isnull=True)),
    )
    fees = BalanceTransaction.objects.filter(gift__in=charged).aggregate(
        total=Sum("fee_cents", default=0)
    )["total"]
    return {
        "gross_cents": sums["gross"],
        "refunded_cents": sums["refunded"],
        "disputed_cents": sums["disputed"],
        "covered_cents": sums["covered"],
        "fees_cents": fees,
        "net_cents": sums["gross"] - sums["refunded"] - sums["disputed"] - fees,
        "fees_pending": sums["fees_pending"],
    }


def with_fee_figures(gifts):
    """Annotates each gift with `fees_cents` (its Stripe fees: charge and disputes),
    `covered_cents` (the fee its donor covered) and `net_to_oca_cents` (amount less
    refund, dispute lost and fees; 0 for a gift not paid or voided), for the export."""
    fees = (
        BalanceTransaction.objects.filter(gift=OuterRef("pk"))
        .values("gift")
        .annotate(total=Sum("fee_cents"))
        .values("total")
    )
    kept = F("amount_cents") - F("refunded_cents")
    charged = Q(payment=Gift.Payment.SUCCEEDED, voided_at__isnull=True)
    return gifts.annotate(
        fees_cents=Coalesce(Subquery(fees), Value(0)),
        covered_cents=COVERED_FEE,
    ).annotate(
        net_to_oca_cents=Case(
            When(charged & Q(dispute=Gift.Dispute.LOST), then=-F("fees_cents")),
            When(charged, then=kept - F("fees_cents")),
            default=Value(0),
        )
    )
