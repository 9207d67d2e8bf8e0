"""`StripeStandin`: the local stand-in for Stripe, as an object tests and the
management command start, drive and stop.

    standin = StripeStandin(webhook_url="http://127.0.0.1:8000/stripe/webhook/",
                            webhook_secret="whsec_test").start()
    client = stripe.StripeClient("sk_test_x", base_addresses={"api": standin.url})
    ...
    standin.pay(session_id)            # the donor presses "Pay"
    standin.renew(subscription_id)     # a period (its price's month or year) later
    standin.stop()

The control methods change state as Stripe would, send the resulting events and wait
until each has been delivered (or has failed), so a test can look at the site's
database right after the call.

Money and time (see `balance` and `payouts`):

    standin.set_clock(datetime(2026, 10, 1, 9, tzinfo=UTC))  # objects made now are dated so
    standin.advance_clock(days=1)                            # ... and a day later
    standin.run_payouts()              # sweeps the available balance: [payout], sent
                                       # payout.created and payout.paid
    standin.run_payouts(at=moment, paid=False)  # as of `moment`; left `pending`
    standin.pay_payout(po_id) / fail_payout(po_id, code="account_closed") / cancel_payout(po_id)
    standin.drop_webhooks(0.2, seed=7) # loses 20% of deliveries (the events stay listed)
    standin.drop_webhooks(predicate=lambda event: event["type"] == "invoice.paid")
    standin.drop_webhooks(None)        # delivers everything again
"""

import functools
import logging
import random
import threading
from datetime import datetime
from http.server import ThreadingHTTPServer

from . import checkout, lifecycle, objects, payouts
from .errors import StandinError, StripeError, one_of, to_bool, to_int
from .handler import Handler
from .store import Store, wait_all
from .webhooks import Deliverer

logger = logging.getLogger("devtools.stripe_standin")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, standin):
        self.standin = standin
        super().__init__(address, Handler)


def _on_clock(method):
    """Runs a control method on the stand-in's clock (see objects.Clock)."""

    @functools.wraps(method)
    def timed(self, *args, **kwargs):
        with objects.using_clock(self.store.clock):
            return method(self, *args, **kwargs)

    return timed


