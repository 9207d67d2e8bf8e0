"""Making a one-time gift monthly from the thank-you page (donations.upgrades)."""

import json
import random
import threading
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, connections
from django.test import Client
from django.utils import timezone, translation

from campaigns.formatting import format_date
from campaigns.models import FeedItem
from devtools.stripe_standin import lifecycle, sign_payload
from donations.models import Frequency, Gift, MonthlyGift, MonthlyNotice, Pledge
from donations.upgrades import _UPGRADE_NAMESPACE, OFFER_DAYS, accept_upgrade, one_month_after


@pytest.fixture
def offering(campaign):
    campaign.offers_monthly_upgrade = True
    campaign.save()
    return campaign


@pytest.fixture
def paid_gift(client, offering, stripe_standin, donation):
    """A one-time gift given and paid in `client`'s browser; returns its session id."""

    def give(outcome="success", **overrides):
        response = client.post(f"/give/{offering.slug}/", donation(**overrides))
        assert response.status_code == 303
        session_id = response["Location"].rsplit("/", 1)[-1]
        stripe_standin.pay(session_id, outcome=outcome)
        return session_id

    return give


def _thanks(client, session_id):
    return client.get("/give/thanks/", {"session_id": session_id})


def _answer(client, session_id, choice="accept", pledge=None, amount=None):
    """Posts the offer's form; `amount` is the monthly amount the page offered (by
    default the one the campaign offers for the gift now)."""
    pledge = pledge or Pledge.objects.get(stripe_checkout_session_id=session_id)
    if amount is None:
        amount = pledge.campaign.monthly_upgrade_cents(pledge.gift_cents) or ""
    return client.post(
        "/give/thanks/monthly/",
        {
            "pledge": str(pledge.public_id),
            "session_id": session_id,
            "choice": choice,
            "amount": amount,
        },
    )


def _subscriptions(standin_objects):
    return standin_objects("subscription")


def test_checkout_saves_the_card_only_when_the_campaign_offers_the_upgrade(
    client, campaign, stripe_standin, donation, standin_objects
):
    client.post(f"/give/{campaign.slug}/", donation())
    campaign.offers_monthly_upgrade = True
    campaign.save()
    client.post(f"/give/{campaign.slug}/", donation(amount="100"))

    plain, saving = sorted(standin_objects("checkout.session"), key=lambda s: s["amount_total"])
    assert "setup_future_usage" not in plain["_payment_intent_data"]
    assert saving["_payment_intent_data"]["setup_future_usage"] == "off_session"


def test_checkout_does_not_save_the_card_of_a_gift_below_every_tier(
    client, offering, stripe_standin, donation, standin_objects
):
    """No offer follows a gift below the lowest tier ($10 by default): saving its card
    would have Checkout tell the donor it is kept for future payments that never come."""
    client.post(f"/give/{offering.slug}/", donation(amount="other", other_amount="6"))

    (session,) = standin_objects("checkout.session")
    assert session["amount_total"] == 600
    assert "setup_future_usage" not in session["_payment_intent_data"]


def test_checkout_never_saves_a_bank_account_for_the_upgrade(
    client, offering, stripe_standin, donation, standin_objects
):
    """The upgrade is offered after a card gift only: a bank debit saved for it would
    have the donor authorize future debits that nothing will ever make."""
    client.post(
        f"/give/{offering.slug}/",
        donation(amount="other", other_amount="2000", payment_method="bank"),
    )

    (session,) = standin_objects("checkout.session")
    assert session["payment_method_types"] == ["us_bank_account"]
    assert "setup_future_usage" not in session["_payment_intent_data"]


def test_the_thank_you_page_offers_the_upgrade_with_what_and_when(client, paid_gift):
    session_id = paid_gift(amount="50")
    response = _thanks(client, session_id)

    html = response.content.decode()
    gift = Gift.objects.get()
    first = format_date(one_month_after(gift.given_at))
    # $50 once reaches the "50: 15" tier of the default tiers.
    assert "Make it monthly at $15?" in html
    assert (
        f"We will charge $15 every month from {first}, on the Visa ending 4242, until you cancel."
        in html
    )
    assert 'action="/give/thanks/monthly/"' in html and 'name="csrfmiddlewaretoken"' in html
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


