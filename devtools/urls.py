"""Development pages (DEBUG only; each view answers 404 otherwise)."""

from django.urls import path

from . import mail_views

app_name = "devtools"
urlpatterns = [
    path("mail/", mail_views.mail_list, name="mail-list"),
    path("mail/<str:mail_id>/", mail_views.mail_detail, name="mail-detail"),
    path("mail/<str:mail_id>/html/", mail_views.mail_html, name="mail-html"),
]
