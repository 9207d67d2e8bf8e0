"""Abuse: per-address rate limits, oversized bodies, and where the address comes from."""

import pytest
from django.test import Client

from donations import ratelimit
from donations.models import Pledge


def _give(client, campaign, data, **extra):
    return client.post(f"/give/{campaign.slug}/", data, **extra)


def test_it_refuses_the_eleventh_pledge_in_an_hour_with_a_friendly_429(
    client, campaign, stripe_standin, donation, settings
):
    assert settings.PLEDGE_RATE_LIMIT == "10/h"
    for n in range(10):
        response = _give(client, campaign, donation(email=f"donor{n}@example.org"))
        assert response.status_code == 303
    response = _give(client, campaign, donation(email="donor11@example.org"))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    html = response.content.decode()
    assert "Please wait a moment" in html
    assert "Nothing was charged." in html
    assert Pledge.objects.count() == 10


def test_it_counts_each_address_on_its_own(client, campaign, no_stripe, donation, settings):
    settings.PLEDGE_RATE_LIMIT = "2/m"
    spam = donation(website="bot")
    for _ in range(2):
        assert _give(client, campaign, spam, REMOTE_ADDR="198.51.100.1").status_code == 400
    assert _give(client, campaign, spam, REMOTE_ADDR="198.51.100.1").status_code == 429
    assert _give(client, campaign, spam, REMOTE_ADDR="198.51.100.2").status_code == 400


def test_behind_a_proxy_it_limits_the_client_the_proxy_saw(
    client, campaign, no_stripe, donation, settings
):
    settings.PLEDGE_RATE_LIMIT = "2/m"
    settings.AXES_IPWARE_PROXY_COUNT = 1
    spam = donation(website="bot")

    def post(forwarded):
        return _give(client, campaign, spam, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    # The client writes what it likes in front; the proxy appends the real address.
    assert post("1.1.1.1, 203.0.113.5").status_code == 400
    assert post("2.2.2.2, 203.0.113.5").status_code == 400
    assert post("3.3.3.3, 203.0.113.5").status_code == 429
    assert post("203.0.113.9").status_code == 400


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.1"),
        (1, "1.1.1.1, 203.0.113.5", "203.0.113.5"),
        (2, "1.1.1.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.1"),
    ],
)
def test_it_takes_the_client_address_from_the_trusted_hop(
    rf, settings, proxies, forwarded, expected
):
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    request = rf.post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_ip(request) == expected


def test_it_limits_requests_for_manage_links(client, settings):
    settings.PLEDGE_RATE_LIMIT = "3/h"
    for n in range(3):
        assert client.post("/give/manage/", {"email": f"x{n}@example.org"}).status_code == 200
    response = client.post("/give/manage/", {"email": "x9@example.org"})
    assert response.status_code == 429
    assert response["Retry-After"]


def test_it_lets_donors_through_when_the_cache_is_down(
    client, campaign, no_stripe, donation, settings, monkeypatch
):
    settings.PLEDGE_RATE_LIMIT = "1/h"

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit.cache, "add", broken)
    for _ in range(3):
        assert _give(client, campaign, donation(website="bot")).status_code == 400


def test_it_refuses_a_huge_body_with_413(client, campaign, no_stripe):
    body = "name=" + "A" * 20_000
    response = client.post(
        f"/give/{campaign.slug}/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert Pledge.objects.count() == 0
    assert len(no_stripe.calls) == 0


def test_it_refuses_a_huge_body_before_anything_reads_it(campaign, no_stripe):
    # With CSRF enforced, as for a real browser: the check would parse the body first,
    # and a body over Django's own limit would then be a 400 instead.
    client = Client(enforce_csrf_checks=True)
    body = "x=" + "A" * 3_000_000
    response = client.post(
        f"/give/{campaign.slug}/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


def test_it_still_checks_csrf_on_the_donation_form(campaign, no_stripe, donation):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/give/{campaign.slug}/", donation())
    assert response.status_code == 403
    assert Pledge.objects.count() == 0


def test_a_form_from_the_page_passes_csrf(campaign, stripe_standin, donation):
    client = Client(enforce_csrf_checks=True)
    client.get(campaign.get_absolute_url())
    token = client.cookies["csrftoken"].value
    response = client.post(f"/give/{campaign.slug}/", donation(csrfmiddlewaretoken=token))
    assert response.status_code == 303


def test_it_refuses_a_huge_manage_link_request(client):
    response = client.post(
        "/give/manage/", "email=" + "a" * 20_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
