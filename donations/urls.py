from django.urls import path

from . import shares, supporter_views, views, webhooks

app_name = "donations"

# The donor's pages, in the page's language: oca_site.urls serves them under
# i18n_patterns (English at /give/..., Spanish at /es/give/...).
urlpatterns = [
    path("give/thanks/", views.thank_you, name="thank-you"),
    path("give/share/<slug:network>/", shares.share, name="share"),
    path("give/manage/", views.manage, name="manage"),
    path("give/manage/<str:token>/", views.manage_gifts, name="manage-gifts"),
    path("give/manage/<str:token>/portal/", views.manage_portal, name="manage-portal"),
    path("give/manage/<str:token>/amount/", views.manage_amount, name="manage-amount"),
    path("give/updates/stop/<str:token>/", supporter_views.stop_updates, name="stop-updates"),
    path("give/<slug:slug>/", views.pledge, name="pledge"),
]

# Stripe's webhook: one address in no language, outside i18n_patterns. It is not in the
# "donations" namespace because a namespace cannot span the prefixed and the
# unprefixed URLs (two includes of one namespace: only one is searched by reverse(),
# and `check` warns, urls.W005); reverse("stripe-webhook").
webhook_urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe-webhook"),
]
