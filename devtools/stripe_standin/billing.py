"""Builders of the billing objects: subscriptions and their items, invoices, invoice
line items and invoice payments, shaped as in the API version the site pins.

Since API version basil an invoice names its subscription only through
`invoice.parent.subscription_details` (with a snapshot of the subscription's metadata),
and its payments are `invoice_payment` objects; the billing period lives on each
subscription item (`current_period_start/end`), not on the subscription.
"""

import copy

from .objects import list_object, new_id, now, plan_from_price


def subscription_item(*, price_obj, quantity, subscription_id, period_start, period_end):
    return {
        "id": new_id("si_"),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": now(),
        "current_period_end": period_end,
        "current_period_start": period_start,
        "discounts": [],
        "metadata": {},
        "plan": plan_from_price(price_obj),
        "price": price_obj,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription(*, customer_id, currency, metadata, default_payment_method, status):
    """A subscription without items; the caller adds them (they need its id)."""
    subscription_id = new_id("sub_")
    created = now()
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": created,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": list_object([], f"/v1/subscription_items?subscription={subscription_id}"),
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def invoice_line(*, invoice_id, subscription_obj, item, product_name):
    price_obj = item["price"]
    amount = price_obj["unit_amount"] * item["quantity"]
    interval = (price_obj["recurring"] or {}).get("interval", "month")
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": price_obj["currency"],
        "description": f"{item['quantity']} × {product_name} (per {interval})",
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        # Subscription lines carry the subscription's metadata, as Stripe's do.
        "metadata": copy.deepcopy(subscription_obj["metadata"]),
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": subscription_obj["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": item["current_period_end"], "start": item["current_period_start"]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price_obj["id"], "product": price_obj["product"]},
            "type": "price_details",
            "unit_amount_decimal": price_obj["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "quantity_decimal": str(item["quantity"]),
        "subscription": subscription_obj["id"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice(
    *,
    subscription_obj,
    customer_obj,
    billing_reason,
    period_start,
    period_end,
    number,
    product_name,
):
    """A finalized (`open`) invoice for every item of the subscription; `mark_paid` or
    `mark_failed` records the outcome of its payment."""
    invoice_id = new_id("in_")
    created = now()
    lines = [
        invoice_line(
            invoice_id=invoice_id,
            subscription_obj=subscription_obj,
            item=item,
            product_name=product_name,
        )
        for item in subscription_obj["items"]["data"]
    ]
    total = sum(line["amount"] for line in lines)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Stripe stand-in test account",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": subscription_obj["currency"],
        "custom_fields": None,
        "customer": customer_obj["id"],
        "customer_account": None,
        "customer_address": None,
        "customer_email": customer_obj["email"],
        "customer_name": customer_obj["name"],
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": created,
        "ending_balance": 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": f"{customer_obj['invoice_prefix']}-{number:04d}",
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": copy.deepcopy(subscription_obj["metadata"]),
                "subscription": subscription_obj["id"],
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "open",
        "status_transitions": {
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": created,
    }


def invoice_payment(*, invoice_obj, intent):
    return {
        "id": new_id("inpay_"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": invoice_obj["amount_due"],
        "created": now(),
        "currency": invoice_obj["currency"],
        "invoice": invoice_obj["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }


def mark_paid(invoice_obj, payment):
    paid_at = now()
    invoice_obj.update(
        status="paid",
        amount_paid=invoice_obj["amount_due"],
        amount_remaining=0,
        attempt_count=invoice_obj["attempt_count"] + 1,
        attempted=True,
        auto_advance=False,
        next_payment_attempt=None,
    )
    invoice_obj["status_transitions"]["paid_at"] = paid_at
    payment.update(amount_paid=invoice_obj["amount_due"], status="paid")
    payment["status_transitions"]["paid_at"] = paid_at


def mark_failed(invoice_obj):
    """A failed attempt: the invoice stays open and Stripe will retry in three days."""
    invoice_obj.update(
        attempt_count=invoice_obj["attempt_count"] + 1,
        attempted=True,
        next_payment_attempt=now() + 3 * 24 * 3600,
    )
