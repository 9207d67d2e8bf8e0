from urllib.parse import urlsplit

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from campaigns import views as campaign_views
from donations import urls as donation_urls
from oca_site import media

# The admin is the staff's office, not a developer's tool: it says whose it is.
admin.site.site_header = _("Open Communities Alliance — staff")
admin.site.site_title = _("Open Communities Alliance — staff")
admin.site.index_title = _("Open Communities Alliance — staff")

handler404 = "oca_site.errors.page_not_found"
handler500 = "oca_site.errors.server_error"

# The public pages, in English at /... and in Spanish at /es/.... The language comes
# from the path alone: for an unprefixed path LocaleMiddleware uses LANGUAGE_CODE,
# never a cookie or Accept-Language, so an address names one page and the page cache
# (campaigns.http_cache), keyed by path, stays right. The campaign pages, the most
# visited, come first: a URL is matched in this order.
urlpatterns = i18n_patterns(
    path("", include("campaigns.urls")),
    path("", include("donations.urls")),
    path("", include("fundraising.urls")),
    prefix_default_language=False,
)
# What has no language keeps one address: Stripe's webhook, the load balancer's check,
# robots, the icon, the admin and uploads.
urlpatterns += [
    *donation_urls.webhook_urlpatterns,
    path("healthz", campaign_views.healthz, name="healthz"),
    path("robots.txt", campaign_views.robots_txt, name="robots-txt"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path(settings.ADMIN_PATH, admin.site.urls),
    # Development pages (the mail `make run` sent): every view there answers 404
    # unless DEBUG is on.
    path("dev/", include("devtools.urls")),
]
# Uploaded share images, in production too (see oca_site.media); not when MEDIA_URL
# names another host, such as a bucket's.
if not urlsplit(settings.MEDIA_URL).netloc:
    urlpatterns.append(
        path(settings.MEDIA_URL.lstrip("/") + "<path:path>", media.serve, name="media")
    )
