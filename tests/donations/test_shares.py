from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, FeedItem
from donations.models import Donor, Gift, Pledge
from tests.campaigns import gifts

SHARE_PREFIXES = {
    "facebook": "https://www.facebook.com/sharer/sharer.php?",
    "x": "https://x.com/intent/post?",
    "linkedin": "https://www.linkedin.com/sharing/share-offsite/?",
    "email": "mailto:?",
}


@pytest.fixture
def ana(db):
    return Donor.objects.create(name="Ana María Lopez", email="ana@example.org")


def _share(client, network, campaign, **params):
    url = reverse("donations:share", args=[network])
    return client.get(url, {"campaign": campaign.slug, **params})


def give(campaign, donor, *, display_as="full", **fields):
    """A gift paid through a pledge, as the ledger books one."""
    pledge = Pledge.objects.create(
        campaign=campaign,
        donor=donor,
        name=donor.name,
        email=donor.email,
        gift_cents=5000,
        amount_cents=5000,
        display_as=display_as,
        status=Pledge.Status.COMPLETED,
    )
    return gifts.give(campaign, donor, display_as=display_as, pledge=pledge, **fields)


def _thank_you_session(client, donor, campaign):
    # What the pledge and thank-you pages leave in the session of the browser that
    # made the donor's latest pledge for the campaign and paid it.
    pledge = Pledge.objects.filter(donor=donor, campaign=campaign).order_by("-pk").first()
    session = client.session
    if pledge is not None:
        session["pledges"] = [str(pledge.public_id)]
        session["shared_pledge"] = str(pledge.public_id)
    session.save()


def _shares():
    return sorted(
        FeedItem.objects.filter(kind__startswith="shared_").values_list(
            "kind", "display_name", "source_key"
        )
    )


@pytest.mark.parametrize("network", SHARE_PREFIXES)
def test_it_redirects_to_the_networks_share_page_for_our_campaign(
    client, campaign, settings, network
):
    settings.SITE_URL = "https://give.ctoca.org"
    response = _share(client, network, campaign)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(SHARE_PREFIXES[network])
    page = "https://give.ctoca.org/campaigns/oca-2017-appeal/"
    params = parse_qs(urlsplit(location).query)
    if network == "email":
        assert params["subject"] == ["Support Open Communities Alliance"]
        assert params["body"][0].endswith(page)
        assert "+" not in location  # spaces as %20, which every mail program reads
    else:
        assert page in params.get("u", []) + params.get("url", [])
    if network == "x":
        assert params["text"] == ["Support Open Communities Alliance"]
    assert "no-cache" in response["Cache-Control"]


def test_it_records_nothing_without_a_thank_you_session(client, campaign, ana):
    give(campaign, ana)
    assert _share(client, "facebook", campaign).status_code == 302
    assert _shares() == []


def test_it_records_a_donors_share_once_per_network(client, campaign, ana):
    give(campaign, ana, display_as="full")
    _thank_you_session(client, ana, campaign)
    before = Campaign.objects.get(pk=campaign.pk).feed_count

    for _ in range(3):
        assert _share(client, "facebook", campaign).status_code == 302
    _share(client, "x", campaign)

    key = f"share:facebook:{ana.pk}:{campaign.pk}"
    assert _shares() == [
        ("shared_facebook", "Ana María Lopez", key),
        ("shared_x", "Ana María Lopez", f"share:x:{ana.pk}:{campaign.pk}"),
    ]
    assert Campaign.objects.get(pk=campaign.pk).feed_count == before + 2
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert "Ana María Lopez</span> shared this on Facebook" in html
    assert "Ana María Lopez</span> shared this on X" in html


@pytest.mark.parametrize(
    ("choice", "shown"), [("full", "Ana María Lopez"), ("first", "Ana"), ("anonymous", "")]
)
def test_it_names_the_sharer_as_on_the_gift_this_browser_paid(client, campaign, ana, choice, shown):
    give(campaign, ana, display_as="full", given_at=timezone.now() - timezone.timedelta(days=9))
    give(campaign, ana, display_as=choice)
    _thank_you_session(client, ana, campaign)
    _share(client, "linkedin", campaign)
    assert _shares() == [("shared_linkedin", shown, f"share:linkedin:{ana.pk}:{campaign.pk}")]


