"""The stand-in's money: balance transactions with Stripe's fees, refunds, disputes,
the balance, and payouts that sweep it to the bank, read through the real client."""

from datetime import UTC, datetime

import pytest
import requests
import stripe

from devtools.stripe_standin import StandinError

from .standin_helpers import open_session

# A Thursday morning: a card's money is available two business days later, on Monday.
THURSDAY = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
MONDAY = int(datetime(2026, 10, 5, tzinfo=UTC).timestamp())


def fields(cls):
    """The fields stripe-python declares for an object of the pinned API version."""
    return {name for name in cls.__annotations__ if name != "OBJECT_NAME"}


def gift(client, standin, amount=5200, outcome="success"):
    """A one-time gift paid on the hosted page; returns its charge, with the balance
    transaction expanded."""
    types = ["us_bank_account"] if outcome == "delayed" else ["card"]
    session = open_session(client, amount=amount, payment_method_types=types)
    standin.pay(session.id, outcome=outcome)
    if outcome == "delayed":
        standin.complete_delayed(session.id)
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    intent = client.v1.payment_intents.retrieve(intent_id)
    return client.v1.charges.retrieve(
        intent.latest_charge, params={"expand": ["balance_transaction"]}
    )


@pytest.mark.parametrize(
    ("amount", "fee"),
    [
        (5200, 181),  # 150.8 -> 151, + 30
        (1500, 74),  # 43.5 -> 44 (a half rounds up), + 30
        (1050, 60),  # 30.45 -> 30, + 30
        (100_000, 2930),
    ],
)
def test_a_card_gift_books_a_charge_with_stripes_fee(client, standin, amount, fee):
    standin.set_clock(THURSDAY)
    charge = gift(client, standin, amount)

    txn = charge.balance_transaction
    assert set(txn.to_dict()) == fields(stripe.BalanceTransaction)
    assert txn.id.startswith("txn_")
    assert (txn.type, txn.reporting_category, txn.source) == ("charge", "charge", charge.id)
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (amount, fee, amount - fee, "usd")
    (detail,) = txn.fee_details
    assert (detail.type, detail.amount, detail.currency) == ("stripe_fee", fee, "usd")
    assert txn.created == int(THURSDAY.timestamp()) == charge.created
    assert (txn.status, txn.available_on) == ("pending", MONDAY)
    assert client.v1.balance_transactions.retrieve(txn.id).to_dict() == txn.to_dict()


@pytest.mark.parametrize(("amount", "fee"), [(5200, 42), (1250, 10), (100_000, 500)])
def test_a_bank_debit_books_a_payment_with_the_ach_fee_capped_at_five_dollars(
    client, standin, amount, fee
):
    standin.set_clock(THURSDAY)
    charge = gift(client, standin, amount, outcome="delayed")

    txn = charge.balance_transaction
    # Stripe types a local payment method's transaction `payment`, reported as a charge.
    assert (txn.type, txn.reporting_category) == ("payment", "charge")
    assert (txn.amount, txn.fee, txn.net) == (amount, fee, amount - fee)
    # Four business days: Thursday -> Wednesday.
    assert txn.available_on == int(datetime(2026, 10, 7, tzinfo=UTC).timestamp())
    refund = standin.refund(charge.payment_intent, amount=1000)
    back = client.v1.balance_transactions.retrieve(refund["balance_transaction"])
    assert (back.type, back.reporting_category, back.net) == ("payment_refund", "refund", -1000)


def test_the_fee_is_reached_from_the_payment_intent_as_the_site_reaches_it(client, standin):
    charge = gift(client, standin)
    intent = client.v1.payment_intents.retrieve(
        charge.payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
    )
    assert intent.latest_charge.balance_transaction.fee == 181
    listed = client.v1.charges.list(
        params={"payment_intent": charge.payment_intent, "expand": ["data.balance_transaction"]}
    )
    assert [c.balance_transaction.net for c in listed.data] == [5200 - 181]


def test_a_pending_bank_debit_has_no_balance_transaction_yet(client, standin):
    session = open_session(client, payment_method_types=["us_bank_account"])
    standin.pay(session.id, outcome="delayed")
    intent = client.v1.payment_intents.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).payment_intent
    )
    assert client.v1.charges.retrieve(intent.latest_charge).balance_transaction is None
    assert client.v1.balance_transactions.list().data == []


def test_monthly_charges_book_transactions_at_each_renewal(client, standin, monthly):
    subscription = monthly.subscription
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    renewal = standin.renew(subscription.id)

    for invoice_id in (first.id, renewal["id"]):
        (payment,) = client.v1.invoice_payments.list(params={"invoice": invoice_id}).data
        intent = client.v1.payment_intents.retrieve(payment.payment.payment_intent)
        charge = client.v1.charges.retrieve(
            intent.latest_charge, params={"expand": ["balance_transaction"]}
        )
        assert (charge.balance_transaction.amount, charge.balance_transaction.fee) == (5200, 181)
    assert len(client.v1.balance_transactions.list().data) == 2


