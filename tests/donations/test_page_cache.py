"""The campaign page served from campaigns.page_cache: what one visitor's copy may
share with another's, and what must show on the very next request."""

import datetime
import gzip
import re
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns import feed, page_cache
from campaigns.models import FeedItem, HelpSection
from donations.models import Pledge
from tests.campaigns.gifts import change, donor, give

# All requests of a test fall in one 30-second slot unless a test moves the clock.
pytestmark = pytest.mark.usefixtures("_one_time_slot")


@pytest.fixture
def _one_time_slot():
    with mock.patch("time.time", return_value=1_800_000_000.0):
        yield


def _get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def _tokens(html):
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    token = re.search(r'name="token" value="([^"]*)"', html).group(1)
    return csrf, token


def _names(html):
    return re.findall(r'<span class="feed-name">([^<]*)</span>', html)


def _without_tokens(html):
    return re.sub(r'name="(csrfmiddlewaretoken|token)" value="[^"]*"', "", html)


def test_a_second_visit_is_served_without_a_query(client, make_campaign):
    campaign = make_campaign(sections=3)
    give(campaign, donor("Ana Lopez"))
    url = campaign.get_absolute_url()
    first, first_queries = _get(client, url)
    second, second_queries = _get(Client(), url)
    assert first_queries > 1
    assert second_queries == 0
    assert _without_tokens(second.content.decode()) == _without_tokens(first.content.decode())


def test_the_campaign_is_read_again_after_two_seconds(client, make_campaign):
    campaign = make_campaign()
    url = campaign.get_absolute_url()
    _get(client, url)
    with mock.patch("time.time", return_value=1_800_000_000.0 + page_cache.STATE_SECONDS):
        _, queries = _get(Client(), url)
    assert queries == 1


def test_a_change_another_server_made_shows_within_two_seconds(client, make_campaign):
    """A server that does not share this cache changes the counters: this one cannot
    be told, and reads them again once its copy is two seconds old."""
    campaign = make_campaign()
    url = campaign.get_absolute_url()
    assert "<strong>0 donors</strong>" in client.get(url).content.decode()
    with mock.patch("campaigns.page_cache.campaigns_changed"):
        give(campaign, donor("Ana Lopez"))
    assert "<strong>0 donors</strong>" in client.get(url).content.decode()
    with mock.patch("time.time", return_value=1_800_000_000.0 + page_cache.STATE_SECONDS):
        assert "<strong>1 donor</strong>" in client.get(url).content.decode()


def test_every_visitor_gets_their_own_tokens_and_no_placeholder(client, campaign):
    pages = [Client().get("/").content.decode() for _ in range(3)]
    csrf_tokens, pledge_tokens = zip(*map(_tokens, pages), strict=True)
    assert len(set(csrf_tokens)) == 3
    assert len(set(pledge_tokens)) == 3
    assert all(re.fullmatch(r"[0-9a-f-]{36}", token) for token in pledge_tokens)
    for name in ("csrf", "pledge-token"):
        assert all(page_cache._placeholder(name) not in page for page in pages)


def test_two_visitors_of_the_cached_page_make_two_pledges(
    campaign, stripe_standin, donation, standin_objects
):
    """Were the form's one-time token shared, the second donor's gift would be taken
    for a resubmission of the first one's."""
    locations = []
    for name, email in (("Ana Lopez", "ana@example.org"), ("Ben Ortiz", "ben@example.org")):
        visitor = Client(enforce_csrf_checks=True)
        csrf, token = _tokens(visitor.get("/").content.decode())
        data = donation(name=name, email=email, token=token, csrfmiddlewaretoken=csrf)
        response = visitor.post(f"/give/{campaign.slug}/", data)
        assert response.status_code == 303
        locations.append(response["Location"])
    assert locations[0] != locations[1]
    assert sorted(Pledge.objects.values_list("donor__name", flat=True)) == [
        "Ana Lopez",
        "Ben Ortiz",
    ]
    assert len(standin_objects("checkout.session")) == 2


def test_a_gift_a_refund_and_a_hidden_item_show_on_the_next_request(
    client, make_campaign, superuser
):
    campaign = make_campaign(goal_target=10)
    url = campaign.get_absolute_url()
    first = give(campaign, donor("Ana Lopez"))
    assert "<strong>1 donor</strong>" in client.get(url).content.decode()

    give(campaign, donor("Ben Ortiz"))
    html = client.get(url).content.decode()
    assert "<strong>2 donors</strong>" in html
    assert _names(html) == ["Ben Ortiz", "Ana Lopez"]

    change(first, refunded_cents=first.amount_cents)
    html = client.get(url).content.decode()
    assert "<strong>1 donor</strong>" in html
    assert _names(html) == ["Ben Ortiz"]

    feed.hide([FeedItem.objects.get(display_name="Ben Ortiz").pk], reason="Asked", user=superuser)
    assert _names(client.get(url).content.decode()) == []


