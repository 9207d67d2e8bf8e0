"""Delivery of events to the site's webhook endpoint, signed as Stripe signs them.

One worker thread sends events in the order they happened. A caller that must not go on
before the site has been told (the Pay button, which then redirects the donor to the
success page) waits for its records; events caused by an API call are sent after the
call has been answered, as Stripe does, so that a site holding a database lock while it
calls Stripe is not waiting on its own webhook handler.

A delivery that fails (no connection, or an answer other than 2xx) is tried again after
a short pause, then recorded as failed; it never breaks the page that caused it.
"""

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request

from .signing import sign_payload

logger = logging.getLogger("devtools.stripe_standin")

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
BACKOFF = (0.2, 0.5)  # pauses between the three attempts


class Deliverer:
    def __init__(self, url, secret, *, timeout=10.0, backoff=BACKOFF):
        if url and not url.startswith(("http://", "https://")):
            raise ValueError(f"The webhook URL must be http(s): {url!r}")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.backoff = backoff
        self.holding = False
        self.drop = None  # a predicate on the event: True loses the delivery
        self._queue = queue.Queue()
        self._thread = None
        self._start_lock = threading.Lock()

    def submit(self, records, *, force=False):
        """Queues `records` for delivery, in order, and returns at once. While `holding`,
        records are kept back (marked `held`) unless `force`d."""
        if self.holding and not force:
            for record in records:
                record.held = True
                record.done.set()
            return
        if not force and self.drop is not None:
            records = [record for record in records if not self._dropped(record)]
        if not records:
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="stripe-standin-webhooks", daemon=True
                )
                self._thread.start()
        for record in records:
            record.held = False
            record.done.clear()
            self._queue.put(record)

    def deliver(self, records, timeout=None, *, force=False):
        """Queues `records` and waits until each has been delivered or has failed."""
        self.submit(records, force=force)
        limit = timeout if timeout is not None else self._worst_case() * max(1, len(records))
        deadline = time.monotonic() + limit
        for record in records:
            record.done.wait(max(0.0, deadline - time.monotonic()))

    def _dropped(self, record):
        """Loses the delivery of `record` when the drop predicate says so: the event
        exists (as in `GET /v1/events`) but the site never hears of it, as after an
        outage longer than Stripe's three days of retries."""
        if not self.drop(record.event):
            return False
        record.dropped = True
        record.held = False
        record.done.set()
        logger.info("%s %s (dropped: not sent)", record.event["type"], record.event["id"])
        return True

    def stop(self):
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=self._worst_case())
        self._thread = None

    def _worst_case(self):
        return (len(self.backoff) + 1) * self.timeout + sum(self.backoff) + 1

    def _run(self):
        while True:
            record = self._queue.get()
            if record is None:
                return
            try:
                self._send(record)
            except Exception:  # the worker must outlive any one bad delivery
                logger.exception("Delivering %s failed", record.event["id"])
            finally:
                record.done.set()

    def _send(self, record):
        event = record.event
        if not self.url:
            logger.info("%s %s (no webhook URL: not sent)", event["type"], event["id"])
            return
        # Stripe sends pretty-printed JSON; the signature covers these exact bytes.
        payload = json.dumps(event, indent=2).encode("utf-8")
        pauses = (*self.backoff, None)
        for pause in pauses:
            status, error = self._post(payload)
            record.attempts.append({"at": int(time.time()), "status": status, "error": error})
            if status is not None and 200 <= status < 300:
                record.delivered = True
                logger.info("%s %s -> %s", event["type"], event["id"], status)
                return
            outcome = f"HTTP {status}" if status is not None else error
            logger.warning(
                "%s %s -> %s (attempt %d)",
                event["type"],
                event["id"],
                outcome,
                len(record.attempts),
            )
            if pause is not None:
                time.sleep(pause)

    def _post(self, payload):
        # The URL is checked to be http(s) in __init__.
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": sign_payload(payload, self.secret),
                "User-Agent": USER_AGENT,
                "Accept": "*/*; q=0.5, application/xml",
                "Cache-Control": "no-cache",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read()
                return response.status, None
        except urllib.error.HTTPError as error:
            with error:
                body = error.read(300).decode("utf-8", "replace")
            return error.code, body.strip() or None
        except (OSError, ValueError) as error:
            return None, str(error) or error.__class__.__name__
