"""Friendly error pages that render even when the database is down."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: the failure may be in a context processor or the database.
    return HttpResponseServerError(loader.get_template("500.html").render())
