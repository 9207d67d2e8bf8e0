import logging

from django.conf import settings
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)


def health_check(get_response):
    """Answers the load balancer's /healthz before the host check and the https redirect.

    Its probe comes in plain HTTP without X-Forwarded-Proto, often addressed to the
    server's own IP: SECURE_SSL_REDIRECT would answer 301 and ALLOWED_HOSTS 400, and
    the load balancer would take a healthy server for a dead one. The answer carries
    nothing but whether the database answers.
    """
    from campaigns.views import healthz

    def middleware(request):
        if request.path_info == "/healthz":
            return healthz(request)
        return get_response(request)

    return middleware


def permissions_policy(get_response):
    """Adds the Permissions-Policy header, which Django has no setting for."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


def errors_not_cached(get_response):
    """Marks every error response private and not to be stored.

    A shared cache in front (deploy/nginx.conf, a CDN) must never serve one visitor's
    404, 429 or 503 to the next; pages that say otherwise set their own header.
    """

    def middleware(request):
        response = get_response(request)
        if response.status_code >= 400 and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware


class DatabaseUnavailableMiddleware:
    """Answers 503 with the friendly page when the database cannot be reached.

    A lost connection is temporary: saying so (with Retry-After) tells browsers and
    Stripe's webhook deliveries to come back, where a 500 would read as a bug.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_unavailable_response(exception)


def language_of(request):
    """The language of a request's address: /es/... is Spanish, the rest the site's."""
    from django.utils import translation

    path = request.path_info if request is not None else ""
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def database_unavailable_response(exception, request=None):
    """The friendly 503 page if `exception` means the database cannot be reached.

    Also used by the 500 handler (oca_site.errors), for the failures that happen
    outside a view, in a middleware (a session saved as the response goes out, say),
    which process_exception never sees. In the language of the request's address when
    one is given (else the active one, which LocaleMiddleware set for the view).
    """
    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse
    from django.template import loader
    from django.utils import translation

    if not isinstance(exception, (OperationalError, InterfaceError)):
        return None
    logger.warning("Database unavailable: %s", exception)
    language = language_of(request) if request is not None else translation.get_language()
    with translation.override(language):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = "30"
    return response
