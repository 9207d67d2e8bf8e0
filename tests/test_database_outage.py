"""The database out of reach: 503 with the friendly page, wherever the failure happens.

bench/drill_database.py stops a real PostgreSQL under load; these pin down the two
things it showed: Stripe's webhook answered 500 with a traceback per event (its own
catch-all hid the failure from DatabaseUnavailableMiddleware), and a failure outside
any view (in a middleware) would get the 500 page instead of the 503 one.
"""

import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path

from donations.models import ProcessedEvent

from .donations import stripe_payloads as sp

FRIENDLY = "We’ll be right back"


def _remember_visit(request):
    request.session["visited"] = True
    return HttpResponse("ok")


urlpatterns = [path("remember/", _remember_visit)]
handler500 = "oca_site.errors.server_error"


def _database_down():
    return mock.patch(
        "django.db.backends.utils.CursorWrapper.execute",
        side_effect=OperationalError("connection to server failed: Connection refused"),
    )


def test_it_answers_503_to_stripe_when_the_database_is_down(client, db, settings, caplog):
    body, signature = sp.signed(sp.event("invoice.paid", {"id": "in_1"}), "whsec_test_suite")
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_suite"
    with _database_down():
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert ProcessedEvent.objects.count() == 0
    # One warning, not a traceback per event.
    assert not [r for r in caplog.records if r.name == "donations.webhooks" and r.exc_info]
    assert any("Database unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.urls(__name__)
def test_it_answers_the_friendly_503_when_the_database_fails_in_a_middleware(client, db):
    client.raise_request_exception = False
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.save",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        response = client.get("/remember/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert FRIENDLY in response.content.decode()


@pytest.mark.urls(__name__)
def test_it_still_answers_500_to_a_bug_in_a_middleware(client, db, caplog):
    client.raise_request_exception = False
    caplog.set_level(logging.ERROR)
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.save", side_effect=RuntimeError("bug")
    ):
        response = client.get("/remember/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.urls(__name__)
def test_it_saves_the_session_when_the_database_answers(client, db):
    assert client.get("/remember/").status_code == 200
    assert client.session["visited"] is True