def test_a_refund_books_a_negative_transaction_without_a_fee(client, standin, receiver):
    charge = gift(client, standin)
    refund = standin.refund(charge.payment_intent, amount=1200)

    txn = client.v1.balance_transactions.retrieve(refund["balance_transaction"])
    assert (txn.type, txn.reporting_category, txn.source) == ("refund", "refund", refund["id"])
    assert (txn.amount, txn.fee, txn.net, txn.status) == (-1200, 0, -1200, "available")
    # The charge the site receives names the refund's transaction too.
    sent = receiver.events()[-1].data.object
    assert sent.refunds.data[0].balance_transaction == txn.id
    listed = client.v1.refunds.retrieve(refund["id"], params={"expand": ["balance_transaction"]})
    assert listed.balance_transaction.id == txn.id


def test_a_lost_dispute_debits_the_amount_and_the_fifteen_dollar_fee(client, standin, receiver):
    charge = gift(client, standin)
    dispute = standin.dispute(charge.payment_intent)
    standin.close_dispute(dispute["id"], won=False)

    (debit,) = client.v1.disputes.retrieve(dispute["id"]).balance_transactions
    assert (debit.type, debit.reporting_category, debit.source) == (
        "adjustment",
        "dispute",
        dispute["id"],
    )
    assert (debit.amount, debit.fee, debit.net) == (-5200, 1500, -6700)
    assert [(d.type, d.amount) for d in debit.fee_details] == [("stripe_fee", 1500)]
    assert receiver.types()[-3:] == [
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.closed",
    ]


def test_a_won_dispute_gives_the_amount_and_the_fee_back(client, standin, receiver):
    charge = gift(client, standin)
    dispute = standin.dispute(charge.payment_intent)
    standin.close_dispute(dispute["id"], won=True)

    debit, reversal = client.v1.disputes.retrieve(dispute["id"]).balance_transactions
    assert (reversal.type, reversal.reporting_category) == ("adjustment", "dispute_reversal")
    assert (reversal.amount, reversal.fee, reversal.net) == (5200, -1500, 6700)
    assert debit.net + reversal.net == 0
    assert receiver.types()[-1] == "charge.dispute.funds_reinstated"
    listed = client.v1.balance_transactions.list(params={"source": dispute["id"]}).data
    assert {t.id for t in listed} == {debit.id, reversal.id}


def test_the_balance_is_pending_until_the_money_is_available(client, standin):
    standin.set_clock(THURSDAY)
    first, second = gift(client, standin, 5200), gift(client, standin, 1500)
    standin.refund(first.payment_intent, amount=1000)  # refunds leave the balance at once

    balance = client.v1.balance.retrieve()
    assert set(balance.to_dict()) <= fields(stripe.Balance)
    assert [(b.amount, b.currency) for b in balance.pending] == [(5019 + 1426, "usd")]
    assert [b.amount for b in balance.available] == [-1000]

    standin.set_clock(MONDAY)
    balance = client.v1.balance.retrieve()
    assert [b.amount for b in balance.pending] == [0]
    assert [b.amount for b in balance.available] == [5019 + 1426 - 1000]
    assert {first.balance_transaction.id, second.balance_transaction.id} == {
        t.id
        for t in client.v1.balance_transactions.list(params={"type": "charge"}).data
        if t.status == "available"
    }


