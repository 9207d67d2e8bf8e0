"""Stripe's balance transactions in the ledger: each gift's fee and net, and the
refunds, disputes, fees and adjustments that move money at Stripe.

Each function takes Stripe's objects as plain dicts (read by donations.stripe_facts)
and must run inside a transaction. All are safe to run twice, concurrently, and in
any order relative to each other and to the booking of gifts:

- a transaction is found or created by its unique id (BalanceTransaction.stripe_id),
  with its row locked, so a replay, a second listing or a race books it once; its
  amounts never change at Stripe, so a second booking only fills in what the first
  did not know (its gift, its payout, its charge);
- a transaction whose charge the ledger does not know yet is kept without a gift;
  the booking of that gift later claims it (`claim_lines`), so the result is the
  same whichever comes first;
- a gift's fee and net are its charge's transaction's, written once.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q

from . import stripe_facts, stripe_gateway
from .models import GIFT_KINDS, BalanceTransaction, Gift

logger = logging.getLogger(__name__)


def _gift_for(charge_id, payment_intent_id):
    """The gift of a charge, locked. Every path locks a gift before its lines (the
    gift's booking, a refund, a payout listing), so two of them never deadlock."""
    lookup = Q()
    if charge_id:
        lookup |= Q(stripe_charge_id=charge_id)
    if payment_intent_id:
        lookup |= Q(stripe_payment_intent_id=payment_intent_id)
    return Gift.objects.select_for_update().filter(lookup).only("pk").first() if lookup else None


def _locked_line(facts, defaults):
    line = BalanceTransaction.objects.select_for_update().filter(stripe_id=facts.txn_id).first()
    if line is not None:
        return line, False
    try:
        with transaction.atomic():
            return BalanceTransaction.objects.create(stripe_id=facts.txn_id, **defaults), True
    except IntegrityError:
        return BalanceTransaction.objects.select_for_update().get(stripe_id=facts.txn_id), False


def book_balance_transaction(
    txn, *, gift=None, payout=None, charge_id=None, payment_intent_id=None
):
    """Books one balance transaction (a dict from Stripe) once; returns its row.

    `gift`, `charge_id` and `payment_intent_id` say what it is about when the caller
    knows and the transaction does not (a refund's txn names only the refund);
    `payout` is the StripePayout that listed it. A charge's transaction also gives
    its gift the fee and net (`_give_fee_to_gift`). Safe twice: keyed by the txn id,
    its amounts written once, and each link (gift, payout, charge) only filled in.
    """
    facts = stripe_facts.balance_facts(
        txn, charge_id=charge_id, payment_intent_id=payment_intent_id
    )
    if gift is None and facts.kind in GIFT_KINDS:
        gift = _gift_for(facts.charge_id, facts.payment_intent_id)
    line, created = _locked_line(
        facts,
        {
            "kind": facts.kind,
            "stripe_type": facts.stripe_type,
            "reporting_category": facts.reporting_category,
            "amount_cents": facts.amount,
            "fee_cents": facts.fee,
            "net_cents": facts.net,
            "currency": facts.currency,
            "source_id": facts.source_id,
            "charge_id": facts.charge_id,
            "payment_intent_id": facts.payment_intent_id,
            "description": facts.description,
            "gift": gift if facts.kind in GIFT_KINDS else None,
            "payout": payout,
            "created": facts.created,
            "available_on": facts.available_on,
        },
    )
    if not created:
        changed = []
        for field, value in (
            ("charge_id", facts.charge_id),
            ("payment_intent_id", facts.payment_intent_id),
        ):
            if value and not getattr(line, field):
                setattr(line, field, value)
                changed.append(field)
        if gift is not None and line.gift_id is None and line.kind in GIFT_KINDS:
            line.gift = gift
            changed.append("gift")
        if payout is not None and line.payout_id is None:
            line.payout = payout
            changed.append("payout")
        if changed:
            line.save(update_fields=changed)
    if line.kind == BalanceTransaction.Kind.CHARGE and line.gift_id:
        _give_fee_to_gift(line, gift)
    return line


def _give_fee_to_gift(line, gift=None):
    """Writes a charge's txn id, fee and net on its gift, once.

    A gift has one charge: a second charge txn for the same gift (which Stripe
    never sends) is kept as a line and not written over the first.
    """
    Gift.objects.filter(pk=line.gift_id, stripe_balance_transaction_id__isnull=True).update(
        stripe_balance_transaction_id=line.stripe_id,
        stripe_fee_cents=line.fee_cents,
        stripe_net_cents=line.net_cents,
    )
    if gift is not None and gift.pk == line.gift_id and not gift.stripe_balance_transaction_id:
        # The caller's copy too, so that a later save of it keeps the figures.
        gift.stripe_balance_transaction_id = line.stripe_id
        gift.stripe_fee_cents, gift.stripe_net_cents = line.fee_cents, line.net_cents


def claim_lines(gift):
    """Gives a gift just booked the transactions that came before it (a payout or a
    dispute listed its charge first). Safe twice: only lines without a gift move."""
    lookup = Q()
    if gift.stripe_charge_id:
        lookup |= Q(charge_id=gift.stripe_charge_id)
    if gift.stripe_payment_intent_id:
        lookup |= Q(payment_intent_id=gift.stripe_payment_intent_id)
    if not lookup:
        return
    orphans = BalanceTransaction.objects.select_for_update().filter(
        lookup, gift__isnull=True, kind__in=GIFT_KINDS
    )
    for line in orphans:
        line.gift = gift
        line.save(update_fields=["gift"])
        if line.kind == BalanceTransaction.Kind.CHARGE:
            _give_fee_to_gift(line, gift)


def book_gift_balance(gift, balance_transaction):
    """After a gift is booked: its charge's transaction (when fetched) and any lines
    that were waiting for it. Safe twice (see book_balance_transaction)."""
    if gift is None:
        return
    if isinstance(balance_transaction, dict):
        book_balance_transaction(
            balance_transaction,
            gift=gift,
            charge_id=gift.stripe_charge_id,
            payment_intent_id=gift.stripe_payment_intent_id,
        )
    claim_lines(gift)


def book_refund_balances(refunds, *, charge_id, payment_intent_id=None):
    """The balance transactions of a charge's refunds (listed with them expanded)."""
    for refund in refunds:
        txn = stripe_facts.expanded(refund.get("balance_transaction"))
        if txn is not None:
            book_balance_transaction(
                txn,
                charge_id=charge_id,
                payment_intent_id=payment_intent_id
                or stripe_facts.expanded_id(refund.get("payment_intent")),
            )


def book_dispute_balances(dispute):
    """A dispute's balance transactions, which the dispute carries: the amount taken
    back with the dispute fee, and their reversal when the dispute is won."""
    facts = stripe_facts.dispute_facts(dispute)
    for txn in dispute.get("balance_transactions") or []:
        book_balance_transaction(
            txn, charge_id=facts.charge_id, payment_intent_id=facts.payment_intent_id
        )


# Fetching, before the event's transaction (donations.webhooks) -------------------------
#
# A gift must not wait for its fee: when Stripe cannot say it now, the gift is booked
# without it and the fee comes later, with the payout that lists the charge (and with
# reconcile_stripe). So these return None (or nothing) instead of raising.


def fetch_charge_balance(payment_intent):
    """The balance transaction of a PaymentIntent's charge, fetched when only its id
    came; None when there is none yet or Stripe cannot say now."""
    txn = stripe_facts.charge_balance_transaction(payment_intent)
    if txn is None or isinstance(txn, dict):
        return txn
    try:
        return stripe_gateway.retrieve_balance_transaction(txn)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected):
        logger.warning("Fee of %s left for later: Stripe did not answer", txn)
        return None


def fetch_refunds(charge_id):
    """A charge's refunds with their transactions; [] when Stripe cannot say now."""
    if not charge_id:
        return []
    try:
        return stripe_gateway.refunds_of_charge(charge_id)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected):
        logger.warning("Refund transactions of %s left for later", charge_id)
        return []


def fetch_payment_intent(payment_intent_id):
    """A PaymentIntent with its charge; None when Stripe cannot say now."""
    try:
        return stripe_gateway.retrieve_payment_intent(payment_intent_id)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected):
        logger.warning("Charge of %s left for later: Stripe did not answer", payment_intent_id)
        return None
