from django.urls import path

from . import shares, views, webhooks

app_name = "donations"

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe-webhook"),
    path("give/thanks/", views.thank_you, name="thank-you"),
    path("give/share/<slug:network>/", shares.share, name="share"),
    path("give/manage/", views.manage, name="manage"),
    path("give/manage/<str:token>/", views.manage_gifts, name="manage-gifts"),
    path("give/manage/<str:token>/portal/", views.manage_portal, name="manage-portal"),
    path("give/manage/<str:token>/amount/", views.manage_amount, name="manage-amount"),
    path("give/<slug:slug>/", views.pledge, name="pledge"),
]
