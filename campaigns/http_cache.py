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
`private, no-store`. Views say which pages are public with `@public_page`;
`PublicPageCacheMiddleware`, near the top of the middleware, serves and keeps them.
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
from django.urls import Resolver404, resolve
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


@functools.lru_cache(maxsize=1024)
def _is_public_page(path):
    """Whether `path` is served by a `@public_page` view (resolved in the language its
    prefix names, as LocaleMiddleware will activate it further down). Remembered per
    path: the URL patterns do not change while the process runs."""
    language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            return False
    return getattr(match.func, "is_public_page", False)


def _key(request, zipped):
    return ":".join(
        str(part)
        for part in (
            "public-page:2",  # the layout of an entry: raise it when that changes
            request.path,  # the language is in it: /es/... (i18n_patterns)
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


# Headers the stored copy does not keep: they are set anew for each answer, or they
# describe one answer (its encoding and length, a cookie).
_PER_ANSWER = {"content-length", "content-encoding", "set-cookie", "date", "etag", "cache-control"}


def _store(request, response, generation):
    """Both encodings of a fresh render, with the headers the site's middleware gave
    it, tagged with the generation they were made under; returns this request's."""
    body = response.content
    if response.get("Content-Encoding") == "gzip":  # compressed for this visitor
        body = gzip.decompress(body)
    digest = hashlib.sha256(body).hexdigest()[:32]
    headers = [(k, v) for k, v in response.items() if k.lower() not in _PER_ANSWER | {"vary"}]
    # The page's language comes from its path, not from Accept-Language (which Django's
    # LocaleMiddleware names in Vary all the same): a shared cache keeps one copy.
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    vary = [v for v in vary if v.lower() != "accept-language"]
    if vary:
        headers.append(("Vary", ", ".join(vary)))
    entries = {}
    for zipped in (False, True):
        entries[_key(request, zipped)] = {
            "generation": generation,
            "etag": f'"{digest}-gz"' if zipped else f'"{digest}"',
            "headers": headers,
            "body": gzip.compress(body, compresslevel=6, mtime=0) if zipped else body,
            "gzip": zipped,
        }
    try:
        cache.set_many(entries, timeout=settings.PUBLIC_PAGE_CACHE_SECONDS)
    except Exception:
        logger.warning("Could not store a page in the cache", exc_info=True)
    return entries[_key(request, _wants_gzip(request))]


@functools.cache
def _cache_control():
    return (
        f"public, max-age=0, s-maxage={settings.PUBLIC_PAGE_MAX_AGE}, "
        f"stale-while-revalidate={settings.PUBLIC_PAGE_STALE_SECONDS}"
    )


def _response(request, entry):
    etag = entry["etag"]
    if etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(entry["body"])
        for header, value in entry["headers"]:
            response[header] = value
        if entry["gzip"]:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    patch_vary_headers(response, ("Accept-Encoding",))
    response["Cache-Control"] = _cache_control()
    return response


def private(response):
    patch_cache_control(response, private=True, no_store=True)
    return response


def public_page(view):
    """Marks `view`'s answers to anonymous visitors as public pages, which
    `PublicPageCacheMiddleware` keeps and serves; any other answer is private."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if is_public(request) and response.status_code == 200 and not response.cookies:
            response.public_page = True
        else:
            private(response)
        return response

    wrapped.is_public_page = True
    return wrapped


class PublicPageCacheMiddleware:
    """Answers anonymous visitors' requests for public pages from the cache, before
    the rest of the middleware runs; keeps what `public_page` views answer.

    It sits near the top of MIDDLEWARE: a hit costs one round trip to the cache and
    none of the session, CSRF or template work below it. What the middleware below
    adds to a page (its security headers, `Content-Language`, `Vary`) is kept with it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (is_public(request) and _is_public_page(request.path_info)):
            return self.get_response(request)
        try:
            _, generation, entry = _lookup(request)
        except Exception:  # the cache is down: the page still works, rendered each time
            logger.warning("Page cache unavailable", exc_info=True)
            generation, entry = None, None
        if entry is not None:
            return _response(request, entry)
        response = self.get_response(request)
        if not getattr(response, "public_page", False) or response.streaming:
            return response
        return _response(request, _store(request, response, generation))
