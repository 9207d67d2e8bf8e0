import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns import feed, formatting
from campaigns.models import Campaign, FeedItem
from donations import gift_sync
from donations.models import Donor, Gift

from .gifts import change, donor, give


def _feed_html(html):
    start = html.index('<section class="feed"')
    return html[start : html.index("</section>", start)]


def _names(html):
    return re.findall(r'<span class="feed-name">([^<]*)</span>', html)


def _more_href(html):
    match = re.search(r'<p class="feed-more" data-feed-more><a [^>]*href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def _items_href(html):
    """The address "Show more" fetches the next items from (static/js/feed.js)."""
    match = re.search(r'<p class="feed-more" data-feed-more><a [^>]*data-items-url="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def _publish(campaign, n, *, at=None, prefix="item"):
    """n items "<prefix> 0".. "<prefix> n-1", one second apart, the last one newest."""
    at = at or timezone.now() - datetime.timedelta(days=1)
    for i in range(n):
        feed.publish(
            campaign_id=campaign.pk,
            key=f"{prefix}:{i}",
            kind=FeedItem.Kind.DONATED,
            display_name=f"{prefix} {i}",
            occurred_at=at + datetime.timedelta(seconds=i),
        )


def _visible_count(campaign):
    return FeedItem.objects.filter(campaign=campaign, withdrawn=False, hidden=False).count()


def _feed_count(campaign):
    return Campaign.objects.values_list("feed_count", flat=True).get(pk=campaign.pk)


# What an item shows ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "shown"),
    [("full", "Ana María Lopez"), ("first", "Ana"), ("anonymous", "Someone")],
)
def test_it_shows_the_donor_as_they_chose(client, make_campaign, choice, shown):
    campaign = make_campaign()
    give(campaign, donor("Ana María Lopez"), display_as=choice)
    html = _feed_html(client.get(campaign.get_absolute_url()).content.decode())
    assert _names(html) == [shown]
    assert f'<span class="feed-name">{shown}</span> donated' in html
    if choice != "full":
        assert "Lopez" not in html


def test_it_shows_the_action_the_message_and_when(client, make_campaign):
    campaign = make_campaign()
    three_hours_ago = timezone.now() - datetime.timedelta(hours=3, minutes=5)
    give(campaign, donor("Ben Ross"), message="For fair housing!", given_at=three_hours_ago)
    give(
        campaign,
        donor("Cy Young"),
        frequency="monthly",
        starts_monthly=True,
        given_at=timezone.now(),
    )
    html = _feed_html(client.get(campaign.get_absolute_url()).content.decode())
    iso = timezone.localtime(three_hours_ago).isoformat(timespec="seconds")
    # The date; the browser's script turns it into "3 hours ago" (tests/browser).
    day = formatting.format_date(three_hours_ago)
    assert f'<time class="feed-time" datetime="{iso}">on {day}</time>' in html
    assert '<p class="feed-message">For fair housing!</p>' in html
    assert "Cy Young</span> started a monthly donation" in html


def test_it_escapes_names_and_messages(client, make_campaign):
    campaign = make_campaign()
    give(
        campaign,
        donor('<script>alert("n")</script>'),
        message='<img src=x onerror="alert(1)"> & <b>bold</b>',
    )
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert '<script>alert("n")' not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_it_never_shows_an_email_address_or_an_amount(client, make_campaign):
    campaign = make_campaign()
    ana = donor("Ana Lopez", email="ana.private@example.org")
    give(campaign, ana, amount=123456)
    give(campaign, donor("Ben Ross", email="ben.private@example.org"), amount=98765)
    _publish(campaign, 25)  # so that there is a next page too
    page = client.get(campaign.get_absolute_url()).content.decode()
    next_page = client.get(reverse("campaigns:feed", args=[campaign.slug])).content.decode()
    fragment = client.get(_items_href(page)).content.decode()
    for html in (page, next_page, fragment):
        assert "private@example.org" not in html
        assert "1,234.56" not in html and "1234.56" not in html
        assert "987.65" not in html
    assert "$" not in _feed_html(page)
    assert "$" not in fragment


# What is visible -------------------------------------------------------------------


def test_it_leaves_out_hidden_refunded_disputed_and_voided_gifts(client, make_campaign, superuser):
    campaign = make_campaign()
    kept = give(campaign, donor("Kept Donor"))
    refunded = give(campaign, donor("Refunded Donor"))
    disputed = give(campaign, donor("Disputed Donor"))
    voided = give(campaign, donor("Voided Check"), method="check", check_number="1001")
    hidden = give(campaign, donor("Hidden Donor"))
    change(refunded, refunded_cents=refunded.amount_cents)
    change(disputed, dispute=Gift.Dispute.OPEN)
    change(voided, voided_at=timezone.now(), void_reason="Bounced")
    feed.hide([FeedItem.objects.get(source_key=hidden.feed_key).pk], reason="Spam", user=superuser)

    html = client.get(campaign.get_absolute_url()).content.decode()
    assert _names(_feed_html(html)) == ["Kept Donor"]
    assert "Showing 1 reaction<" in html
    assert kept.feed_key  # the one left is the kept gift's own item
    assert _feed_count(campaign) == 1


def test_it_brings_an_item_back_when_its_dispute_is_won(client, make_campaign):
    campaign = make_campaign()
    gift = give(campaign, donor("Won Dispute"))
    change(gift, dispute=Gift.Dispute.OPEN)
    assert _feed_count(campaign) == 0
    change(gift, dispute=Gift.Dispute.WON)
    assert _names(client.get(campaign.get_absolute_url()).content.decode()) == ["Won Dispute"]
    assert _feed_count(campaign) == 1


def test_it_keeps_a_hidden_item_hidden_when_the_ledger_publishes_it_again(make_campaign, superuser):
    campaign = make_campaign()
    gift = give(campaign, donor("Hidden Donor"))
    item = FeedItem.objects.get(source_key=gift.feed_key)
    feed.hide([item.pk], reason="Offensive message", user=superuser)
    change(gift, refunded_cents=gift.amount_cents)
    change(gift, refunded_cents=0)  # e.g. a refund event replayed out of order, then fixed
    gift_sync.sync_gift(gift)
    item.refresh_from_db()
    assert item.hidden and not item.withdrawn
    assert (item.hidden_reason, item.hidden_by) == ("Offensive message", superuser)
    assert _feed_count(campaign) == 0


def test_it_says_when_nobody_has_given_yet(client, make_campaign):
    campaign = make_campaign()
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert "No gifts yet. Be the first to give!" in html
    assert "feed-more" not in html


# The count stays exact -------------------------------------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["publish", "withdraw", "hide", "unhide", "recount"]),
        st.integers(min_value=0, max_value=3),
    ),
    max_size=30,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=OPERATIONS)
