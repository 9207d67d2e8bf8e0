"""A bookkeeper's day in Chromium: a deposit, a $100 check, the public page, a void,
and the acknowledgement letter printed on one page.

Each test empties the database when it ends (a transactional test); the groups the
migrations created are made again on demand (tests.conftest.migration_group).
"""

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.demo import load_demo_campaign
from campaigns.models import FeedItem
from donations.models import Deposit, Donor, Gift
from tests.conftest import migration_group
from tests.quality import assert_no_axe_violations, assert_valid_html

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-bea-browser-1"


def _bookkeepers():
    """The group its migration created, made again by that migration's own code (and
    the later ones that widen it) when a transactional test's flush took it away."""
    return migration_group(
        "donations", "0002_bookkeepers_group", "create_bookkeepers", "Bookkeepers"
    )


@pytest.fixture
def setting(live_server):
    campaign = load_demo_campaign()[0]
    user = User.objects.create_user("bea", "bea@example.org", PASSWORD, is_staff=True)
    user.groups.add(_bookkeepers())
    donor = Donor.objects.create(
        name="Ana Lopez",
        email="ana@example.org",
        street="12 Elm Street",
        city="New Haven",
        state="CT",
        postal_code="06510",
    )
    return {"campaign": campaign, "donor": donor, "url": live_server.url}


def _log_in(page, url):
    page.goto(f"{url}/admin/login/?next=/admin/")
    page.fill("#id_username", "bea")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("bea")


def _public_page(page, setting):
    page.goto(setting["url"] + setting["campaign"].get_absolute_url())
    return page.locator("#goal-label")


def _log_the_check_into_a_new_deposit(page, url):
    page.goto(f"{url}/admin/donations/deposit/add/")
    page.fill("#id_bank_reference", "SLIP-100")
    page.fill("#id_expected_total", "100")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    deposit = Deposit.objects.get(bank_reference="SLIP-100")
    assert deposit.expected_total_cents == 10000

    page.goto(f"{url}/admin/donations/gift/add/")
    expect(page.locator("h1")).to_have_text("Log a check")
    # The donor is found by name through the admin's autocomplete.
    page.click("#donor-row .select2-selection, .field-donor .select2-selection")
    page.fill(".select2-search__field", "Ana")
    page.click(".select2-results__option >> text=Ana Lopez")
    page.fill("#id_amount", "100")
    page.fill("#id_check_number", "1001")
    page.select_option("#id_deposit", label=str(deposit))
    page.select_option("#id_display_as", "full")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    return Gift.objects.get(check_number="1001")


def _feed_shows(page, text):
    feed = page.locator("#activity")
    if feed.count():  # the feed section is on the page
        return feed.get_by_text(text).count() > 0
    return None


def test_a_bookkeeper_logs_a_check_and_voids_it(page, setting):
    url = setting["url"]
    expect(_public_page(page, setting)).to_contain_text("0 of 100 donors")

    _log_in(page, url)
    gift = _log_the_check_into_a_new_deposit(page, url)

    assert gift.amount_cents == 10000 and gift.method == Gift.Method.CHECK
    assert gift.received_on == timezone.localdate()
    assert gift.logged_by.username == "bea"
    expect(_public_page(page, setting)).to_contain_text("1 of 100 donors")
    item = FeedItem.objects.get(source_key=gift.feed_key)
    assert item.display_name == "Ana Lopez" and not item.withdrawn
    assert _feed_shows(page, "Ana Lopez") in (True, None)

    page.goto(f"{url}/admin/donations/deposit/{gift.deposit_id}/change/")
    expect(page.locator(".deposit-count")).to_have_text("1")
    expect(page.locator(".deposit-total")).to_have_text("$100.00")
    expect(page.locator(".deposit-summary")).to_contain_text("(matches)")

    page.goto(f"{url}/admin/donations/gift/{gift.pk}/change/")
    page.click("text=Void this check")
    page.fill("#id_reason", "bounced check")
    page.click("input[type=submit][value=Void]")
    expect(page.locator(".messagelist")).to_contain_text("Voided 1 check.")

    gift.refresh_from_db()
    assert gift.status == Gift.Status.VOIDED and gift.void_reason == "bounced check"
    expect(_public_page(page, setting)).to_contain_text("0 of 100 donors")
    assert FeedItem.objects.get(source_key=gift.feed_key).withdrawn
    assert _feed_shows(page, "Ana Lopez") in (False, None)

    page.goto(f"{url}/admin/donations/gift/{gift.pk}/history/")
    expect(page.locator("#change-history")).to_contain_text("Voided: bounced check")


def test_the_acknowledgement_letter_prints_on_one_page(page, setting):
    url = setting["url"]
    _log_in(page, url)
    gift = _log_the_check_into_a_new_deposit(page, url)

    page.goto(f"{url}/admin/donations/gift/{gift.pk}/change/")
    page.click("text=Acknowledgement letter")
    expect(page.locator(".letter")).to_contain_text(
        "No goods or services were provided in exchange for this contribution."
    )
    expect(page.locator(".recipient")).to_contain_text("New Haven, CT 06510")
    expect(page.locator(".print-button")).to_be_visible()  # the script ran under the CSP
    assert_no_axe_violations(page)
    assert_valid_html(page.request.get(page.url).text())

    pdf = page.pdf(prefer_css_page_size=True)

    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)
    assert len(pages) == 1, f"the letter printed on {len(pages)} pages"


def test_the_letter_is_readable_on_a_phone(mobile_page, setting, page):
    url = setting["url"]
    _log_in(page, url)
    gift = _log_the_check_into_a_new_deposit(page, url)
    mobile_page.context.add_cookies(page.context.cookies())

    mobile_page.goto(f"{url}/admin/donations/gift/letters/?ids={gift.pk}")

    width = mobile_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the letter scrolls sideways on a phone ({width}px)"
    assert_no_axe_violations(mobile_page)
    assert_valid_html(mobile_page.content())
