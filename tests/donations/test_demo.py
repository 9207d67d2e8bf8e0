import datetime
import io
import re

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from campaigns.demo import demo_dates, load_demo_campaign
from campaigns.models import Campaign, FeedItem
from donations.demo import EARLIER_FROM, SEED_ACTIVITY, load_demo_activity
from donations.models import Donor, Gift


def _load():
    call_command("load_demo", stdout=io.StringIO())
    return Campaign.objects.get(slug="oca-2017-appeal")


def _counts():
    return (
        Donor.objects.count(),
        Gift.objects.count(),
        FeedItem.objects.count(),
        Campaign.objects.values_list("donor_count", "raised_cents", "feed_count").get(),
    )


def test_it_reads_84_of_100_donors_from_the_ledger(db):
    campaign = _load()
    assert (campaign.donor_count, campaign.goal_target) == (84, 100)
    # Computed, not typed in: the ledger's own count of distinct donors agrees.
    assert (
        Gift.objects.filter(campaign=campaign, counted=True).values("donor").distinct().count()
        == 84
    )
    total = sum(Gift.objects.filter(campaign=campaign).values_list("amount_cents", flat=True))
    assert campaign.raised_cents == total


def test_it_shows_the_goal_and_the_count_on_the_page(client, db):
    campaign = _load()
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert "<strong>84</strong> of 100 donors" in html
    visible = FeedItem.objects.filter(campaign=campaign, hidden=False, withdrawn=False).count()
    assert campaign.feed_count == visible
    assert f"Showing {visible} reactions" in html


NOW = datetime.datetime(2026, 11, 28, 15, 0, tzinfo=datetime.UTC)


def _load_at(now):
    """The demo as `manage.py load_demo` makes it on the day of `now`: the campaign's
    dates and its activity both counted from that day, whatever today is."""
    campaign, _created = load_demo_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(**demo_dates(timezone.localdate(now)))
    campaign.refresh_from_db()
    return campaign, load_demo_activity(campaign, now=now)


def test_it_recreates_every_line_of_the_seed_feed_in_the_weeks_before_today(db):
    campaign, _added = _load_at(NOW)
    kinds = {
        "donated": "donated",
        "monthly": "monthly",
        "facebook": "shared_facebook",
        "x": "shared_x",
    }
    items = list(FeedItem.objects.filter(campaign=campaign).order_by("-occurred_at", "-id"))
    newest = items[: len(SEED_ACTIVITY)]
    assert len(newest) == 30
    for item, (what, _when, _name, _choice, message) in zip(newest, SEED_ACTIVITY, strict=True):
        assert item.kind == kinds[what]
        assert item.message == message
        assert item.is_demo
    # Not "9 years ago": the newest line is a couple of hours old, the oldest gift about
    # six weeks, and none is older than the campaign or in the future.
    assert newest[0].occurred_at == NOW - datetime.timedelta(hours=2, minutes=17)
    oldest = items[-1].occurred_at
    assert NOW - datetime.timedelta(days=41) < oldest < NOW - datetime.timedelta(days=40)
    assert oldest.date() >= campaign.starts_on
    gifts = Gift.objects.filter(campaign=campaign)
    assert min(gifts.values_list("given_at", flat=True)) == oldest
    assert max(gifts.values_list("given_at", flat=True)) == newest[0].occurred_at

    # The original rhythm survives, scaled: lines of the same second still share one,
    # and each line sits where it sat between the newest and the oldest of 2017.
    seed = [
        datetime.datetime.strptime(when, "%Y-%m-%d %H:%M:%S %z") for _, when, *_ in SEED_ACTIVITY
    ]
    span, seed_span = newest[0].occurred_at - oldest, seed[0] - EARLIER_FROM
    for item, seed_time in zip(newest, seed, strict=True):
        moved = (newest[0].occurred_at - item.occurred_at) / span
        original = (seed[0] - seed_time) / seed_span
        assert abs(moved - original) < 1e-6
    assert newest[8].occurred_at == newest[9].occurred_at  # "monthly" and a gift, 07:32:19


def test_it_finds_what_it_made_when_run_on_a_later_day(db):
    campaign, added = _load_at(NOW)
    assert added == (84, 4)
    times = sorted(FeedItem.objects.values_list("occurred_at", flat=True))
    _campaign, added_again = _load_at(NOW + datetime.timedelta(days=3))
    assert added_again == (0, 0)
    assert sorted(FeedItem.objects.values_list("occurred_at", flat=True)) == times
    assert Gift.objects.count() == 84


def test_it_starts_the_demo_campaign_weeks_ago_and_ends_it_weeks_ahead(db):
    campaign = _load()
    today = timezone.localdate()
    assert campaign.starts_on == today - datetime.timedelta(days=42)
    assert campaign.ends_on == today + datetime.timedelta(days=33)
    assert campaign.is_running


def test_it_honours_the_display_choices_of_the_demo_donors(client, db):
    campaign = _load()
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert 'feed-name">Rosa Delgado</span> donated' in html  # full name
    assert 'feed-name">Martin</span> donated' in html  # first name only
    assert "Okafor" not in html
    assert 'feed-name">Someone</span> donated' in html  # anonymous
    assert "Demo supporter" not in html
    assert 'feed-name">Carmen Ruiz</span> shared this on Facebook' in html
    assert (
        "Just made a donation to Open Communities Alliance for more diverse &amp; equal CT" in html
    )


def test_it_flags_everything_as_demo_and_sends_no_receipt(db, mailoutbox):
    _load()
    assert not Donor.objects.filter(is_demo=False).exists()
    assert not Gift.objects.filter(is_demo=False).exists()
    assert not FeedItem.objects.filter(is_demo=False).exists()
    assert set(Gift.objects.values_list("receipt_status", flat=True)) == {"not_needed"}
    assert not Donor.objects.exclude(email="").exists()
    assert mailoutbox == [] and mail.outbox == []


def test_it_includes_checks_a_monthly_start_and_the_four_shares(db):
    _load()
    assert Gift.objects.filter(method="check").count() > 0
    assert Gift.objects.filter(frequency="monthly", starts_monthly=True).count() == 1
    # Three sharers also gave: their shares add reactions, not donors.
    assert FeedItem.objects.filter(kind__startswith="shared_").count() == 4


def test_it_adds_nothing_when_run_again(db):
    _load()
    before = _counts()
    _load()
    assert _counts() == before


def test_it_says_what_it_did(db, capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    second = capsys.readouterr().out
    assert re.search(r"\d+ gifts and 4 shares added; the page shows 84 donors", first)
    assert "0 gifts and 0 shares added; the page shows 84 donors" in second
