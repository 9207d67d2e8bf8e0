"""A supporter writes their page through the signed link; the public sees it only once
staff approve it; it shows no amounts of gifts nor addresses and is a public page that
caches keep."""

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns.models import Campaign
from fundraising import links
from tests.campaigns.gifts import donor, give

from .conftest import photo_bytes


def _form(**overrides):
    data = {
        "display_name": "Rosa Díaz",
        "appeal": "I grew up in Hartford.\n\nHelp me raise money for fair housing.",
        "photo_alt": "Rosa on her front steps",
        "goal_kind": "dollars",
        "goal_target": "750",
    }
    return data | overrides


def _edit_url(page):
    return f"/give/fundraise/{links.make_token(page)}/"


def test_a_supporter_writes_a_page_with_a_photo_stripped_of_its_metadata(
    client, make_page, settings
):
    page = make_page(status="draft", slug="", display_name="", appeal="")
    upload = SimpleUploadedFile(
        "IMG_0042 at home.jpg",
        photo_bytes(exif_comment="Home address: 12 Elm St"),
        content_type="image/jpeg",
    )
    response = client.post(_edit_url(page), _form(photo=upload))
    assert response.status_code == 302, response.content.decode()[:3000]
    page.refresh_from_db()
    assert (page.status, page.slug, page.display_name) == ("pending", "rosa-diaz", "Rosa Díaz")
    assert page.goal_target == 750
    assert page.photo.name.startswith("fundraisers/") and "IMG_0042" not in page.photo.name
    with page.photo.open("rb") as stored_file:
        stored = stored_file.read()
    assert b"12 Elm St" not in stored
    image = Image.open(io.BytesIO(stored))
    assert not image.getexif() and "comment" not in image.info
    assert "Cache-Control" in response and "no-store" in response["Cache-Control"]


def test_a_file_that_is_no_image_is_refused_and_nothing_is_written(client, make_page):
    page = make_page(status="draft", slug="", display_name="", appeal="")
    upload = SimpleUploadedFile(
        "photo.jpg", b"<svg onload='alert(1)'></svg>", content_type="image/jpeg"
    )
    response = client.post(_edit_url(page), _form(photo=upload))
    assert response.status_code == 400
    assert "Upload a JPEG, PNG or WebP image" in response.content.decode()
    page.refresh_from_db()
    assert (page.status, page.display_name, page.photo.name) == ("draft", "", "")


def test_a_photo_needs_its_description(client, make_page):
    page = make_page(status="draft", slug="", display_name="", appeal="")
    upload = SimpleUploadedFile("p.jpg", photo_bytes(), content_type="image/jpeg")
    response = client.post(_edit_url(page), _form(photo=upload, photo_alt=""))
    assert response.status_code == 400
    # Once in the summary, once by the field.
    assert response.content.decode().count("Say in a few words what the photo shows.") == 2
    page.refresh_from_db()
    assert page.status == "draft"


def test_two_supporters_taking_the_same_name_at_once_get_two_addresses(
    client, make_page, monkeypatch
):
    from fundraising import forms
    from fundraising.models import FundraisingPage

    page = make_page(status="draft", slug="", display_name="", appeal="")
    real_unique_slug = forms.unique_slug

    def another_supporter_saves_meanwhile(page):
        slug = real_unique_slug(page)
        monkeypatch.setattr(forms, "unique_slug", real_unique_slug)
        make_page(status="pending", slug=slug, display_name="Rosa Díaz", email="r2@x.org")
        return slug

    monkeypatch.setattr(forms, "unique_slug", another_supporter_saves_meanwhile)
    response = client.post(_edit_url(page), _form())
    assert response.status_code == 302
    page.refresh_from_db()
    assert (page.status, page.slug) == ("pending", "rosa-diaz-2")
    assert FundraisingPage.objects.filter(slug="rosa-diaz").count() == 1


