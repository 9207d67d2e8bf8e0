"""The site's URLs plus a trivial view, for benchmarks only (never in production)."""

from django.http import HttpResponse
from django.urls import path

from oca_site.urls import handler404, handler500  # noqa: F401
from oca_site.urls import urlpatterns as site_urlpatterns


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *site_urlpatterns]