def test_it_keeps_the_count_equal_to_the_visible_items(make_campaign, superuser, operations):
    campaign = Campaign.objects.filter(slug="counted").first() or make_campaign(slug="counted")
    FeedItem.objects.all().delete()
    Campaign.objects.filter(pk=campaign.pk).update(feed_count=0)
    at = timezone.now()
    for operation, n in operations:
        key = f"gift:{n}"
        if operation == "publish":
            feed.publish(
                campaign_id=campaign.pk,
                key=key,
                kind="donated",
                display_name="X",
                occurred_at=at,
            )
        elif operation == "withdraw":
            feed.withdraw(key)
        elif operation == "recount":
            feed.recount(campaign.pk)
        else:
            ids = list(FeedItem.objects.filter(source_key=key).values_list("pk", flat=True))
            if operation == "hide":
                feed.hide(ids, reason="Test", user=superuser)
            else:
                feed.unhide(ids)
        assert _feed_count(campaign) == _visible_count(campaign), (operation, n)


def test_it_refuses_to_hide_without_a_reason(make_campaign, superuser):
    campaign = make_campaign()
    gift = give(campaign)
    with pytest.raises(ValueError, match="reason"):
        feed.hide([FeedItem.objects.get(source_key=gift.feed_key).pk], reason="  ", user=superuser)
    assert _feed_count(campaign) == 1


def test_it_keeps_the_count_when_an_editor_saves_the_campaign(make_campaign):
    campaign = make_campaign()
    stale = Campaign.objects.get(pk=campaign.pk)  # an editor's form, read before the gift
    give(campaign)
    stale.title = "New title"
    stale.save()
    fresh = Campaign.objects.get(pk=campaign.pk)
    assert (fresh.title, fresh.feed_count, fresh.donor_count) == ("New title", 1, 1)


# Pages by cursor ---------------------------------------------------------------------


def test_it_shows_the_newest_20_and_the_total(client, make_campaign):
    campaign = make_campaign()
    _publish(campaign, 45)
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert _names(html) == [f"item {i}" for i in range(44, 24, -1)]
    assert "Showing 45 reactions" in html
    # The cursor is in the path: every page of the feed is a public, cacheable page.
    assert re.fullmatch(rf"/campaigns/{campaign.slug}/feed/after/[\w-]+/", _more_href(html))
    assert _items_href(html) == _more_href(html) + "items/"


