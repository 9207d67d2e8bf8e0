"""Print QR codes of a campaign's page and the admin's "QR code and donate button" page
(campaigns.qr, campaigns.admin_reach): staff only, never cached, and codes that hold
exactly the page's address."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from django.test import Client
from PIL import Image

SITE = "https://give.ctoca.org"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def editor_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def _cache_control(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",")}


def _qr_url(campaign, language, kind):
    return f"/admin/campaigns/campaign/{campaign.pk}/reach/qr-{language}.{kind}"


def _modules_of_png(data, size):
    """The dark and light modules of a QR code PNG, read at each module's centre.

    `size` is the number of modules across, quiet zone included."""
    image = Image.open(io.BytesIO(data))
    image.load()
    width, height = image.size
    assert width == height
    scale = width // size
    assert scale * size == width  # whole pixels per module
    gray = image.convert("L")
    return [
        [gray.getpixel((x * scale + scale // 2, y * scale + scale // 2)) < 128 for x in range(size)]
        for y in range(size)
    ]


def _expected_modules(url):
    """segno's own matrix for `url`, with the four-module quiet zone around it."""
    code = segno.make(url, error="q", micro=False, boost_error=False)
    return [[bool(bit) for bit in row] for row in code.matrix_iter(scale=1, border=4)], code