def test_the_offer_and_its_e_mail_are_in_the_language_of_the_gift(
    client, offering, stripe_standin, donation, mailoutbox, django_capture_on_commit_callbacks
):
    response = client.post(f"/es/give/{offering.slug}/", donation(amount="50"))
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)

    html = client.get("/es/give/thanks/", {"session_id": session_id}).content.decode()

    with translation.override("es"):
        first = format_date(one_month_after(Gift.objects.get().given_at))
    assert "¿La convierte en mensual por" in html
    assert f"a partir del {first} a la tarjeta Visa que termina en 4242" in html
    assert 'action="/es/give/thanks/monthly/"' in html
    pledge = Pledge.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/es/give/thanks/monthly/",
            {
                "pledge": str(pledge.public_id),
                "session_id": session_id,
                "choice": "accept",
                "amount": "1500",
            },
        )
    assert answer["Location"] == f"/es/give/thanks/?session_id={session_id}"
    assert Pledge.objects.get(upgraded_from=pledge).language == "es"
    (mail,) = mailoutbox
    assert mail.subject == "Su donación mensual está lista"
    assert "/es/give/manage/" in mail.body


def test_accepting_starts_a_monthly_gift_on_the_saved_card(
    client,
    paid_gift,
    stripe_standin,
    standin_objects,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    session_id = paid_gift(amount="100", name="Ana María Lopez", display_as="anonymous")
    _thanks(client, session_id)
    one_time = Pledge.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = _answer(client, session_id)

    assert response.status_code == 303
    assert response["Location"] == f"/give/thanks/?session_id={session_id}"
    gift = Gift.objects.get()
    (subscription,) = _subscriptions(standin_objects)
    intent = stripe_standin.store.get("payment_intent", gift.stripe_payment_intent_id)
    assert subscription["default_payment_method"] == intent["payment_method"]
    assert subscription["customer"] == intent["customer"]
    assert subscription["items"]["data"][0]["price"]["unit_amount"] == 2500
    assert subscription["billing_cycle_anchor"] == int(one_month_after(gift.given_at).timestamp())

    upgrade = Pledge.objects.get(upgraded_from=one_time)
    assert (upgrade.frequency, upgrade.amount_cents, upgrade.fee_cents) == ("monthly", 2500, 0)
    assert (upgrade.name, upgrade.display_as, upgrade.language) == (
        "Ana María Lopez",
        "anonymous",
        "en",
    )
    assert upgrade.donor == gift.donor
    assert subscription["metadata"]["pledge_id"] == str(upgrade.public_id)
    monthly = MonthlyGift.objects.get()
    assert (monthly.pledge, monthly.donor, monthly.status) == (upgrade, gift.donor, "active")
    assert monthly.stripe_subscription_id == subscription["id"]
    assert monthly.next_charge_at == one_month_after(gift.given_at)
    # Nothing was charged now: only the one-time gift is booked.
    assert Gift.objects.count() == 1

    (mail,) = mailoutbox
    assert mail.to == ["ana@example.org"]
    assert mail.subject == "Your monthly gift is set up"
    assert f"We will charge $25.00 every month from {format_date(monthly.next_charge_at)}" in (
        mail.body
    )
    assert "/give/manage/" in mail.body
    assert MonthlyNotice.objects.get().sent_at is not None

    html = _thanks(client, session_id).content.decode()
    assert "Your monthly gift is set up" in html
    assert "Make it monthly" not in html


def test_it_starts_only_the_amount_the_donor_was_offered(
    client, paid_gift, offering, standin_objects
):
    """Staff may change the tiers between the page and the click: the donor agreed to
    the amount on their button, and no other is charged to their card."""
    session_id = paid_gift(amount="50")
    assert 'name="amount" value="1500"' in _thanks(client, session_id).content.decode()
    offering.monthly_upgrade_tiers = "50: 20"
    offering.save()

    response = _answer(client, session_id, amount="1500")

    assert response.status_code == 409
    assert "The monthly amount offered has changed" in response.content.decode()
    assert _subscriptions(standin_objects) == []
    assert not MonthlyGift.objects.exists()
    assert "Make it monthly at $20?" in _thanks(client, session_id).content.decode()


def test_a_gift_through_a_supporters_page_stays_credited_to_it_when_made_monthly(
    client, paid_gift, offering, stripe_standin, standin_objects
):
    from fundraising.models import FundraisingPage

    rosa = FundraisingPage.objects.create(
        campaign=offering,
        email="rosa@example.org",
        slug="rosa",
        display_name="Rosa",
        goal_target=500,
        status=FundraisingPage.Status.APPROVED,
    )
    session_id = paid_gift(amount="100", via="rosa")
    _thanks(client, session_id)
    assert _answer(client, session_id).status_code == 303
    upgrade = Pledge.objects.get(upgraded_from__isnull=False)
    assert upgrade.fundraiser == rosa
    (subscription,) = _subscriptions(standin_objects)
    stripe_standin.set_clock(timezone.now() + timedelta(minutes=1))
    stripe_standin.renew(subscription["id"])
    stripe_standin.set_clock(None)
    paid = [
        {key: value for key, value in record.items() if key != "delivery"}
        for record in stripe_standin.events
        if record["type"] == "invoice.paid"
    ]
    _deliver(client, paid)
    charge = Gift.objects.get(frequency=Frequency.MONTHLY)
    assert charge.fundraiser == rosa


def test_a_second_click_makes_no_second_subscription(client, paid_gift, standin_objects):
    session_id = paid_gift()
    _thanks(client, session_id)

    first = _answer(client, session_id)
    second = _answer(client, session_id)

    assert (first.status_code, second.status_code) == (303, 303)
    assert len(_subscriptions(standin_objects)) == 1
    assert MonthlyGift.objects.count() == 1
    assert Pledge.objects.filter(frequency=Frequency.MONTHLY).count() == 1
    assert MonthlyNotice.objects.count() == 1


def test_no_thanks_leaves_everything_as_it_was(client, paid_gift, standin_objects):
    session_id = paid_gift()
    _thanks(client, session_id)

    response = _answer(client, session_id, choice="decline")

    assert response.status_code == 303
    assert _subscriptions(standin_objects) == []
    assert (Pledge.objects.count(), MonthlyGift.objects.count(), Gift.objects.count()) == (1, 0, 1)
    # The offer is not made again in this browser.
    assert "Make it monthly" not in _thanks(client, session_id).content.decode()


def test_another_browser_gets_no_offer_and_cannot_accept(client, paid_gift, standin_objects):
    session_id = paid_gift()
    _thanks(client, session_id)
    stranger = Client()

    assert "Make it monthly" not in _thanks(stranger, session_id).content.decode()
    response = _answer(stranger, session_id)

    assert response.status_code == 403
    assert "This gift can’t be made monthly" in response.content.decode()
    assert _subscriptions(standin_objects) == []
    assert MonthlyGift.objects.count() == 0


def test_a_post_without_the_csrf_token_is_refused(client, paid_gift, standin_objects):
    session_id = paid_gift()
    _thanks(client, session_id)
    forger = Client(enforce_csrf_checks=True)
    forger.cookies = client.cookies

    assert _answer(forger, session_id).status_code == 403
    assert _subscriptions(standin_objects) == []


def test_a_post_naming_another_session_is_refused(client, paid_gift, standin_objects):
    first, second = paid_gift(), paid_gift(amount="100")
    pledge = Pledge.objects.get(stripe_checkout_session_id=first)

    assert _answer(client, second, pledge=pledge).status_code == 403
    assert _subscriptions(standin_objects) == []


@pytest.mark.parametrize(
    ("outcome", "fields", "tiers"),
    [
        ("decline", {}, None),  # not paid: the checkout is still open
        ("delayed", {"payment_method": "bank"}, None),  # a bank debit
        ("success", {"frequency": "monthly"}, None),
        ("success", {"amount": "50"}, "100: 25"),  # below every tier
    ],
)
def test_no_offer_and_a_forged_post_is_refused(
    client, offering, paid_gift, standin_objects, outcome, fields, tiers
):
    if tiers:
        offering.monthly_upgrade_tiers = tiers
        offering.save()
    session_id = paid_gift(outcome=outcome, **fields)
    subscriptions_before = len(_subscriptions(standin_objects))

    assert "Make it monthly" not in _thanks(client, session_id).content.decode()
    response = _answer(client, session_id)

    assert response.status_code == 409
    assert len(_subscriptions(standin_objects)) == subscriptions_before
    assert not Pledge.objects.filter(upgraded_from__isnull=False).exists()


def test_no_offer_when_the_campaign_does_not_offer_it(client, campaign, stripe_standin, donation):
    response = client.post(f"/give/{campaign.slug}/", donation())
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)

    assert "Make it monthly" not in _thanks(client, session_id).content.decode()
    campaign.offers_monthly_upgrade = True
    campaign.save()
    # The card was not saved for it: turning the offer on later offers nothing.
    assert "Make it monthly" not in _thanks(client, session_id).content.decode()
    assert _answer(client, session_id).status_code == 409


def test_no_offer_nor_saved_card_when_the_campaign_takes_no_monthly_gifts(
    client, offering, stripe_standin, standin_objects, donation
):
    offering.offers_monthly = False
    offering.default_frequency = "once"
    offering.save()
    response = client.post(f"/give/{offering.slug}/", donation())
    session_id = response["Location"].rsplit("/", 1)[-1]
    (session,) = standin_objects("checkout.session")
    assert "setup_future_usage" not in session["_payment_intent_data"]
    stripe_standin.pay(session_id)
    assert "Make it monthly" not in _thanks(client, session_id).content.decode()


def test_no_offer_once_staff_took_the_campaign_off_the_site(
    client, paid_gift, offering, standin_objects
):
    session_id = paid_gift()
    assert "Make it monthly" in _thanks(client, session_id).content.decode()
    offering.is_published = False
    offering.save()
    assert "Make it monthly" not in _thanks(client, session_id).content.decode()
    assert _answer(client, session_id).status_code == 409
    assert _subscriptions(standin_objects) == []


def test_a_refunded_gift_is_not_offered(client, paid_gift, stripe_standin, deliver_standin_events):
    session_id = paid_gift()
    _thanks(client, session_id)
    stripe_standin.refund(Gift.objects.get().stripe_payment_intent_id)
    deliver_standin_events(types={"charge.refunded"})

    assert "Make it monthly" not in _thanks(client, session_id).content.decode()
    assert _answer(client, session_id).status_code == 409


def test_the_offer_ends_a_week_after_the_gift(client, paid_gift, standin_objects):
    session_id = paid_gift()
    _thanks(client, session_id)
    gift = Gift.objects.get()
    Gift.objects.filter(pk=gift.pk).update(
        given_at=gift.given_at - timedelta(days=OFFER_DAYS, minutes=1)
    )

    assert "Make it monthly" not in _thanks(client, session_id).content.decode()
    assert _answer(client, session_id).status_code == 409
    assert _subscriptions(standin_objects) == []


def test_two_clicks_at_once_make_one_subscription(
    transactional_db, client, paid_gift, standin_objects
):
    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL")
    session_id = paid_gift()
    _thanks(client, session_id)
    pledge = Pledge.objects.get()
    results, errors = [], []

    def click():
        try:
            results.append(accept_upgrade(pledge, amount_cents=1500).pk)
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert len(results) == 2 and len(set(results)) == 1
    assert len(_subscriptions(standin_objects)) == 1
    assert MonthlyGift.objects.count() == 1


def test_stripe_down_starts_nothing_and_says_so(
    client, paid_gift, stripe_standin, standin_objects, mailoutbox, settings
):
    session_id = paid_gift()
    _thanks(client, session_id)
    stripe_standin.fail_next(settings.STRIPE_MAX_RETRIES + 1, status=500)

    response = _answer(client, session_id)

    assert response.status_code == 503
    html = response.content.decode()
    assert "Nothing was charged and no monthly gift was started" in html
    assert f"/give/thanks/?session_id={session_id}" in html
    assert _subscriptions(standin_objects) == []
    assert (Pledge.objects.count(), MonthlyGift.objects.count()) == (1, 0)
    assert MonthlyNotice.objects.count() == 0
    assert mailoutbox == []
    # Once Stripe is back, the same offer still works.
    assert _answer(client, session_id).status_code == 303
    assert len(_subscriptions(standin_objects)) == 1


