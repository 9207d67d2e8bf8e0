"""Per-address rate limits in the shared cache, for the donor-facing forms.

A fixed window per client address: "10/h" allows ten requests in each clock hour.
The counter lives in the configured cache (Redis in production, shared by every app
server), so the limit holds however many processes serve the site. If the cache is
down the request is let through: a lost counter must not stop a donor from giving.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets


def parse_rate(rate):
    """ "10/h" → (10, 3600)."""
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip().lower()[:1]]
    except (ValueError, KeyError, AttributeError):
        raise ImproperlyConfigured(
            f"A rate limit must look like 10/h (per s, m, h or d), not {rate!r}."
        ) from None


def client_ip(request):
    """The client's address: REMOTE_ADDR, or the hop the trusted proxies saw.

    Behind PROXY_COUNT proxies (the setting django-axes uses too), the outermost
    proxy appended the client's address to X-Forwarded-For and each inner proxy
    appended the one before it; the last proxy is REMOTE_ADDR itself. So the client is
    the PROXY_COUNT-th entry from the end, and anything further left was written by
    the client and is not to be trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if proxies <= 0:
        return remote
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]


def hit(request, scope, rate=None):
    """Counts one request of `scope` from the request's address; says whether it may go on."""
    return hit_key(scope, client_ip(request), rate)


def hit_key(scope, ident, rate=None):
    """Counts one request of `scope` for `ident` (an address, a hashed e-mail...)."""
    limit, period = parse_rate(rate or settings.PLEDGE_RATE_LIMIT)
    now = int(time.time())
    window = now // period
    retry_after = (window + 1) * period - now
    key = f"ratelimit:{scope}:{ident}:{window}"
    try:
        # add() is a no-op when the key exists, so concurrent first hits start at 0 once.
        cache.add(key, 0, timeout=period + 60)
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this is the window's first hit.
        cache.set(key, 1, timeout=period + 60)
        count = 1
    except Exception:  # a cache outage (Redis down) must not block giving
        logger.warning("Rate limit cache unavailable; letting %s through", scope, exc_info=True)
        return Verdict(True, 0)
    return Verdict(count <= limit, retry_after)
