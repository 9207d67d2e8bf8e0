"""The month-end close page: Stripe balances, gifts, payouts, deposits, unmatched items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .month_fixtures import october  # noqa: F401

# Every test here looks at October 2026 as the fixture made it.
pytestmark = pytest.mark.usefixtures("october")

URL = "/admin/donations/gift/month-end/"


def _text(response):
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_it_shows_the_stripe_balance_from_opening_to_closing(bookkeeper_client):
    html = _text(bookkeeper_client.get(URL, {"month": "2026-10"}))
    assert 'id="opening-balance">$19.12<' in html
    assert 'id="activity-net">$3.39<' in html
    assert 'id="closing-balance">$22.51<' in html
    assert 'id="paid-out">$114.17<' in html
    assert 'id="checks-deposited">$150.00<' in html
    # Each kind of balance transaction with its fees and net; money out with a minus.
    assert "Refund</th><td>1</td><td>−$50.00</td><td>$0.00</td><td>−$50.00</td>" in html
    assert "Dispute</th><td>1</td><td>−$25.00</td><td>−$15.00</td><td>−$40.00</td>" in html


def test_it_shows_gifts_by_method_and_campaign_with_fees(bookkeeper_client, campaign):
    html = _text(bookkeeper_client.get(URL, {"month": "2026-10"}))
    # Counted card gifts: $100 and $15 (refunded and lost-dispute gifts no longer count).
    assert "Card</th><td>2</td><td>$115.00</td><td>$0.00</td><td>$3.20</td><td>$111.80</td>" in html
    assert "Check</th><td>3</td><td>$170.00</td>" in html
    assert f"{campaign.title}</th><td>5</td><td>$285.00</td>" in html
    assert "po_october" in html and "Reconciled" in html


def test_a_dispute_lost_after_a_partial_refund_counts_what_the_dispute_took(
    bookkeeper_client, campaign, donor
):
    """Stripe disputes what was not refunded: a $60 gift refunded $20 loses $40 to the
    dispute, not $60 again (the refund is in its own row)."""
    from donations.models import Gift

    from .month_fixtures import at

    Gift.objects.create(
        campaign=campaign,
        donor=donor,
        amount_cents=6000,
        refunded_cents=2000,
        dispute=Gift.Dispute.LOST,
        given_at=at(16),
        stripe_payment_intent_id="pi_both",
    )
    html = _text(bookkeeper_client.get(URL, {"month": "2026-10"}))
    assert "Refunded (in full or in part)</th><td>2</td><td>$70.00</td>" in html
    # The fixture's lost dispute of $25, and this one's $40.
    assert "Disputes lost</th><td>2</td><td>$65.00</td>" in html


def test_it_lists_every_unmatched_item(bookkeeper_client):
    html = _text(bookkeeper_client.get(URL, {"month": "2026-10"}))
    assert "Stripe transactions with no gift in the ledger: <strong>1</strong>" in html
    assert "txn_stranger" in html
    assert "Online gifts whose Stripe fee is not known yet: <strong>1</strong>" in html
    assert "Checks and cash received this month and in no deposit: <strong>1</strong>" in html
    assert "Everything matches" not in html


def test_a_quiet_month_says_everything_matches(bookkeeper_client):
    html = _text(bookkeeper_client.get(URL, {"month": "2026-08"}))
    assert 'id="opening-balance">$0.00<' in html
    assert "Everything matches" in html
    assert "No payout arrived this month." in html


def test_it_runs_a_fixed_number_of_queries(bookkeeper_client, campaign, donor):
    from donations.models import Gift

    with CaptureQueriesContext(connection) as few:
        bookkeeper_client.get(URL, {"month": "2026-10"})
    Gift.objects.bulk_create(
        Gift(
            campaign=campaign,
            donor=donor,
            amount_cents=1000,
            method="card",
            given_at=Gift.objects.first().given_at,
            stripe_payment_intent_id=f"pi_more{i}",
        )
        for i in range(40)
    )
    with CaptureQueriesContext(connection) as many:
        bookkeeper_client.get(URL, {"month": "2026-10"})
    assert len(many) == len(few)


def test_a_month_that_is_not_one_gets_a_message(bookkeeper_client):
    html = _text(bookkeeper_client.get(URL, {"month": "2026-13"}, follow=True))
    assert "“2026-13” is not a month; showing the last one." in html


@pytest.mark.parametrize("month", ["9999-12", "0001-01"])
def test_a_month_at_the_end_of_the_calendar_gets_a_message(bookkeeper_client, month):
    # Its month after (or before) is no date: a server error once.
    response = bookkeeper_client.get(URL, {"month": month}, follow=True)
    assert response.status_code == 200
    assert f"“{month}” is not a month; showing the last one." in _text(response)


@pytest.mark.parametrize("who", ["editor", "stranger"])
def test_only_bookkeepers_see_it(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code in (302, 403)


def test_the_page_links_the_journal_for_those_who_export(bookkeeper_client):
    html = _text(bookkeeper_client.get(URL, {"month": "2026-10"}))
    assert 'href="/admin/donations/gift/month-end/journal/?month=2026-10"' in html
