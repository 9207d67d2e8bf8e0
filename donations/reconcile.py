"""Healing missed webhooks: a period's objects, listed from Stripe, booked where the
ledger lacks them.

Stripe retries a webhook for three days only, so an outage or a bad deploy that long
would lose gifts silently. `reconcile` (the `reconcile_stripe` command, run hourly)
lists the period's charges, Checkout Sessions, paid invoices, subscriptions, refunds
and disputes, compares each with the ledger in bulk (one query per page of a hundred
objects, never one per object), and hands whatever the ledger lacks to the very
functions the webhook handlers call (donations.ledger, donations.adjustments). There
is no second ledger: what is booked here is booked exactly as the event would have
booked it, and the checks of donations.webhooks run on it first.

Safe to run twice, at any time, beside the webhook: an object already in the ledger
is not touched, and one that is booked goes through the same idempotent,
row-locking functions, so a webhook arriving at the same moment cannot book it
twice. Each page of objects is booked in one transaction, each object in a
savepoint of its own: a failure leaves the pages before it booked and the object
that failed unwritten, and the next run takes it up.
"""

import datetime
import itertools
import logging
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import adjustments, balance, ledger, payouts, stripe_facts, stripe_gateway
from .models import BalanceTransaction, Gift, MonthlyGift, Pledge, StripePayout
from .stripe_gateway import MalformedEvent
from .webhooks import (
    BALANCE_TRANSACTION,
    CHARGE,
    CHECKOUT_SESSION,
    DISPUTE,
    INVOICE,
    PAYOUT,
    SUBSCRIPTION,
    check_shape,
)

logger = logging.getLogger(__name__)

BATCH = stripe_gateway.PAGE_SIZE
# What one object can go wrong with, rolled back to its savepoint while the rest of
# its page is booked. Anything else (the database gone, say) ends the run.
BOOKING_ERRORS = (
    MalformedEvent,
    ValidationError,
    IntegrityError,
    DataError,
    KeyError,
    TypeError,
    ValueError,
)
# Dispute statuses after which Stripe's decision is final.
CLOSED_DISPUTES = frozenset({"won", "lost", "warning_closed", "prevented"})


@dataclass
class Tally:
    """What one kind of object came to: listed, booked now, and what is not ours."""

    listed: int = 0
    booked: list = field(default_factory=list)
    unmatched: list = field(default_factory=list)


@dataclass
class Reconciliation:
    since: datetime.datetime
    until: datetime.datetime
    tallies: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    pending: list = field(default_factory=list)  # bookings waiting for `_flush`

    def tally(self, kind):
        return self.tallies.setdefault(kind, Tally())

    @property
    def booked(self):
        return sum(len(tally.booked) for tally in self.tallies.values())

    @property
    def ok(self):
        return not self.errors


def reconcile(*, since, until):
    """Books what the ledger lacks of Stripe's objects created in [since, until).

    Returns a Reconciliation. A Stripe failure stops the run (recorded in `errors`);
    an object that cannot be booked is recorded there too and the run goes on.
    """
    run = Reconciliation(since=since, until=until)
    try:
        charges = _charges(run)
        _sessions(run, charges)
        _invoices(run, charges)
        _subscriptions(run)
        _refunds(run, charges)
        _disputes(run)
        _balance_transactions(run)
        _payouts(run)
        _unmatched_charges(run, charges)
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected) as error:
        run.errors.append(f"Stripe: {error}")
    except DatabaseError as error:
        # The page being booked was rolled back whole; the pages before it stay.
        run.errors.append(f"Database: {error}")
    return run


def _book(run, kind, object_id, function, *args, **kwargs):
    """Queues one booking function for the page's transaction (see `_flush`)."""
    run.pending.append((kind, object_id, function, args, kwargs))


