"""The donation form on a supporter's page posts to the campaign's pledge address; what
goes wrong there (the form's errors, Stripe out of reach) is answered with the
supporter's page, the donor's input and the credit to the page kept. A code that names
no public page of the campaign gets the campaign's page, as before."""

import re

import pytest

from donations.models import Pledge

HEADING = "<h1>Rosa raises money</h1>"
BAD_AMOUNT = "Enter an amount in dollars and cents, like 50 or 50.25."


def _via_field(html):
    return re.search(r'<input type="hidden" name="via" value="([^"]*)">', html).group(1)


def _give(client, campaign, data):
    return client.post(f"/give/{campaign.slug}/", data)


def _private(response):
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    return {"private", "no-store"} <= cache_control


def test_a_bad_amount_posted_from_a_supporter_s_page_is_shown_on_that_page(
    client, campaign, make_page, donation, no_stripe
):
    page = make_page()
    response = _give(client, campaign, donation(amount="other", other_amount="fifty", via="rosa"))
    html = response.content.decode()
    assert response.status_code == 400
    assert HEADING in html and "Why Rosa gives" in html
    assert re.search(r'<ul class="errorlist" id="id_other_amount-error"><li>' + BAD_AMOUNT, html)
    assert _via_field(html) == "rosa" and 'value="Ana Lopez"' in html
    assert _private(response)
    # The language switch leads to the page, not to the address the form was posted to.
    assert f'/es{page.get_absolute_url()}"' in html
    assert not no_stripe.calls and not Pledge.objects.exists()


def test_stripe_out_of_reach_from_a_supporter_s_page_is_said_on_that_page(
    client, campaign, make_page, donation, settings, closed_port
):
    make_page()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    settings.STRIPE_MAX_RETRIES = 0
    response = _give(client, campaign, donation(via="rosa"))
    html = response.content.decode()
    assert response.status_code == 503
    assert HEADING in html
    assert "We couldn’t reach our payment processor. Nothing was charged" in html
    assert _via_field(html) == "rosa" and 'value="ana@example.org"' in html
    assert _private(response)
    assert Pledge.objects.get().status == Pledge.Status.FAILED


@pytest.mark.parametrize("code", ["", "nobody", "hidden-page", "other-campaign"])
def test_a_code_naming_no_public_page_of_the_campaign_gets_the_campaign_s_page(
    client, campaign, make_page, make_campaign, donation, no_stripe, code
):
    make_page(status="hidden", slug="hidden-page", email="h@example.org")
    other = make_campaign(slug="other", title="Other appeal")
    make_page(campaign=other, slug="other-campaign", email="o@example.org")
    response = _give(client, campaign, donation(amount="other", other_amount="fifty", via=code))
    html = response.content.decode()
    assert response.status_code == 400
    assert "raises money</h1>" not in html
    assert re.search(rf"<h1[^>]*>{campaign.title}", html)
    assert BAD_AMOUNT in html and _private(response)
