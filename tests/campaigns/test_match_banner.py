"""The sponsor's match on the campaign's page and its feed page: the promise while it
runs, an honest thank-you once it is met or over, in both languages, always current in
the cached page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Match
from tests.campaigns.gifts import change, give

SPONSOR = "Hartford Foundation"


@pytest.fixture
def running(make_campaign):
    """A campaign that started ten days ago and ends in twenty."""
    today = timezone.localdate()
    return make_campaign(
        starts_on=today - datetime.timedelta(days=10), ends_on=today + datetime.timedelta(days=20)
    )


def _match(campaign, **fields):
    values = {
        "campaign": campaign,
        "sponsor": SPONSOR,
        "ratio": Match.Ratio.ONE,
        "cap_dollars": 5000,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
    }
    return Match.objects.create(**(values | fields))


def _banner(html):
    """The banner's text as read, without the meter's fallback text."""
    found = re.search(r'<div class="match[^"]*">(.*?)</div>', html, re.S)
    if not found:
        return None
    text = re.sub(r"<progress.*?</progress>", " ", found.group(1), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def _page(client, campaign, language="en"):
    response = client.get(campaign.get_absolute_url(language=language))
    assert response.status_code == 200
    return response.content.decode()


def _english_day(day):
    return f"{day:%B} {day.day}"


@pytest.mark.parametrize(
    ("ratio", "word"), [(Match.Ratio.ONE, "doubled"), (Match.Ratio.TWO, "tripled")]
)
def test_it_says_how_much_every_gift_grows_and_how_far_the_match_is(client, running, ratio, word):
    end = timezone.localdate() + datetime.timedelta(days=5)
    _match(running, ratio=ratio, ends_on=end, cap_dollars=10000)
    give(running, amount=320000)
    html = _page(client, running)
    assert _banner(html) == (
        f"Every gift {word} until {_english_day(end)}, thanks to {SPONSOR} "
        f"{'$3,200' if ratio == 1 else '$6,400'} of $10,000 matched"
    )
    value = 320000 * ratio
    assert f'<progress class="match-bar" max="1000000" value="{value}"' in html
    assert 'aria-labelledby="match-label"' in html


def test_the_goal_counts_the_donors_money_only(client, make_campaign):
    campaign = make_campaign(goal_kind="dollars", goal_target=10000)
    _match(campaign, ends_on=campaign.starts_on + datetime.timedelta(days=30))
    give(campaign, amount=150000)
    html = _page(client, campaign)
    assert "<strong>$1,500</strong> raised of $10,000" in html
    assert "$1,500 of $5,000 matched" in _banner(html)


def test_a_3_to_1_match_quadruples(client, running):
    _match(running, ratio=Match.Ratio.THREE)
    assert _banner(_page(client, running)).startswith("Every gift quadrupled until ")


def test_once_the_cap_is_reached_it_says_the_match_was_met(client, running):
    _match(running, cap_dollars=5000)
    give(running, amount=400000)
    give(running, amount=200000)
    assert _banner(_page(client, running)) == (
        f"The $5,000 match from {SPONSOR} was met. Thank you! $5,000 of $5,000 matched"
    )


def test_after_its_end_date_it_thanks_without_promising(client, running):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    _match(running, ends_on=yesterday)
    give(running, amount=100000, given_at=timezone.now() - datetime.timedelta(days=3))
    give(running, amount=700000)  # today: after the match
    assert _banner(_page(client, running)) == (
        f"The match from {SPONSOR} has ended with $1,000 matched. Thank you! "
        "$1,000 of $5,000 matched"
    )


def test_a_match_that_has_not_started_is_announced_without_a_meter(client, running):
    start = timezone.localdate() + datetime.timedelta(days=3)
    _match(running, ratio=Match.Ratio.TWO, starts_on=start)
    give(running, amount=10000)  # before the match: nothing matched, nothing promised
    html = _page(client, running)
    assert _banner(html) == (
        f"From {_english_day(start)} to {_english_day(running.ends_on)}, every gift tripled, "
        f"thanks to {SPONSOR} Up to $5,000 matched"
    )
    assert 'class="match match-upcoming"' in html
    assert "match-bar" not in html
    banner = _banner(_page(client, running, "es"))
    assert banner.startswith(f"Del {start.day} de ") and "cada donación se triplica" in banner


def test_the_running_match_comes_before_the_next_and_the_next_before_the_last(client, running):
    today = timezone.localdate()
    _match(running, starts_on=running.starts_on, ends_on=today - datetime.timedelta(days=1))
    upcoming = _match(
        running, sponsor="Next Foundation", starts_on=today + datetime.timedelta(days=2)
    )
    assert _banner(_page(client, running)).endswith(
        "thanks to Next Foundation Up to $5,000 matched"
    )
    upcoming.starts_on = today
    upcoming.save()
    assert _banner(_page(client, running)).startswith("Every gift doubled until ")


def test_it_speaks_spanish_on_the_spanish_page_with_the_spanish_note(client, running):
    end = timezone.localdate() + datetime.timedelta(days=5)
    _match(
        running,
        ratio=Match.Ratio.TWO,
        ends_on=end,
        note="Thanks to our neighbors",
        note_es="Gracias a nuestros vecinos",
    )
    give(running, amount=10000)
    banner = _banner(_page(client, running, "es"))
    assert banner.startswith(f"Cada donación se triplica hasta el {end.day} de ")
    assert f"gracias a {SPONSOR}" in banner
    assert "Gracias a nuestros vecinos" in banner
    assert "Thanks to our neighbors" in _banner(_page(client, running))


def test_the_feed_page_shows_it_too(client, running):
    _match(running)
    give(running, amount=2500)
    html = client.get(reverse("campaigns:feed", args=[running.slug])).content.decode()
    assert _banner(html).endswith("$25 of $5,000 matched")


def test_the_cached_page_changes_when_a_gift_changes_the_match(client, running):
    _match(running)
    url = running.get_absolute_url()
    before = client.get(url)
    assert "$0 of $5,000 matched" in _banner(before.content.decode())

    gift = give(running, amount=120000)
    after = client.get(url, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "$1,200 of $5,000 matched" in _banner(after.content.decode())

    change(gift, refunded_cents=20000)
    refunded = client.get(url, headers={"If-None-Match": after["ETag"]})
    assert refunded.status_code == 200
    assert "$1,000 of $5,000 matched" in _banner(refunded.content.decode())
    # And an unchanged page is still answered from the cache.
    assert client.get(url, headers={"If-None-Match": refunded["ETag"]}).status_code == 304