def _flush(run):
    """Books a page's queued objects: one transaction, each object in a savepoint.

    One commit per page instead of per object (a commit waits for the disk), and
    still all or nothing per object: one that fails is rolled back to its savepoint
    and recorded, and the others are booked. Whatever had to be fetched from Stripe
    was fetched before, so no lock is held while Stripe answers.
    """
    pending, run.pending = run.pending, []
    outcomes = []
    with transaction.atomic():
        for kind, object_id, function, args, kwargs in pending:
            try:
                with transaction.atomic():
                    result = function(*args, **kwargs)
            except BOOKING_ERRORS as e:
                logger.exception("Reconciling %s %s failed", kind, object_id)
                run.errors.append(f"{object_id}: {type(e).__name__}: {e}")
                continue
            outcomes.append((kind, object_id, result is not None))
    # Counted once committed: a failed commit books nothing, and says nothing booked.
    for kind, object_id, booked in outcomes:
        tally = run.tally(kind)
        (tally.booked if booked else tally.unmatched).append(object_id)


def _checked(run, obj, shape):
    """Whether an object has the shape its booking function reads (as in the webhook)."""
    try:
        check_shape(obj, shape)
    except MalformedEvent as error:
        run.errors.append(f"{obj.get('id')}: {error}")
        return False
    return True


# Charges: how each payment was made, and what was refunded ---------------------------


@dataclass
class ChargeSummary:
    """What the ledger needs of a charge, kept for the whole run (not the whole JSON)."""

    charge: dict  # id, payment_intent, status, amount_refunded, payment_method_details

    @property
    def id(self):
        return self.charge["id"]

    @property
    def payment_intent_id(self):
        return stripe_facts.expanded_id(self.charge.get("payment_intent"))


_CHARGE_FIELDS = ("id", "payment_intent", "status", "amount_refunded", "payment_method_details")


def _charges(run):
    """The period's charges by PaymentIntent id (and by charge id)."""
    tally = run.tally("charges")
    found = {}
    for charge in stripe_gateway.list_charges(since=run.since, until=run.until):
        tally.listed += 1
        if not _checked(run, charge, CHARGE):
            continue
        summary = ChargeSummary({name: charge.get(name) for name in _CHARGE_FIELDS})
        found[summary.id] = summary
        if summary.payment_intent_id:
            found[summary.payment_intent_id] = summary
    return found


def _payment_intent(payment_intent_id, charges):
    """A PaymentIntent with its charge, as the webhook's prefetch fetches it: from the
    period's charges when there, else from Stripe."""
    summary = charges.get(payment_intent_id)
    if summary is not None:
        return {"id": payment_intent_id, "latest_charge": summary.charge}
    return stripe_gateway.retrieve_payment_intent(payment_intent_id)


# One-time gifts and the start of monthly gifts --------------------------------------


def _sessions(run, charges):
    tally = run.tally("checkout_sessions")
    sessions = stripe_gateway.list_checkout_sessions(since=run.since, until=run.until)
    for page in itertools.batched(sessions, BATCH):
        tally.listed += len(page)
        page = [s for s in page if _checked(run, s, CHECKOUT_SESSION)]
        pledges = _pledges(stripe_facts.metadata_pledge_id(s.get("metadata")) for s in page)
        pi_ids = [stripe_facts.expanded_id(s.get("payment_intent")) for s in page]
        gifts = dict(
            Gift.objects.filter(stripe_payment_intent_id__in=[i for i in pi_ids if i]).values_list(
                "stripe_payment_intent_id", "payment"
            )
        )
        sub_ids = [stripe_facts.expanded_id(s.get("subscription")) for s in page]
        monthly = dict(
            MonthlyGift.objects.filter(
                stripe_subscription_id__in=[i for i in sub_ids if i]
            ).values_list("stripe_subscription_id", "donor_id")
        )
        for session in page:
            pledge = pledges.get(stripe_facts.metadata_pledge_id(session.get("metadata")))
            if pledge is None:
                tally.unmatched.append(session["id"])
            elif session.get("mode") == "subscription":
                _session_of_monthly_gift(run, session, pledge, monthly)
            else:
                _one_time_session(run, session, gifts, charges)
        _flush(run)


