"""Balance transactions: the money that charges, refunds, disputes and payouts move in
and out of the account's Stripe balance, shaped as in the API version the site pins.

- A succeeded charge books a `charge` transaction (a card) or a `payment` one (a US bank
  debit, a "local payment method" in Stripe's words); both have reporting_category
  `charge`, the gross `amount`, Stripe's `fee` (with `fee_details`) and `net`. Its net
  is `pending` until `available_on` (two business days for a card, four for a bank
  debit, at midnight UTC) and `available` after.
- A refund books a `refund` transaction (`payment_refund` for a bank debit): the
  refunded amount, negative, no fee (Stripe keeps the fee of the charge), available
  at once.
- A dispute books an `adjustment` (reporting_category `dispute`): the disputed amount,
  negative, and the $15.00 dispute fee. A won dispute gives both back in a second
  `adjustment` (reporting_category `dispute_reversal`).
- A payout books a `payout` transaction (negative) and, if it fails or is canceled, a
  `payout_failure` / `payout_cancel` one that puts the money back (see `payouts`).

Each transaction keeps the payout that swept it in `_payout` (never sent out), so that
`GET /v1/balance_transactions?payout=po_...` lists what a payout paid out, as Stripe's does.
"""

from datetime import UTC, datetime, timedelta

from .objects import new_id, now

CARD_RATE_PER_MILLE = 29  # 2.9 %
CARD_FIXED_FEE = 30  # + 30 cents
BANK_RATE_PER_MILLE = 8  # 0.8 %
BANK_FEE_CAP = 500  # capped at $5.00
DISPUTE_FEE = 1500  # $15.00
AVAILABLE_AFTER_BUSINESS_DAYS = {"card": 2, "us_bank_account": 4}


def per_mille(amount, rate):
    """`amount * rate / 1000` in whole cents, halves rounded up (integer arithmetic)."""
    return (amount * rate + 500) // 1000


def processing_fee(amount, method):
    """Stripe's US standard pricing: 2.9 % + 30¢ for a card, 0.8 % capped at $5 for an
    ACH Direct Debit (us_bank_account)."""
    if method == "us_bank_account":
        return min(per_mille(amount, BANK_RATE_PER_MILLE), BANK_FEE_CAP)
    return per_mille(amount, CARD_RATE_PER_MILLE) + CARD_FIXED_FEE


def after_business_days(moment, days):
    """Midnight UTC `days` business days after `moment` (weekends skipped)."""
    day = datetime.fromtimestamp(moment, UTC).date()
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def fee_detail(amount, currency, description):
    return {
        "amount": amount,
        "application": None,
        "currency": currency,
        "description": description,
        "type": "stripe_fee",
    }


def transaction(
    *,
    kind,
    amount,
    currency,
    source,
    reporting_category,
    description=None,
    fee_details=(),
    available_on=None,
):
    created = now()
    fee = sum(detail["amount"] for detail in fee_details)
    available_on = created if available_on is None else available_on
    return {
        "id": new_id("txn_"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": list(fee_details),
        "net": amount - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available" if available_on <= created else "pending",
        "type": kind,
        "_payout": None,  # the payout that swept it
    }


def book(store, txn):
    """Adds `txn` to the store and to the balance; returns it."""
    with store.lock:
        store.add(txn)
        if txn["status"] == "pending":
            store.pending_balance.append(txn)
    return txn


def make_available(store, upto=None):
    """Turns `pending` transactions whose `available_on` has come (by the clock, or by
    `upto`) `available`. Cheap: only the pending ones are looked at."""
    moment = now() if upto is None else upto
    with store.lock:
        still = []
        for txn in store.pending_balance:
            if txn["available_on"] <= moment:
                txn["status"] = "available"
            else:
                still.append(txn)
        store.pending_balance = still


def book_charge(store, charge):
    """The transaction of a charge that just succeeded; sets `charge.balance_transaction`.
    Runs once per charge: a charge that already has one is left as it is."""
    if charge["balance_transaction"]:
        return store.get("balance_transaction", charge["balance_transaction"])
    method = charge["payment_method_details"]["type"]
    fee = processing_fee(charge["amount"], method)
    txn = transaction(
        kind="payment" if method == "us_bank_account" else "charge",
        amount=charge["amount"],
        currency=charge["currency"],
        source=charge["id"],
        reporting_category="charge",
        description=charge["description"],
        fee_details=[fee_detail(fee, charge["currency"], "Stripe processing fees")],
    )
    delay = AVAILABLE_AFTER_BUSINESS_DAYS.get(method, 2)
    txn["available_on"] = after_business_days(txn["created"], delay)
    txn["status"] = "pending"
    charge["balance_transaction"] = txn["id"]
    return book(store, txn)


def book_refund(store, refund, charge):
    """A refund's transaction: `refund` for a card, `payment_refund` for a local
    payment method (the bank debit), as Stripe types them; both reported as refunds."""
    local = charge["payment_method_details"]["type"] == "us_bank_account"
    txn = transaction(
        kind="payment_refund" if local else "refund",
        amount=-refund["amount"],
        currency=refund["currency"],
        source=refund["id"],
        reporting_category="refund",
        description="REFUND FOR CHARGE"
        + (f" ({charge['description']})" if charge["description"] else ""),
    )
    refund["balance_transaction"] = txn["id"]
    return book(store, txn)


def book_dispute(store, dispute, *, won=None):
    """The dispute's debit (won=None) or, for a won dispute, its reversal. The public
    copy joins the dispute's `balance_transactions`, as Stripe shows them."""
    amount, currency = dispute["amount"], dispute["currency"]
    if won:
        txn = transaction(
            kind="adjustment",
            amount=amount,
            currency=currency,
            source=dispute["id"],
            reporting_category="dispute_reversal",
            description=f"Chargeback reversal for {dispute['charge']}",
            fee_details=[fee_detail(-DISPUTE_FEE, currency, "Dispute fee refund")],
        )
    else:
        txn = transaction(
            kind="adjustment",
            amount=-amount,
            currency=currency,
            source=dispute["id"],
            reporting_category="dispute",
            description=f"Chargeback withdrawal for {dispute['charge']}",
            fee_details=[fee_detail(DISPUTE_FEE, currency, "Dispute fee")],
        )
    book(store, txn)
    dispute["balance_transactions"].append({k: v for k, v in txn.items() if k[0] != "_"})
    return txn


def balance(store):
    """`GET /v1/balance`: the available and pending sums per currency."""
    make_available(store)
    sums = {}
    with store.lock:
        for txn in store.of_kind("balance_transaction"):
            entry = sums.setdefault(txn["currency"], {"available": 0, "pending": 0})
            entry[txn["status"]] += txn["net"]
    currencies = sorted(sums) or ["usd"]

    def part(state):
        return [
            {
                "amount": sums.get(currency, {}).get(state, 0),
                "currency": currency,
                "source_types": {"card": sums.get(currency, {}).get(state, 0)},
            }
            for currency in currencies
        ]

    return {
        "object": "balance",
        "available": part("available"),
        "livemode": False,
        "pending": part("pending"),
        "refund_and_dispute_prefunding": {
            "available": [{"amount": 0, "currency": c} for c in currencies],
            "pending": [{"amount": 0, "currency": c} for c in currencies],
        },
    }
