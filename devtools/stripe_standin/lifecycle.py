"""What happens after checkout: renewals a month or a year apart (paid or failed),
subscription changes and cancellations, refunds and disputes.

As in `checkout`, each operation changes state under the store's lock and returns the
event records it produced; the server delivers them after the lock is released.
"""

from . import balance, billing, objects, payments
from .checkout import issue_invoice, price_from_params
from .errors import StandinError, StripeError, as_dict, merge_metadata, one_of, to_bool, to_int
from .store import diff, snapshot

PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")
LIVE_STATUSES = ("active", "past_due", "trialing", "unpaid")


def renew(store, subscription_id, *, fail=False):
    """Bills the next period (a month or a year, as the price recurs): a new
    `subscription_cycle` invoice, paid (`invoice.paid`) or declined
    (`invoice.payment_failed`, then the subscription turns `past_due`). A subscription
    set to cancel at period end is canceled instead."""
    with store.lock:
        subscription = store.get("subscription", subscription_id)
        if subscription["status"] not in LIVE_STATUSES:
            raise StandinError(
                f"Subscription {subscription_id} is {subscription['status']}; it cannot renew.",
                code="subscription_not_active",
            )
        if subscription["cancel_at_period_end"]:
            return _cancel(store, subscription, reason="cancellation_requested", origin=None)
        before = snapshot(subscription)
        customer = store.get("customer", subscription["customer"])
        items = subscription["items"]["data"]
        period_start = items[0]["current_period_start"]
        period_end = items[0]["current_period_end"]
        for item in items:
            item["current_period_start"] = item["current_period_end"]
            item["current_period_end"] = objects.add_period(
                item["current_period_end"], item["price"]
            )
        product = store.objects.get(items[0]["price"]["product"])
        invoice, intent = issue_invoice(
            store,
            subscription,
            customer,
            "subscription_cycle",
            period_start,
            period_end,
            product["name"] if product else "Subscription",
        )
        charge = payments.charge(
            intent=intent,
            method=payments.CARD,
            billing_email=customer["email"],
            billing_name=customer["name"],
            status="failed" if fail else "succeeded",
        )
        payments.settle(intent, charge)
        store.add(charge)
        if not fail:
            balance.book_charge(store, charge)
        records = []
        if fail:
            billing.mark_failed(invoice)
            subscription["status"] = "past_due"
            records.append(store.emit("invoice.payment_failed", invoice))
        else:
            payment = store.find("invoice_payment", invoice=invoice["id"])[0]
            billing.mark_paid(invoice, payment)
            subscription["status"] = "active"
            records.append(store.emit("invoice.paid", invoice))
        if subscription["status"] != before["status"]:
            changes = diff(before, objects.public(subscription))
            records.append(
                store.emit("customer.subscription.updated", subscription, previous=changes)
            )
        return invoice, records


