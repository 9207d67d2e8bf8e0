"""A campaign's whole page for anonymous visitors, rendered once and reused.

Rendering the page (appeal, sections, donation form, feed) costs around ten
milliseconds. The HTML is cached under a key made of everything the page shows that
can change:

- the campaign's state: its `updated_at` (which a change to one of its help sections
  also moves, see campaigns.models) and its counters (donors, amount raised, the
  feed's version). The state is a few columns, itself kept in the cache for two
  seconds at most and dropped by every write to a campaign (see `state`);
- the day, since a campaign opens and closes by date, and a 30-second slot, so the
  feed's "3 minutes ago" is never more than that out of date;
- the language, the time zone and the static files' manifest, so a deploy with new
  stylesheets never serves HTML that points at the old ones.

What differs between two visitors (the CSRF token, the donation form's one-time
token) is rendered as a placeholder and put in per request. Other apps add such a
value with `register`; their page context asks for it with `value`. The page is
also kept deflated, piece by piece, so that a browser's gzip costs no compression per
request (see `_Page`). Staff, query strings (the form's prefill, "?cancelled=1"),
drafts and error renders never touch the cache.
"""

import functools
import logging
import re
import struct
import threading
import time
import zlib

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60
TIME_SLOT_SECONDS = 30
STATE_SECONDS = 2
STATES_KEY = "campaign-page-states"
MAX_STATES = 100

_producers = {}


def register(name, producer):
    """Declares a per-visitor value of the page: `producer(request)` returns it."""
    _producers[name] = producer


def _placeholder(name):
    # Derived from the secret key: the same on every app server sharing the cache,
    # and not something a donor's message in the feed could contain on purpose.
    return _derived_placeholder(name, settings.SECRET_KEY)


@functools.lru_cache(maxsize=64)
def _derived_placeholder(name, secret):
    digest = salted_hmac("campaigns.page_cache", name, secret=secret, algorithm="sha256")
    return "pv" + digest.hexdigest()[:32]


def value(request, name):
    """The per-visitor value `name` for this request, or its placeholder while the
    page is being rendered for the cache."""
    if getattr(request, "_page_cache_rendering", False):
        return _placeholder(name)
    return _producers[name](request)


register("csrf", get_token)


# What a campaign's cached page is keyed by, read on every request instead of the
# whole row (whose texts are what the cache saves reading).
STATE_FIELDS = (
    "pk",
    "created_at",
    "updated_at",
    "feed_version",
    "feed_count",
    "donor_count",
    "raised_cents",
)


def can_cache(request):
    if request.method not in ("GET", "HEAD") or request.GET:
        return False
    # Without a session cookie nobody is signed in; only with one is the session read.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True
    return not request.user.is_authenticated


def _get(key):
    try:
        return cache.get(key)
    except Exception:  # a cache outage must not take the page down
        logger.warning("Page cache unavailable", exc_info=True)
        return None


def _set(key, value, seconds):
    try:
        cache.set(key, value, seconds)
    except Exception:
        logger.warning("Page cache unavailable", exc_info=True)


def state(lookup, campaigns):
    """The key fields of the first of `campaigns()` (a queryset of published
    campaigns, made only when the cache does not answer), or None.

    `lookup` names the question (`"featured"`, `"slug:spring"`). The answers are kept
    together in the cache for STATE_SECONDS at most, and dropped at once by any write
    to a campaign (`campaigns_changed`): a new gift shows within that time on every app
    server, at once on one that shares the cache with the server that booked it, and
    most visits then cost no database query.
    """
    now = time.time()
    states = _get(STATES_KEY) or {}
    found = states.get(lookup)
    if found and 0 <= now - found[0] < STATE_SECONDS:
        return found[1]
    row = campaigns().values(*STATE_FIELDS).first()
    if row is not None:  # unknown slugs are not remembered: anyone can make them up
        states = {k: v for k, v in states.items() if 0 <= now - v[0] < STATE_SECONDS}
        if len(states) < MAX_STATES:
            states[lookup] = (now, row)
            _set(STATES_KEY, states, STATE_SECONDS)
    return row


