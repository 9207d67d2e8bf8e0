"""Builders of the objects that move money: payment intents, charges, refunds and
disputes, shaped as in the API version the site pins.

Two payment methods exist in the stand-in: a Visa test card (settles at once) and a US
bank account (a "delayed" method: the charge stays `pending` until `complete_delayed`).
"""

import secrets

from .objects import empty_address, list_object, new_id, now

CARD = "card"
BANK = "us_bank_account"


def payment_method_details(method, amount):
    if method == BANK:
        return {
            "type": BANK,
            BANK: {
                "account_holder_type": "individual",
                "account_type": "checking",
                "bank_name": "STRIPE TEST BANK",
                "fingerprint": "FFDMA0xfhBjWSZLu",
                "last4": "6789",
                "mandate": new_id("mandate_"),
                "payment_reference": None,
                "routing_number": "110000000",
            },
        }
    return {
        "type": CARD,
        CARD: {
            "amount_authorized": amount,
            "authorization_code": f"{secrets.randbelow(1_000_000):06d}",
            "brand": "visa",
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": "pass",
                "cvc_check": "pass",
            },
            "country": "US",
            "exp_month": 12,
            "exp_year": 2034,
            "extended_authorization": {"status": "disabled"},
            "fingerprint": "Xt5EWLLDS7FJjR1c",
            "funding": "credit",
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": "4242",
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": "visa",
            "network_token": {"used": False},
            "network_transaction_id": f"{secrets.randbelow(10**15):015d}",
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": None,
            "transaction_link_id": None,
            "wallet": None,
        },
    }


def payment_method(*, method=CARD, customer_id=None, billing_email=None, billing_name=None):
    """The PaymentMethod a donor paid with; `customer_id` when it is attached (saved) to
    a customer, as Checkout does with `setup_future_usage` or for a subscription."""
    details = payment_method_details(method, 0)[method]
    if method == BANK:
        kind_details = {
            key: details[key]
            for key in (
                "account_holder_type",
                "account_type",
                "bank_name",
                "fingerprint",
                "last4",
                "routing_number",
            )
        } | {
            "financial_connections_account": None,
            "networks": {"preferred": "ach", "supported": ["ach"]},
            "status_details": {},
        }
    else:
        kind_details = {
            "brand": details["brand"],
            "checks": details["checks"],
            "country": details["country"],
            "display_brand": details["brand"],
            "exp_month": details["exp_month"],
            "exp_year": details["exp_year"],
            "fingerprint": details["fingerprint"],
            "funding": details["funding"],
            "generated_from": None,
            "last4": details["last4"],
            "networks": {"available": [details["network"]], "preferred": None},
            "regulated_status": details["regulated_status"],
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        }
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "limited" if customer_id else "unspecified",
        "billing_details": {
            "address": empty_address(),
            "email": billing_email,
            "name": billing_name,
            "phone": None,
            "tax_id": None,
        },
        method: kind_details,
        "created": now(),
        "customer": customer_id,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": method,
    }


def payment_intent(*, amount, currency, customer_id, metadata=None, method=CARD, description=None):
    """A payment intent in `requires_payment_method`; `settle` moves it on."""
    intent_id = new_id("pi_")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('')}",
        "confirmation_method": "automatic",
        "created": now(),
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": metadata or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {method: {}},
        "payment_method_types": [method],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(*, intent, method, billing_email, billing_name, status="succeeded"):
    """The charge of `intent`: `succeeded`, `pending` (bank debit) or `failed` (declined)."""
    charge_id = new_id("ch_")
    amount = intent["amount"]
    succeeded = status == "succeeded"
    failed = status == "failed"
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        # Set by balance.book_charge once the charge has succeeded.
        "balance_transaction": None,
        "billing_details": {
            "address": empty_address(),
            "email": billing_email,
            "name": billing_name,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "STRIPE STAND-IN",
        "captured": succeeded,
        "created": now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": "card_declined" if failed else None,
        "failure_message": "Your card was declined." if failed else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": "try_again_later" if failed else None,
            "network_advice_code": None,
            "network_decline_code": "05" if failed else None,
            "network_status": "declined_by_network" if failed else "approved_by_network",
            "reason": "generic_decline" if failed else None,
            "seller_message": "The bank did not return any further details with this decline."
            if failed
            else "Payment complete.",
            "type": "issuer_declined" if failed else "authorized",
        },
        "paid": succeeded,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "payment_method_details": payment_method_details(method, amount),
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": list_object([], f"/v1/charges/{charge_id}/refunds"),
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def settle(intent, charge_obj):
    """Brings `intent` in line with its latest charge's status."""
    intent["latest_charge"] = charge_obj["id"]
    intent["payment_method"] = intent["payment_method"] or new_id("pm_")
    charge_obj["payment_method"] = intent["payment_method"]
    status = charge_obj["status"]
    if status == "succeeded":
        intent.update(status="succeeded", amount_received=intent["amount"], processing=None)
        intent["last_payment_error"] = None
    elif status == "pending":
        method = charge_obj["payment_method_details"]["type"]
        intent.update(status="processing", processing={"type": method})
    else:
        intent.update(status="requires_payment_method", processing=None)
        intent["last_payment_error"] = {
            "charge": charge_obj["id"],
            "code": "card_declined",
            "decline_code": "generic_decline",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined.",
            "type": "card_error",
        }


def refund(*, charge_obj, amount, reason=None, metadata=None):
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,  # set by balance.book_refund
        "charge": charge_obj["id"],
        "created": now(),
        "currency": charge_obj["currency"],
        "customer": charge_obj["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        }
        if charge_obj["payment_method_details"]["type"] == CARD
        else None,
        "metadata": metadata or {},
        "payment_intent": charge_obj["payment_intent"],
        "payment_method": charge_obj["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def dispute(*, charge_obj, reason="fraudulent"):
    created = now()
    evidence_fields = [
        *("access_activity_log", "billing_address", "cancellation_policy"),
        *("cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication"),
        *("customer_email_address", "customer_name", "customer_purchase_ip"),
        *("customer_signature", "duplicate_charge_documentation"),
        *("duplicate_charge_explanation", "duplicate_charge_id", "product_description"),
        *("receipt", "refund_policy", "refund_policy_disclosure", "refund_refusal_explanation"),
        *("service_date", "service_documentation", "shipping_address", "shipping_carrier"),
        *("shipping_date", "shipping_documentation", "shipping_tracking_number"),
        *("uncategorized_file", "uncategorized_text"),
    ]
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": charge_obj["amount"] - charge_obj["amount_refunded"],
        "balance_transactions": [],
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "enhanced_eligibility_types": [],
        "evidence": dict.fromkeys(evidence_fields) | {"enhanced_evidence": {}},
        "evidence_details": {
            "due_by": created + 7 * 24 * 3600,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge_obj["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "case_type": "chargeback",
                "network": "visa",
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }
