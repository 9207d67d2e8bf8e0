"""A typed e-mail proves nothing: identity follows money.

The name, display choice and message of a gift are those typed in the pledge that was
paid. A Donor and a Stripe customer exist only once money arrived. Nothing on file is
shown or changed because someone typed an address.
"""

import logging

import pytest
from django.core import mail
from django.urls import reverse

from campaigns.models import FeedItem
from donations import exports, receipts, stripe_gateway
from donations.models import Donor, Gift, MonthlyGift, Pledge, YearEndStatement


@pytest.fixture
def give(client, campaign, stripe_standin, donation, deliver_standin_events):
    """Submits the form from a fresh browser; pays unless `pay=False`; returns the
    session id. Events are delivered to the webhook as Stripe would."""

    def submit(*, pay=True, browser=None, **fields):
        browser = browser or client
        response = browser.post(f"/give/{campaign.slug}/", donation(**fields))
        assert response.status_code == 303, response.content.decode()[:500]
        session_id = response["Location"].rsplit("/", 1)[-1]
        if pay:
            stripe_standin.pay(session_id)
            deliver_standin_events()
        return session_id

    return submit


def _thanks(client, session_id):
    return client.get("/give/thanks/", {"session_id": session_id})


def test_a_strangers_unpaid_pledge_decides_nothing_about_the_real_donor(
    client, campaign, give, django_capture_on_commit_callbacks
):
    from django.test import Client

    give(
        browser=Client(),
        pay=False,
        name="Hacked Byattacker",
        email="victor@example.org",
        display_as="full",
        public_message="pwned",
    )
    assert not Donor.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        session_id = give(name="Victor Ruiz", email="Victor@Example.org", display_as="full")
    html = _thanks(client, session_id).content.decode()

    gift = Gift.objects.get()
    assert (gift.donor_name, gift.display_as, gift.public_message) == ("Victor Ruiz", "full", "")
    assert Donor.objects.get().name == "Victor Ruiz"
    assert "Thank you, Victor" in html and "Hacked" not in html
    assert FeedItem.objects.get(kind="donated").display_name == "Victor Ruiz"
    (receipt,) = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    assert "Dear Victor Ruiz," in receipt.body and "Hacked" not in receipt.body


def test_paying_with_a_known_donors_address_shows_only_what_was_typed(
    client, campaign, give, standin_objects
):
    mona = Donor.objects.create(
        name="Mona Quinn", email="mona@example.org", stripe_customer_id="cus_mona"
    )
    session_id = give(
        name="Eve Stone",
        email="MONA@example.org",
        amount="other",
        other_amount="5",
        display_as="full",
    )
    html = _thanks(client, session_id).content.decode()
    assert "Thank you, Eve" in html
    assert "Mona" not in html

    mona.refresh_from_db()
    # Her record is neither renamed nor given the payer's customer; the gift carries
    # the name it was paid under, and lands in her history by address as any gift would.
    assert (mona.name, mona.stripe_customer_id) == ("Mona Quinn", "cus_mona")
    gift = Gift.objects.get()
    assert (gift.donor, gift.donor_name) == (mona, "Eve Stone")
    assert FeedItem.objects.get(kind="donated").display_name == "Eve Stone"
    # Checkout never offered Mona's saved cards: her customer was not used.
    session = standin_objects("checkout.session")[0]
    assert session["customer"] != "cus_mona"


def test_a_donor_and_a_stripe_customer_appear_only_once_money_arrives(
    client, campaign, give, standin_objects, stripe_standin
):
    session_id = give(pay=False, name="Ana Lopez", email="ana@example.org")
    stripe_standin.pay(session_id, outcome="decline")
    assert not Donor.objects.exists()
    assert standin_objects("customer") == []
    assert list(exports.donor_rows(Donor.objects.all(), 2026)) == []

    give(name="Ana Lopez", email="ana@example.org")
    donor = Donor.objects.get()
    (customer,) = standin_objects("customer")
    assert donor.stripe_customer_id == customer["id"]
    assert Pledge.objects.filter(donor=donor).count() == 1  # the paid one


def test_a_monthly_gift_belongs_to_its_payer_and_its_own_customer(
    client, campaign, give, standin_objects
):
    give(frequency="monthly", name="Ana Lopez", email="ana@example.org")
    monthly = MonthlyGift.objects.get()
    (customer,) = standin_objects("customer")
    assert monthly.donor == Donor.objects.get(email="ana@example.org")
    assert monthly.stripe_customer_id == customer["id"]
    assert Gift.objects.get().donor_name == "Ana Lopez"