def campaigns_changed():
    """Forgets every remembered campaign state, now and when the transaction commits
    (a visit in between may have read the state from before the change)."""

    def forget():
        try:
            cache.delete(STATES_KEY)
        except Exception:
            logger.warning("Page cache unavailable", exc_info=True)

    forget()
    transaction.on_commit(forget)


def _key(state):
    return (
        f"campaign-page:{state['pk']}:{state['created_at'].timestamp()}"
        f":{state['updated_at'].timestamp()}:{state['feed_version']}:{state['feed_count']}"
        f":{state['donor_count']}:{state['raised_cents']}:{timezone.localdate().isoformat()}"
        f":{int(time.time()) // TIME_SLOT_SECONDS}:{translation.get_language()}"
        f":{timezone.get_current_timezone_name()}"
        f":{getattr(staticfiles_storage, 'manifest_hash', '')}"
    )


class _Page:
    """A rendered page cut at its per-visitor placeholders.

    Each piece of text between them is kept as UTF-8 and also deflated on its own,
    ending on a full flush: a gzip body is then these pieces and the visitor's values
    as stored (uncompressed) deflate blocks, put end to end, with no compression work
    per request. The values are never compressed together with anything else, so the
    size of a response says nothing about them (the BREACH attack needs exactly that).
    """

    def __init__(self, html):
        names = {_placeholder(name): name for name in _producers}
        pattern = re.compile("|".join(map(re.escape, names)))
        self.pieces = []  # (text, deflated) for a piece of the page, or a value's name
        start = 0
        for match in pattern.finditer(html):
            self._add_text(html[start : match.start()])
            self.pieces.append(names[match.group()])
            start = match.end()
        self._add_text(html[start:])

    def _add_text(self, text):
        if text:
            data = text.encode()
            compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            self.pieces.append(
                (data, compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH))
            )

    def response(self, request):
        values = {}
        for piece in self.pieces:
            if isinstance(piece, str) and piece not in values:
                values[piece] = str(_producers[piece](request)).encode()
        parts = [values[piece] if isinstance(piece, str) else piece[0] for piece in self.pieces]
        if not _sends_gzip(request):
            return HttpResponse(b"".join(parts))
        crc = 0
        for part in parts:
            crc = zlib.crc32(part, crc)
        size = sum(map(len, parts))
        body = [_GZIP_HEADER]
        for piece in self.pieces:
            body.append(_stored_blocks(values[piece]) if isinstance(piece, str) else piece[1])
        body.append(_FINAL_BLOCK)
        body.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        response = HttpResponse(b"".join(body))
        response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ("Accept-Encoding",))
        return response


# A gzip member's header: deflate, no name, no time, unknown OS (RFC 1952).
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# An empty final block (fixed Huffman codes, end of block only) (RFC 1951).
_FINAL_BLOCK = b"\x03\x00"
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _stored_blocks(data):
    """`data` as non-final stored deflate blocks, which start on a byte boundary."""
    blocks = []
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start : start + 0xFFFF]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


def _sends_gzip(request):
    # As django.middleware.gzip does, which then leaves the response alone.
    return _GZIP_MIDDLEWARE in settings.MIDDLEWARE and bool(
        _ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    )


_GZIP_MIDDLEWARE = "django.middleware.gzip.GZipMiddleware"


def page(request, state, render):
    """The page's response for this visitor. `render(context)` renders the page's
    HTML with the given extra context; it is called only when the cache does not
    hold the page."""
    key = _key(state)
    cached = _recent.get(key) or _get(key)
    if cached is None:
        request._page_cache_rendering = True
        try:
            html = render({"csrf_token": _placeholder("csrf")})
        finally:
            request._page_cache_rendering = False
        cached = _Page(html)
        _set(key, cached, CACHE_SECONDS)
    _remember(key, cached)
    return cached.response(request)


# The last few pages this process served, by key: a key names one version of one
# page for one time slot, so a copy kept here is never stale, and reading it saves
# unpickling it from the shared cache.
_recent = {}
_recent_lock = threading.Lock()
RECENT_PAGES = 8


def _remember(key, cached):
    if key in _recent:
        return
    with _recent_lock:
        while len(_recent) >= RECENT_PAGES:
            del _recent[next(iter(_recent))]
        _recent[key] = cached


def forget_recent():
    """Empties this process's copies (the tests start each from nothing)."""
    with _recent_lock:
        _recent.clear()