def test_it_credits_no_share_before_the_gift_is_paid(client, campaign, ana):
    Pledge.objects.create(
        campaign=campaign, donor=ana, gift_cents=5000, amount_cents=5000, display_as="first"
    )
    _thank_you_session(client, ana, campaign)
    _share(client, "email", campaign)
    assert _shares() == []


def test_a_copied_thank_you_address_credits_no_share(
    client, campaign, stripe_standin, donation, deliver_standin_events
):
    """Only the browser that made the pledge shares in the donor's name; anyone who
    has the thank-you page's address (a forwarded link, a shared screen) does not."""
    response = client.post(f"/give/{campaign.slug}/", donation(display_as="full"))
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)
    deliver_standin_events()
    stranger = Client()
    assert stranger.get("/give/thanks/", {"session_id": session_id}).status_code == 200
    assert _share(stranger, "x", campaign).status_code == 302
    assert _shares() == []

    assert client.get("/give/thanks/", {"session_id": session_id}).status_code == 200
    _share(client, "x", campaign)
    donor = Donor.objects.get()
    assert _shares() == [("shared_x", "Ana Lopez", f"share:x:{donor.pk}:{campaign.pk}")]


def test_it_records_nothing_for_a_donor_who_never_gave_to_this_campaign(
    client, campaign, make_campaign, ana
):
    other = make_campaign(slug="other")
    give(other, ana)
    _thank_you_session(client, ana, campaign)
    _share(client, "facebook", campaign)
    assert _shares() == []


def test_it_records_nothing_when_the_link_names_another_campaign(
    client, campaign, make_campaign, ana
):
    other = make_campaign(slug="other")
    give(campaign, ana)
    give(other, ana)
    _thank_you_session(client, ana, campaign)
    response = _share(client, "facebook", other)
    assert response.status_code == 302
    assert "campaigns%2Fother%2F" in response["Location"]
    assert _shares() == []


@pytest.mark.parametrize("network", ["myspace", "FACEBOOK", "javascript", "email2"])
def test_it_404s_an_unknown_network(client, campaign, ana, network):
    give(campaign, ana)
    _thank_you_session(client, ana, campaign)
    assert _share(client, network, campaign).status_code == 404
    assert _shares() == []


@pytest.mark.parametrize(
    "slug", ["", "no-such-campaign", "https://evil.example", "//evil.example/x"]
)
def test_it_404s_an_unknown_campaign_so_it_cannot_redirect_elsewhere(client, db, slug):
    url = reverse("donations:share", args=["facebook"])
    response = client.get(url, {"campaign": slug, "next": "https://evil.example"})
    assert response.status_code == 404


def test_it_ignores_any_target_in_the_query(client, campaign):
    response = _share(
        client, "x", campaign, url="https://evil.example", next="https://evil.example", u="x"
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert response["Location"].startswith("https://x.com/intent/post?")


def test_it_404s_a_draft_campaign(client, make_campaign):
    draft = make_campaign(is_published=False)
    assert _share(client, "facebook", draft).status_code == 404


def test_it_only_answers_get(client, campaign, ana):
    give(campaign, ana)
    _thank_you_session(client, ana, campaign)
    url = reverse("donations:share", args=["facebook"]) + f"?campaign={campaign.slug}"
    for method in (client.post, client.put, client.delete, client.head):
        assert method(url).status_code == 405
    assert _shares() == []


def test_it_still_redirects_when_the_database_refuses_the_share(client, campaign, ana):
    give(campaign, ana)
    _thank_you_session(client, ana, campaign)
    with mock.patch("campaigns.feed.publish", side_effect=DatabaseError("disk full")):
        response = _share(client, "facebook", campaign)
    assert response.status_code == 302
    assert response["Location"].startswith(SHARE_PREFIXES["facebook"])
    assert _shares() == []
    assert Gift.objects.count() == 1


def test_it_puts_share_links_on_the_campaign_page(client, campaign):
    html = client.get(campaign.get_absolute_url()).content.decode()
    for network in SHARE_PREFIXES:
        assert f'href="/give/share/{network}/?campaign=oca-2017-appeal"' in html
    # Copy link needs JavaScript: hidden until static/js/share.js shows it.
    assert "<li data-copy-item hidden>" in html
    assert "facebook.com" not in html and "x.com" not in html  # no third-party requests
