"""`POST /v1/subscriptions`: a subscription started through the API on a customer's
saved payment method (the site's "make it monthly" after a one-time gift).

Stripe's rules that the stand-in keeps: the customer must exist; the
`default_payment_method` must be attached to that customer; a `billing_cycle_anchor`
must lie ahead, no later than the first natural billing date. With an anchor and
`proration_behavior=none` the days up to it are free: the subscription is `active`
at once, its item's period runs to the anchor, and its first invoice
(`subscription_create`) is for $0, paid without a payment. Without an anchor the first
month is charged now to the default payment method. Events:
`customer.subscription.created`, then `invoice.paid`. Renewals (`renew/<sub>`) charge
the default payment method: the charge's `payment_method` is it.
"""

from . import balance, billing, objects, payments
from .catalog import price_from_params
from .checkout import issue_invoice
from .errors import StandinError, StripeError, as_dict, merge_metadata, one_of, require, to_int

PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")


def create_subscription(store, params, origin):
    with store.lock:
        customer = store.get("customer", require(params, "customer"), "customer")
        payment_method_id = params.get("default_payment_method")
        if not payment_method_id:
            raise StripeError(
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method.",
                code="resource_missing",
            )
        payment_method = store.objects.get(payment_method_id)
        if (
            payment_method is None
            or payment_method["object"] != "payment_method"
            or payment_method["customer"] != customer["id"]
        ):
            raise StripeError(
                f"The customer does not have a payment method with the ID {payment_method_id}. "
                "The payment method must be attached to the customer.",
                code="resource_missing",
                param="default_payment_method",
            )
        for unsupported in ("trial_end", "trial_period_days", "backdate_start_date"):
            if params.get(unsupported):
                raise StandinError(
                    f"The stand-in does not implement `{unsupported}` on subscriptions.",
                    code="standin_unsupported",
                )
        items = require(params, "items")
        if not isinstance(items, list):
            raise StripeError("Invalid array", param="items")
        prices = []
        for index, item in enumerate(items):
            param = f"items[{index}]"
            item = as_dict(item, param)
            price = price_from_params(store, item, param, recurring_required=True)
            if price["recurring"]["interval"] != "month":
                raise StandinError(
                    "The stand-in bills API subscriptions monthly only.",
                    code="standin_unsupported",
                )
            quantity = to_int(item.get("quantity", 1), f"{param}[quantity]", minimum=1)
            prices.append((price, quantity))
        if len({price["currency"] for price, _ in prices}) > 1:
            raise StripeError("All prices on a subscription must have the same currency.")
        proration = one_of(
            params.get("proration_behavior") or "create_prorations",
            PRORATION_BEHAVIORS,
            "proration_behavior",
        )
        start = objects.now()
        natural = objects.add_month(start)
        anchor = params.get("billing_cycle_anchor")
        if anchor not in (None, ""):
            anchor = to_int(anchor, "billing_cycle_anchor")
            if anchor <= start:
                raise StripeError(
                    "billing_cycle_anchor cannot be in the past.", param="billing_cycle_anchor"
                )
            if anchor > natural:
                raise StripeError(
                    f"billing_cycle_anchor cannot be later than next natural billing date "
                    f"({natural}) for plan",
                    param="billing_cycle_anchor",
                )
            if proration != "none":
                raise StandinError(
                    "The stand-in prorates nothing: pass proration_behavior=none with a "
                    "billing_cycle_anchor.",
                    code="standin_unsupported",
                )
        else:
            anchor = None
        subscription = billing.subscription(
            customer_id=customer["id"],
            currency=prices[0][0]["currency"],
            metadata=merge_metadata({}, params.get("metadata")),
            default_payment_method=payment_method_id,
            status="active",
        )
        subscription["billing_cycle_anchor"] = anchor or start
        for price, quantity in prices:
            subscription["items"]["data"].append(
                billing.subscription_item(
                    price_obj=price,
                    quantity=quantity,
                    subscription_id=subscription["id"],
                    period_start=start,
                    period_end=anchor or natural,
                )
            )
        store.add(subscription)
        product = store.objects.get(prices[0][0]["product"])
        product_name = product["name"] if product else "Subscription"
        if anchor:
            invoice = _free_first_invoice(store, subscription, customer, start, product_name)
        else:
            invoice = _charged_first_invoice(store, subscription, customer, start, product_name)
        records = [
            store.emit("customer.subscription.created", subscription, origin=origin),
            store.emit("invoice.paid", invoice, origin=origin),
        ]
        return subscription, records


def _free_first_invoice(store, subscription, customer, start, product_name):
    """The $0 `subscription_create` invoice of the free days up to the anchor: paid at
    once, with no payment intent (Stripe makes none for nothing due)."""
    customer["next_invoice_sequence"] += 1
    invoice = billing.invoice(
        subscription_obj=subscription,
        customer_obj=customer,
        billing_reason="subscription_create",
        period_start=start,
        period_end=start,
        number=customer["next_invoice_sequence"] - 1,
        product_name=product_name,
    )
    for line in invoice["lines"]["data"]:
        line.update(amount=0, subtotal=0)
    for field in ("amount_due", "amount_remaining", "subtotal", "subtotal_excluding_tax"):
        invoice[field] = 0
    invoice.update(total=0, total_excluding_tax=0, status="paid", auto_advance=False)
    invoice["status_transitions"]["paid_at"] = start
    store.add(invoice)
    subscription["latest_invoice"] = invoice["id"]
    return invoice


def _charged_first_invoice(store, subscription, customer, start, product_name):
    """The first month, charged now to the default payment method."""
    invoice, intent = issue_invoice(
        store, subscription, customer, "subscription_create", start, start, product_name
    )
    charge = payments.charge(
        intent=intent,
        method=payments.CARD,
        billing_email=customer["email"],
        billing_name=customer["name"],
    )
    payments.settle(intent, charge)
    store.add(charge)
    balance.book_charge(store, charge)
    billing.mark_paid(invoice, store.find("invoice_payment", invoice=invoice["id"])[0])
    return invoice
