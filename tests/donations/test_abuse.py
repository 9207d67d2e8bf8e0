"""Abuse: per-address rate limits, oversized bodies, and where the address comes from."""

import logging

import pytest
from django.core import mail
from django.test import Client

from donations import monthly, ratelimit
from donations.models import Donor, MonthlyGift, Pledge


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


def test_it_limits_requests_for_manage_links(db, client, settings):
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


def test_it_refuses_a_huge_body_with_413(client, campaign, no_stripe, donation):
    # An otherwise valid gift whose message alone is over the limit.
    response = _give(client, campaign, donation(public_message="x" * 20_000))
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert Donor.objects.count() == 0
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


def test_it_still_refuses_a_cross_site_post_of_the_donation_form(campaign, no_stripe, donation):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/give/{campaign.slug}/", donation(), headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert Pledge.objects.count() == 0


def test_a_form_from_the_page_passes_without_a_token(campaign, stripe_standin, donation):
    client = Client(enforce_csrf_checks=True)
    client.get(campaign.get_absolute_url())
    assert "csrftoken" not in client.cookies  # the page sets no cookie: it is cacheable
    response = client.post(
        f"/give/{campaign.slug}/", donation(), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 303


def test_it_refuses_a_huge_manage_link_request(client):
    response = client.post(
        "/give/manage/", "email=" + "a" * 20_000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413


# A Content-Length that is no length ---------------------------------------------

BAD_LENGTHS = ["abc", "-1", "-20000", "1e3", " 12", "12 ", "1_2", "١٢", "+12", "9" * 5000]


@pytest.fixture
def manage_amount_url(campaign):
    donor = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    gift = MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_hd", amount_cents=5000
    )
    return f"/give/manage/{monthly.make_token(donor)}/amount/", gift


@pytest.mark.parametrize("length", BAD_LENGTHS)
def test_it_answers_400_and_logs_a_post_whose_length_is_no_length(
    client, campaign, no_stripe, donation, manage_amount_url, caplog, length
):
    amount_url, gift = manage_amount_url
    posts = [
        (f"/give/{campaign.slug}/", "name=Ana&amount=50"),
        ("/give/manage/", "email=ana%40example.org"),
        (amount_url, f"monthly_id={gift.pk}&amount=75"),
        ("/stripe/webhook/", '{"id": "evt_1", "object": "event"}'),
    ]
    for url, body in posts:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = client.post(
                url,
                body,
                content_type="application/x-www-form-urlencoded",
                CONTENT_LENGTH=length,
                HTTP_STRIPE_SIGNATURE="t=1,v1=00",
            )
        assert response.status_code == 400, url
        assert [r.levelname for r in caplog.records] == ["WARNING"], url
        assert "is not a length" in caplog.records[0].getMessage()
    assert Pledge.objects.count() == 0
    assert mail.outbox == []
    gift.refresh_from_db()
    assert gift.amount_cents == 5000
    assert len(no_stripe.calls) == 0


def test_it_still_takes_a_post_with_no_content_length_as_empty(client, campaign, no_stripe):
    response = client.post(f"/give/{campaign.slug}/", CONTENT_LENGTH="")
    assert response.status_code == 400
    assert "Enter your name; it goes on your receipt." in response.content.decode()


# The monthly gift's new amount: any text, never a crash -----------------------------


@pytest.mark.parametrize(
    "typed", ["9" * 5000, "9" * 21, "1e999999", "NaN", "Infinity", "-0", "1_000", "5²"]
)
def test_it_refuses_a_new_monthly_amount_that_is_no_amount(
    client, manage_amount_url, no_stripe, typed
):
    url, gift = manage_amount_url
    response = client.post(url, {"monthly_id": gift.pk, "amount": typed})
    assert response.status_code == 400
    assert "Enter an amount in dollars and cents, like 50 or 50.25." in response.content.decode()
    gift.refresh_from_db()
    assert gift.amount_cents == 5000
    assert len(no_stripe.calls) == 0


@pytest.mark.parametrize("monthly_id", ["9" * 5000, "9" * 30, "-1", "NaN", "1e9", "٥"])
def test_it_answers_404_for_a_monthly_gift_id_that_is_no_gift(
    client, manage_amount_url, no_stripe, monthly_id
):
    url, gift = manage_amount_url
    response = client.post(url, {"monthly_id": monthly_id, "amount": "75"})
    assert response.status_code == 404
    gift.refresh_from_db()
    assert gift.amount_cents == 5000
    assert len(no_stripe.calls) == 0
