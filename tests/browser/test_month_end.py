"""The month-end close page in Chromium at 1280 px: what a bookkeeper sees, accessible."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from campaigns.demo import load_demo_campaign
from donations.models import Donor
from tests.donations.month_fixtures import build_october
from tests.quality import assert_no_axe_violations

from .test_backoffice import _bookkeepers

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-bea-browser-1"


def test_a_bookkeeper_closes_october(live_server, page):
    campaign = load_demo_campaign()[0]
    user = User.objects.create_user("bea", "bea@example.org", PASSWORD, is_staff=True)
    user.groups.add(_bookkeepers())
    donor = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    build_october(campaign, donor, user)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/donations/gift/month-end/")
    page.fill("#id_username", "bea")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.fill("#month-field", "2026-10")
    page.click("input[type=submit][value=Show]")

    expect(page.locator("h2").first).to_have_text("October 2026")
    expect(page.locator("#opening-balance")).to_have_text("$19.12")
    expect(page.locator("#closing-balance")).to_have_text("$22.51")
    expect(page.locator("#unmatched-lines_without_gift")).to_contain_text("txn_stranger")
    assert_no_axe_violations(page)
    if folder := os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(folder) / "month-end-1280.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#journal-export")
    assert download.value.suggested_filename == "journal-2026-10.csv"