def test_a_refused_subscription_writes_nothing(
    client, paid_gift, stripe_standin, standin_objects, mailoutbox
):
    """The card was removed from the customer since (in the portal): Stripe refuses the
    subscription after the payment intent was read; still nothing is written."""
    session_id = paid_gift()
    _thanks(client, session_id)
    intent = stripe_standin.store.get("payment_intent", Gift.objects.get().stripe_payment_intent_id)
    stripe_standin.store.get("payment_method", intent["payment_method"])["customer"] = None

    response = _answer(client, session_id)

    assert response.status_code == 502
    assert "Nothing was charged and no monthly gift was started" in response.content.decode()
    assert _subscriptions(standin_objects) == []
    assert (Pledge.objects.count(), MonthlyGift.objects.count()) == (1, 0)
    assert MonthlyNotice.objects.count() == 0
    assert mailoutbox == []


def test_a_retry_records_the_subscription_our_database_failed_to_record(
    client, paid_gift, standin_objects, caplog
):
    """Stripe started the subscription, then our write failed (here: a row in the way of
    the upgrade pledge's id): the donor's retry records that same subscription."""
    session_id = paid_gift()
    _thanks(client, session_id)
    one_time = Pledge.objects.get()
    in_the_way = Pledge.objects.create(
        public_id=uuid.uuid5(_UPGRADE_NAMESPACE, str(one_time.public_id)),
        campaign=one_time.campaign,
        gift_cents=100,
        amount_cents=100,
    )

    with pytest.raises(IntegrityError):
        _answer(client, session_id)

    (subscription,) = _subscriptions(standin_objects)
    assert MonthlyGift.objects.count() == 0
    assert f"Subscription {subscription['id']} of pledge" in caplog.text
    in_the_way.delete()
    assert _answer(client, session_id).status_code == 303
    assert [s["id"] for s in _subscriptions(standin_objects)] == [subscription["id"]]
    assert MonthlyGift.objects.get().stripe_subscription_id == subscription["id"]


def _deliver(client, events):
    for event in events:
        body = json.dumps(event).encode()
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
        )
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ledger_books_the_upgraded_gift_once_in_any_order(
    client, paid_gift, stripe_standin, standin_objects, seed
):
    session_id = paid_gift(amount="50")
    _thanks(client, session_id)
    assert _answer(client, session_id).status_code == 303
    (subscription,) = _subscriptions(standin_objects)
    # Its two charges a minute apart (a month in life: events may not come from
    # further in the future than the webhook's tolerance).
    for minutes in (1, 2):
        stripe_standin.set_clock(timezone.now() + timedelta(minutes=minutes))
        stripe_standin.renew(subscription["id"])
    stripe_standin.set_clock(None)
    lifecycle.update_subscription(
        stripe_standin.store, subscription["id"], {"metadata": {"note": "x"}}, None
    )
    events = [
        {key: value for key, value in record.items() if key != "delivery"}
        for record in stripe_standin.events
        if record["type"] != "checkout.session.completed"
    ]
    assert {e["type"] for e in events} >= {
        "customer.subscription.created",
        "invoice.paid",
        "customer.subscription.updated",
    }
    shuffled = events + random.Random(seed).sample(events, len(events))
    random.Random(seed).shuffle(shuffled)

    _deliver(client, shuffled)

    monthly = MonthlyGift.objects.get()
    one_time = Gift.objects.get(frequency=Frequency.ONCE)
    charges = Gift.objects.filter(frequency=Frequency.MONTHLY).order_by("given_at")
    assert [g.amount_cents for g in charges] == [1500, 1500]
    assert {g.monthly_gift for g in charges} == {monthly}
    assert {g.donor for g in charges} == {one_time.donor}
    assert {g.pledge for g in charges} == {monthly.pledge}
    assert {(g.card_brand, g.card_last4) for g in charges} == {("visa", "4242")}
    assert all(g.counted for g in charges)
    assert monthly.status == "active"
    assert monthly.pledge.upgraded_from == one_time.pledge
    # Its first charge starts it, as any monthly gift's: one feed line, at that charge.
    assert [g.starts_monthly for g in charges] == [True, False]
    (started,) = FeedItem.objects.filter(kind=FeedItem.Kind.MONTHLY, withdrawn=False)
    assert started.occurred_at == charges[0].given_at
    assert started.display_name == one_time.public_name
