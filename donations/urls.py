from django.urls import path

from . import my_giving_views, shares, supporter_views, views, webhooks

app_name = "donations"

# The donor's pages, in the page's language: oca_site.urls serves them under
# i18n_patterns (English at /give/..., Spanish at /es/give/...).
urlpatterns = [
    path("give/thanks/", views.thank_you, name="thank-you"),
    path("give/thanks/monthly/", views.upgrade, name="upgrade"),
    path("give/share/<slug:network>/", shares.share, name="share"),
    path("give/manage/", views.manage, name="manage"),
    # "My giving": the address monthly donors were sent before, now every donor's.
    path("give/manage/<str:token>/", my_giving_views.page, name="manage-gifts"),
    path("give/manage/<str:token>/portal/", my_giving_views.manage_portal, name="manage-portal"),
    path("give/manage/<str:token>/amount/", my_giving_views.manage_amount, name="manage-amount"),
    path(
        "give/manage/<str:token>/receipts/<int:gift_id>.pdf",
        my_giving_views.receipt_pdf,
        name="my-giving-receipt",
    ),
    path(
        "give/manage/<str:token>/receipts/<int:gift_id>/send/",
        my_giving_views.resend_receipt,
        name="my-giving-resend",
    ),
    path(
        "give/manage/<str:token>/statements/<int:year>.pdf",
        my_giving_views.statement_pdf,
        name="my-giving-statement",
    ),
    path(
        "give/manage/<str:token>/settings/<slug:name>/",
        my_giving_views.change_preference,
        name="my-giving-preference",
    ),
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
