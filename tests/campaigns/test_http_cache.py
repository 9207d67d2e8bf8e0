"""Public pages as any HTTP cache can serve them (campaigns.http_cache): the same bytes
for every anonymous visitor, honest Cache-Control and ETag, 304 on revalidation, and
every change on the very next request."""

import datetime
import gzip
import re
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns import feed
from campaigns.models import FeedItem, HelpSection
from tests.campaigns.gifts import change, donor, give


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


def _names(html):
    return re.findall(r'<span class="feed-name">([^<]*)</span>', html)


def _cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


def test_every_anonymous_visitor_gets_the_same_bytes_and_no_cookie(client, make_campaign):
    campaign = make_campaign(sections=3)
    give(campaign, donor("Ana Lopez"))
    url = campaign.get_absolute_url()
    first, first_queries = _get(client, url)
    second, second_queries = _get(Client(), url)
    assert first.status_code == second.status_code == 200
    assert first_queries > 1
    assert second_queries == 0  # served from the cache
    assert first.content == second.content
    assert not first.cookies and not second.cookies
    html = first.content.decode()
    assert "csrfmiddlewaretoken" not in html
    assert 'name="token" value=""' in html


def test_it_says_a_shared_cache_may_keep_it(client, make_campaign, settings):
    settings.PUBLIC_PAGE_MAX_AGE = 15
    settings.PUBLIC_PAGE_STALE_SECONDS = 60
    response = client.get(make_campaign().get_absolute_url())
    assert _cache_control(response) == {
        "public",
        "max-age=0",
        "s-maxage=15",
        "stale-while-revalidate=60",
    }
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    assert "Accept-Encoding" in response["Vary"]
    assert "Cookie" not in response.get("Vary", "")


def test_it_answers_304_to_a_matching_etag(client, make_campaign):
    campaign = make_campaign()
    url = campaign.get_absolute_url()
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200

    give(campaign, donor("Ana Lopez"))  # a new page, a new tag
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_a_gzip_visitor_gets_the_same_page_compressed_with_its_own_etag(client, make_campaign):
    url = make_campaign(sections=2).get_absolute_url()
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 2
    assert zipped["ETag"] != plain["ETag"]
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped["ETag"]})
    assert again.status_code == 304


def test_a_gift_a_refund_and_a_hidden_item_show_on_the_next_request(
    client, make_campaign, superuser
):
    campaign = make_campaign(goal_target=10)
    url = campaign.get_absolute_url()
    first = give(campaign, donor("Ana Lopez"))
    assert "<strong>1</strong> of 10 donors" in client.get(url).content.decode()

    give(campaign, donor("Ben Ortiz"))
    html = client.get(url).content.decode()
    assert "<strong>2</strong> of 10 donors" in html
    assert _names(html) == ["Ben Ortiz", "Ana Lopez"]

    change(first, refunded_cents=first.amount_cents)
    html = client.get(url).content.decode()
    assert "<strong>1</strong> of 10 donors" in html
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
    response = client.get(url)
    assert response.status_code == 404
    assert {"private", "no-store"} <= _cache_control(response)


def test_relative_times_are_left_to_the_browser(client, make_campaign):
    """The HTML says when, as a date; static/js/feed.js says "3 minutes ago". So the
    page needs no time slot in its cache key, and stays the same all day."""
    campaign = make_campaign()
    when = datetime.datetime(2026, 11, 20, 15, 30, tzinfo=datetime.UTC)
    give(campaign, donor("Ana Lopez"), given_at=when)
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert re.search(r'<time class="feed-time" datetime="2026-11-20T\d\d:30:00[^"]*">on ', html)
    assert " ago<" not in html


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


def test_sessions_and_query_strings_get_their_own_private_page(client, make_campaign, editor):
    campaign = make_campaign()
    url = campaign.get_absolute_url()
    client.get(url)

    prefilled = client.get(url + "?amount=75&frequency=monthly")
    assert {"private", "no-store"} <= _cache_control(prefilled)
    assert 'autocomplete="off" value="75"' in prefilled.content.decode()
    cancelled = client.get(url + "?cancelled=1").content.decode()
    assert "nothing was charged" in cancelled
    assert "nothing was charged" not in client.get(url).content.decode()

    client.force_login(editor)
    staff, staff_queries = _get(client, url)
    anonymous, anonymous_queries = _get(Client(), url)
    assert staff_queries > anonymous_queries == 0
    assert {"private", "no-store"} <= _cache_control(staff)
    assert "public" in _cache_control(anonymous)


