"""The campaign changelist answers filters on campaigns, never questions about gifts.

An editor may see campaign content only; a lookup typed into the changelist's query
string that reaches a gift, pledge or monthly gift would tell them about donors by
which campaigns stay listed."""

import pytest
from django.urls import reverse

from campaigns.models import FeedItem

from .gifts import donor, give

CAMPAIGNS = reverse("admin:campaigns_campaign_changelist")
FEED = reverse("admin:campaigns_feeditem_changelist")

REACHING_DONATIONS = [
    "pledges__isnull=False",
    "gifts__gt=0",
    "gifts__amount_cents__gte=100",
    "monthly_gifts__donor__email__startswith=a",
    "monthly_gifts__isnull=True",
    "gifts=1",
]


@pytest.fixture
def campaign_with_a_gift(make_campaign):
    campaign = make_campaign()
    give(campaign, donor("Ana Lopez"))
    return campaign


@pytest.mark.parametrize("query", REACHING_DONATIONS)
def test_it_refuses_an_editor_a_filter_that_reaches_donations(
    client, editor, campaign_with_a_gift, query
):
    client.force_login(editor)
    response = client.get(f"{CAMPAIGNS}?{query}")
    assert response.status_code == 400
    assert campaign_with_a_gift.title not in response.content.decode()


@pytest.mark.parametrize("query", ["pledges__isnull=False", "gifts__gt=0"])
def test_it_refuses_those_filters_to_a_superuser_too(client, superuser, make_campaign, query):
    client.force_login(superuser)
    make_campaign()
    assert client.get(f"{CAMPAIGNS}?{query}").status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "is_published__exact=1",
        "goal_kind__exact=donors",
        "starts_on__year=2017",  # the date hierarchy
        "q=spring",
        "sections__isnull=False",  # the campaign's own help sections
    ],
)
def test_it_keeps_the_editors_own_filters(client, editor, campaign_with_a_gift, query):
    client.force_login(editor)
    response = client.get(f"{CAMPAIGNS}?{query}")
    assert response.status_code == 200


def test_it_keeps_the_feed_filters_inside_campaigns(client, superuser, campaign_with_a_gift):
    client.force_login(superuser)
    assert FeedItem.objects.exists()
    campaign_filter = f"{FEED}?campaign__id__exact={campaign_with_a_gift.pk}"
    assert client.get(campaign_filter).status_code == 200
    # Who hid an item is shown on the list already; what else is on file about that
    # member of staff is not the feed's business.
    assert client.get(f"{FEED}?hidden_by__isnull=False").status_code == 400