def _pledges(pledge_ids):
    """Our pledges among the ids in Stripe's metadata, by that id (one query)."""
    wanted = {str(pledge_id) for pledge_id in pledge_ids if pledge_id}
    found = {}
    for pledge in Pledge.objects.filter(public_id__in=_uuids(wanted)).only("public_id", "status"):
        found[str(pledge.public_id)] = pledge
    return found


def _uuids(texts):
    result = []
    for text in texts:
        try:
            result.append(uuid.UUID(text))
        except ValueError:
            continue  # not one of ours
    return result


def _session_of_monthly_gift(run, session, pledge, monthly):
    subscription_id = stripe_facts.expanded_id(session.get("subscription"))
    paid = session.get("payment_status") in ("paid", "no_payment_required")
    booked = subscription_id in monthly and (monthly[subscription_id] or not paid)
    if booked and pledge.status == Pledge.Status.COMPLETED:
        return
    at = stripe_facts.to_datetime(session.get("created"))
    _book(
        run,
        "checkout_sessions",
        session["id"],
        ledger.book_checkout_session,
        session,
        occurred_at=at,
    )


def _one_time_session(run, session, gifts, charges):
    payment_intent_id = stripe_facts.expanded_id(session.get("payment_intent"))
    if not payment_intent_id:
        return  # completed without a payment (nothing to book)
    summary = charges.get(payment_intent_id)
    charge_status = summary.charge.get("status") if summary else None
    failed = session.get("payment_status") != "paid" and charge_status == "failed"
    wanted = (
        Gift.Payment.SUCCEEDED
        if session.get("payment_status") == "paid"
        else (Gift.Payment.FAILED if failed else Gift.Payment.PENDING)
    )
    have = gifts.get(payment_intent_id)
    if have == wanted or have in (Gift.Payment.SUCCEEDED, Gift.Payment.FAILED):
        return
    payment_intent = _payment_intent(payment_intent_id, charges)
    charge_at = (stripe_facts.expanded(payment_intent.get("latest_charge")) or {}).get("created")
    at = stripe_facts.to_datetime(charge_at or session.get("created"))
    _book(
        run,
        "checkout_sessions",
        session["id"],
        ledger.book_checkout_session,
        session,
        payment_intent=payment_intent,
        occurred_at=at,
        failed=failed,
    )


# Monthly charges and the state of monthly gifts --------------------------------------


def _invoices(run, charges):
    tally = run.tally("invoices")
    invoices = stripe_gateway.list_paid_invoices(since=run.since, until=run.until)
    for page in itertools.batched(invoices, BATCH):
        tally.listed += len(page)
        page = [i for i in page if _checked(run, i, INVOICE)]
        booked = set(
            Gift.objects.filter(stripe_invoice_id__in=[i["id"] for i in page]).values_list(
                "stripe_invoice_id", flat=True
            )
        )
        for invoice in page:
            if invoice["id"] in booked or (invoice.get("amount_paid") or 0) <= 0:
                continue
            payment_intent_id = stripe_facts.invoice_payment_intent(invoice)
            payment_intent = None
            if payment_intent_id:
                payment_intent = _payment_intent(payment_intent_id, charges)
            elif not stripe_facts.invoice_lists_payments(invoice):
                payment_intent = stripe_gateway.retrieve_invoice_payment_intent(invoice["id"])
            _book(
                run,
                "invoices",
                invoice["id"],
                ledger.book_invoice,
                invoice,
                payment_intent=payment_intent,
                occurred_at=stripe_facts.invoice_paid_at(invoice),
            )
        _flush(run)


