"""Public pages as any HTTP cache can serve them.

A public page (a campaign's page, the featured one at `/`) holds nothing per visitor:
no CSRF token, no form token, no name. So for an anonymous visitor (no session
cookie, no query string) it is the same bytes for everyone, and says so:
`Cache-Control: public` with a short shared lifetime and `stale-while-revalidate`, an
`ETag`, and `304 Not Modified` for a matching `If-None-Match`. nginx or a CDN in front
(deploy/) then serves any number of readers from one render.

Behind that, the rendered page is kept in Django's cache, tagged with a generation
number that every change to what public pages show raises (a campaign or section
saved, a gift booked, a feed item hidden: see `pages_changed`). A request reads the
generation and its page in one round trip; a page of an older generation is rendered
afresh, on every app server that shares the cache. A gzip copy is made once per
render, so a browser asking for gzip costs no compression per request.

Anything else (a session, so staff or a donor who just gave; a query string such as
the form's prefill; an error) is rendered for its request and marked
`private, no-store`.
"""

import functools
import gzip
import hashlib
import logging

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control, patch_vary_headers

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-pages:generation"


def pages_changed():
    """Marks every cached public page out of date, now and when the transaction commits.

    Now, so that this request's own next read renders afresh; at commit, so that a
    request on another server that rendered between the two does not keep a page
    without the change.
    """

    def bump():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # no generation yet (or it was evicted): start one
            cache.set(GENERATION_KEY, 1, timeout=None)
        except Exception:  # a cache outage: pages expire on their own
            logger.warning("Could not mark public pages changed", exc_info=True)

    bump()
    transaction.on_commit(bump)


@functools.cache
def _deploy_version():
    # A deploy with new static files must not serve HTML naming the old ones.
    return getattr(staticfiles_storage, "manifest_hash", "") or ""


def is_public(request):
    """Whether this request gets the page every anonymous visitor gets."""
    return (
        request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _key(request, zipped):
    return ":".join(
        str(part)
        for part in (
            "public-page",
            request.path,
            translation.get_language(),
            # A campaign opens and closes by date.
            timezone.localdate().isoformat(),
            _deploy_version(),
            "gzip" if zipped else "identity",
        )
    )


def _wants_gzip(request):
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


def _lookup(request):
    """(key, the current generation, the stored entry of this page or None), in one
    round trip to the cache."""
    key = _key(request, _wants_gzip(request))
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    entry = found.get(key)
    if entry is not None and entry["generation"] != generation:
        entry = None
    return key, generation, entry


def _store(request, response, generation):
    """Both encodings of a fresh render, tagged with the generation it was made under."""
    body = response.content
    digest = hashlib.sha256(body).hexdigest()[:32]
    entries = {}
    for zipped in (False, True):
        entries[_key(request, zipped)] = {
            "generation": generation,
            "etag": f'"{digest}-gz"' if zipped else f'"{digest}"',
            "content_type": response["Content-Type"],
            "body": gzip.compress(body, compresslevel=6, mtime=0) if zipped else body,
            "gzip": zipped,
        }
    try:
        cache.set_many(entries, timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
    except Exception:
        logger.warning("Could not store a page in the cache", exc_info=True)
    return entries[_key(request, _wants_gzip(request))]


def _response(request, entry):
    etag = entry["etag"]
    if any(
        tag.strip() in (etag, "*") for tag in request.headers.get("If-None-Match", "").split(",")
    ):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(entry["body"], content_type=entry["content_type"])
        if entry["gzip"]:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    patch_vary_headers(response, ("Accept-Encoding",))
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.PUBLIC_PAGE_MAX_AGE,
        stale_while_revalidate=settings.PUBLIC_PAGE_STALE_SECONDS,
    )
    return response


def private(response):
    patch_cache_control(response, private=True, no_store=True)
    return response


def public_page(view):
    """Serves `view` from the cache to anonymous visitors; see the module's docstring."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_public(request):
            return private(view(request, *args, **kwargs))
        try:
            _, generation, entry = _lookup(request)
        except Exception:  # the cache is down: the page still works, uncached
            logger.warning("Page cache unavailable", exc_info=True)
            return private(view(request, *args, **kwargs))
        if entry is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.cookies or response.streaming:
                return private(response)
            entry = _store(request, response, generation)
        return _response(request, entry)

    return wrapped
