"""The frequencies a campaign offers (once, monthly, yearly), the one it pre-selects,
the confirmation a pre-selected recurring gift needs, and a yearly gift's Checkout."""

import re

import pytest
from django.core.exceptions import ValidationError

from campaigns.copying import duplicate_campaign
from donations import stripe_gateway
from donations.models import Pledge
from tests.campaigns.test_admin import _change_form_data, _change_url

NOT_OFFERED = "This campaign doesn’t offer gifts at that frequency. Choose one of those shown."
NOT_CONFIRMED = (
    "Tick the box to confirm that your gift repeats until you cancel it, or choose a one-time gift."
)


def _page(client, campaign, query=""):
    response = client.get(campaign.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def _radios(html):
    return re.findall(r'type="radio" name="frequency" id="[^"]+" value="([^"]+)"', html)


def _checked(html):
    return re.findall(r'type="radio" name="frequency"[^>]*value="([^"]*)"[^>]*checked', html)


def _give(client, campaign, data):
    return client.post(f"/give/{campaign.slug}/", data)


def _offering(campaign, *frequencies, default=None):
    campaign.offers_once = "once" in frequencies
    campaign.offers_monthly = "monthly" in frequencies
    campaign.offers_annual = "annual" in frequencies
    campaign.default_frequency = default or frequencies[0]
    campaign.full_clean()
    campaign.save()
    return campaign


# What the page shows -----------------------------------------------------------------


def test_it_offers_the_three_frequencies_of_a_new_campaign(client, make_campaign):
    html = _page(client, make_campaign())
    assert _radios(html) == ["once", "monthly", "annual"]
    assert _checked(html) == ["once"]
    assert "Yearly" in html
    assert 'data-label-annual="Give __AMOUNT__ yearly"' in html
    # Nothing was pre-selected that repeats: no box to tick.
    assert 'name="confirm_recurring"' not in html


def test_it_shows_only_the_frequencies_the_campaign_offers(client, campaign):
    html = _page(client, _offering(campaign, "once", "annual"))
    assert _radios(html) == ["once", "annual"]
    # A link cannot pre-select what the campaign doesn't offer.
    assert _checked(_page(client, campaign, "?frequency=monthly")) == ["once"]
    assert _checked(_page(client, campaign, "?frequency=annual")) == ["annual"]


def test_one_frequency_offered_is_a_sentence_not_a_choice(client, campaign):
    html = _page(client, _offering(campaign, "annual"))
    assert _radios(html) == []
    assert '<input type="hidden" name="frequency" value="annual">' in html
    assert "This is a yearly gift." in html
    assert "How often" not in html
    # Yearly is then pre-selected: the donor confirms it.
    assert 'name="confirm_recurring"' in html


def test_a_preselected_yearly_gift_shows_the_confirmation_line(client, campaign):
    html = _page(client, _offering(campaign, "once", "monthly", "annual", default="annual"))
    assert _checked(html) == ["annual"]
    assert '<input type="hidden" name="preselected" value="annual">' in html
    assert "I understand this gift repeats every year until I cancel it." in html
    assert 'data-confirm-annual="Yes, charge __AMOUNT__ every year until I cancel."' in html
    assert 'data-confirm-monthly="Yes, charge __AMOUNT__ every month until I cancel."' in html
    assert '<span class="per-month" data-per="annual">/year</span>' in html


def test_a_link_that_preselects_monthly_asks_for_the_confirmation_too(client, campaign):
    html = _page(client, campaign, "?frequency=monthly")
    assert "I understand this gift repeats every month until I cancel it." in html


def test_the_confirmation_line_is_in_spanish_on_the_spanish_page(client, campaign):
    _offering(campaign, "once", "annual", default="annual")
    html = client.get(f"/es/campaigns/{campaign.slug}/").content.decode()
    assert "Entiendo que esta donación se repite cada año hasta que la cancele." in html
    assert "> Anual</label>" in html


# What the form accepts -----------------------------------------------------------------


def test_it_refuses_a_preselected_recurring_gift_without_the_tick(
    client, campaign, no_stripe, donation
):
    _offering(campaign, "once", "annual", default="annual")
    response = _give(client, campaign, donation(frequency="annual", preselected="annual"))
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count(NOT_CONFIRMED) == 2  # beside the box and in the summary
    assert 'href="#id_confirm_recurring"' in html
    assert Pledge.objects.count() == 0
    assert len(no_stripe.calls) == 0


def test_a_donor_who_switches_a_preselected_yearly_gift_to_once_needs_no_tick(
    client, campaign, stripe_standin, donation
):
    _offering(campaign, "once", "annual", default="annual")
    response = _give(client, campaign, donation(frequency="once", preselected="annual"))
    assert response.status_code == 303
    assert Pledge.objects.get().frequency == "once"


def test_a_donor_who_chose_yearly_themselves_needs_no_tick(
    client, campaign, stripe_standin, donation
):
    _offering(campaign, "once", "monthly", "annual")
    response = _give(client, campaign, donation(frequency="annual", preselected="once"))
    assert response.status_code == 303, response.content.decode()[:500]
    assert Pledge.objects.get().frequency == "annual"


def test_it_refuses_a_frequency_the_campaign_does_not_offer(client, campaign, no_stripe, donation):
    _offering(campaign, "once", "monthly")
    response = _give(client, campaign, donation(frequency="annual"))
    assert response.status_code == 400
    assert response.content.decode().count(NOT_OFFERED) == 2
    assert Pledge.objects.count() == 0
    assert len(no_stripe.calls) == 0


def test_a_confirmed_yearly_gift_opens_a_subscription_billed_each_year(
    client, campaign, stripe_standin, donation
):
    _offering(campaign, "once", "annual", default="annual")
    response = _give(
        client,
        campaign,
        donation(amount="100", frequency="annual", preselected="annual", confirm_recurring="on"),
    )
    assert response.status_code == 303, response.content.decode()[:500]
    session = stripe_standin.store.get("checkout.session", response["Location"].rsplit("/", 1)[-1])
    assert session["mode"] == "subscription"
    price = session["_line_items"][0]["price"]
    assert (price["unit_amount"], price["recurring"]["interval"]) == (10000, "year")
    pledge = Pledge.objects.get()
    assert (pledge.frequency, pledge.interval) == ("annual", "year")


def test_a_new_amount_keeps_the_subscription_yearly(client, campaign, stripe_standin, donation):
    _offering(campaign, "annual")
    response = _give(
        client,
        campaign,
        donation(frequency="annual", preselected="annual", confirm_recurring="on"),
    )
    session_id = response["Location"].rsplit("/", 1)[-1]
    stripe_standin.pay(session_id)
    subscription_id = stripe_standin.store.get("checkout.session", session_id)["subscription"]

    stripe_gateway.change_subscription_amount(subscription_id, amount_cents=9000, currency="usd")

    subscription = stripe_gateway.retrieve_subscription(subscription_id)
    price = subscription["items"]["data"][0]["price"]
    assert (price["unit_amount"], price["recurring"]["interval"]) == (9000, "year")


# What staff choose -------------------------------------------------------------------


def test_a_campaign_must_offer_at_least_one_frequency(campaign):
    campaign.offers_once = campaign.offers_monthly = campaign.offers_annual = False
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert error.value.message_dict["offers_once"] == [
        "Offer at least one frequency: one-time, monthly or yearly gifts."
    ]


def test_the_preselected_frequency_must_be_offered(campaign):
    campaign.offers_once, campaign.offers_monthly, campaign.offers_annual = True, True, False
    campaign.default_frequency = "annual"
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert error.value.message_dict["default_frequency"] == [
        "The pre-selected frequency must be one the form offers: choose "
        "One time / Monthly, or offer Yearly too."
    ]


def test_a_duplicate_offers_the_same_frequencies(campaign):
    _offering(campaign, "monthly", "annual", default="annual")
    copy = duplicate_campaign(campaign)
    assert (copy.frequencies, copy.default_frequency) == (["monthly", "annual"], "annual")


def test_the_admin_explains_a_frequency_choice_it_refuses(client, campaign, editor):
    client.force_login(editor)
    data = _change_form_data(campaign, default_frequency="annual")
    del data["offers_annual"]
    response = client.post(_change_url(campaign), data)
    assert response.status_code == 200
    assert "The pre-selected frequency must be one the form offers" in response.content.decode()
    for name in ("offers_once", "offers_monthly"):
        del data[name]
    response = client.post(_change_url(campaign), data)
    html = response.content.decode()
    assert "Offer at least one frequency: one-time, monthly or yearly gifts." in html
    campaign.refresh_from_db()
    assert (campaign.frequencies, campaign.default_frequency) == (
        ["once", "monthly", "annual"],
        "once",
    )


def test_the_admin_saves_the_frequencies_offered(client, campaign, editor):
    client.force_login(editor)
    data = _change_form_data(campaign, default_frequency="monthly")
    del data["offers_once"]
    response = client.post(_change_url(campaign), data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.frequencies, campaign.default_frequency) == (["monthly", "annual"], "monthly")


def test_the_campaigns_frequencies_are_the_gifts_frequencies():
    from campaigns.models import GiftFrequency
    from donations.models import Frequency

    assert GiftFrequency.choices == Frequency.choices


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_what_each_campaign_preselected():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("campaigns", "0009_hero_image_and_impact_cues")]
    after = [("campaigns", "0012_annual_gifts_frequencies")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("campaigns", "Campaign")
    for slug, monthly in (("monthly-first", True), ("once-first", False)):
        old.objects.create(
            slug=slug, title=slug, letter="Give.", goal_target=10, monthly_by_default=monthly
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("campaigns", "Campaign")
    rows = new.objects.order_by("slug").values_list(
        "slug", "offers_once", "offers_monthly", "offers_annual", "default_frequency"
    )
    # Each keeps the form it had: one-time and monthly, the same one pre-selected.
    assert list(rows) == [
        ("monthly-first", True, True, False, "monthly"),
        ("once-first", True, True, False, "once"),
    ]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_campaign_saved_without_its_checks_still_shows_a_sound_form(client, campaign):
    # Written by code, not through the admin: a default it doesn't offer.
    campaign.offers_once, campaign.offers_monthly, campaign.offers_annual = False, True, True
    campaign.default_frequency = "once"
    campaign.save()
    html = _page(client, campaign)
    assert _radios(html) == ["monthly", "annual"]
    assert _checked(html) == ["monthly"]
    assert "I understand this gift repeats every month until I cancel it." in html
