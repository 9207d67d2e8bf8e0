"""Friendly error pages that render even when the database is down.

Each is in the language of the address asked for (/es/... in Spanish): LocaleMiddleware
has set it for most requests, but an error raised before it ran, or while a response
went out, is answered here with the language read from the path again.
"""

import sys

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import translation

from .middleware import database_unavailable_response, language_of

# The logo error pages show: the drawing that ships with the site, not the uploaded one
# (campaigns.context_processors reads that from the database).
ERROR_PAGE_LOGO = "img/oca-logo.svg"


def page_not_found(request, exception):
    with translation.override(language_of(request)):
        context = {"site_logo_url": static(ERROR_PAGE_LOGO)}
        return render(request, "404.html", context, status=404)


def server_error(request):
    # Django calls this while handling the exception, so it is still at hand here.
    unavailable = database_unavailable_response(sys.exc_info()[1], request)
    if unavailable is not None:
        return unavailable
    # No request context: the failure may be in a context processor or the database.
    with translation.override(language_of(request)):
        return HttpResponseServerError(loader.get_template("500.html").render())