def test_markup_in_the_appeal_is_shown_as_text(client, make_page):
    page = make_page(appeal='<script>alert("x")</script> <b>bold</b>')
    html = client.get(page.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_the_public_sees_a_page_only_while_approved(client, make_page):
    page = make_page(status="pending")
    url = f"/campaigns/{page.campaign.slug}/for/rosa/"
    assert client.get(url).status_code == 404
    page.status = "approved"
    page.save()
    assert client.get(url).status_code == 200
    page.status = "hidden"
    page.save()
    assert client.get(url).status_code == 404
    assert client.get(f"/es{url}").status_code == 404


def test_the_owner_previews_a_page_waiting_for_approval_privately(client, make_page):
    page = make_page(status="pending")
    response = client.get(_edit_url(page) + "preview/")
    assert response.status_code == 200
    assert "Preview — only you can see this page." in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_a_gift_from_the_owner_s_preview_records_the_public_page_not_the_link(client, make_page):
    page = make_page(status="pending")
    token = links.make_token(page)
    html = client.get(_edit_url(page) + "preview/").content.decode()
    source = re.search(r'<input type="hidden" name="source" value="([^"]*)">', html).group(1)
    # Where a consent to updates is recorded as given: never the signed link itself.
    assert token not in source and source == page.get_absolute_url()


def test_changing_the_words_of_an_approved_page_sends_it_back_to_review(client, make_page):
    page = make_page()
    form = _form(display_name="Rosa", appeal=page.appeal, goal_target="900", photo_alt="")
    client.post(_edit_url(page), form)
    page.refresh_from_db()
    assert (page.status, page.goal_target) == ("approved", 900)  # a new goal alone
    client.post(_edit_url(page), form | {"appeal": "New words."})
    page.refresh_from_db()
    assert page.status == "pending"


def test_a_hidden_page_stays_hidden_whatever_its_owner_changes(client, make_page):
    page = make_page(status="hidden", hidden_reason="off topic")
    client.post(_edit_url(page), _form(appeal="Please look again.", photo_alt=""))
    page.refresh_from_db()
    assert page.status == "hidden"


def test_the_page_shows_the_supporter_and_no_amount_of_a_gift_nor_an_address(
    client, make_page, campaign
):
    page = make_page(photo_alt="Rosa smiling")
    page.photo.save("x.jpg", SimpleUploadedFile("x.jpg", photo_bytes()))
    give(campaign, donor("Ana Lopez", "ana@example.org"), amount=3700, fundraiser=page)
    give(campaign, donor("Ben Ng", "ben@example.org"), amount=5800, fundraiser=page)
    response = client.get(page.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rosa raises money" in html and page.appeal in html
    assert re.search(
        r'<img class="fundraiser-photo" src="/media/fundraisers/\w+\.jpg" alt="Rosa smiling"', html
    )
    assert "Ana" in html and "Ben" in html  # its own feed
    assert "$95" in html and "of $500" in html  # its meter: the total, not the gifts
    for private in ("$37", "$58", "@example.org", "rosa@", "ana@"):
        assert private not in html
    assert 'name="via" value="rosa"' in html


def test_the_page_is_a_public_page_caches_keep(client, make_page, campaign):
    page = make_page()
    first = client.get(page.get_absolute_url())
    cache_control = {part.strip() for part in first["Cache-Control"].split(",")}
    assert "public" in cache_control and any(p.startswith("s-maxage=") for p in cache_control)
    assert first["ETag"] and not first.cookies
    assert "csrfmiddlewaretoken" not in first.content.decode()
    again = client.get(page.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    give(campaign, donor("Ana Lopez"), fundraiser=page)  # a gift through it retires it
    fresh = client.get(page.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert fresh.status_code == 200 and "Ana" in fresh.content.decode()
    page.appeal = "Words staff corrected."
    page.save()  # and so does a change staff make
    assert "Words staff corrected." in client.get(page.get_absolute_url()).content.decode()


def test_the_spanish_page_is_in_spanish(client, make_page):
    page = make_page()
    html = client.get(f"/es/campaigns/{page.campaign.slug}/for/rosa/").content.decode()
    assert 'lang="es"' in html
    assert "Rosa recauda fondos" in html


def test_an_english_campaign_title_on_the_spanish_page_is_marked_english(client, make_page):
    # Read inside a Spanish sentence, the title that has no Spanish yet is marked as
    # English so that screen readers pronounce it right (as the campaign page does).
    page = make_page()
    Campaign.objects.filter(pk=page.campaign_id).update(title="Spring appeal", title_es="")
    html = client.get(f"/es/campaigns/{page.campaign.slug}/for/rosa/").content.decode()
    assert 'para “<span lang="en">Spring appeal</span>”, una campaña' in html


def test_an_english_campaign_title_is_marked_english_on_the_spanish_start_and_edit_pages(
    client, make_page
):
    page = make_page()
    Campaign.objects.filter(pk=page.campaign_id).update(title="Spring appeal", title_es="")
    start = client.get(f"/es/campaigns/{page.campaign.slug}/raise/").content.decode()
    assert '“<span lang="en">Spring appeal</span>”' in start
    edit = client.get(f"/es/give/fundraise/{links.make_token(page)}/").content.decode()
    assert '“<span lang="en">Spring appeal</span>”' in edit


def test_an_appeal_that_fits_its_box_with_blank_lines_is_accepted(client, make_page):
    # The box counts each line break as one character; the browser sends CR LF.
    page = make_page(status="draft", slug="", display_name="", appeal="")
    paragraphs = ["x" * 300] * 3
    appeal = "\r\n\r\n".join(paragraphs)  # 900 + 4 breaks: 904 in the box, 908 as sent
    appeal += "y" * (1000 - 904)
    response = client.post(_edit_url(page), _form(appeal=appeal))
    assert response.status_code == 302, response.content.decode()[:2000]
    page.refresh_from_db()
    assert len(page.appeal) == 1000 and "\r" not in page.appeal
