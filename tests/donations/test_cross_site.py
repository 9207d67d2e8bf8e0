"""The donation form's POST without a CSRF token: refused when the browser says another
site sent it (donations.cross_site), accepted from our own page."""

import pytest
from django.test import Client

from donations.models import Pledge


def _post(campaign, donation, **headers):
    return Client().post(f"/give/{campaign.slug}/", donation(), headers=headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another subdomain
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
    ],
)
def test_it_refuses_a_post_another_site_started(campaign, stripe_standin, donation, headers):
    response = _post(campaign, donation, **headers)
    assert response.status_code == 403
    assert "only be sent from our own page" in response.content.decode()
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},  # an older browser: no Sec-Fetch-Site
        {},  # no browser at all
    ],
)
def test_it_accepts_a_post_from_our_own_page(campaign, stripe_standin, donation, headers):
    assert _post(campaign, donation, **headers).status_code == 303
    assert Pledge.objects.count() == 1


def test_it_accepts_a_trusted_origin(campaign, stripe_standin, donation, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://www.ctoca.org"]
    assert _post(campaign, donation, Origin="https://www.ctoca.org").status_code == 303


def test_a_form_sent_twice_without_a_token_opens_one_checkout(
    campaign, stripe_standin, donation, standin_objects
):
    """No JavaScript, so no token from the browser: the same submission twice (a double
    click, a reload of the POST) is still one pledge and one Checkout Session."""
    first = Client().post(f"/give/{campaign.slug}/", donation(token=""))
    second = Client().post(f"/give/{campaign.slug}/", donation(token=""))
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Pledge.objects.count() == 1
    assert len(standin_objects("checkout.session")) == 1


def test_two_visitors_of_the_cached_page_make_two_pledges(
    campaign, stripe_standin, donation, standin_objects
):
    """The page every visitor gets carries no token; two donors are two pledges."""
    locations = []
    for name, email in (("Ana Lopez", "ana@example.org"), ("Ben Ortiz", "ben@example.org")):
        visitor = Client(enforce_csrf_checks=True)
        assert visitor.get("/").status_code == 200
        response = visitor.post(
            f"/give/{campaign.slug}/",
            donation(name=name, email=email),
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert response.status_code == 303
        locations.append(response["Location"])
    assert locations[0] != locations[1]
    assert sorted(Pledge.objects.values_list("name", flat=True)) == ["Ana Lopez", "Ben Ortiz"]
    assert len(standin_objects("checkout.session")) == 2
