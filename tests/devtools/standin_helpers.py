"""What the stand-in's tests share: the site's webhook endpoint played by a tiny
server, and the checkout sessions the site would open."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import stripe

SECRET = "whsec_test_standin"
# Stripe's example objects of the current API generation, kept with the tests.
SHAPES = Path(__file__).resolve().parents[1] / "donations" / "stripe_objects"
SUCCESS_URL = "http://127.0.0.1:9/thanks/?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "http://127.0.0.1:9/give/"
METADATA = {"campaign": "spring", "pledge_id": "7f3c"}


class Receiver:
    """The site's webhook endpoint: keeps every delivery, answers `status`."""

    def __init__(self):
        self.deliveries = []
        self.status = 200
        self.on_event = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((dict(self.headers), body))
                if receiver.on_event:
                    receiver.on_event(json.loads(body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/stripe/webhook/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def events(self):
        """The events received, each verified as the site verifies them."""
        return [
            stripe.Webhook.construct_event(body, headers["Stripe-Signature"], SECRET)
            for headers, body in self.deliveries
        ]

    def types(self):
        return [event["type"] for event in self.events()]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def session_params(mode="payment", amount=5200, **extra):
    price_data = {"currency": "usd", "product": "prod_donation", "unit_amount": amount}
    params = {
        "mode": mode,
        "submit_type": "donate",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "7f3c",
        "metadata": METADATA,
        "line_items": [{"price_data": price_data, "quantity": 1}],
    }
    if mode == "subscription":
        price_data["recurring"] = {"interval": "month"}
        params["subscription_data"] = {"metadata": METADATA}
    else:
        params["payment_intent_data"] = {"metadata": METADATA}
    return params | extra


def open_session(client, mode="payment", **extra):
    return client.v1.checkout.sessions.create(params=session_params(mode, **extra))


def press(session, outcome="success"):
    return requests.post(session.url, data={"outcome": outcome}, allow_redirects=False)


def shape(name):
    return set(json.loads((SHAPES / f"{name}.json").read_text()))
