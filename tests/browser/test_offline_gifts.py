"""A bookkeeper logs a gift of stock and an in-kind gift in Chromium: the kind chosen
first, the stock's value computed by the IRS rule and shown, the in-kind gift counted
as a donor with no dollars."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from donations.models import Gift
from tests.browser.test_backoffice import _log_in, setting  # noqa: F401 (a fixture)
from tests.quality import assert_no_axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def _choose_donor(page, name):
    page.click(".field-donor .select2-selection")
    page.fill(".select2-search__field", name.split()[0])
    page.click(f".select2-results__option >> text={name}")


def test_a_bookkeeper_logs_stock_and_an_in_kind_gift(page, setting):  # noqa: F811
    url = setting["url"]
    _log_in(page, url)

    page.goto(f"{url}/admin/donations/gift/")
    page.click("text=Log a gift")
    page.click(".gift-kinds >> text=Stock")
    expect(page.locator("h1")).to_have_text("Log a gift of stock")
    expect(page.locator("#id_amount")).to_have_count(0)
    # The kinds' links (the donor field is Django's own autocomplete widget).
    assert_no_axe_violations(page, context=".gift-kinds")
    _choose_donor(page, "Ana Lopez")
    page.fill("#id_ticker", "msft")
    page.fill("#id_shares", "40")
    page.fill("#id_high_price", "$421.90")
    page.fill("#id_low_price", "415.32")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    stock = Gift.objects.get(method=Gift.Method.STOCK)
    # 40 × (421.90 + 415.32) / 2 = 40 × 418.61 = $16,744.40.
    assert stock.amount_cents == 1674440 and stock.offline_details.ticker == "MSFT"
    page.goto(f"{url}/admin/donations/gift/{stock.pk}/change/")
    expect(page.locator(".field-details_display")).to_contain_text(
        "40 shares × $418.61 (the mean of the high $421.90 and the low $415.32) = $16,744.40"
    )

    # Shares given on a Sunday: valued from Friday's and Monday's prices, weighted evenly.
    page.goto(f"{url}/admin/donations/gift/add/?kind=stock")
    _choose_donor(page, "Ana Lopez")
    page.fill("#id_ticker", "VTI")
    page.fill("#id_shares", "10")
    page.fill("#id_received_on", "2018-10-07")
    page.check("#id_no_trading")
    for name, value in (("before_date", "2018-10-05"), ("before_high", "21"),
                        ("before_low", "19"), ("after_date", "2018-10-08"),
                        ("after_high", "24"), ("after_low", "22")):  # fmt: skip
        page.fill(f"#id_{name}", value)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    weekend = Gift.objects.get(offline_details__ticker="VTI")
    assert weekend.amount_cents == 21500
    page.goto(f"{url}/admin/donations/gift/{weekend.pk}/change/")
    expect(page.locator(".field-details_display")).to_contain_text(
        "10 shares × (1 × $20.00 + 1 × $23.00) ÷ 2 = $215.00"
    )

    page.goto(f"{url}/admin/donations/gift/add/?kind=check")
    page.click(".gift-kinds >> text=In-kind (goods or services)")
    expect(page.locator("h1")).to_have_text("Log an in-kind gift")
    _choose_donor(page, "Ana Lopez")
    page.click("input[name=_save]")
    expect(page.locator(".errorlist")).to_contain_text("Describe the goods or services given.")
    page.fill("#id_description", "Two laptops for the tenant clinic")
    page.fill("#id_estimated_value", "1,800")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    in_kind = Gift.objects.get(method=Gift.Method.IN_KIND)
    assert in_kind.amount_cents == 0 and in_kind.offline_details.estimated_value_cents == 180000
    campaign = Campaign.objects.get(pk=setting["campaign"].pk)
    assert campaign.raised_cents == 1674440 + 21500  # the stock; the laptops add no dollars
    page.goto(f"{url}/admin/donations/gift/?origin=offline")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("#result_list")).to_contain_text("40 MSFT")