def test_it_pages_without_repeats_or_gaps_when_items_arrive_between_pages(client, make_campaign):
    campaign = make_campaign()
    # Ten items share one instant, so a page boundary falls among equal times.
    base = timezone.now() - datetime.timedelta(hours=1)
    _publish(campaign, 15, at=base - datetime.timedelta(minutes=5), prefix="old")
    for i in range(10):
        feed.publish(
            campaign_id=campaign.pk,
            key=f"tie:{i}",
            kind="donated",
            display_name=f"tie {i}",
            occurred_at=base,
        )
    _publish(campaign, 20, at=base + datetime.timedelta(minutes=5), prefix="new")
    expected = [
        item.display_name
        for item in FeedItem.objects.filter(campaign=campaign).order_by("-occurred_at", "-id")
    ]

    seen = []
    html = client.get(campaign.get_absolute_url()).content.decode()
    seen += _names(_feed_html(html))
    href = _more_href(html)
    page_number = 0
    while href:
        page_number += 1
        # Gifts keep arriving while the donor reads.
        _publish(campaign, 3, at=timezone.now(), prefix=f"arrived-{page_number}")
        page = client.get(href).content.decode()
        seen += _names(page)
        href = _more_href(page)

    assert seen == expected
    assert len(seen) == len(set(seen)) == 45


def test_it_runs_the_next_page_as_the_same_html_or_as_a_fragment(client, make_campaign):
    campaign = make_campaign()
    _publish(campaign, 25)
    html = client.get(campaign.get_absolute_url()).content.decode()
    page = client.get(_more_href(html))
    fragment = client.get(_items_href(html))
    assert page.status_code == fragment.status_code == 200
    expected = [f"item {i}" for i in range(4, -1, -1)]
    assert _names(page.content.decode()) == _names(fragment.content.decode()) == expected
    assert "<html" in page.content.decode()
    body = fragment.content.decode().strip()
    assert body.startswith('<ol class="feed-items" data-feed-list>')
    assert "<html" not in body and "feed-more" not in body  # the last page: no "Show more"
    assert f'href="{campaign.get_absolute_url()}"' in page.content.decode()


@pytest.mark.parametrize("cursor", ["nonsense", "MTIzNA", "LTEuMA", "", "x" * 500])
def test_it_explains_a_broken_show_more_link(client, make_campaign, cursor):
    campaign = make_campaign()
    _publish(campaign, 3)
    url = reverse("campaigns:feed", args=[campaign.slug]) + f"?after={cursor}"
    response = client.get(url)
    if not cursor:
        assert response.status_code == 200  # no cursor: the newest items
        return
    assert response.status_code == 400
    assert "This link to more reactions is not valid" in response.content.decode()
    assert "Start from the newest reactions" in response.content.decode()
    fragment = client.get(url + "&fragment=1")
    assert fragment.status_code == 400
    assert fragment.content.decode().startswith("This link to more reactions is not valid")
    # The same cursor in the path, as the site now links to it.
    page = client.get(reverse("campaigns:feed-after", args=[campaign.slug, cursor]))
    assert page.status_code == 400
    assert "Start from the newest reactions" in page.content.decode()
    items = client.get(reverse("campaigns:feed-items", args=[campaign.slug, cursor]))
    assert items.status_code == 400
    assert items.content.decode().startswith("This link to more reactions is not valid")


def test_it_decodes_only_its_own_cursors(make_campaign):
    campaign = make_campaign()
    _publish(campaign, 1)
    item = FeedItem.objects.get()
    assert feed.decode_cursor(feed.encode_cursor(item)) == (item.occurred_at, item.pk)
    old = FeedItem(
        pk=7, occurred_at=datetime.datetime(1960, 5, 1, 12, 0, 0, 5, tzinfo=datetime.UTC)
    )
    assert feed.decode_cursor(feed.encode_cursor(old)) == (old.occurred_at, 7)
    for broken in ["", "=", "MS4w", "YS5i", "MS4wMQ", "MV8wLjE"]:
        with pytest.raises(feed.InvalidCursor):
            feed.decode_cursor(broken)


def test_it_hides_a_drafts_feed_from_the_public(client, make_campaign):
    campaign = make_campaign(is_published=False)
    assert client.get(reverse("campaigns:feed", args=[campaign.slug])).status_code == 404


def test_it_refuses_to_post_to_the_feed(client, make_campaign):
    campaign = make_campaign()
    assert client.post(reverse("campaigns:feed", args=[campaign.slug])).status_code == 405


# A fixed number of queries -----------------------------------------------------------


