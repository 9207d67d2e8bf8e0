"""Stripe's webhook: verify, dedupe, apply, in one transaction per event.

The event id is stored (unique) in the same transaction as the event's effects: a
second delivery of an event finds it and changes nothing, and two deliveries racing
on two app servers are serialised by the unique index (the second waits for the
first to commit, then sees a duplicate). A failure rolls everything back and answers
500, so Stripe delivers the event again later.
"""

import logging

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import ledger, stripe_gateway
from .models import ProcessedEvent

logger = logging.getLogger(__name__)

# Stripe's events are a few kilobytes; anything far larger is not from Stripe.
MAX_BODY_BYTES = 256 * 1024


class EventHandler:
    """Maps an event type to a method; `prepare` runs before the transaction (network)."""

    def prepare(self, event):
        """Fetches what the event does not carry; runs outside the transaction."""
        obj = event["data"]["object"]
        if event["type"].startswith("checkout.session.") and obj.get("mode") == "payment":
            pi = obj.get("payment_intent")
            if isinstance(pi, str) and obj.get("payment_status") == "paid":
                # The card or wallet used is on the charge, not on the session.
                return {"payment_intent": stripe_gateway.retrieve_payment_intent(pi)}
        if event["type"] == "invoice.paid" and not (obj.get("payments") or {}).get("data"):
            # Invoices name their payment only when asked (see the gateway).
            return {"payment_intent": stripe_gateway.retrieve_invoice_payment_intent(obj["id"])}
        return {}

    def handle(self, event, prepared):
        method = getattr(self, "on_" + event["type"].replace(".", "_"), None)
        if method is None:
            return False
        method(event["data"]["object"], event, **prepared)
        return True

    @staticmethod
    def _at(event):
        return ledger.from_timestamp(event.get("created"))

    def on_checkout_session_completed(self, session, event, payment_intent=None):
        ledger.book_checkout_session(
            session, payment_intent=payment_intent, occurred_at=self._at(event)
        )

    def on_checkout_session_async_payment_succeeded(self, session, event, payment_intent=None):
        ledger.book_checkout_session(
            session, payment_intent=payment_intent, occurred_at=self._at(event)
        )

    def on_checkout_session_async_payment_failed(self, session, event, payment_intent=None):
        ledger.book_checkout_session(session, occurred_at=self._at(event), failed=True)

    def on_invoice_paid(self, invoice, event, payment_intent=None):
        ledger.book_invoice(invoice, payment_intent=payment_intent, occurred_at=self._at(event))

    def on_invoice_payment_failed(self, invoice, event):
        monthly = ledger.record_invoice_failure(invoice, occurred_at=self._at(event))
        if monthly is not None:
            from .monthly import ask_to_update_card

            ask_to_update_card(monthly, invoice_id=invoice["id"])

    def on_customer_subscription_updated(self, subscription, event):
        ledger.apply_subscription(subscription, occurred_at=self._at(event))

    def on_customer_subscription_deleted(self, subscription, event):
        ledger.apply_subscription(subscription, occurred_at=self._at(event), deleted=True)

    def on_charge_refunded(self, charge, event):
        ledger.apply_refund(charge, event=event)

    def on_charge_dispute_created(self, dispute, event):
        ledger.apply_dispute(dispute, event=event, closed=False)

    def on_charge_dispute_closed(self, dispute, event):
        ledger.apply_dispute(dispute, event=event, closed=True)


handler = EventHandler()


def process_event(event):
    """Applies one verified event once. Returns "applied", "duplicate" or "ignored"."""
    if not hasattr(handler, "on_" + event["type"].replace(".", "_")):
        return "ignored"
    if ProcessedEvent.objects.filter(event_id=event["id"]).exists():
        return "duplicate"
    prepared = handler.prepare(event)
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(
                event_id=event["id"],
                type=event["type"],
                created=ledger.from_timestamp(event.get("created")),
            )
            handler.handle(event, prepared)
    except IntegrityError:
        if ProcessedEvent.objects.filter(event_id=event["id"]).exists():
            return "duplicate"
        raise
    return "applied"


@csrf_exempt
@require_POST
def stripe_webhook(request):
    if int(request.headers.get("Content-Length") or 0) > MAX_BODY_BYTES:
        return HttpResponse("Request body too large.\n", status=413, content_type="text/plain")
    try:
        event = stripe_gateway.parse_webhook(request.body, request.headers.get("Stripe-Signature"))
    except stripe_gateway.InvalidSignature as error:
        logger.warning("Rejected a webhook: %s", error)
        return HttpResponseBadRequest("Invalid signature.\n", content_type="text/plain")
    try:
        outcome = process_event(event)
    except stripe_gateway.StripeUnavailable:
        # Stripe will deliver the event again; by then the API should answer.
        logger.warning("Event %s deferred: Stripe API unavailable", event["id"])
        return HttpResponse("Try again later.\n", status=503, content_type="text/plain")
    except (OperationalError, InterfaceError):
        # The database is unreachable: oca_site's DatabaseUnavailableMiddleware answers
        # 503 with Retry-After (Stripe delivers again) and logs one line, no traceback.
        raise
    except Exception:
        logger.exception("Event %s (%s) failed", event["id"], event["type"])
        return HttpResponse("Processing failed.\n", status=500, content_type="text/plain")
    return HttpResponse(f"{outcome}\n", content_type="text/plain")
