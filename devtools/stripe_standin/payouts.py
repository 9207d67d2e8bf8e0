"""Automatic payouts: Stripe sweeping the available balance to the bank account.

`run_payouts` is the payout schedule running once: per currency, every `available`
balance transaction not yet paid out goes into one payout, whose own `payout`
transaction (negative) takes the sum back out of the balance, so that the payout's
amount equals the sum of the swept transactions' `net`. It sends `payout.created`, and
`payout.paid` unless told to leave the payout `pending`.

A payout that fails (`payout.failed`) or is canceled (`payout.canceled`) gets a
`failure_balance_transaction` (`payout_failure` / `payout_cancel`) that puts the money
back; the next run sweeps that transaction, as Stripe's next payout does. The swept
transactions stay listed under the failed payout.
"""

from . import objects
from .balance import after_business_days, book, make_available, transaction
from .errors import StandinError, one_of
from .objects import new_id, now

STATUSES = ("pending", "in_transit", "paid", "failed", "canceled")
# A test bank account; Stripe names the destination by its id.
DESTINATION = "ba_1StandinTestBank0000000"
FAILURE_MESSAGES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "could_not_process": "The bank could not process this payout.",
    "debit_not_authorized": "Debit transactions are not approved on the bank account.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number seems correct, but the account number is "
    "invalid.",
    "no_account": "The bank account details on file are probably incorrect. No bank account "
    "could be located with those details.",
}


def payout(*, amount, currency):
    created = now()
    return {
        "id": new_id("po_"),
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": after_business_days(created, 1),
        "automatic": True,
        "balance_transaction": None,
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": DESTINATION,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "completed",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }


def run_payouts(store, at=None, *, paid=True):
    """Pays out the available balance as of `at` (Unix seconds; the clock's now when
    None). Returns (payouts made, event records). Safe to run twice: a transaction is
    swept once, and a run that finds nothing (or a balance that is not positive) makes
    no payout."""
    clock = store.clock
    if at is not None:
        clock = objects.Clock()
        clock.set(at)
    with objects.using_clock(clock), store.lock:
        moment = now()
        make_available(store, upto=moment)
        by_currency = {}
        for txn in store.of_kind("balance_transaction"):
            unswept = txn["_payout"] is None and txn["type"] != "payout"
            if unswept and txn["status"] == "available" and txn["available_on"] <= moment:
                by_currency.setdefault(txn["currency"], []).append(txn)
        made, records = [], []
        for currency, swept in sorted(by_currency.items()):
            amount = sum(txn["net"] for txn in swept)
            if amount <= 0:
                continue  # Stripe carries a negative balance over; no payout
            payout_obj = store.add(payout(amount=amount, currency=currency))
            own = transaction(
                kind="payout",
                amount=-amount,
                currency=currency,
                source=payout_obj["id"],
                reporting_category="payout",
                description="STRIPE PAYOUT",
            )
            own["_payout"] = payout_obj["id"]
            book(store, own)
            for txn in swept:
                txn["_payout"] = payout_obj["id"]
            payout_obj["balance_transaction"] = own["id"]
            records.append(store.emit("payout.created", payout_obj))
            if paid:
                records.extend(_mark_paid(store, payout_obj))
            made.append(payout_obj)
        return made, records


def _mark_paid(store, payout_obj):
    payout_obj["status"] = "paid"
    payout_obj["trace_id"] = {"status": "supported", "value": new_id("")[:15].upper()}
    return [store.emit("payout.paid", payout_obj)]


def pay_payout(store, payout_id):
    """The bank confirms a payout left `pending` or `in_transit`: `payout.paid`."""
    with store.lock:
        payout_obj = store.get("payout", payout_id)
        if payout_obj["status"] not in ("pending", "in_transit"):
            raise StandinError(
                f"Payout {payout_id} is {payout_obj['status']}; it cannot be paid.",
                code="payout_not_pending",
            )
        return payout_obj, _mark_paid(store, payout_obj)


def fail_payout(store, payout_id, code="account_closed"):
    """The bank returns a payout (even one shown `paid`, as happens): `payout.failed`,
    and a `payout_failure` transaction puts the amount back in the balance."""
    one_of(code, tuple(FAILURE_MESSAGES), "failure_code")
    with store.lock:
        payout_obj = store.get("payout", payout_id)
        if payout_obj["status"] in ("failed", "canceled"):
            raise StandinError(
                f"Payout {payout_id} is already {payout_obj['status']}.",
                code="payout_already_reversed",
            )
        payout_obj.update(
            status="failed", failure_code=code, failure_message=FAILURE_MESSAGES[code]
        )
        _reverse(store, payout_obj, "payout_failure", "PAYOUT FAILURE")
        return payout_obj, [store.emit("payout.failed", payout_obj)]


def cancel_payout(store, payout_id):
    """Cancels a payout still `pending`: `payout.canceled`, and a `payout_cancel`
    transaction puts the amount back in the balance."""
    with store.lock:
        payout_obj = store.get("payout", payout_id)
        if payout_obj["status"] != "pending":
            raise StandinError(
                f"Payout {payout_id} is {payout_obj['status']}; only a pending payout "
                "can be canceled.",
                code="payout_not_pending",
            )
        payout_obj["status"] = "canceled"
        _reverse(store, payout_obj, "payout_cancel", "PAYOUT CANCELLATION")
        return payout_obj, [store.emit("payout.canceled", payout_obj)]


def _reverse(store, payout_obj, kind, description):
    txn = transaction(
        kind=kind,
        amount=payout_obj["amount"],
        currency=payout_obj["currency"],
        source=payout_obj["id"],
        reporting_category="payout_reversal",
        description=description,
    )
    book(store, txn)
    payout_obj["failure_balance_transaction"] = txn["id"]
    return txn
