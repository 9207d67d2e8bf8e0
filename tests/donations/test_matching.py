"""A sponsor's match: its total follows the counted gifts, whatever happens to them."""

import datetime
import random

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Match
from donations import gift_sync, matching, receipts
from donations.checks import void_gift
from donations.models import Gift

from .test_pdf_receipts import _text
from .test_webhooks import _event_stream, _wipe_ledger
from .webhook_helpers import deliver

SPONSOR = "Hartford Foundation"


@pytest.fixture
def make_match(campaign):
    """`make_match(**fields)`: a 1:1 match of up to $5,000 over the campaign's dates,
    validated as the admin validates it."""

    def make(**fields):
        values = {"campaign": campaign, "sponsor": SPONSOR, "ratio": 1, "cap_dollars": 5000}
        match = Match(**(values | fields))
        match.full_clean()
        match.save()
        return match

    return make


def matched(match):
    match.refresh_from_db()
    return match.matched_cents


def _at(day, hour=12, minute=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _refund(gift, cents):
    gift.merge_refund(cents, gift.stripe_charge_id)
    gift_sync.save_gift(gift)


def test_it_matches_each_counted_gift_times_the_ratio(make_match, online_gift, log_check):
    match = make_match()
    online_gift(amount_cents=5000)
    online_gift(amount_cents=2550)
    log_check(amount_cents=10000)
    assert matched(match) == 17550

    match.ratio = Match.Ratio.TWO
    match.save()  # an editor's change: the total follows at once
    assert matched(match) == 35100


def test_a_partial_refund_takes_back_its_part_and_a_full_refund_all(make_match, online_gift):
    match = make_match()
    kept = online_gift(amount_cents=3000)
    gift = online_gift(amount_cents=10000)
    assert matched(match) == 13000

    _refund(gift, 4000)
    assert gift.status == Gift.Status.PARTIALLY_REFUNDED
    assert matched(match) == 9000

    _refund(gift, 10000)
    assert gift.status == Gift.Status.REFUNDED
    assert matched(match) == kept.amount_cents


def test_a_dispute_holds_the_match_back_until_it_is_won(make_match, online_gift):
    match = make_match()
    won = online_gift(amount_cents=4000)
    lost = online_gift(amount_cents=6000)
    for gift in (won, lost):
        gift.merge_dispute("dp_1", closed=False, lost=False)
        gift_sync.save_gift(gift)
    assert matched(match) == 0

    won.merge_dispute("dp_1", closed=True, lost=False)
    gift_sync.save_gift(won)
    lost.merge_dispute("dp_2", closed=True, lost=True)
    gift_sync.save_gift(lost)
    assert matched(match) == 4000


def test_a_voided_check_is_unmatched(make_match, log_check, bookkeeper):
    match = make_match()
    check = log_check(amount_cents=25000)
    log_check(amount_cents=1000)
    assert matched(match) == 26000
    void_gift(check, "bounced check", bookkeeper)
    assert matched(match) == 1000


def test_failed_and_pending_payments_are_not_matched(make_match, online_gift):
    match = make_match()
    online_gift(amount_cents=7000, payment=Gift.Payment.PENDING)
    failed = online_gift(amount_cents=8000, payment=Gift.Payment.PENDING)
    failed.merge_payment(Gift.Payment.FAILED)
    gift_sync.save_gift(failed)
    assert matched(match) == 0

    settled = online_gift(amount_cents=9000, payment=Gift.Payment.PENDING)
    settled.merge_payment(Gift.Payment.SUCCEEDED)
    gift_sync.save_gift(settled)
    assert matched(match) == 9000


def test_only_gifts_on_the_match_dates_count_in_local_time(campaign, make_match, online_gift):
    first = campaign.starts_on + datetime.timedelta(days=3)
    last = first + datetime.timedelta(days=2)
    match = make_match(starts_on=first, ends_on=last)
    online_gift(amount_cents=1000, given_at=_at(first, 0, 5))  # just after midnight
    online_gift(amount_cents=2000, given_at=_at(last, 23, 55))  # 04:55 UTC the day after
    online_gift(amount_cents=40000, given_at=_at(first - datetime.timedelta(days=1), 23, 55))
    online_gift(amount_cents=80000, given_at=_at(last + datetime.timedelta(days=1), 0, 5))
    assert matched(match) == 3000


def test_the_cap_stops_the_match_and_a_refund_below_it_reopens_it(make_match, online_gift):
    match = make_match(cap_dollars=100, ratio=Match.Ratio.TWO)
    online_gift(amount_cents=3000)
    big = online_gift(amount_cents=5000)
    assert matched(match) == 10000  # 2 × $80 = $160, capped at $100
    rows, total = matching.breakdown(match)
    assert [row["matched_cents"] for row in rows] == [6000, 4000]
    assert total == 10000

    _refund(big, 4000)
    assert matched(match) == 8000  # 2 × ($30 + $10)


def test_the_fee_a_donor_covered_is_not_matched(make_match, make_pledge, online_gift):
    match = make_match()
    pledge = make_pledge(amount=10320, fee_cents=320)
    online_gift(amount_cents=10320, pledge=pledge)
    assert matched(match) == 10000


def test_a_monthly_gift_whose_amount_changed_is_matched_in_full(
    make_match, make_pledge, online_gift
):
    # $10 a month plus $0.59 of fee; the donor later makes it $25 a month ("Manage my
    # giving" or Stripe's portal), a price with no fee in it: each later charge still
    # carries the first pledge, but none of it is a covered fee.
    match = make_match()
    pledge = make_pledge(amount=1059, fee_cents=59, frequency="monthly")
    online_gift(amount_cents=1059, pledge=pledge, frequency="monthly")
    online_gift(amount_cents=2500, pledge=pledge, frequency="monthly")
    assert matched(match) == 1000 + 2500
    rows, total = matching.breakdown(match)
    assert [row["given_cents"] for row in rows] == [1000, 2500]
    assert total == 3500


def test_two_matches_each_count_their_own_dates(campaign, make_match, online_gift):
    early_end = campaign.starts_on + datetime.timedelta(days=9)
    early = make_match(ends_on=early_end, sponsor="Early sponsor")
    late = make_match(starts_on=early_end + datetime.timedelta(days=1))
    online_gift(amount_cents=1500, given_at=_at(early_end))
    online_gift(amount_cents=2500)
    assert (matched(early), matched(late)) == (1500, 2500)


def test_it_ends_with_the_exact_match_after_a_shuffled_stream_with_duplicates(
    client, campaign, make_pledge, stripe_api
):
    # Over 200 webhook events (payments, delayed methods that succeed or fail,
    # partial and full refunds, disputes won and lost, monthly charges) in Stripe's
    # order, then again shuffled with a third of them repeated.
    rng = random.Random(20261129)
    events = _event_stream(make_pledge, stripe_api, rng)
    match = Match.objects.create(
        campaign=campaign,
        sponsor=SPONSOR,
        ratio=Match.Ratio.TWO,
        cap_dollars=1_000_000,  # far above the stream: every cent shows
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    for event in events:
        assert deliver(client, event).status_code == 200
    # What the match owes, added up here from the gifts one by one.
    owed = 2 * sum(
        gift.amount_cents - gift.refunded_cents
        for gift in Gift.objects.all()
        if gift.status in ("succeeded", "partially_refunded")
    )
    statuses = set(Gift.objects.values_list("status", flat=True))
    assert statuses >= {"succeeded", "partially_refunded", "refunded", "dispute_lost", "failed"}
    assert owed > 0
    assert matched(match) == owed

    _wipe_ledger()
    Match.objects.update(matched_cents=0)
    shuffled = events + rng.sample(events, k=len(events) // 3)
    rng.shuffle(shuffled)
    for event in shuffled:
        assert deliver(client, event).status_code == 200
    assert matched(match) == owed

    # With a cap the stream passes, the match stops at the cap.
    match.cap_dollars = owed // 100 // 3
    match.save()
    assert matched(match) == match.cap_cents


def test_receipts_never_mention_the_match(
    make_match, online_gift, django_capture_on_commit_callbacks
):
    make_match(note="Thanks to our neighbors at the Foundation")
    with django_capture_on_commit_callbacks(execute=True):
        gift = online_gift(amount_cents=5000)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    texts = [message.body, *(content for content, _type in message.alternatives)]
    texts.append(_text(receipts.receipt_pdf(gift)))
    for text in texts:
        assert "$50" in text  # the gift itself is on it
        for word in (SPONSOR, "match", "doubled", "Foundation"):
            assert word.lower() not in text.lower(), word
