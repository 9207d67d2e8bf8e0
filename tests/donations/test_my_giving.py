""" "My giving": the signed page every donor can reach, and what it lets them do.

A small cast: Ana (the donor whose link is used) and Bo (another donor, whose gifts
must never show through Ana's link)."""

import datetime
import io
import re

import pypdf
import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign, FeedItem
from campaigns.organization import Organization
from donations import monthly as monthly_service
from donations.models import Donor, Gift, Interval, MonthlyGift

IRS = "No goods or services were provided in exchange for this contribution."


def _link_from(message):
    match = re.search(r"https?://\S+?(/give/manage/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _text(pdf_bytes):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages)


@pytest.fixture
def bo(db):
    return Donor.objects.create(name="Bo Carter", email="bo@example.org")


@pytest.fixture
def page_of(client):
    def get(donor):
        return client.get(f"/give/manage/{monthly_service.make_token(donor)}/")

    return get


# The link ------------------------------------------------------------------------


def test_it_mails_a_one_time_donor_a_link_and_an_unknown_address_none(client, online_gift):
    online_gift()
    known = client.post("/give/manage/", {"email": "ana@example.org"})
    unknown = client.post("/give/manage/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert "private" in known["Cache-Control"] and "no-store" in known["Cache-Control"]
    [to_ana, to_nobody] = mail.outbox
    assert client.get(_link_from(to_ana)).status_code == 200
    assert re.search(r"/give/manage/[^/\s]+/", to_nobody.body) is None
    assert "We have no gift on record for this address" in to_nobody.body


def test_a_link_works_for_an_hour_only(client, donor, online_gift, settings):
    online_gift()
    token = monthly_service.make_token(donor)
    assert client.get(f"/give/manage/{token}/").status_code == 200
    later = timezone.now() + datetime.timedelta(seconds=monthly_service.LINK_MAX_AGE + 5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("time.time", lambda: later.timestamp())
        response = client.get(f"/give/manage/{token}/")
    assert response.status_code == 410
    assert "Ana" not in response.content.decode()
    # Every donor's link expires, not only a monthly donor's.
    assert "monthly" not in response.content.decode()


def test_the_link_e_mail_of_a_yearly_donor_speaks_of_no_monthly_gift(
    client, donor, online_gift, campaign
):
    online_gift()
    MonthlyGift.objects.create(
        donor=donor,
        campaign=campaign,
        stripe_subscription_id="sub_yearly",
        amount_cents=12000,
        interval=Interval.YEAR,
    )
    client.post("/give/manage/", {"email": "ana@example.org"})
    [message] = mail.outbox
    assert "any recurring gift" in message.body
    assert "monthly" not in message.body
    assert "monthly" not in message.alternatives[0].content


# The page ------------------------------------------------------------------------


def test_it_lists_every_gift_with_refunded_and_voided_ones_marked(page_of, donor, online_gift):
    online_gift(amount_cents=2500)
    online_gift(amount_cents=4000, refunded_cents=4000)
    online_gift(
        amount_cents=10000,
        method=Gift.Method.CHECK,
        check_number="1042",
        stripe_payment_intent_id=None,
        stripe_charge_id=None,
        received_on=timezone.localdate(),
        voided_at=timezone.now(),
        void_reason="bounced check",
    )
    response = page_of(donor)
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    assert "My giving, Ana" in page
    for amount in ("$25", "$40", "$100"):
        assert amount in page
    assert "Refunded" in page and "Voided" in page
    # Only a gift that counts has a receipt to download.
    assert page.count("Download the receipt (PDF)") == 1


def test_one_donors_link_never_shows_or_reaches_anothers_gifts(
    client, page_of, donor, bo, online_gift
):
    online_gift(amount_cents=2500)
    bos_gift = online_gift(donor=bo, amount_cents=7700, donor_name="Bo Carter")
    ana_page = page_of(donor).content.decode()
    assert "$77" not in ana_page and "Bo Carter" not in ana_page
    token = monthly_service.make_token(donor)
    assert client.get(f"/give/manage/{token}/receipts/{bos_gift.pk}.pdf").status_code == 404
    assert client.post(f"/give/manage/{token}/receipts/{bos_gift.pk}/send/").status_code == 404
    assert mail.outbox == []
    # And Bo's own link shows his gift.
    assert "$77" in page_of(bo).content.decode()


def test_it_downloads_a_receipt_as_a_pdf_with_what_the_irs_needs(client, donor, online_gift):
    gift = online_gift(amount_cents=12345, card_brand="visa", card_last4="4242")
    token = monthly_service.make_token(donor)
    response = client.get(f"/give/manage/{token}/receipts/{gift.pk}.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    text = " ".join(_text(response.content).split())
    for expected in (
        Organization.current().legal_name,
        Organization.current().ein,
        "Ana Lopez",
        "$123.45",
        "Visa card ending in 4242",
        IRS,
    ):
        assert expected in text


def test_it_emails_a_receipt_again_with_its_pdf_and_not_without_limit(client, donor, online_gift):
    gift = online_gift()
    Gift.objects.filter(pk=gift.pk).update(receipt_status=Gift.Receipt.SENT)
    mail.outbox.clear()
    url = f"/give/manage/{monthly_service.make_token(donor)}/receipts/{gift.pk}/send/"
    response = client.post(url)
    assert response.status_code == 303
    [message] = mail.outbox
    assert message.to == ["ana@example.org"]
    [(filename, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and filename.endswith(".pdf")
    assert IRS in " ".join(_text(content).split())
    for _ in range(4):
        assert client.post(url).status_code == 303
    assert client.post(url).status_code == 429
    assert len(mail.outbox) == 5


def test_it_offers_the_statement_of_each_past_year(client, donor, online_gift):
    last_year = timezone.localdate().year - 1
    online_gift(amount_cents=2000, given_at=timezone.now().replace(year=last_year, month=3, day=2))
    online_gift(amount_cents=3000, given_at=timezone.now().replace(year=last_year, month=9, day=9))
    online_gift(amount_cents=9900)  # this year: no statement yet
    token = monthly_service.make_token(donor)
    page = client.get(f"/give/manage/{token}/").content.decode()
    assert f"{last_year} statement (PDF)" in page
    assert f"{last_year + 1} statement" not in page
    response = client.get(f"/give/manage/{token}/statements/{last_year}.pdf")
    assert response.status_code == 200
    text = " ".join(_text(response.content).split())
    assert "$20.00" in text and "$30.00" in text and "$50.00" in text
    assert "$99.00" not in text
    assert client.get(f"/give/manage/{token}/statements/{last_year + 1}.pdf").status_code == 404


# Choices -------------------------------------------------------------------------


def test_a_yearly_donor_is_not_told_of_monthly_receipts(page_of, donor, online_gift, campaign):
    online_gift()
    MonthlyGift.objects.create(
        donor=donor,
        campaign=campaign,
        stripe_subscription_id="sub_yearly",
        amount_cents=12000,
        interval=Interval.YEAR,
    )
    page = page_of(donor).content.decode()
    assert "$120/year" in page
    assert "Receipts for your recurring gifts" in page
    assert "monthly gift" not in page and "monthly charge" not in page


def test_a_recurring_gift_moved_from_a_card_to_a_bank_account_names_no_card(
    page_of, donor, online_gift, campaign
):
    monthly = MonthlyGift.objects.create(
        donor=donor, campaign=campaign, stripe_subscription_id="sub_moved", amount_cents=5000
    )
    now = timezone.now()
    online_gift(
        monthly_gift=monthly,
        frequency="monthly",
        card_brand="visa",
        card_last4="4242",
        given_at=now - datetime.timedelta(days=40),
    )
    online_gift(
        monthly_gift=monthly,
        frequency="monthly",
        method=Gift.Method.BANK,
        given_at=now - datetime.timedelta(days=10),
    )
    page = page_of(donor).content.decode()
    assert "Update payment details or cancel" in page
    assert "4242" not in page


def test_a_new_display_choice_shows_in_the_feed_at_once(client, donor, online_gift):
    gift = online_gift(display_as="full")
    campaign_version = Campaign.objects.get(pk=gift.campaign_id).feed_version
    assert FeedItem.objects.get(source_key=gift.feed_key).display_name == "Ana Lopez"
    token = monthly_service.make_token(donor)
    response = client.post(
        f"/give/manage/{token}/settings/display/", {"display-display_as": "first"}
    )
    assert response.status_code == 303
    assert FeedItem.objects.get(source_key=gift.feed_key).display_name == "Ana"
    assert Campaign.objects.get(pk=gift.campaign_id).feed_version > campaign_version
    page = client.get(response["Location"]).content.decode()
    assert "The list of supporters shows it from now on." in page

    client.post(f"/give/manage/{token}/settings/display/", {"display-display_as": "anonymous"})
    assert FeedItem.objects.get(source_key=gift.feed_key).display_name == ""

    refused = client.post(f"/give/manage/{token}/settings/display/", {"display-display_as": "x"})
    assert refused.status_code == 400
    assert "Choose how your gifts are shown." in refused.content.decode()


def test_it_updates_the_name_and_mailing_address(client, donor, online_gift):
    gift = online_gift()
    token = monthly_service.make_token(donor)
    data = {
        "details-name": "Ana María López",
        "details-street": "  40 Orange St ",
        "details-city": "Hartford",
        "details-state": "CT",
        "details-postal_code": "06103",
    }
    assert client.post(f"/give/manage/{token}/settings/details/", data).status_code == 303
    donor.refresh_from_db()
    assert (donor.name, donor.street, donor.city, donor.postal_code) == (
        "Ana María López",
        "40 Orange St",
        "Hartford",
        "06103",
    )
    gift.refresh_from_db()
    assert gift.donor_name == "Ana Lopez"  # a past gift keeps the name it was given under

    bad = data | {"details-name": "", "details-city": "Hart\nford"}
    response = client.post(f"/give/manage/{token}/settings/details/", bad)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter your name; it goes on your receipts." in page
    assert "Keep this to one line" in page
    donor.refresh_from_db()
    assert donor.city == "Hartford"


def test_an_unknown_choice_is_not_found(client, donor):
    token = monthly_service.make_token(donor)
    assert client.post(f"/give/manage/{token}/settings/nothing/", {}).status_code == 404


def test_a_forged_link_changes_nothing(client, donor):
    response = client.post(
        "/give/manage/forged-token/settings/details/",
        {"details-name": "Mallory", "details-street": "", "details-city": "", "details-state": ""},
    )
    assert response.status_code == 404
    donor.refresh_from_db()
    assert donor.name == "Ana Lopez"


# Links to it ---------------------------------------------------------------------


def test_the_appeal_page_links_to_my_giving(client, campaign):
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert '<a href="/give/manage/">Manage my giving</a>' in page


def test_the_spanish_pages_link_to_my_giving_in_spanish(client, campaign):
    page = client.get("/es/").content.decode()
    assert '<a href="/es/give/manage/">Administrar mis donaciones</a>' in page
