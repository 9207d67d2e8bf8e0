"""The monthly amount a campaign offers after a one-time gift (campaigns.upgrade_tiers)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from campaigns.upgrade_tiers import DEFAULT_TIERS, monthly_offer, parse_upgrade_tiers

from .test_admin import _change_form_data


def test_it_reads_tiers_highest_first():
    assert parse_upgrade_tiers("25: 10\n\n $100 : $25 \n10:5\n") == [
        (10000, 2500),
        (2500, 1000),
        (1000, 500),
    ]


@pytest.mark.parametrize(
    ("gift_cents", "offered"),
    [(500, None), (999, None), (1000, 500), (2500, 1000), (4999, 1000), (5000, 1500)],
)
def test_the_highest_tier_a_gift_reaches_is_offered(gift_cents, offered):
    assert monthly_offer("10: 5\n25: 10\n50: 15", gift_cents) == offered


def test_the_default_offers_from_ten_dollars():
    assert monthly_offer(DEFAULT_TIERS, 900) is None
    assert monthly_offer(DEFAULT_TIERS, 100_000) == 10_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("100 = 25", "Line 1: write a one-time amount"),
        ("10: 5\nabc: 5", "Line 2: write a one-time amount"),
        ("100: 2.50", "Line 1: write a one-time amount"),
        ("0: 5", "Line 1: write a one-time amount"),
        ("100: 3", "Line 1: a monthly amount must be between $5 and $25,000"),
        ("10: 5\n10: 6", "Line 2: this one-time amount has a line already"),
        ("\n".join(f"{n}: 5" for n in range(1, 14)), "Enter at most 12 tiers"),
    ],
)
def test_it_names_the_line_it_cannot_read(text, message):
    with pytest.raises(ValidationError) as error:
        parse_upgrade_tiers(text)
    assert message in error.value.messages[0]
    assert monthly_offer(text, 100_000) is None


def test_an_unreadable_tier_list_offers_nothing(campaign):
    campaign.offers_monthly_upgrade = True
    campaign.monthly_upgrade_tiers = "oops"
    assert campaign.monthly_upgrade_cents(10_000) is None
    campaign.monthly_upgrade_tiers = "100: 25"
    assert campaign.monthly_upgrade_cents(10_000) == 2500
    campaign.offers_monthly_upgrade = False
    assert campaign.monthly_upgrade_cents(10_000) is None


@pytest.mark.django_db
def test_staff_set_the_offer_in_the_admin(admin_client, campaign):
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])

    refused = admin_client.post(
        url,
        _change_form_data(
            campaign, offers_monthly_upgrade="on", monthly_upgrade_tiers="50: 15\n50: 20"
        ),
    )
    assert refused.status_code == 200
    assert "Line 2: this one-time amount has a line already." in refused.content.decode()
    empty = admin_client.post(
        url, _change_form_data(campaign, offers_monthly_upgrade="on", monthly_upgrade_tiers="")
    )
    assert "Enter at least one tier" in empty.content.decode()

    saved = admin_client.post(
        url,
        _change_form_data(campaign, offers_monthly_upgrade="on", monthly_upgrade_tiers="50: 20"),
    )
    assert saved.status_code == 302
    campaign.refresh_from_db()
    assert campaign.offers_monthly_upgrade
    assert campaign.monthly_upgrade_cents(5000) == 2000