def _subscriptions(run):
    """Monthly gifts whose state in the ledger is not Stripe's (a missed cancel, say).

    The state listed now is the newest there is, so it is applied as of now: an older
    event delivered later cannot undo it (donations.ledger.apply_subscription).
    """
    tally = run.tally("subscriptions")
    for page in itertools.batched(stripe_gateway.list_subscriptions(until=run.until), BATCH):
        tally.listed += len(page)
        page = [s for s in page if _checked(run, s, SUBSCRIPTION)]
        ours = {
            m.stripe_subscription_id: m
            for m in MonthlyGift.objects.filter(stripe_subscription_id__in=[s["id"] for s in page])
        }
        for subscription in page:
            monthly = ours.get(subscription["id"])
            if monthly is None or monthly.status == MonthlyGift.Status.CANCELED:
                continue  # not ours (or not yet booked: its invoices book it), or final
            status = ledger.SUBSCRIPTION_STATUSES.get(subscription.get("status"), monthly.status)
            amount = stripe_facts.subscription_amount(subscription) or monthly.amount_cents
            if (status, amount) == (monthly.status, monthly.amount_cents):
                continue
            _book(
                run,
                "subscriptions",
                subscription["id"],
                ledger.apply_subscription,
                subscription,
                occurred_at=timezone.now(),
                deleted=subscription.get("status") == "canceled",
            )
        _flush(run)


# Refunds and disputes --------------------------------------------------------------


def _gifts_of_payments(summaries):
    """Our gifts of these charges, by charge id and by PaymentIntent id (one query)."""
    charge_ids = [s.id for s in summaries]
    pi_ids = [s.payment_intent_id for s in summaries if s.payment_intent_id]
    found = {}
    for gift in Gift.objects.filter(
        Q(stripe_charge_id__in=charge_ids) | Q(stripe_payment_intent_id__in=pi_ids)
    ).only(
        "stripe_charge_id", "stripe_payment_intent_id", "refunded_cents", "amount_cents", "dispute"
    ):
        for key in (gift.stripe_charge_id, gift.stripe_payment_intent_id):
            if key:
                found[key] = gift
    return found


def _gift_of(gifts, summary):
    return gifts.get(summary.id) or gifts.get(summary.payment_intent_id)


def _refunds(run, charges):
    """Refunds the ledger lacks: the period's refunds, on whatever charge (a refund in
    March of a February gift), and every refunded charge of the period."""
    tally = run.tally("refunds")
    refunded = {s.id: s for s in charges.values() if (s.charge.get("amount_refunded") or 0) > 0}
    for refund in stripe_gateway.list_refunds(since=run.since, until=run.until):
        tally.listed += 1
        charge_id = stripe_facts.expanded_id(refund.get("charge"))
        if refund.get("status") in ("succeeded", "pending") and charge_id not in refunded:
            refunded[charge_id] = charges.get(charge_id) or ChargeSummary(
                stripe_gateway.retrieve_charge(charge_id)
            )
    for page in itertools.batched(refunded.values(), BATCH):
        gifts = _gifts_of_payments(page)
        for summary in page:
            gift = _gift_of(gifts, summary)
            amount = summary.charge.get("amount_refunded") or 0
            if gift is None:
                tally.unmatched.append(summary.id)
            elif gift.refunded_cents < min(amount, gift.amount_cents):
                event = _as_event("charge.refunded", summary.charge)
                _book(
                    run,
                    "refunds",
                    summary.id,
                    adjustments.apply_refund,
                    summary.charge,
                    event=event,
                )
        _flush(run)


def _disputes(run):
    """The period's disputes, and every dispute the ledger still holds open (closed
    since, perhaps in a later month than it was opened)."""
    tally = run.tally("disputes")
    disputes = {d["id"]: d for d in stripe_gateway.list_disputes(since=run.since, until=run.until)}
    tally.listed = len(disputes)
    still_open = Gift.objects.filter(dispute=Gift.Dispute.OPEN).exclude(stripe_dispute_id="")
    for dispute_id in still_open.values_list("stripe_dispute_id", flat=True).iterator():
        if dispute_id not in disputes:
            disputes[dispute_id] = stripe_gateway.retrieve_dispute(dispute_id)
    for page in itertools.batched(disputes.values(), BATCH):
        page = [d for d in page if _checked(run, d, DISPUTE)]
        summaries = [
            ChargeSummary(
                {
                    "id": stripe_facts.expanded_id(d.get("charge")),
                    "payment_intent": d.get("payment_intent"),
                }
            )
            for d in page
        ]
        gifts = _gifts_of_payments(summaries)
        for dispute, summary in zip(page, summaries, strict=True):
            gift = _gift_of(gifts, summary)
            closed = dispute.get("status") in CLOSED_DISPUTES
            facts = stripe_facts.dispute_facts(dispute)
            wanted = (
                (Gift.Dispute.LOST if facts.lost else Gift.Dispute.WON)
                if closed
                else Gift.Dispute.OPEN
            )
            if gift is None:
                tally.unmatched.append(dispute["id"])
            elif gift.dispute not in (wanted, Gift.Dispute.WON, Gift.Dispute.LOST):
                kind = "charge.dispute.closed" if closed else "charge.dispute.created"
                _book(
                    run,
                    "disputes",
                    dispute["id"],
                    adjustments.apply_dispute,
                    dispute,
                    event=_as_event(kind, dispute),
                    closed=closed,
                )
        _flush(run)