@pytest.mark.parametrize(
    ("language", "url"),
    [("en", f"{SITE}/campaigns/spring/"), ("es", f"{SITE}/es/campaigns/spring/")],
)
def test_it_serves_a_print_png_of_the_page_address(editor_client, make_campaign, language, url):
    campaign = make_campaign()
    response = editor_client.get(_qr_url(campaign, language, "png"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert {"private", "no-store"} <= _cache_control(response)
    expected, code = _expected_modules(url)
    assert code.error == "Q"
    image = Image.open(io.BytesIO(response.content))
    # About two inches at 300 dpi, marked so.
    assert 540 <= image.size[0] <= 660
    assert round(image.info["dpi"][0]) == 300
    served = _modules_of_png(response.content, len(expected))
    assert served == expected
    # The quiet zone is there: four light modules on every side.
    assert not any(served[0] + served[3] + served[-1] + served[-4])
    assert not any(row[0] or row[3] or row[-1] or row[-4] for row in served)


def test_it_serves_an_svg_of_the_page_address(editor_client, make_campaign):
    campaign = make_campaign()
    response = editor_client.get(_qr_url(campaign, "es", "svg"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == f"{SITE}/es/campaigns/spring/"
    # The same code segno draws for that address, byte for byte.
    expected = segno.make(f"{SITE}/es/campaigns/spring/", error="q", micro=False, boost_error=False)
    out = io.BytesIO()
    expected.save(out, kind="svg", scale=10, border=4, title=f"{SITE}/es/campaigns/spring/")
    assert response.content == out.getvalue()


def test_a_draft_has_its_code_too(editor_client, make_campaign):
    campaign = make_campaign(is_published=False)
    assert editor_client.get(_qr_url(campaign, "en", "png")).status_code == 200


@pytest.mark.parametrize("tail", ["qr-fr.svg", "qr-en.gif", "qr-en.pdf"])
def test_an_unknown_language_or_type_is_not_found(editor_client, make_campaign, tail):
    campaign = make_campaign()
    url = f"/admin/campaigns/campaign/{campaign.pk}/reach/{tail}"
    assert editor_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "view", ["reach/", "reach/qr-en.svg", "reach/qr-en.png", "reach/link-preview/"]
)
def test_only_staff_who_may_see_the_campaign_get_them(client, stranger, make_campaign, view):
    campaign = make_campaign()
    url = f"/admin/campaigns/campaign/{campaign.pk}/{view}"
    # Anonymous visitors go to the login page.
    response = client.get(url)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    # A signed-in user who is not staff, too.
    client.force_login(stranger)
    assert client.get(url).status_code == 302
    # Staff without the right to view campaigns are refused.
    stranger.is_staff = True
    stranger.save()
    assert client.get(url).status_code == 403


def test_the_admin_page_shows_the_codes_and_the_snippets(editor_client, make_campaign, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://www.ctoca.org"]
    campaign = make_campaign()
    response = editor_client.get(f"/admin/campaigns/campaign/{campaign.pk}/reach/")
    assert response.status_code == 200
    assert {"private", "no-store"} <= _cache_control(response)
    html = response.content.decode()
    assert f'src="{_qr_url(campaign, "en", "svg")}"' in html
    assert f'href="{_qr_url(campaign, "es", "png")}" download' in html
    assert "Only these sites may show it in a frame: https://www.ctoca.org" in html
    iframe = re.search(r'<textarea id="iframe-snippet"[^>]*>([^<]*)</textarea>', html).group(1)
    assert iframe.startswith(
        "&lt;iframe src=&quot;https://give.ctoca.org/campaigns/spring/embed/&quot;"
    )
    # The preview frames the button from this site.
    assert '<iframe class="reach-preview" src="/campaigns/spring/embed/"' in html


def test_the_snippets_follow_the_choices(editor_client, make_campaign, settings):
    settings.EMBED_ALLOWED_ORIGINS = ["https://www.ctoca.org"]
    campaign = make_campaign()
    url = f"/admin/campaigns/campaign/{campaign.pk}/reach/"
    html = editor_client.get(url, {"amount": "60", "frequency": "monthly", "language": "es"})
    html = html.content.decode()
    link = re.search(r'<textarea id="link-snippet"[^>]*>([^<]*)</textarea>', html).group(1)
    assert (
        "https://give.ctoca.org/es/campaigns/spring/?amount=60&amp;amp;frequency=monthly#give"
        in link
    )
    assert "Donar $60 al mes" in link
    assert '<iframe class="reach-preview" src="/es/campaigns/spring/embed/60/monthly/"' in html


def test_an_amount_out_of_range_is_explained(editor_client, make_campaign):
    campaign = make_campaign()
    url = f"/admin/campaigns/campaign/{campaign.pk}/reach/"
    html = editor_client.get(url, {"amount": "1", "frequency": "once", "language": "en"})
    html = html.content.decode()
    assert "Ensure this value is greater than or equal to 5." in html
    # The snippets fall back to the plain button meanwhile.
    assert "/campaigns/spring/embed/&quot;" in html


def test_only_the_frequencies_the_campaign_offers_are_choices(editor_client, make_campaign):
    campaign = make_campaign(offers_monthly=False, offers_annual=False, default_frequency="once")
    url = f"/admin/campaigns/campaign/{campaign.pk}/reach/"
    html = editor_client.get(url).content.decode()
    assert '<option value="once" selected>' in html and 'value="monthly"' not in html
    response = editor_client.get(url, {"amount": "60", "frequency": "monthly", "language": "en"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Select a valid choice. monthly is not one of the available choices." in html
    assert "/campaigns/spring/embed/&quot;" in html  # the plain button meanwhile


def test_without_origins_the_admin_says_no_site_may_frame_it(
    editor_client, make_campaign, settings
):
    settings.EMBED_ALLOWED_ORIGINS = []
    campaign = make_campaign()
    html = editor_client.get(f"/admin/campaigns/campaign/{campaign.pk}/reach/").content.decode()
    assert 'id="no-origins"' in html
    assert "EMBED_ALLOWED_ORIGINS" in html
    # No preview of a frame browsers would leave empty.
    assert 'src="/campaigns/spring/embed/"' not in html


def test_the_link_preview_allows_inline_style_and_only_this_site_frames_it(
    editor_client, make_campaign
):
    campaign = make_campaign()
    url = f"/admin/campaigns/campaign/{campaign.pk}/reach/link-preview/"
    response = editor_client.get(url, {"amount": "25", "frequency": "once", "language": "en"})
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert (
        'href="https://give.ctoca.org/campaigns/spring/?amount=25&amp;frequency=once#give"' in html
    )
    assert ">Give $25 now</a>" in html


def test_the_change_page_links_to_the_codes(editor_client, make_campaign):
    campaign = make_campaign()
    html = editor_client.get(f"/admin/campaigns/campaign/{campaign.pk}/change/").content.decode()
    assert f'href="/admin/campaigns/campaign/{campaign.pk}/reach/"' in html
    assert f'<img src="{_qr_url(campaign, "en", "svg")}"' in html
