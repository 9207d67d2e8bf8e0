"""A local stand-in for Stripe, for development and tests without the internet.

The real stripe-python client talks to it through
`StripeClient(api_key, base_addresses={"api": standin.url})`. It keeps its objects in
memory, answers with objects shaped as in the API version the site pins
(donations.stripe_gateway.API_VERSION), serves test versions of the hosted checkout page
and the customer portal, and sends correctly signed webhook events to the site. Apart
from that constant (whose module imports the stripe library) it needs nothing but the
standard library (Django only for the `stripe_standin` management command, which
refuses to run unless DEBUG is on).

    from devtools.stripe_standin import StripeStandin, sign_payload

Money (balance.py, payouts.py). Every succeeded charge books a balance transaction
(`charge.balance_transaction`, expandable): type `charge` for a card (fee 2.9 % + 30¢,
halves rounded up), `payment` for a US bank debit (0.8 % capped at $5), both with
reporting_category `charge`, `fee_details` [{type: stripe_fee}], `pending` until
`available_on` (midnight UTC two business days later for a card, four for a bank
debit). A refund books a `refund` (`payment_refund` for a bank debit; negative, no
fee); a dispute an `adjustment` (reporting_category `dispute`: the amount negative, fee
1500) on the dispute's `balance_transactions`, and a won dispute a second one
(`dispute_reversal`, both back), with Stripe's `charge.dispute.funds_withdrawn` /
`funds_reinstated` events. Payouts are automatic and run when told:

    standin.set_clock(datetime(2026, 10, 1, 9, tzinfo=UTC))  # freeze the stand-in's time
    standin.advance_clock(days=4)      # (or seconds=...); set_clock(None): real time
    standin.run_payouts()              # -> [payout dict]: payout.created + payout.paid
    standin.run_payouts(at=when, paid=False)   # as of `when`; stays `pending`
    standin.pay_payout(po_id)          # pending -> paid (payout.paid)
    standin.fail_payout(po_id, code="account_closed")  # payout.failed + payout_failure txn
    standin.cancel_payout(po_id)       # pending only: payout.canceled + payout_cancel txn
    standin.drop_webhooks(0.2, seed=7) # lose 20 % of deliveries (reproducibly)
    standin.drop_webhooks(predicate=lambda event: event["type"] == "invoice.paid")
    standin.drop_webhooks(None)        # deliver everything again

A payout sweeps, per currency, every `available` transaction not yet paid out (a
failed or canceled payout's reversal included): its amount is the sum of their `net`,
and its own `payout` transaction (negative) empties the balance. A run with nothing
positive to pay makes no payout, so running twice pays nothing twice. The clock dates
every object and event made after it is set; keep it in the past, since the site
refuses events dated ahead of its own clock. Dropped events are recorded with
`delivery.dropped` and stay in `GET /v1/events` (`delivery_success=false` lists them);
`redeliver(event_id)` still sends one.

API: `GET /v1/balance`, `/v1/balance_transactions[/{id}]` (`payout`, `type`, `source`,
`currency`), `/v1/payouts[/{id}]` (`status`, `arrival_date`), and lists of charges
(`customer`, `payment_intent`), refunds and disputes (`charge`, `payment_intent`),
events (`type` with `*`, `types[]`, `delivery_success`), beside the existing ones.
Every list pages as Stripe's: `limit` (10, at most 100), `starting_after`,
`ending_before`, `created` (an integer or `created[gt|gte|lt|lte]`), newest first, so
`auto_paging_iter()` works; `expand[]=data.balance_transaction` (or `data.source`) too.

Saved cards and API subscriptions (subscriptions.py). Checkout in payment mode honours
`payment_intent_data.setup_future_usage`: the PaymentIntent says it, and its
`payment_method` (a `pm_...` PaymentMethod, `GET /v1/payment_methods/{id}`) is attached
to the session's customer (`GET /v1/customers/{id}/payment_methods`).
`POST /v1/subscriptions` starts a subscription on such a saved method (it must belong
to the customer), billed from a `billing_cycle_anchor` with `proration_behavior=none`
(a paid $0 first invoice) or at once; its renewals charge that method.

Checkout Sessions honour `payment_method_types` (card, the default, and
`us_bank_account`; any other type Stripe knows is refused as not implemented, an
unknown one as Stripe refuses it): the hosted page offers "Pay" and "Decline" for a
card, the "delayed" button (a US bank debit, pending until `complete-delayed`) for a
bank account, and refuses an outcome the session does not accept.

Control endpoints (`POST /_standin/<action>`, form or JSON params), for drills and
browser tests: `set-clock` (at: Unix seconds or ISO 8601 with offset; empty = real
time), `advance-clock` (seconds, days), `run-payouts` (at, paid=false),
`pay-payout/<po>`, `fail-payout/<po>` (code), `cancel-payout/<po>`, `drop-webhooks`
(fraction, seed, types=a,b; fraction=0 stops), beside `pay/<cs>`, `complete-delayed/<cs>`,
`renew/<sub>`, `refund/<pi>`, `dispute/<pi>`, `close-dispute/<dp>`, `redeliver/<evt>`,
`hold-webhooks`, `release-webhooks`, `fail-next`, `reset` and `GET /_standin/events`.
"""

from .errors import StandinError, StripeError
from .objects import API_VERSION
from .server import StripeStandin
from .signing import sign_payload

__all__ = ["API_VERSION", "StandinError", "StripeError", "StripeStandin", "sign_payload"]
