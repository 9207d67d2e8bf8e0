"""The HTTP side of the stand-in: one request handler for the API (`/v1/...`), the
donor's pages (`/checkout/...`, `/portal/...`, `/`) and the control endpoints
(`/_standin/...`) that drills and browser tests use.
"""

import base64
import copy
import json
import logging
import re
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from . import api, balance, checkout, lifecycle, pages
from .errors import StandinError, StripeError
from .forms import FormError, decode_form
from .objects import API_VERSION, new_id, using_clock

logger = logging.getLogger("devtools.stripe_standin")

_CHECKOUT = re.compile(r"/checkout/(?P<id>cs_[A-Za-z0-9_]+)$")
_PORTAL = re.compile(r"/portal/(?P<id>bps_[A-Za-z0-9_]+)$")
_CONTROL = re.compile(r"/_standin/(?P<action>[a-z-]+)(?:/(?P<id>[A-Za-z0-9_]+))?$")


class Handler(BaseHTTPRequestHandler):
    server_version = "StripeStandin/1.0"

    @property
    def standin(self):
        return self.server.standin

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def log_message(self, format, *args):
        logger.debug("%s %s", self.address_string(), format % args)

    # Routing

    def _dispatch(self, method):
        # Everything a request creates is dated by the stand-in's clock.
        with using_clock(self.standin.store.clock):
            self._route(method)

    def _route(self, method):
        url = urlsplit(self.path)
        self.query = url.query
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        path = url.path
        try:
            if path.startswith("/v1/"):
                return self._api(method, path)
            if path.startswith("/_standin/"):
                return self._control(method, path)
            if match := _CHECKOUT.match(path):
                return self._checkout(method, match["id"])
            if match := _PORTAL.match(path):
                return self._portal(method, match["id"])
            if path == "/" and method == "GET":
                return self._html(200, pages.index(self.standin.url, self.standin.webhook_url))
            return self._html(404, pages.not_found())
        except Exception:
            logger.exception("The stand-in failed on %s %s", method, self.path)
            body = api.unavailable_body(500)
            body["error"]["message"] = "The Stripe stand-in failed; see its log."
            return self._json(500, body)

    def _params(self):
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(self.body or b"{}")
        query = decode_form(self.query)
        return query | decode_form(self.body) if self.body else query

    # API

    def _api(self, method, path):
        request_id = new_id("req_")
        extra = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        fault = self.standin.store.take_fault()
        if fault:
            status, delay = fault
            time.sleep(delay)
            return self._json(status, api.unavailable_body(status), extra)
        api_key = self._api_key()
        if not api_key:
            return self._json(
                *api.auth_error(
                    "You did not provide an API key. You need to provide your API key in "
                    "the Authorization header, using Bearer auth (e.g. 'Authorization: "
                    "Bearer YOUR_SECRET_KEY')."
                ),
                extra,
            )
        if not api_key.startswith(("sk_test_", "rk_test_")):
            shown = api_key[:8] + "*" * max(0, len(api_key) - 12) + api_key[-4:]
            return self._json(
                *api.auth_error(
                    f"Invalid API Key provided: {shown}. The Stripe stand-in accepts only "
                    "test-mode secret keys (sk_test_...)."
                ),
                extra,
            )
        try:
            params = self._params()
        except (FormError, ValueError) as error:
            return self._json(
                400, StripeError(str(error), param=getattr(error, "param", None)).body(), extra
            )
        balance.make_available(self.standin.store)
        key = self.headers.get("Idempotency-Key") if method in ("POST", "DELETE") else None
        origin = (request_id, key)
        if not key:
            status, body, records = api.handle(self.standin, method, path, params, origin)
            self._json(status, body, extra)
            return self.standin.deliverer.submit(records)
        extra["Idempotency-Key"] = key
        store, slot = self.standin.store, (api_key, key)
        with store.lock:
            earlier = store.idempotent.get(slot)
            if earlier is None:
                # A copy: handlers may normalise the params they are given.
                entry = {"method": method, "path": path, "params": copy.deepcopy(params)}
                store.idempotent[slot] = entry
        if earlier is not None:
            if "status" not in earlier:
                return self._json(*api.idempotency_in_flight(key), extra)
            if (earlier["method"], earlier["path"], earlier["params"]) != (method, path, params):
                return self._json(*api.idempotency_mismatch(key), extra)
            extra["Idempotent-Replayed"] = "true"
            return self._json(earlier["status"], earlier["body"], extra)
        status, body, records = 500, None, []
        try:
            status, body, records = api.handle(self.standin, method, path, params, origin)
        finally:
            with store.lock:
                # Stripe keeps the result of a request that ran; a request refused before
                # running (bad params) may be retried with the same key.
                entry = store.idempotent.pop(slot, None)
                if entry is not None and 200 <= status < 300:
                    store.idempotent[slot] = entry | {"status": status, "body": body}
        self._json(status, body, extra)
        self.standin.deliverer.submit(records)

    def _api_key(self):
        header = self.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            return credentials.strip()
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(credentials).decode().partition(":")[0]
            except ValueError:
                return ""
        return ""

    # Pages

    def _checkout(self, method, session_id):
        store = self.standin.store
        try:
            session = store.get("checkout.session", session_id)
        except StripeError:
            return self._html(404, pages.not_found("checkout session"))
        if method == "GET":
            if session["status"] != "open":
                return self._html(200, pages.unavailable(session))
            email = checkout.session_email(store, session)
            return self._html(200, pages.checkout(session, email=email))
        form = dict(parse_qsl(self.body.decode("utf-8", "replace")))
        outcome = form.get("outcome", "success")
        try:
            session, records = checkout.pay(
                store, session_id, outcome=outcome, email=form.get("email"), name=form.get("name")
            )
        except StandinError:
            return self._html(200, pages.unavailable(session))
        except StripeError as error:
            return self._html(
                400, pages.checkout(session, email=form.get("email"), error=error.message)
            )
        if outcome == "decline":
            email = checkout.session_email(store, session)
            page = pages.checkout(
                session, email=email, error=pages.declined(session), name=form.get("name")
            )
            return self._html(200, page)
        # The donor is sent back only once the site has been told, as with Stripe.
        self.standin.deliverer.deliver(records)
        if not session["success_url"]:
            return self._html(200, pages.completed_without_url())
        return self._redirect(
            session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
        )

    def _portal(self, method, portal_id):
        store = self.standin.store
        try:
            portal = store.get("billing_portal.session", portal_id)
        except StripeError:
            return self._html(404, pages.not_found("portal session"))
        customer = store.get("customer", portal["customer"])
        if method == "POST":
            form = dict(parse_qsl(self.body.decode("utf-8", "replace")))
            subscription_id = form.get("subscription", "")
            owned = store.find("subscription", customer=customer["id"])
            if subscription_id not in [s["id"] for s in owned]:
                return self._html(404, pages.not_found("subscription"))
            try:
                _, records = lifecycle.cancel_subscription(store, subscription_id)
            except StripeError:
                records = []  # already canceled: show the same confirmation
            self.standin.deliverer.deliver(records)
            return self._redirect(f"/portal/{portal_id}?canceled={subscription_id}")
        canceled = dict(parse_qsl(self.query)).get("canceled")
        subscriptions = store.find("subscription", customer=customer["id"])
        return self._html(200, pages.portal(portal, customer, subscriptions, canceled=canceled))

    # Control endpoints

    def _control(self, method, path):
        match = _CONTROL.match(path)
        if not match:
            return self._json(404, StripeError("No such control endpoint.", status=404).body())
        action, object_id = match["action"], match["id"]
        if action == "events" and method == "GET":
            return self._json(200, self.standin.events)
        if method != "POST":
            return self._json(405, StripeError(f"Use POST for /_standin/{action}.").body())
        try:
            params = self._params()
            result = self.standin.control(action, object_id, params)
        except StripeError as error:
            return self._json(error.status, error.body())
        except (FormError, TypeError, ValueError) as error:
            return self._json(400, StripeError(str(error)).body())
        return self._json(200, result)

    # Responses

    def _json(self, status, body, headers=None):
        # Compact: with `indent` json falls back to its pure-Python encoder, several
        # times slower on a page of a hundred objects (webhooks stay pretty-printed).
        payload = json.dumps(body).encode("utf-8")
        self._send(status, payload, "application/json", headers)

    def _html(self, status, text):
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8")

    def _redirect(self, location):
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status, payload, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