def test_every_page_of_the_feed_and_its_fragment_are_public(client, make_campaign):
    campaign = make_campaign()
    for number in range(25):
        give(campaign, donor(f"Donor {number}"))
    url = f"/campaigns/{campaign.slug}/feed/"
    assert "public" in _cache_control(client.get(url))
    html = client.get(campaign.get_absolute_url()).content.decode()
    # "Show more": the next page, and the items alone that the script fetches, each at
    # an address of its own without a query string, so that a cache keeps them.
    more = re.search(r'href="(/campaigns/[^"]+/feed/after/[^"/]+/)"', html).group(1)
    items = re.search(r'data-items-url="(/campaigns/[^"]+/feed/after/[^"/]+/items/)"', html)
    for address in (more, items.group(1)):
        response = client.get(address)
        assert response.status_code == 200
        assert "public" in _cache_control(response)
        assert "ETag" in response
        again = client.get(address, headers={"If-None-Match": response["ETag"]})
        assert again.status_code == 304
    assert "Donor 4" in client.get(items.group(1)).content.decode()
    # The query-string form of older links is still answered, for that request only.
    legacy = client.get(url + "?after=" + more.rstrip("/").rpartition("/")[2] + "&fragment=1")
    assert legacy.status_code == 200
    assert {"private", "no-store"} <= _cache_control(legacy)


def test_the_page_is_rendered_when_the_cache_is_down(client, make_campaign, caplog):
    campaign = make_campaign()
    give(campaign, donor("Ana Lopez"))
    with (
        mock.patch("campaigns.http_cache.cache.get_many", side_effect=ConnectionError("down")),
        mock.patch("campaigns.http_cache.cache.set_many", side_effect=ConnectionError("down")),
    ):
        response = client.get(campaign.get_absolute_url())
    assert response.status_code == 200
    assert _names(response.content.decode()) == ["Ana Lopez"]
    assert "Page cache unavailable" in caplog.text
    # Still a public page: a shared cache in front may keep it all the same.
    assert "public" in _cache_control(response)


@pytest.mark.parametrize("path", ["/", "/campaigns/no-such-campaign/"])
def test_errors_and_the_front_page_follow_the_same_rules(client, campaign, path):
    response = client.get(path)
    if response.status_code == 200:
        assert "public" in _cache_control(response)
    else:
        assert {"private", "no-store"} <= _cache_control(response)


def test_a_page_from_the_cache_keeps_the_sites_headers(client, make_campaign):
    """The cache answers before the rest of the middleware runs; what that middleware
    put on the page (security policy, framing, language) comes back with it."""
    url = make_campaign().get_absolute_url()
    first = client.get(url)
    second, queries = _get(Client(), url)
    assert queries == 0
    for header in (
        "Content-Security-Policy",
        "X-Frame-Options",
        "Permissions-Policy",
        "Content-Language",
        "Content-Type",
        "Referrer-Policy",
        "X-Content-Type-Options",
    ):
        assert second[header] == first[header], header


def test_a_spanish_page_is_cached_apart_and_never_varies_on_accept_language(client, campaign):
    english = client.get("/", headers={"Accept-Language": "es"})
    spanish = client.get("/es/")
    again, queries = _get(Client(), "/es/")
    assert queries == 0
    assert english.content != spanish.content
    assert again.content == spanish.content
    assert '<html lang="es"' in spanish.content.decode()
    assert '<html lang="en"' in english.content.decode()
    for response in (english, spanish, again):
        assert "Accept-Language" not in response.get("Vary", "")


def test_only_public_pages_ask_the_cache(client, db, settings):
    """Anything else (an image, /healthz, robots.txt) keeps its own headers and costs
    no trip to the cache."""
    with mock.patch("campaigns.http_cache.cache.get_many") as get_many:
        assert client.get("/robots.txt")["Cache-Control"] == "max-age=86400, public"
        assert client.get("/healthz").status_code == 200
    get_many.assert_not_called()
