"""Friendly error pages that render even when the database is down."""

import sys

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from .middleware import database_unavailable_response


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # Django calls this while handling the exception, so it is still at hand here.
    unavailable = database_unavailable_response(sys.exc_info()[1])
    if unavailable is not None:
        return unavailable
    # No request context: the failure may be in a context processor or the database.
    return HttpResponseServerError(loader.get_template("500.html").render())
