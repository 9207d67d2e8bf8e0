"""Development mail you can read: decoded in the terminal, browsable at /dev/mail/."""

import re

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client, override_settings
from django.urls import reverse

from devtools import devmail
from donations import monthly
from donations.models import Donor, MonthlyGift
from tests.campaigns.gifts import give


@pytest.fixture
def dev_mailer(settings, tmp_path):
    """The mailer `make run` uses, writing to a folder of the test's own."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "devtools.devmail.ReadableConsoleBackend",
            "OPTIONS": {"directory": tmp_path},
        }
    }
    # The pages read the default folder: point it at the same one.
    original = devmail.default_directory
    devmail.default_directory = lambda: tmp_path
    yield tmp_path
    devmail.default_directory = original


@pytest.fixture
def client():
    """Django's test client (tests/devtools/conftest.py's `client` is the Stripe one)."""
    return Client()


@pytest.fixture
def monthly_donor(campaign):
    donor = Donor.objects.create(name="Ana Lopez", email="ana@example.org")
    MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_dev", amount_cents=2500
    )
    # "My giving" links go to donors with gifts on file.
    give(campaign, donor, amount=2500, frequency="monthly")
    return donor


def test_the_terminal_shows_the_mail_decoded_with_the_whole_link_on_one_line(
    dev_mailer, monthly_donor, capsys, settings
):
    assert monthly.deliver_manage_link("ana@example.org") == "link"

    out = capsys.readouterr().out
    assert "Subject:  Your link to “My giving” at Open Communities Alliance" in out
    assert "To:       ana@example.org" in out
    # The link as the mail's HTML part has it: whole, on one line of the terminal,
    # with no quoted-printable "=" line break or "=3D" in it.
    (stored,) = dev_mailer.glob("*.eml")
    message = devmail.parse(stored.read_bytes())
    link = re.search(r'href="([^"]+/manage/[^"]+)"', devmail.html_version(message)).group(1)
    assert len(link) > 76  # long enough that quoted-printable would have cut it
    assert any(line.strip() == link for line in out.splitlines())
    assert "=3D" not in out and not any(line.endswith("=") for line in out.splitlines())
    assert f"/dev/mail/{stored.stem}/" in out


def test_an_attachment_is_listed(dev_mailer, capsys):
    message = EmailMessage("Year-end statement", "See attached.", to=["ana@example.org"])
    message.attach("statement-2026.pdf", b"%PDF-1.4 fake", "application/pdf")
    message.send()

    out = capsys.readouterr().out
    assert "Attached: statement-2026.pdf (application/pdf, 13 bytes)" in out


@override_settings(DEBUG=False)
def test_the_mail_pages_are_not_found_with_debug_off(client, dev_mailer, monthly_donor):
    monthly.deliver_manage_link("ana@example.org")
    (stored,) = dev_mailer.glob("*.eml")

    assert client.get("/dev/mail/").status_code == 404
    assert client.get(f"/dev/mail/{stored.stem}/").status_code == 404
    assert client.get(f"/dev/mail/{stored.stem}/html/").status_code == 404


@override_settings(DEBUG=True)
def test_with_debug_on_a_sent_mail_is_listed_and_readable_with_its_link_intact(
    client, dev_mailer, monthly_donor
):
    monthly.deliver_manage_link("ana@example.org")
    (stored,) = dev_mailer.glob("*.eml")
    message = devmail.parse(stored.read_bytes())
    link = re.search(r'href="([^"]+/manage/[^"]+)"', devmail.html_version(message)).group(1)

    listing = client.get(reverse("devtools:mail-list"))
    assert listing.status_code == 200
    assert "Your link to “My giving” at Open Communities Alliance" in listing.content.decode()

    page = client.get(reverse("devtools:mail-detail", args=[stored.stem]))
    html = page.content.decode()
    assert page.status_code == 200
    assert link.replace("&", "&amp;") in html  # the text version, whole
    html_url = reverse("devtools:mail-html", args=[stored.stem])
    assert f'<iframe class="devmail-html" src="{html_url}" sandbox=' in html

    frame = client.get(html_url)
    assert frame.status_code == 200
    assert f'href="{link}"' in frame.content.decode()
    policy = frame["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


@override_settings(DEBUG=True)
def test_a_made_up_or_crafted_id_is_not_found(client, dev_mailer):
    assert client.get("/dev/mail/20260101T000000000000-deadbeef/").status_code == 404
    assert client.get("/dev/mail/..%2F..%2Fsettings/").status_code == 404


def test_old_mail_is_pruned(dev_mailer, monkeypatch):
    monkeypatch.setattr(devmail, "KEEP", 3)
    for number in range(5):
        devmail.store(f"Subject: {number}\n\nbody".encode(), dev_mailer)

    kept = devmail.stored_ids(dev_mailer)
    assert len(kept) == 3
    assert [str(devmail.load(mail_id)["Subject"]) for mail_id in kept] == ["4", "3", "2"]


def test_the_test_suite_itself_still_captures_mail(monthly_donor):
    # Without the fixture, the suite's own mailer (Django's memory backend) is in use.
    monthly.deliver_manage_link("ana@example.org")
    assert len(mail.outbox) == 1
