"""Webhook signatures, made the way Stripe makes them.

Stripe signs `f"{timestamp}.{raw body}"` with HMAC-SHA256 keyed by the endpoint's
signing secret (`whsec_...`), and sends `t=<timestamp>,v1=<hex digest>` in the
`Stripe-Signature` header. The receiver recomputes the digest over the exact bytes it
received, so the body must be sent byte for byte as signed.
"""

import hashlib
import hmac
import time


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Returns the `Stripe-Signature` header value for `payload` signed with `secret`."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    if timestamp is None:
        timestamp = int(time.time())
    signed = str(timestamp).encode("ascii") + b"." + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