def _load(campaign, n):
    donors = Donor.objects.bulk_create(
        Donor(name=f"Donor {i}", email=f"d{campaign.pk}-{i}@example.org") for i in range(n // 10)
    )
    start = timezone.now() - datetime.timedelta(days=30)
    gifts = Gift.objects.bulk_create(
        (
            Gift(
                campaign=campaign,
                donor=donors[i % len(donors)],
                amount_cents=2500,
                display_as="full",
                given_at=start + datetime.timedelta(minutes=i),
                receipt_status="not_needed",
            )
            for i in range(n)
        ),
        batch_size=2000,
    )
    FeedItem.objects.bulk_create(
        (
            FeedItem(
                campaign=campaign,
                kind="donated",
                display_name=gift.donor.name,
                occurred_at=gift.given_at,
                source_key=f"gift:{gift.pk}",
            )
            for gift in gifts
        ),
        batch_size=2000,
    )
    gift_sync.refresh_progress(campaign.pk)
    feed.recount(campaign.pk)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    # The totals come from the campaign's counters, never from counting rows.
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    return len(queries), response.content.decode()


def test_it_runs_the_same_queries_with_10_or_10000_gifts(client, make_campaign):
    small, large = make_campaign(slug="small"), make_campaign(slug="large")
    _load(small, 10)
    _load(large, 10_000)
    assert Campaign.objects.get(pk=large.pk).feed_count == 10_000

    small_page, small_html = _queries(client, small.get_absolute_url())
    large_page, large_html = _queries(client, large.get_absolute_url())
    assert small_page == large_page
    assert "Showing 10 reactions" in small_html
    assert "Showing 10000 reactions" in large_html
    assert "<strong>1</strong> of " in small_html
    assert "<strong>1000</strong> of " in large_html

    # The next page, near the top and far down the feed, as a page and as a fragment.
    feed_url = reverse("campaigns:feed", args=[large.slug])
    newest_first = FeedItem.objects.filter(campaign=large).order_by("-occurred_at", "-id")
    far_down, after_it = newest_first[9000], newest_first[9001]
    cursor = feed.encode_cursor(far_down)
    deep = reverse("campaigns:feed-after", args=[large.slug, cursor])
    pages = {
        _queries(client, _more_href(small_html) or reverse("campaigns:feed", args=[small.slug]))[0],
        _queries(client, _more_href(large_html))[0],
        _queries(client, deep)[0],
        # Links made before the cursor moved into the path still work, at the same cost.
        _queries(client, f"{feed_url}?after={cursor}")[0],
    }
    assert len(pages) == 1
    # The items alone ("Show more") skip the page around them (its header reads the
    # organization's logo), and cost the same near the top and far down.
    near_top = feed.encode_cursor(newest_first[5])
    fragments = {
        _queries(client, reverse("campaigns:feed-items", args=[large.slug, near_top]))[0],
        _queries(client, reverse("campaigns:feed-items", args=[large.slug, cursor]))[0],
    }
    assert len(fragments) == 1
    assert fragments.pop() <= pages.pop()
    assert _names(client.get(deep).content.decode())[0] == after_it.display_name


# The cached feed section ---------------------------------------------------------------


def test_a_gift_and_a_hide_show_on_the_very_next_request(client, make_campaign, superuser):
    campaign = make_campaign()
    give(campaign, donor("First Donor"))
    assert _names(client.get(campaign.get_absolute_url()).content.decode()) == ["First Donor"]

    give(campaign, donor("Second Donor"))
    assert _names(client.get(campaign.get_absolute_url()).content.decode()) == [
        "Second Donor",
        "First Donor",
    ]
    item = FeedItem.objects.get(display_name="Second Donor")
    feed.hide([item.pk], reason="Asked to be removed", user=superuser)
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert _names(html) == ["First Donor"]
    assert "Showing 1 reaction<" in html


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_count_exact_when_changes_race(make_campaign, superuser):
    """Four processes publish, withdraw, hide and unhide the same items at once."""
    import random
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI runs it)")
    campaign = make_campaign()
    keys = [f"gift:{n}" for n in range(6)]
    barrier = threading.Barrier(4)
    errors = []

    def work(seed):
        rng = random.Random(seed)
        try:
            barrier.wait(timeout=5)
            for _ in range(40):
                key, operation = rng.choice(keys), rng.choice("pwhu")
                if operation == "p":
                    feed.publish(
                        campaign_id=campaign.pk,
                        key=key,
                        kind="donated",
                        display_name="X",
                        occurred_at=timezone.now(),
                    )
                elif operation == "w":
                    feed.withdraw(key)
                else:
                    ids = list(FeedItem.objects.filter(source_key=key).values_list("pk", flat=True))
                    if operation == "h":
                        feed.hide(ids, reason="Race", user=superuser)
                    else:
                        feed.unhide(ids)
        except Exception as error:  # reported below, with the thread's seed
            errors.append((seed, error))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert FeedItem.objects.count() == len(keys)
    assert _feed_count(campaign) == _visible_count(campaign)
