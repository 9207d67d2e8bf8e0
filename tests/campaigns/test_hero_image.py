"""The hero image: uploaded in admin with a required description, re-encoded like the
share image, stored with WebP and JPEG renditions, and drawn with <picture>/srcset."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from campaigns.models import Campaign
from tests.campaigns.test_admin import _change_form_data, _change_url

ALT = "Neighbours at a fair-housing workshop in Hartford"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def plain_campaign(make_campaign):
    """A campaign without a picture (the demo campaign has one of its own)."""
    return make_campaign(preset_amounts="25,50,100,250")


def _photo(width=2000, height=1200):
    exif = Image.Exif()
    exif[ExifTags.Base.ImageDescription] = "taken at 12 Elm Street"
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 60)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _post(client, editor, campaign, **fields):
    client.force_login(editor)
    return client.post(_change_url(campaign), _change_form_data(campaign, **fields))


def _upload(width=2000, height=1200):
    return SimpleUploadedFile("IMG_0042.jpg", _photo(width, height), content_type="image/jpeg")


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_it_refuses_a_picture_without_a_description(client, editor, plain_campaign, media_root):
    response = _post(client, editor, plain_campaign, hero_image=_upload(), hero_image_alt="  ")
    assert response.status_code == 200
    assert "Describe the picture for people who cannot see it" in response.content.decode()
    plain_campaign.refresh_from_db()
    assert not plain_campaign.hero_image
    assert not media_root.exists() or _files(media_root) == []


def test_it_stores_the_picture_clean_with_its_renditions(
    client, editor, plain_campaign, media_root
):
    response = _post(client, editor, plain_campaign, hero_image=_upload(), hero_image_alt=ALT)
    assert response.status_code == 302
    campaign = Campaign.objects.get(pk=plain_campaign.pk)
    name = campaign.hero_image.name
    assert re.fullmatch(r"hero/[0-9a-f]{32}\.jpg", name)
    assert (campaign.hero_image_width, campaign.hero_image_height) == (2000, 1200)
    stem = name.removesuffix(".jpg")
    renditions = [f"{stem}-{width}.{ext}" for width in (480, 960, 1600) for ext in ("jpg", "webp")]
    assert _files(media_root) == sorted([name, *renditions])
    for rendition in renditions:
        with Image.open(media_root / rendition) as image:
            width = int(rendition.rpartition("-")[2].split(".")[0])
            assert image.size == (width, round(1200 * width / 2000))
            assert image.format == ("WEBP" if rendition.endswith("webp") else "JPEG")
            assert "exif" not in image.info
    # The original's metadata is gone too (campaigns.images).
    assert b"Elm Street" not in (media_root / name).read_bytes()


def test_it_never_enlarges_a_small_picture(client, editor, plain_campaign, media_root):
    _post(client, editor, plain_campaign, hero_image=_upload(800, 450), hero_image_alt=ALT)
    campaign = Campaign.objects.get(pk=plain_campaign.pk)
    stem = campaign.hero_image.name.removesuffix(".jpg")
    assert [p for p in _files(media_root) if p.endswith(".webp")] == [
        f"{stem}-480.webp",
        f"{stem}-800.webp",
    ]


def test_it_draws_the_picture_with_srcset_sizes_and_its_size(
    client, editor, plain_campaign, media_root
):
    _post(client, editor, plain_campaign, hero_image=_upload(), hero_image_alt=ALT)
    client.logout()
    html = client.get("/").content.decode()
    stem = Campaign.objects.get(pk=plain_campaign.pk).hero_image.name.removesuffix(".jpg")
    picture = html[html.index('<picture class="hero">') : html.index("</picture>")]
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="[^"]+">', picture)
    assert webp.group(1) == ", ".join(
        f"/media/{stem}-{width}.webp {width}w" for width in (480, 960, 1600)
    )
    img = re.search(r"<img [^>]+>", picture).group(0)
    assert f'src="/media/{stem}-1600.jpg"' in img
    assert f'srcset="/media/{stem}-480.jpg 480w, /media/{stem}-960.jpg 960w' in img
    assert 'width="2000" height="1200"' in img
    assert f'alt="{ALT}"' in img
    # At the top of the page: fetched first, never lazily.
    assert 'fetchpriority="high"' in img and 'loading="lazy"' not in img
    for url in re.findall(r"(/media/\S+) \d+w", picture):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        response.close()


def test_it_gives_spanish_readers_the_spanish_description(
    client, editor, plain_campaign, media_root
):
    _post(
        client,
        editor,
        plain_campaign,
        hero_image=_upload(),
        hero_image_alt=ALT,
        hero_image_alt_es="Vecinos en un taller de vivienda justa en Hartford",
    )
    client.logout()
    assert (
        'alt="Vecinos en un taller de vivienda justa en Hartford"'
        in client.get("/es/").content.decode()
    )


def test_a_page_without_a_picture_has_no_picture(client, plain_campaign):
    assert "<picture" not in client.get("/").content.decode()


def test_the_demo_campaign_has_its_drawn_picture(client, campaign):
    assert re.fullmatch(r"hero/[0-9a-f]{32}\.jpg", campaign.hero_image.name)
    assert campaign.hero_image_alt and campaign.hero_image_alt_es
    html = client.get("/").content.decode()
    assert '<picture class="hero">' in html
    assert f'alt="{campaign.hero_image_alt}"' in html
