"""A one-time donor's way back: "Manage my giving" from the thank-you page, the link
read from the e-mail, "My giving" on a phone, a PDF receipt downloaded and read, a new
choice of how they appear in the feed ("don't list my gift" included: the feed line
goes, the goal stays), and updates from OCA asked for, with the consent on record."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.organization import Organization
from donations.models import Gift, UpdatesConsent
from tests.quality import assert_no_axe_violations, assert_valid_html

MANAGE_LINK = re.compile(r"https?://\S+/give/manage/[^/\s]+/")
IRS = "No goods or services were provided in exchange for this contribution."
# Where the screenshots of this journey are kept when SHOTS_DIR is set.
SHOTS_DIR = os.environ.get("SHOTS_DIR", "")


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def _shot(page, name):
    if SHOTS_DIR:
        Path(SHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS_DIR) / name), full_page=True)


def test_a_one_time_donor_gets_the_link_and_downloads_a_pdf_receipt(
    live_server, campaign, standin, mobile_page, tmp_path
):
    page = mobile_page
    page.goto(live_server.url + campaign.get_absolute_url())
    form = page.locator("#donation-form")
    form.get_by_label("$50").check()
    form.get_by_label("One time").check()
    form.get_by_label("Your name").fill("Ana Lopez")
    form.get_by_label("E-mail").fill("ana@example.org")
    form.get_by_label("My full name").check()
    form.get_by_role("button", name=re.compile(r"^Give \$50")).click()
    page.wait_for_url(standin.url + "/checkout/**")
    page.locator("#pay").click()
    page.wait_for_url(re.compile(r"/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, Ana — your $50 gift is confirmed"
    )
    # The receipt e-mail carries its PDF.
    [receipt] = mail.outbox
    assert [a[2] for a in receipt.attachments] == ["application/pdf"]
    mail.outbox.clear()

    page.get_by_role("main").get_by_role("link", name="Manage my giving").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manage my giving")
    page.get_by_label("The e-mail address you gave with").fill("ana@example.org")
    page.get_by_role("button", name="E-mail me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    [message] = mail.outbox
    [link] = MANAGE_LINK.findall(message.body)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("My giving, Ana")
    gift = Gift.objects.get()
    rows = page.locator(".gift-row")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("$50")
    # No monthly gift: no choice of annual receipts, and nothing to cancel.
    expect(page.get_by_role("button", name="Update card or cancel")).to_have_count(0)
    expect(page.get_by_text("Receipts for your recurring gifts")).to_have_count(0)
    _check_quality(page)
    _shot(page, "my-giving-360.png")

    with page.expect_download() as download_info:
        rows.get_by_role("link", name=re.compile("Download the receipt")).click()
    download = download_info.value
    given_on = timezone.localtime(gift.given_at)
    assert download.suggested_filename == f"receipt-{given_on:%Y-%m-%d}-{gift.pk}.pdf"
    pdf_path = tmp_path / "receipt.pdf"
    download.save_as(pdf_path)
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(pdf_path).pages).split())
    for expected in (
        Organization.current().legal_name,
        Organization.current().ein,
        "Ana Lopez",
        "$50.00",
        IRS,
    ):
        assert expected in text, expected
    if shutil.which("pdftotext"):
        plain = subprocess.run(
            ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, check=True
        ).stdout.decode()
        assert "$50.00" in plain and Organization.current().ein in plain
    if SHOTS_DIR and shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf_path),
                str(Path(SHOTS_DIR) / "receipt-page-1"),
            ],
            check=True,
        )

    # First name only in the feed, from now on.
    page.goto(live_server.url + campaign.get_absolute_url())
    expect(page.locator("#activity")).to_contain_text("Ana Lopez")
    page.goto(link)
    page.get_by_label("My first name only").check()
    page.get_by_role("button", name="Save how I appear").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your choice is saved. The list of supporters shows it from now on."
    )
    page.goto(live_server.url + campaign.get_absolute_url())
    feed = page.locator("#activity")
    expect(feed).to_contain_text("Ana")
    expect(feed).not_to_contain_text("Ana Lopez")
    goal = page.locator("#goal-label").inner_text()

    # "Don't list my gift": counted in the goal, gone from the feed.
    page.goto(link)
    page.get_by_label("Don’t list my gift").check()
    page.get_by_role("button", name="Save how I appear").click()
    expect(page.get_by_role("status")).to_contain_text("Your choice is saved.")
    page.goto(live_server.url + campaign.get_absolute_url())
    expect(page.locator("#activity")).not_to_contain_text("Ana")
    assert page.locator("#goal-label").inner_text() == goal
    assert Gift.objects.get().counted

    # Updates from OCA, asked for on "My giving": the consent row keeps the words shown.
    assert not UpdatesConsent.objects.exists()
    page.goto(link)
    page.get_by_label("Send me occasional updates from OCA").check()
    page.get_by_role("button", name="Save my choice about updates").click()
    expect(page.get_by_role("status")).to_have_text("Your choice about updates is saved.")
    consent = UpdatesConsent.objects.get()
    assert consent.donor == gift.donor
    assert consent.wording == "Send me occasional updates from OCA"
    assert consent.language == "en"
    assert consent.source == "/give/manage/"
    assert consent.withdrawn_at is None


@pytest.fixture(autouse=True)
def _no_leftover_mail():
    mail.outbox.clear()