def test_a_payout_sweeps_the_available_balance_to_the_bank(client, standin, receiver):
    standin.set_clock(THURSDAY)
    gifts = [gift(client, standin, amount) for amount in (5200, 2500, 10_000)]
    standin.refund(gifts[0].payment_intent, amount=2000)
    dispute = standin.dispute(gifts[1].payment_intent)
    standin.close_dispute(dispute["id"], won=False)
    standin.set_clock(int(datetime(2026, 10, 5, 12, tzinfo=UTC).timestamp()))
    late = gift(client, standin, 3000)  # made Monday: available Wednesday

    (payout,) = standin.run_payouts()

    po = client.v1.payouts.retrieve(payout["id"])
    assert set(po.to_dict()) == fields(stripe.Payout)
    assert (po.status, po.automatic, po.method, po.type) == (
        "paid",
        True,
        "standard",
        "bank_account",
    )
    lines = list(
        client.v1.balance_transactions.list(params={"payout": po.id, "limit": 2}).auto_paging_iter()
    )
    own = [t for t in lines if t.type == "payout"]
    swept = [t for t in lines if t.type != "payout"]
    assert [t.id for t in own] == [po.balance_transaction]
    assert (own[0].amount, own[0].net, own[0].reporting_category) == (
        -po.amount,
        -po.amount,
        "payout",
    )
    # Three charges (fees 181, 103, 320), a refund, a lost dispute with its fee.
    assert sorted(t.reporting_category for t in swept) == ["charge"] * 3 + ["dispute", "refund"]
    assert po.amount == sum(t.net for t in swept) == 5019 + 2397 + 9680 - 2000 - 4000
    assert late.balance_transaction.id not in {t.id for t in lines}
    assert receiver.types()[-2:] == ["payout.created", "payout.paid"]
    created, paid = receiver.events()[-2:]
    assert (created.data.object.status, paid.data.object.status) == ("pending", "paid")
    assert po.arrival_date == int(datetime(2026, 10, 6, tzinfo=UTC).timestamp())
    # As the site asks for them: each line with the object it is about.
    expanded = client.v1.balance_transactions.list(
        params={"payout": po.id, "expand": ["data.source"]}
    ).data
    assert sorted(t.source.object for t in expanded) == [
        "charge",
        "charge",
        "charge",
        "dispute",
        "payout",
        "refund",
    ]

    assert [b.amount for b in client.v1.balance.retrieve().available] == [0]
    assert standin.run_payouts() == []  # nothing twice
    (later,) = standin.run_payouts(at=datetime(2026, 10, 7, 12, tzinfo=UTC))
    assert later["amount"] == late.balance_transaction.net
    assert later["created"] == int(datetime(2026, 10, 7, 12, tzinfo=UTC).timestamp())
    assert [p.id for p in client.v1.payouts.list().data] == [later["id"], po.id]


def test_a_failed_payout_puts_the_money_back_for_the_next_one(client, standin, receiver):
    standin.set_clock(THURSDAY)
    charge = gift(client, standin)
    standin.set_clock(MONDAY)
    (payout,) = standin.run_payouts()

    failed = standin.fail_payout(payout["id"], code="account_closed")
    assert (failed["status"], failed["failure_code"]) == ("failed", "account_closed")
    assert failed["failure_message"] == "The bank account has been closed."
    assert receiver.types()[-1] == "payout.failed"
    back = client.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    assert (back.type, back.reporting_category, back.amount) == (
        "payout_failure",
        "payout_reversal",
        payout["amount"],
    )
    assert [b.amount for b in client.v1.balance.retrieve().available] == [payout["amount"]]

    (again,) = standin.run_payouts()
    assert again["amount"] == payout["amount"] == charge.balance_transaction.net
    swept = client.v1.balance_transactions.list(params={"payout": again["id"]}).data
    assert sorted(t.type for t in swept) == ["payout", "payout_failure"]
    with pytest.raises(StandinError):
        standin.fail_payout(payout["id"])


def test_a_pending_payout_can_be_paid_or_canceled(client, standin, receiver):
    standin.set_clock(THURSDAY)
    gift(client, standin)
    standin.set_clock(MONDAY)
    (payout,) = standin.run_payouts(paid=False)
    assert payout["status"] == "pending"
    assert receiver.types()[-1] == "payout.created"

    canceled = standin.cancel_payout(payout["id"])
    assert canceled["status"] == "canceled"
    assert receiver.types()[-1] == "payout.canceled"
    back = client.v1.balance_transactions.retrieve(canceled["failure_balance_transaction"])
    assert (back.type, back.amount) == ("payout_cancel", payout["amount"])
    with pytest.raises(StandinError, match="only a pending payout"):
        standin.cancel_payout(payout["id"])

    (second,) = standin.run_payouts(paid=False)
    assert standin.pay_payout(second["id"])["status"] == "paid"
    assert receiver.types()[-2:] == ["payout.created", "payout.paid"]
    assert client.v1.payouts.list(params={"status": "canceled"}).data[0].id == payout["id"]


def test_payouts_are_driven_through_control_endpoints(client, standin, receiver):
    standin.set_clock(THURSDAY)
    gift(client, standin)
    url = f"{standin.url}/_standin"

    made = requests.post(f"{url}/run-payouts", data={"at": "2026-10-05T10:00:00Z"}).json()
    (payout,) = made["data"]
    assert payout["created"] == int(datetime(2026, 10, 5, 10, tzinfo=UTC).timestamp())
    answer = requests.post(f"{url}/fail-payout/{payout['id']}", data={"code": "no_such_code"})
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "failure_code"
    failed = requests.post(f"{url}/fail-payout/{payout['id']}", data={"code": "no_account"})
    assert failed.json()["failure_code"] == "no_account"
    assert requests.post(f"{url}/run-payouts", data={"at": "Monday"}).status_code == 400
    assert requests.post(f"{url}/cancel-payout/po_missing").status_code == 404