def test_a_new_name_goes_on_the_next_gift_and_older_receipts_keep_theirs(
    client, campaign, give, django_capture_on_commit_callbacks
):
    give(name="Ana Lopez", email="ana@example.org")
    give(name="Ana Ruiz", email="ana@example.org")
    first, second = Gift.objects.order_by("pk")
    assert (first.donor_id, first.donor_name) == (second.donor_id, "Ana Lopez")
    assert second.donor_name == "Ana Ruiz"
    assert receipts.build_receipt(first).body.startswith("Dear Ana Lopez,")
    assert receipts.build_receipt(second).body.startswith("Dear Ana Ruiz,")
    rows = list(exports.gift_rows(Gift.objects.all()))
    assert [row[1] for row in rows] == ["Ana Lopez", "Ana Ruiz"]


# The thank-you page ------------------------------------------------------------------


def test_the_thank_you_page_asks_stripe_nothing_about_a_session_that_is_not_ours(
    client, db, monkeypatch, caplog
):
    asked = []
    monkeypatch.setattr(stripe_gateway, "retrieve_checkout_session", asked.append)
    with caplog.at_level(logging.INFO, logger="donations"):
        response = _thanks(client, "cs_test_" + "a" * 40)
    assert response.status_code == 404
    assert asked == []
    records = [r for r in caplog.records if r.name.startswith("donations")]
    assert records and all(r.levelno == logging.INFO for r in records)


def test_the_thank_you_page_limits_lookups_of_unknown_sessions(client, db, settings):
    settings.THANK_YOU_UNKNOWN_RATE_LIMIT = "3/h"
    codes = [_thanks(client, f"cs_test_scan{i:04d}").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_the_thank_you_page_refuses_a_session_that_names_another_pledge(
    client, campaign, give, stripe_standin
):
    mine = give(name="Ana Lopez", email="ana@example.org")
    theirs = give(pay=False, name="Ben Ortiz", email="ben@example.org")
    # A session whose metadata was made to name another pledge than the one it opened.
    with stripe_standin.store.lock:
        stripe_standin.store.get("checkout.session", mine)["metadata"]["pledge_id"] = str(
            Pledge.objects.get(stripe_checkout_session_id=theirs).public_id
        )
    assert _thanks(client, mine).status_code == 404


# Merging -----------------------------------------------------------------------------


def test_a_bookkeeper_merges_two_donors_and_each_gift_keeps_its_name(
    bookkeeper_client, campaign, give
):
    give(name="Ana Lopez", email="ana@example.org")
    give(name="Ana L. Ruiz", email="ana.ruiz@example.org")
    older, newer = Donor.objects.order_by("created_at", "pk")
    response = bookkeeper_client.post(
        reverse("admin:donations_donor_changelist"),
        {"action": "merge_donors", "_selected_action": [older.pk, newer.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert list(Donor.objects.all()) == [older]
    assert sorted(Gift.objects.values_list("donor_id", "donor_name")) == [
        (older.pk, "Ana L. Ruiz"),
        (older.pk, "Ana Lopez"),
    ]


def test_merging_refuses_two_statements_for_the_same_year(bookkeeper_client, campaign, give):
    give(name="Ana Lopez", email="ana@example.org")
    give(name="Ana Ruiz", email="ana.ruiz@example.org")
    for donor in Donor.objects.all():
        YearEndStatement.objects.create(donor=donor, year=2025, total_cents=1, gift_count=1)
    response = bookkeeper_client.post(
        reverse("admin:donations_donor_changelist"),
        {
            "action": "merge_donors",
            "_selected_action": list(Donor.objects.values_list("pk", flat=True)),
        },
        follow=True,
    )
    assert "year-end statement for 2025" in response.content.decode()
    assert Donor.objects.count() == 2


def test_staff_add_a_donor_who_reads_spanish_and_the_check_receipt_is_in_spanish(
    bookkeeper_client, log_check
):
    response = bookkeeper_client.post(
        reverse("admin:donations_donor_add"),
        {"name": "Rosa Martínez", "email": "rosa@example.org", "state": "CT", "language": "es"},
    )
    assert response.status_code == 302, response.content.decode()
    rosa = Donor.objects.get(email="rosa@example.org")
    assert rosa.language == "es"
    change = bookkeeper_client.get(reverse("admin:donations_donor_change", args=[rosa.pk]))
    assert '<option value="es" selected>' in change.content.decode()
    assert log_check(donor=rosa).language == "es"
