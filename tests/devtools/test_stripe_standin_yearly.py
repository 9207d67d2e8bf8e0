"""Yearly subscriptions on the stand-in: a price that recurs each year bills a year
apart, at checkout and at each renewal, as Stripe does."""

from datetime import UTC, datetime

import requests

from devtools.stripe_standin import objects

from .standin_helpers import press, session_params


def _date(timestamp):
    return datetime.fromtimestamp(timestamp, UTC)


def _yearly(client):
    params = session_params("subscription", amount=12000)
    params["line_items"][0]["price_data"]["recurring"] = {"interval": "year"}
    session = client.v1.checkout.sessions.create(params=params)
    assert press(session).status_code == 303
    return client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})


def _a_year_after(timestamp):
    start = _date(timestamp)
    return start.replace(year=start.year + 1)


def test_it_starts_a_yearly_subscription_billed_for_a_year(client, standin):
    subscription = _yearly(client).subscription
    (item,) = subscription["items"].data

    assert item.price.recurring.interval == "year"
    assert item.plan.interval == "year"
    assert _date(item.current_period_end) == _a_year_after(item.current_period_start)
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.billing_reason == "subscription_create"
    assert first.amount_paid == 12000
    assert _date(first.lines.data[0].period.end) == _a_year_after(item.current_period_start)


def test_a_renewal_comes_a_year_later_and_pays_for_the_next_year(client, standin, receiver):
    subscription = _yearly(client).subscription
    (item,) = subscription["items"].data

    renewal = standin.renew(subscription.id)

    assert renewal["billing_reason"] == "subscription_cycle"
    assert renewal["amount_paid"] == 12000
    after = client.v1.subscriptions.retrieve(subscription.id)["items"].data[0]
    assert after.current_period_start == item.current_period_end
    assert _date(after.current_period_end) == _a_year_after(item.current_period_end)
    paid = [e for e in receiver.events() if e["type"] == "invoice.paid"]
    assert paid[-1].data.object.id == renewal["id"]


def test_the_control_endpoint_renews_by_the_price_interval(client, standin):
    subscription = _yearly(client).subscription
    (item,) = subscription["items"].data

    response = requests.post(f"{standin.url}/_standin/renew/{subscription.id}")

    assert response.status_code == 200
    after = client.v1.subscriptions.retrieve(subscription.id)["items"].data[0]
    assert _date(after.current_period_end) == _a_year_after(item.current_period_end)


def test_a_monthly_subscription_still_renews_a_month_apart(client, standin, monthly):
    (item,) = monthly.subscription["items"].data
    standin.renew(monthly.subscription.id)
    after = client.v1.subscriptions.retrieve(monthly.subscription.id)["items"].data[0]
    assert after.current_period_end == objects.add_month(item.current_period_end)
    assert after.current_period_end < _a_year_after(item.current_period_end).timestamp()


def test_a_new_yearly_amount_keeps_renewing_yearly(client, standin):
    subscription = _yearly(client).subscription
    (item,) = subscription["items"].data
    client.v1.subscriptions.update(
        subscription.id,
        params={
            "items": [
                {
                    "id": item.id,
                    "price_data": {
                        "currency": "usd",
                        "product": item.price.product,
                        "unit_amount": 24000,
                        "recurring": {"interval": "year"},
                    },
                }
            ],
            "proration_behavior": "none",
        },
    )

    renewal = standin.renew(subscription.id)

    assert renewal["amount_paid"] == 24000
    after = client.v1.subscriptions.retrieve(subscription.id)["items"].data[0]
    assert _date(after.current_period_end) == _a_year_after(item.current_period_end)


def test_a_year_after_february_29_is_february_28():
    leap_day = int(datetime(2028, 2, 29, 9, 30, tzinfo=UTC).timestamp())
    assert _date(objects.add_year(leap_day)) == datetime(2029, 2, 28, 9, 30, tzinfo=UTC)
    assert _date(objects.add_year(objects.add_year(leap_day))) == datetime(
        2030, 2, 28, 9, 30, tzinfo=UTC
    )