def _as_event(kind, obj):
    """The event the webhook would have got. The adjustments park an event whose gift
    is not booked yet; here the gift was found first, so nothing is parked."""
    return {
        "id": f"reconcile_{obj['id']}",
        "object": "event",
        "type": kind,
        "created": int(timezone.now().timestamp()),
        "data": {"object": obj},
    }


# Money at Stripe: fees, and payouts to the bank ------------------------------------


def _balance_transactions(run):
    """Balance transactions the ledger lacks: the fee and net of gifts booked above
    (or whose fee Stripe could not say when the webhook came), refunds', disputes'
    and Stripe's own. Booked as the webhook books them (donations.balance), after
    the gifts, so that each finds its gift."""
    tally = run.tally("balance_transactions")
    listing = stripe_gateway.list_balance_transactions(since=run.since, until=run.until)
    for page in itertools.batched(listing, BATCH):
        tally.listed += len(page)
        page = [t for t in page if _checked(run, t, BALANCE_TRANSACTION)]
        known = set(
            BalanceTransaction.objects.filter(stripe_id__in=[t["id"] for t in page]).values_list(
                "stripe_id", flat=True
            )
        )
        for txn in page:
            if txn["id"] not in known:
                _book(run, "balance_transactions", txn["id"], balance.book_balance_transaction, txn)
        _flush(run)


def _payouts(run):
    """Payouts the ledger lacks, or whose state or lines it does not have yet: each
    with the balance transactions it paid out, so it is reconciled to the cent."""
    tally = run.tally("payouts")
    for page in itertools.batched(
        stripe_gateway.list_payouts(since=run.since, until=run.until), BATCH
    ):
        tally.listed += len(page)
        page = [p for p in page if _checked(run, p, PAYOUT)]
        known = {
            p.stripe_payout_id: p
            for p in StripePayout.objects.filter(stripe_payout_id__in=[p["id"] for p in page])
        }
        for payout in page:
            have = known.get(payout["id"])
            automatic = payout.get("automatic") is not False
            if (
                have is not None
                and have.status == payout.get("status")
                and (have.lines_listed_at is not None or not automatic)
            ):
                continue
            transactions = None
            if automatic:  # Stripe lists the lines of automatic payouts only
                transactions = stripe_gateway.payout_balance_transactions(payout["id"])
                if not all(_checked(run, t, BALANCE_TRANSACTION) for t in transactions):
                    continue
            _book(
                run,
                "payouts",
                payout["id"],
                payouts.book_payout,
                payout,
                transactions=transactions,
            )
        _flush(run)


# What Stripe holds that is not ours -------------------------------------------------


def _unmatched_charges(run, charges):
    """Succeeded charges of the period with no gift: money that reached Stripe from
    elsewhere (an invoice sent by hand, another site on the account), for a person to
    look at. Listed, never booked."""
    tally = run.tally("charges")
    succeeded = {s.id: s for s in charges.values() if s.charge.get("status") == "succeeded"}
    for page in itertools.batched(succeeded.values(), BATCH):
        gifts = _gifts_of_payments(page)
        tally.unmatched.extend(s.id for s in page if _gift_of(gifts, s) is None)
