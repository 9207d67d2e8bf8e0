"""The goal meter counts distinct donors with at least one counted gift, and money raised.

Gifts are booked through the ledger as Stripe's events and the check log book them:
invoices of a monthly gift, one-time gifts, checks, refunds and voids.
"""

import datetime
import re

from django.utils import timezone, translation

from campaigns.models import Campaign
from donations import adjustments, ledger
from donations.models import Donor, Gift, Pledge
from tests.donations import stripe_payloads as sp

from .gifts import change, donor, give


def _monthly_pledge(campaign, who, amount=2500):
    return Pledge.objects.create(
        campaign=campaign,
        donor=who,
        frequency="monthly",
        gift_cents=amount,
        amount_cents=amount,
        display_as="full",
        status=Pledge.Status.OPEN,
    )


def _book_invoice(pledge, sub_id, *, first):
    invoice = sp.invoice(
        sub_id,
        amount=pledge.amount_cents,
        metadata=sp.pledge_metadata(pledge),
        billing_reason="subscription_create" if first else "subscription_cycle",
    )
    return ledger.book_invoice(invoice, occurred_at=timezone.now())


def _refund(gift, amount):
    charge = sp.charge(gift.stripe_payment_intent_id, gift.amount_cents, amount_refunded=amount)
    return adjustments.apply_refund(charge, event=sp.event("charge.refunded", charge))


def _progress(campaign):
    return Campaign.objects.values_list("donor_count", "raised_cents").get(pk=campaign.pk)


def _goal_html(client, campaign):
    html = client.get(campaign.get_absolute_url()).content.decode()
    start = html.index('<div class="goal">')
    return html[start : html.index("</div>", start) + 6]


def test_it_counts_each_donor_once_across_monthly_one_time_and_check_gifts(client, make_campaign):
    campaign = make_campaign(goal_target=50)
    ana = donor("Ana Lopez")
    pledge = _monthly_pledge(campaign, ana)
    sub_id = sp.new_id("sub")

    first = _book_invoice(pledge, sub_id, first=True)
    assert _progress(campaign) == (1, 2500)
    _book_invoice(pledge, sub_id, first=False)  # the second month
    assert _progress(campaign) == (1, 5000)
    give(campaign, ana, amount=10000)  # a one-time gift on top
    give(campaign, ana, amount=3000, method=Gift.Method.CHECK, check_number="77")
    assert _progress(campaign) == (1, 18000)

    ben = donor("Ben Ross", email="")
    check = give(campaign, ben, amount=20000, method=Gift.Method.CHECK, check_number="1001")
    assert _progress(campaign) == (2, 38000)
    assert "<strong>2</strong> of 50 donors" in _goal_html(client, campaign)

    # Refunding one monthly charge leaves Ana counted through her other gifts.
    _refund(first, first.amount_cents)
    assert _progress(campaign) == (2, 35500)
    # A bounced check takes Ben off the goal.
    change(check, voided_at=timezone.now(), void_reason="Bounced")
    assert _progress(campaign) == (1, 15500)
    assert "<strong>1</strong> of 50 donors" in _goal_html(client, campaign)


def test_it_keeps_a_partly_refunded_donor_and_drops_a_fully_refunded_one(make_campaign):
    campaign = make_campaign()
    partly = give(campaign, donor("Partly"), amount=10000, stripe_payment_intent_id="pi_partly")
    fully = give(campaign, donor("Fully"), amount=5000, stripe_payment_intent_id="pi_fully")
    assert _progress(campaign) == (2, 15000)
    _refund(partly, 4000)
    assert _progress(campaign) == (2, 11000)
    _refund(fully, 5000)
    assert _progress(campaign) == (1, 6000)


def test_it_counts_a_monthly_donor_once_however_many_months(make_campaign):
    campaign = make_campaign()
    pledge = _monthly_pledge(campaign, donor("Cy Young"))
    sub_id = sp.new_id("sub")
    _book_invoice(pledge, sub_id, first=True)
    for _ in range(11):
        _book_invoice(pledge, sub_id, first=False)
    assert _progress(campaign) == (1, 12 * 2500)
    assert Gift.objects.filter(campaign=campaign).count() == 12


def test_it_counts_only_this_campaigns_gifts(make_campaign):
    spring, fall = make_campaign(slug="spring"), make_campaign(slug="fall")
    ana = donor("Ana Lopez")
    give(spring, ana)
    give(fall, ana)
    give(fall, donor("Ben Ross"))
    assert _progress(spring) == (1, 5000)
    assert _progress(fall) == (2, 10000)


def test_it_shows_a_new_gift_at_once(client, make_campaign):
    campaign = make_campaign(goal_target=100)
    assert "<strong>0</strong> of 100 donors" in _goal_html(client, campaign)
    give(campaign)
    assert "<strong>1</strong> of 100 donors" in _goal_html(client, campaign)
    assert 'value="1"' in _goal_html(client, campaign)


def test_it_announces_the_goal_as_a_named_progress_bar(client, make_campaign):
    campaign = make_campaign(goal_target=100)
    for name in ("A", "B", "C"):
        give(campaign, donor(name))
    html = _goal_html(client, campaign)
    label_id = re.search(r'<p class="goal-figures" id="([^"]+)"', html).group(1)
    assert f'<progress class="goal-bar" max="100" value="3" aria-labelledby="{label_id}"' in html
    assert ">3% of the goal</progress>" in html  # for browsers without <progress>


def test_it_shows_a_dollar_goal_in_dollars(client, make_campaign):
    campaign = make_campaign(goal_kind="dollars", goal_target=10000)
    give(campaign, amount=800000)
    give(campaign, amount=40000)
    html = _goal_html(client, campaign)
    assert "<strong>$8,400</strong> raised of $10,000" in html
    assert 'max="10000" value="8400"' in html
    assert ">84% of the goal</progress>" in html


def test_it_caps_the_bar_but_not_the_figures_past_the_goal(client, make_campaign):
    campaign = make_campaign(goal_target=1)
    give(campaign)
    give(campaign)
    html = _goal_html(client, campaign)
    assert "<strong>2</strong> of 1 donor" in html
    assert ">100% of the goal</progress>" in html
    assert Donor.objects.count() == 2


def test_it_says_the_percentage_and_the_days_left(client, make_campaign):
    today = timezone.localdate()
    campaign = make_campaign(
        goal_target=4, starts_on=today - datetime.timedelta(days=3), ends_on=today
    )
    give(campaign, donor("Ana Lopez"))
    html = _goal_html(client, campaign)
    assert '<span class="goal-percent">25% of the goal</span>' in html
    # The last day of the campaign is a day left, not none.
    assert '<span class="goal-days">1 day left</span>' in html

    Campaign.objects.filter(pk=campaign.pk).update(ends_on=today + datetime.timedelta(days=9))
    assert '<span class="goal-days">10 days left</span>' in _goal_html(client, campaign)
    with translation.override("es"):
        spanish = client.get(campaign.get_absolute_url()).content.decode()
    assert "<strong>1</strong> de 4 donantes" in spanish
    assert '<span class="goal-days">Quedan 10 días</span>' in spanish
    assert '<span class="goal-percent">25% de la meta</span>' in spanish


def test_it_leaves_out_the_days_when_the_campaign_has_no_end(client, make_campaign):
    campaign = make_campaign(goal_target=4, ends_on=None)
    html = _goal_html(client, campaign)
    assert "goal-percent" in html
    assert "goal-days" not in html
