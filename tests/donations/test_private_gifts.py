""" "Don't list my gift": counted in the goal and totals, absent from the feed and from
what the feed is made of (share lines); and changing how a donor appears afterwards."""

import pytest
from django.urls import reverse

from campaigns import feed
from campaigns.models import Campaign, FeedItem
from donations import display
from donations.models import Donor, Gift, Pledge
from tests.campaigns import gifts

from .giving_helpers import give_online

pytestmark = pytest.mark.django_db


def _visible(campaign):
    return list(feed.visible_items(campaign.pk).values_list("kind", "display_name"))


def _progress(campaign):
    campaign = Campaign.objects.get(pk=campaign.pk)
    return campaign.donor_count, campaign.raised_cents, campaign.feed_count


def test_the_form_offers_not_to_list_the_gift(client, campaign):
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'name="display_as" id="id_display_as_3" value="private"' in page
    assert "Don’t list my gift" in page
    assert "your gift still counts toward our goal" in page
    spanish = client.get(campaign.get_absolute_url(language="es")).content.decode()
    assert "No incluir mi donación en la lista" in spanish


def test_an_unlisted_gift_counts_but_is_not_in_the_feed(client, campaign, stripe_standin, donation):
    before = _progress(campaign)
    give_online(client, campaign, stripe_standin, donation, display_as="private", name="Ana Peña")
    gift = Gift.objects.get()
    assert (gift.counted, gift.display_as) == (True, "private")
    donors, raised, shown = _progress(campaign)
    assert (donors, raised) == (before[0] + 1, before[1] + 5000)
    assert shown == before[2]
    assert not FeedItem.objects.filter(source_key=gift.feed_key, withdrawn=False).exists()
    assert "Ana" not in client.get(reverse("campaigns:feed", args=[campaign.slug])).content.decode()


def test_an_unlisted_donor_leaves_no_share_line(client, campaign, stripe_standin, donation):
    give_online(client, campaign, stripe_standin, donation, display_as="private")
    response = client.get(
        reverse("donations:share", args=["facebook"]), {"campaign": campaign.slug}
    )
    assert response.status_code == 302  # they still get to share
    assert not FeedItem.objects.filter(kind__startswith="shared_").exists()


def test_a_check_logged_as_unlisted_counts_without_a_feed_line(campaign):
    donor = Donor.objects.create(name="Rosa Díaz", email="rosa@example.org")
    before = _progress(campaign)
    gifts.give(campaign, donor, display_as="private", method=Gift.Method.CHECK, amount=7500)
    assert _progress(campaign) == (before[0] + 1, before[1] + 7500, before[2])


def test_a_donor_stops_and_starts_being_listed(client, campaign, stripe_standin, donation):
    give_online(client, campaign, stripe_standin, donation, display_as="full", name="Ana Peña")
    client.get(reverse("donations:share", args=["x"]), {"campaign": campaign.slug})
    donor = Donor.objects.get()
    gift = donor.gifts.get()
    assert ("donated", "Ana Peña") in _visible(campaign)
    assert ("shared_x", "Ana Peña") in _visible(campaign)
    donors, raised, shown = _progress(campaign)

    assert display.change_display(donor, "private") == 1
    assert ("donated", "Ana Peña") not in _visible(campaign)
    assert ("shared_x", "Ana Peña") not in _visible(campaign)
    assert _progress(campaign) == (donors, raised, shown - 2)  # the goal does not move
    assert display.change_display(donor, "private") == 0  # twice: nothing more

    display.change_display(donor, "first")
    assert ("donated", "Ana") in _visible(campaign)
    assert ("shared_x", "Ana") in _visible(campaign)
    assert _progress(campaign) == (donors, raised, shown)
    gift.refresh_from_db()
    assert gift.display_as == "first"


def test_a_monthly_donors_later_charges_follow_the_new_choice(
    client, campaign, stripe_standin, donation
):
    give_online(client, campaign, stripe_standin, donation, frequency="monthly")
    assert (FeedItem.Kind.MONTHLY, "Ana") in _visible(campaign)
    display.change_display(Donor.objects.get(), "private")
    assert (FeedItem.Kind.MONTHLY, "Ana") not in _visible(campaign)
    # Each later charge is booked with its pledge's choice (donations.ledger).
    assert Pledge.objects.get().display_as == "private"


def test_a_refunded_gift_does_not_come_back_when_the_donor_is_listed_again(campaign):
    donor = Donor.objects.create(name="Ana Peña", email="ana@example.org")
    gift = gifts.give(campaign, donor, display_as="full")
    gifts.change(gift, refunded_cents=gift.amount_cents)
    display.change_display(donor, "private")
    display.change_display(donor, "full")
    assert ("donated", "Ana Peña") not in _visible(campaign)