class StripeStandin:
    def __init__(
        self,
        webhook_url=None,
        webhook_secret="whsec_test",  # noqa: S107 (a test-mode placeholder)
        host="127.0.0.1",
        port=0,
        *,
        public_url=None,
        webhook_timeout=10.0,
    ):
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.host = host
        self.port = port
        self._public_url = public_url.rstrip("/") if public_url else None
        self.store = Store()
        self.store.webhooks_enabled = bool(webhook_url)
        self.deliverer = Deliverer(webhook_url, webhook_secret, timeout=webhook_timeout)
        self._server = None
        self._thread = None

    # Serving

    @property
    def url(self):
        """The API base for `StripeClient(base_addresses={"api": ...})` and the pages'."""
        if self._public_url:
            return self._public_url
        if not self.port:
            raise RuntimeError("The stand-in has no port until start() picks one.")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def bind(self):
        """Opens the listening socket (start and serve_forever do); returns self."""
        if self._server is None:
            self._server = _Server((self.host, self.port), self)
            # Keep the port picked for port=0, so `url` stays right after stop().
            self.port = self._server.server_address[1]
        return self

    def start(self):
        """Serves in a daemon thread; returns self."""
        self.bind()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="stripe-standin",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self):
        """Serves in this thread until interrupted (the management command's way)."""
        self.bind()
        try:
            self._server.serve_forever(poll_interval=0.5)
        finally:
            self._close()

    def stop(self):
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._close()

    def _close(self):
        if self._server is not None:
            self._server.server_close()
        self._server = None
        self._thread = None
        self.deliverer.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # State

    @property
    def events(self):
        """Every event sent so far, oldest first: the envelope as delivered plus a
        `delivery` key (`delivered`, and each attempt's `status` / `error`)."""
        with self.store.lock:
            return [record.as_dict() for record in self.store.events]

    def reset(self):
        """Forgets every object (balance transactions and payouts too), event,
        idempotent result and pending fault. The clock, holding and dropping stay."""
        self.store.forget_all()

    def fail_next(self, n=1, status=500, delay=0.0):
        """Makes the next `n` API calls answer `status` (an `api_error`), after `delay`
        seconds (to try the site's timeout)."""
        self.store.add_faults(int(n), int(status), float(delay))

    def wait_for_deliveries(self, timeout=10.0):
        """Waits for events sent in the background (those caused by API calls)."""
        with self.store.lock:
            records = list(self.store.events)
        wait_all(records, timeout)
        return all(record.done.is_set() for record in records)

    # Control: what Stripe, the donor or the bank would do

    def _run(self, result_and_records):
        result, records = result_and_records
        self.deliverer.deliver(records)
        return self.store.render(result)

    @_on_clock
    def pay(self, session_id, *, outcome="success", email=None, name=None):
        """Presses a button on the hosted checkout page: `success`, `decline` or
        `delayed`. Returns the session. Raises StandinError if it is not open."""
        return self._run(
            checkout.pay(self.store, session_id, outcome=outcome, email=email, name=name)
        )

    @_on_clock
    def complete_delayed(self, session_id, succeeded=True):
        """Settles a delayed payment: `checkout.session.async_payment_succeeded/_failed`."""
        return self._run(checkout.complete_delayed(self.store, session_id, succeeded))

    @_on_clock
    def renew(self, subscription_id, *, fail=False):
        """Bills the next month; returns the new invoice."""
        return self._run(lifecycle.renew(self.store, subscription_id, fail=fail))

    @_on_clock
    def refund(self, payment_intent_id, amount=None):
        """Refunds all (or `amount` cents) of a payment; returns the refund."""
        return self._run(lifecycle.refund(self.store, payment_intent_id, amount))

    @_on_clock
    def dispute(self, payment_intent_id):
        """Opens a dispute on a payment; returns the dispute."""
        return self._run(lifecycle.dispute(self.store, payment_intent_id))

    @_on_clock
    def close_dispute(self, dispute_id, won=True):
        return self._run(lifecycle.close_dispute(self.store, dispute_id, won=won))

    @_on_clock
    def cancel_subscription(self, subscription_id):
        """Cancels at once, as from the portal: `customer.subscription.deleted`."""
        return self._run(lifecycle.cancel_subscription(self.store, subscription_id))

    @_on_clock
    def expire_session(self, session_id):
        return self._run(checkout.expire_session(self.store, session_id, None))

    # Time

    @property
    def now(self):
        """The stand-in's time, in Unix seconds."""
        return self.store.clock.now()

    def set_clock(self, moment):
        """Freezes the stand-in's time at `moment` (Unix seconds or an aware datetime):
        objects and events made from now on are `created` then, and balance
        transactions become available by it. None returns to the real time. Returns
        the time set."""
        return self.store.clock.set(moment)

    def advance_clock(self, seconds=0, *, days=0):
        """Moves the (frozen) clock on; from the real time if it was not set."""
        return self.store.clock.advance(int(seconds) + int(days) * 24 * 3600)

    # Payouts

    @_on_clock
    def run_payouts(self, at=None, *, paid=True):
        """Runs the automatic payout schedule once, as of `at` (Unix seconds or an
        aware datetime; the clock's time when None): each currency's available
        transactions not yet paid out go into one payout, which sends `payout.created`
        and, if `paid`, `payout.paid` (else it stays `pending`). Returns the payouts
        made (none when nothing, or nothing positive, is available)."""
        if isinstance(at, datetime):
            at = objects.Clock().set(at)
        made, records = payouts.run_payouts(self.store, at, paid=paid)
        self.deliverer.deliver(records)
        return [self.store.render(payout) for payout in made]

    @_on_clock
    def pay_payout(self, payout_id):
        """A `pending` payout reaches the bank: `payout.paid`."""
        return self._run(payouts.pay_payout(self.store, payout_id))

    @_on_clock
    def fail_payout(self, payout_id, code="account_closed"):
        """The bank returns a payout: `payout.failed`; the money is back in the balance
        (a `payout_failure` transaction the next payout sweeps)."""
        return self._run(payouts.fail_payout(self.store, payout_id, code))

    @_on_clock
    def cancel_payout(self, payout_id):
        """Cancels a `pending` payout: `payout.canceled`, money back in the balance."""
        return self._run(payouts.cancel_payout(self.store, payout_id))

    # Webhooks

    def drop_webhooks(self, fraction=None, *, seed=0, types=None, predicate=None):
        """Loses deliveries from now on: a `fraction` (0 to 1) of events, picked by a
        random generator seeded with `seed` (the same run loses the same events), only
        among `types` if given; or the events for which `predicate(event)` is true.
        A lost event is recorded with `delivery.dropped` true and stays in
        `GET /v1/events`, as it would at Stripe; `redeliver` still sends it.
        `drop_webhooks(None)` stops dropping."""
        if predicate is not None and fraction is not None:
            raise ValueError("Pass a fraction or a predicate, not both.")
        if predicate is None and fraction is not None:
            fraction = float(fraction)
            if not 0 <= fraction <= 1:
                raise ValueError(f"The fraction of webhooks to drop must be 0 to 1: {fraction}")
            chance = random.Random(seed)  # noqa: S311 (a test's reproducible choice)
            kinds = set(types) if types else None

            def predicate(event):
                if kinds is not None and event["type"] not in kinds:
                    return False
                return chance.random() < fraction

        self.deliverer.drop = predicate

    def redeliver(self, event_id):
        """Sends an event (again, or for the first time if held): a new signature over
        the same body. Returns its record."""
        record = self.store.event_record(event_id)
        self.deliverer.deliver([record], force=True)
        return record.as_dict()

    def hold_webhooks(self):
        """Keeps events back from now on (recorded with `held: true`), so that a drill
        can send them late, twice or out of order with `redeliver`."""
        self.deliverer.holding = True

    def release_webhooks(self):
        """Stops holding, and sends the events still held, oldest first."""
        self.deliverer.holding = False
        with self.store.lock:
            held = [record for record in self.store.events if record.held]
        self.deliverer.deliver(held)
        return [record.event["id"] for record in held]

    def control(self, action, object_id, params):
        """The `POST /_standin/<action>[/<id>]` endpoints, for drills and browser tests."""

        def flag(name, default):
            return to_bool(params.get(name, default), name)

        if action == "fail-next":
            n = to_int(params.get("n", 1), "n", minimum=1)
            status = to_int(params.get("status", 500), "status", minimum=400)
            self.fail_next(n, status, float(params.get("delay", 0)))
            return {"failing_next": len(self.store.faults), "status": status}
        if action == "reset":
            self.reset()
            return {"reset": True}
        if action == "hold-webhooks":
            self.hold_webhooks()
            return {"holding": True}
        if action == "release-webhooks":
            return {"holding": False, "sent": self.release_webhooks()}
        if action == "set-clock":
            at = params.get("at")
            return {"now": self.set_clock(None if at in (None, "", "now") else _moment(at))}
        if action == "advance-clock":
            seconds = to_int(params.get("seconds", 0), "seconds")
            days = to_int(params.get("days", 0), "days")
            return {"now": self.advance_clock(seconds, days=days)}
        if action == "run-payouts":
            at = params.get("at")
            made = self.run_payouts(
                None if at in (None, "") else _moment(at), paid=flag("paid", True)
            )
            return {"object": "list", "data": made}
        if action == "drop-webhooks":
            fraction = params.get("fraction")
            if fraction in (None, "", "0"):
                self.drop_webhooks(None)
                return {"dropping": None}
            types = params.get("types") or None
            if isinstance(types, str):
                types = [t for t in types.split(",") if t]
            seed = to_int(params.get("seed", 0), "seed")
            self.drop_webhooks(float(fraction), seed=seed, types=types)
            return {"dropping": float(fraction), "seed": seed, "types": types}
        if not object_id:
            raise StandinError(f"/_standin/{action} needs an id: /_standin/{action}/<id>")
        actions = {
            "pay": lambda: self.pay(
                object_id,
                outcome=one_of(params.get("outcome", "success"), checkout.OUTCOMES, "outcome"),
                email=params.get("email"),
                name=params.get("name"),
            ),
            "complete-delayed": lambda: self.complete_delayed(object_id, flag("succeeded", True)),
            "renew": lambda: self.renew(object_id, fail=flag("fail", False)),
            "refund": lambda: self.refund(object_id, params.get("amount")),
            "dispute": lambda: self.dispute(object_id),
            "close-dispute": lambda: self.close_dispute(object_id, won=flag("won", True)),
            "cancel-subscription": lambda: self.cancel_subscription(object_id),
            "expire-session": lambda: self.expire_session(object_id),
            "redeliver": lambda: self.redeliver(object_id),
            "pay-payout": lambda: self.pay_payout(object_id),
            "fail-payout": lambda: self.fail_payout(
                object_id, params.get("code") or "account_closed"
            ),
            "cancel-payout": lambda: self.cancel_payout(object_id),
        }
        if action not in actions:
            raise StandinError(f"Unknown control action: {action}", status=404)
        return actions[action]()


def _moment(value):
    """Unix seconds, or an ISO 8601 time with its offset (`2026-10-01T09:00:00Z`)."""
    if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        return int(value)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise StripeError(f"Invalid time: {value} (Unix seconds or ISO 8601)", param="at") from None
    if moment.tzinfo is None:
        raise StripeError(f"The time needs its offset (such as Z): {value}", param="at")
    return int(moment.timestamp())
