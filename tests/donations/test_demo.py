import datetime
import io
import re

from django.core import mail
from django.core.management import call_command

from campaigns.models import Campaign, FeedItem
from donations.demo import SEED_ACTIVITY
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
    assert "<strong>84 donors</strong> / 100 donors" in html
    visible = FeedItem.objects.filter(campaign=campaign, hidden=False, withdrawn=False).count()
    assert campaign.feed_count == visible
    assert f"Showing {visible} reactions" in html


def test_it_recreates_every_line_of_the_seed_feed_with_its_time(db):
    campaign = _load()
    kinds = {
        "donated": "donated",
        "monthly": "monthly",
        "facebook": "shared_facebook",
        "x": "shared_x",
    }
    newest = list(
        FeedItem.objects.filter(campaign=campaign).order_by("-occurred_at", "-id")[
            : len(SEED_ACTIVITY)
        ]
    )
    assert len(newest) == 30
    for item, (what, when, _name, _choice, message) in zip(newest, SEED_ACTIVITY, strict=True):
        assert item.kind == kinds[what]
        assert item.occurred_at == datetime.datetime.strptime(when, "%Y-%m-%d %H:%M:%S %z")
        assert item.message == message
        assert item.is_demo
    # The original offsets survive: a summer line at -04:00, a winter one at -05:00.
    assert newest[0].occurred_at.isoformat() == "2017-10-28T14:48:43+00:00"
    assert newest[-1].occurred_at.isoformat() == "2016-12-22T14:42:33+00:00"


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
