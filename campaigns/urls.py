from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("", views.featured, name="featured"),
    path("campaigns/<slug:slug>/", views.detail, name="detail"),
    path("campaigns/<slug:slug>/embed/", views.embed_button, name="embed"),
    path(
        "campaigns/<slug:slug>/embed/<int:amount>/<slug:frequency>/",
        views.embed_button,
        name="embed-amount",
    ),
    path("campaigns/<slug:slug>/feed/", views.feed_page, name="feed"),
    path("campaigns/<slug:slug>/feed/after/<str:after>/", views.feed_page, name="feed-after"),
    path(
        "campaigns/<slug:slug>/feed/after/<str:after>/items/",
        views.feed_items,
        name="feed-items",
    ),
]
