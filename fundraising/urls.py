from django.urls import path

from . import views

app_name = "fundraising"

# In the page's language: oca_site.urls serves them under i18n_patterns. The signed
# pages are under /give/, which robots.txt keeps out of search engines.
urlpatterns = [
    path("campaigns/<slug:slug>/for/<slug:page_slug>/", views.page, name="page"),
    path("campaigns/<slug:slug>/raise/", views.start, name="start"),
    path("give/fundraise/<str:token>/", views.edit, name="edit"),
    path("give/fundraise/<str:token>/preview/", views.preview, name="preview"),
]