def update_subscription(store, subscription_id, params, origin):
    """`POST /v1/subscriptions/{id}`: new prices or quantities for existing items,
    metadata, cancel_at_period_end. Sends `customer.subscription.updated` when anything
    changed, with Stripe's `previous_attributes`."""
    with store.lock:
        subscription = store.get("subscription", subscription_id)
        before = snapshot(subscription)
        if subscription["status"] in ("canceled", "incomplete_expired") and set(params) - {
            "metadata",
            "cancellation_details",
            "expand",
        }:
            raise StripeError(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        if "proration_behavior" in params:
            one_of(params["proration_behavior"], PRORATION_BEHAVIORS, "proration_behavior")
        for index, change in enumerate(params.get("items") or []):
            _update_item(store, subscription, as_dict(change, f"items[{index}]"), index)
        if "metadata" in params:
            subscription["metadata"] = merge_metadata(subscription["metadata"], params["metadata"])
        if "description" in params:
            subscription["description"] = params["description"] or None
        if "cancel_at_period_end" in params:
            at_end = to_bool(params["cancel_at_period_end"], "cancel_at_period_end")
            subscription["cancel_at_period_end"] = at_end
            period_end = subscription["items"]["data"][0]["current_period_end"]
            subscription["cancel_at"] = period_end if at_end else None
            subscription["canceled_at"] = objects.now() if at_end else None
            subscription["cancellation_details"]["reason"] = (
                "cancellation_requested" if at_end else None
            )
        if "cancellation_details" in params:
            details = as_dict(params["cancellation_details"], "cancellation_details")
            for key in ("comment", "feedback"):
                if key in details:
                    subscription["cancellation_details"][key] = details[key] or None
        changes = diff(before, objects.public(subscription))
        records = []
        if changes:
            records.append(
                store.emit(
                    "customer.subscription.updated", subscription, previous=changes, origin=origin
                )
            )
        return subscription, records


def _update_item(store, subscription, change, index):
    param = f"items[{index}]"
    if not change.get("id"):
        raise StripeError(
            "The stand-in only updates existing subscription items: pass items[n][id].",
            param=f"{param}[id]",
        )
    item = next((i for i in subscription["items"]["data"] if i["id"] == change["id"]), None)
    if item is None:
        raise StripeError(
            f"Invalid subscription_item: '{change['id']}' is not on this subscription.",
            code="resource_missing",
            param=f"{param}[id]",
        )
    if to_bool(change.get("deleted", "false"), f"{param}[deleted]"):
        raise StripeError(
            "The stand-in does not delete subscription items.", param=f"{param}[deleted]"
        )
    if change.get("price") or change.get("price_data"):
        price = price_from_params(store, change, param, recurring_required=True)
        if price["currency"] != subscription["currency"]:
            raise StripeError(
                "Currency of the price must match the currency of the subscription.",
                param=f"{param}[price_data][currency]",
            )
        item["price"] = price
        item["plan"] = objects.plan_from_price(price)
    if "quantity" in change:
        item["quantity"] = to_int(change["quantity"], f"{param}[quantity]", minimum=1)
    if "metadata" in change:
        item["metadata"] = merge_metadata(
            item["metadata"], change["metadata"], f"{param}[metadata]"
        )


def cancel_subscription(store, subscription_id, *, origin=None, params=None):
    """Ends a subscription now: `customer.subscription.deleted`."""
    with store.lock:
        subscription = store.get("subscription", subscription_id)
        if subscription["status"] in ("canceled", "incomplete_expired"):
            raise StripeError(
                f"This subscription has already been canceled: {subscription_id}.",
                code="resource_missing",
                status=404,
                param="id",
            )
        details = as_dict((params or {}).get("cancellation_details"), "cancellation_details")
        for key in ("comment", "feedback"):
            if details.get(key):
                subscription["cancellation_details"][key] = details[key]
        return _cancel(store, subscription, reason="cancellation_requested", origin=origin)


def _cancel(store, subscription, *, reason, origin):
    moment = objects.now()
    subscription.update(status="canceled", ended_at=moment, cancel_at=None)
    subscription["canceled_at"] = subscription["canceled_at"] or moment
    subscription["cancellation_details"]["reason"] = reason
    return subscription, [store.emit("customer.subscription.deleted", subscription, origin=origin)]


def _charge_of(store, payment_id):
    """The charge behind a payment intent id (or a charge id, passed as is)."""
    if payment_id.startswith("ch_"):
        return store.get("charge", payment_id, "charge")
    intent = store.get("payment_intent", payment_id, "payment_intent")
    if not intent["latest_charge"]:
        raise StripeError(
            f"PaymentIntent {payment_id} does not have a successful charge to refund.",
            code="charge_not_refundable",
            param="payment_intent",
        )
    return store.get("charge", intent["latest_charge"])


def refund(store, payment_id, amount=None, *, reason=None, metadata=None, origin=None):
    """Refunds all or part of what is left on a payment: `charge.refunded`, with the
    charge's `amount_refunded`, `refunded` (true once fully refunded) and `refunds`."""
    with store.lock:
        charge = _charge_of(store, payment_id)
        if charge["status"] != "succeeded":
            raise StripeError(
                f"Charge {charge['id']} has not succeeded; it cannot be refunded.",
                code="charge_not_refundable",
            )
        left = charge["amount"] - charge["amount_refunded"]
        if left <= 0:
            raise StripeError(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = left if amount in (None, "") else to_int(amount, "amount", minimum=1)
        if amount > left:
            asked = objects.format_amount(amount, charge["currency"])
            unrefunded = objects.format_amount(left, charge["currency"])
            raise StripeError(
                f"Refund amount ({asked}) is greater than unrefunded amount on charge "
                f"({unrefunded})",
                code="amount_too_large",
                param="amount",
            )
        if reason:
            one_of(reason, ("duplicate", "fraudulent", "requested_by_customer"), "reason")
        refund_obj = store.add(
            payments.refund(charge_obj=charge, amount=amount, reason=reason, metadata=metadata)
        )
        balance.book_refund(store, refund_obj, charge)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, objects.public(refund_obj))
        return refund_obj, [store.emit("charge.refunded", charge, origin=origin)]


def dispute(store, payment_id):
    """The donor's bank disputes a payment: `charge.dispute.created`."""
    with store.lock:
        charge = _charge_of(store, payment_id)
        if charge["status"] != "succeeded" or charge["disputed"]:
            raise StandinError(
                f"Charge {charge['id']} cannot be disputed (again).", code="charge_not_disputable"
            )
        dispute_obj = store.add(payments.dispute(charge_obj=charge))
        # Stripe debits the disputed amount and the dispute fee at once.
        balance.book_dispute(store, dispute_obj)
        charge["disputed"] = True
        return dispute_obj, [
            store.emit("charge.dispute.created", dispute_obj),
            store.emit("charge.dispute.funds_withdrawn", dispute_obj),
        ]


def close_dispute(store, dispute_id, *, won=True):
    """The bank decides: `charge.dispute.closed` with status `won` or `lost`."""
    with store.lock:
        dispute_obj = store.get("dispute", dispute_id)
        if dispute_obj["status"] in ("won", "lost"):
            raise StandinError(
                f"Dispute {dispute_id} is already closed.", code="dispute_already_closed"
            )
        dispute_obj["status"] = "won" if won else "lost"
        dispute_obj["evidence_details"]["has_evidence"] = bool(won)
        records = [store.emit("charge.dispute.closed", dispute_obj)]
        if won:
            balance.book_dispute(store, dispute_obj, won=True)
            records.append(store.emit("charge.dispute.funds_reinstated", dispute_obj))
        return dispute_obj, records