def test_an_editors_changes_show_on_the_next_request(client, make_campaign):
    campaign = make_campaign(sections=2)
    url = campaign.get_absolute_url()
    assert "Way 1" in client.get(url).content.decode()

    section = HelpSection.objects.get(campaign=campaign, heading="Way 1")
    section.heading = "Call your legislator"
    section.save()
    html = client.get(url).content.decode()
    assert "Call your legislator" in html and "Way 1" not in html

    section.delete()
    assert "Call your legislator" not in client.get(url).content.decode()

    campaign.refresh_from_db()
    campaign.title = "Winter appeal"
    campaign.save()
    assert "<h1>Winter appeal</h1>" in client.get(url).content.decode()

    campaign.is_published = False
    campaign.save()
    assert client.get(url).status_code == 404


def test_relative_times_move_on_with_the_clock(client, make_campaign):
    campaign = make_campaign()
    give(campaign, donor("Ana Lopez"), given_at=datetime.datetime.now(datetime.UTC))
    url = campaign.get_absolute_url()
    assert "just now" in client.get(url).content.decode()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=3)
    with (
        mock.patch("time.time", return_value=1_800_000_000.0 + 30),
        mock.patch("django.utils.timezone.now", return_value=later),
    ):
        html = client.get(url).content.decode()
    assert "3\xa0hours ago" in html


def test_the_form_closes_on_the_day_the_campaign_ends(client, make_campaign):
    today = datetime.date(2026, 11, 27)
    campaign = make_campaign(starts_on=today - datetime.timedelta(days=30), ends_on=today)
    url = campaign.get_absolute_url()
    with mock.patch("django.utils.timezone.localdate", return_value=today):
        assert 'id="donation-form"' in client.get(url).content.decode()
    with mock.patch(
        "django.utils.timezone.localdate", return_value=today + datetime.timedelta(days=1)
    ):
        assert 'id="donation-form"' not in client.get(url).content.decode()


def test_staff_and_prefilled_links_are_not_served_from_the_cache(client, make_campaign, editor):
    campaign = make_campaign()
    url = campaign.get_absolute_url()
    client.get(url)

    prefilled = client.get(url + "?amount=75&frequency=monthly").content.decode()
    assert (
        'name="other_amount" id="id_other_amount" inputmode="decimal" maxlength="20" '
        'autocomplete="off" value="75"' in prefilled
    )
    assert 'value="monthly" checked' in prefilled
    cancelled = client.get(url + "?cancelled=1").content.decode()
    assert "nothing was charged" in cancelled
    assert "nothing was charged" not in client.get(url).content.decode()

    client.force_login(editor)
    _, staff_queries = _get(client, url)
    _, anonymous_queries = _get(Client(), url)
    assert staff_queries > anonymous_queries == 0


def test_the_page_is_rendered_when_the_cache_is_down(client, make_campaign, caplog):
    campaign = make_campaign()
    give(campaign, donor("Ana Lopez"))
    with (
        mock.patch("campaigns.page_cache.cache.get", side_effect=ConnectionError("down")),
        mock.patch("campaigns.page_cache.cache.set", side_effect=ConnectionError("down")),
    ):
        response = client.get(campaign.get_absolute_url())
    assert response.status_code == 200
    assert _names(response.content.decode()) == ["Ana Lopez"]
    assert "Page cache unavailable" in caplog.text
    assert page_cache._placeholder("csrf") not in response.content.decode()


def test_a_gzip_visitor_gets_the_same_page_compressed_with_working_tokens(
    campaign, stripe_standin, donation
):
    visitor = Client(enforce_csrf_checks=True, headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = Client().get("/").content.decode()
    response = visitor.get("/")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert len(response.content) < len(plain) / 2
    html = gzip.decompress(response.content).decode()
    assert _without_tokens(html) == _without_tokens(plain)
    csrf, token = _tokens(html)
    response = visitor.post(
        f"/give/{campaign.slug}/", donation(token=token, csrfmiddlewaretoken=csrf)
    )
    assert response.status_code == 303
    assert str(Pledge.objects.get().public_id) == token


def test_the_tokens_are_never_compressed_with_the_page(campaign):
    """Compressed next to text an attacker can influence, a secret leaks through the
    response's size (BREACH): here each token goes out as it is."""
    visitor = Client(headers={"Accept-Encoding": "gzip"})
    body = visitor.get("/").content
    csrf, token = _tokens(gzip.decompress(body).decode())
    assert csrf.encode() in body
    assert token.encode() in body
