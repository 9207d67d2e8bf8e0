"""Share images: what an editor uploads is checked and re-encoded (campaigns.images), and
the stored file is served in production (oca_site.media)."""

import io
import re
import struct
import urllib.request
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import ExifTags, Image

from bench import harness
from campaigns import images
from tests.campaigns.test_admin import _change_form_data, _change_url

SECRET_PLACE = "Ana's kitchen, 12 Elm Street"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _encoded(image, fmt, **params):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _phone_photo():
    """A JPEG as a phone writes it: stored sideways (300×100) with the Orientation tag
    saying "turn 90° clockwise", and EXIF with GPS coordinates and a description."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.ImageDescription] = SECRET_PLACE
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (41.0, 45.0, 50.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (72.0, 40.0, 30.0)
    photo = Image.new("RGB", (300, 100), "darkgreen")
    return _encoded(photo, "JPEG", exif=exif, comment=b"taken at home")


def _upload(client, campaign, editor, name, data, content_type="image/jpeg"):
    client.force_login(editor)
    return client.post(
        _change_url(campaign),
        _change_form_data(
            campaign, share_image=SimpleUploadedFile(name, data, content_type=content_type)
        ),
    )


def test_it_stores_a_phone_photo_upright_without_exif_under_a_hashed_name(
    client, campaign, editor, media_root
):
    original = _phone_photo()
    assert b"Exif" in original and SECRET_PLACE.encode() in original  # the test's premise

    response = _upload(client, campaign, editor, "IMG_2031 at Ana's.jpg", original)

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert re.fullmatch(r"share/[0-9a-f]{32}\.jpg", campaign.share_image.name)
    assert _stored_files(media_root) == [campaign.share_image.name]
    stored = (media_root / campaign.share_image.name).read_bytes()
    for leak in (b"Exif", b"GPS", SECRET_PLACE.encode(), b"PhoneMaker", b"taken at home"):
        assert leak not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert not {"exif", "icc_profile", "xmp", "comment"} & image.info.keys()
    # The orientation was applied to the pixels before the tag went away.
    assert image.size == (100, 300)


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630">
<script>alert(document.cookie)</script><rect width="1200" height="630"/></svg>"""
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def _truncated_jpeg():
    whole = _encoded(Image.effect_noise((400, 300), 64).convert("RGB"), "JPEG", quality=95)
    return whole[: len(whole) // 2]


def _truncated_png():
    whole = _encoded(Image.effect_noise((400, 300), 64), "PNG")
    return whole[: len(whole) // 2]


def _png_of_50_megapixels():
    # 10,000×5,000 black pixels: a few kilobytes on disk, 50 million pixels to decode.
    return _encoded(Image.new("1", (10_000, 5_000)), "PNG")


def _png_header_claiming(width, height):
    """A 1×1 PNG whose header claims width×height: what a decompression bomb looks like
    to anything that reads the header first."""
    png = bytearray(_encoded(Image.new("L", (1, 1)), "PNG"))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    png[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(png[ihdr - 4 : ihdr + 13]))
    png[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return bytes(png)


# Made when the test runs, not when the module is collected.
REFUSED = {
    "svg": ("logo.svg", lambda: SVG, "Upload a JPEG, PNG or WebP image."),
    "svg named png": ("logo.png", lambda: SVG, "Upload a JPEG, PNG or WebP image."),
    "html named png": ("card.png", lambda: HTML, "Upload a JPEG, PNG or WebP image."),
    "truncated jpeg": ("card.jpg", _truncated_jpeg, "damaged or incomplete"),
    "truncated png": ("card.png", _truncated_png, "damaged or incomplete"),
    "50 megapixels": ("card.png", _png_of_50_megapixels, "more than 40 megapixels"),
    "bomb": ("card.png", lambda: _png_header_claiming(50_000, 50_000), "more than 40 megapix"),
}


@pytest.mark.parametrize("name, make, message", REFUSED.values(), ids=REFUSED.keys())
def test_it_refuses_what_is_not_a_sound_image_with_a_message_and_stores_nothing(
    client, campaign, editor, media_root, name, make, message
):
    response = _upload(client, campaign, editor, name, make(), content_type="image/png")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["share_image"]
    assert any(message in error for error in errors), errors
    campaign.refresh_from_db()
    assert not campaign.share_image
    assert _stored_files(media_root) == []


def test_it_refuses_a_file_over_the_size_limit(client, campaign, editor, media_root, monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 1000)
    photo = _encoded(Image.effect_noise((100, 100), 64).convert("RGB"), "JPEG", quality=95)
    assert len(photo) > 1000

    response = _upload(client, campaign, editor, "card.jpg", photo)

    errors = response.context["adminform"].form.errors["share_image"]
    assert any("the largest accepted is 1000" in error for error in errors), errors
    assert _stored_files(media_root) == []


def test_it_refuses_a_bad_file_saved_from_code_too(campaign, media_root):
    with pytest.raises(ValidationError):
        campaign.share_image.save("card.png", ContentFile(HTML))
    assert _stored_files(media_root) == []


def test_it_stores_the_same_picture_once(make_campaign, media_root):
    photo = _phone_photo()
    first, second = make_campaign(slug="first"), make_campaign(slug="second")
    first.share_image.save("a.jpg", ContentFile(photo))
    second.share_image.save("b.jpg", ContentFile(photo))
    assert first.share_image.name == second.share_image.name
    assert _stored_files(media_root) == [first.share_image.name]


def test_it_scales_a_large_image_down_to_2400_pixels_wide():
    data, extension = images.reencode(ContentFile(_encoded(Image.new("RGB", (3000, 1575)), "PNG")))
    assert extension == "jpg"
    assert Image.open(io.BytesIO(data)).size == (2400, 1260)


def test_it_keeps_png_only_for_an_image_with_see_through_pixels():
    logo = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    logo.paste((200, 30, 30, 255), (50, 25, 150, 75))
    _data, extension = images.reencode(ContentFile(_encoded(logo, "PNG")))
    assert extension == "png"
    opaque = Image.new("RGBA", (200, 100), (200, 30, 30, 255))
    _data, extension = images.reencode(ContentFile(_encoded(opaque, "PNG")))
    assert extension == "jpg"


def test_it_takes_webp(campaign, media_root):
    campaign.share_image.save(
        "card.webp", ContentFile(_encoded(Image.new("RGB", (60, 30)), "WEBP"))
    )
    assert campaign.share_image.name.endswith(".jpg")


def _og_image(html):
    return re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)


def test_it_serves_a_shared_links_image_in_production_mode(
    client, campaign, editor, media_root, settings, django_assert_num_queries
):
    settings.DEBUG = False
    settings.SITE_URL = "http://testserver"
    assert _upload(client, campaign, editor, "card.jpg", _phone_photo()).status_code == 302
    client.logout()

    url = _og_image(client.get("/").content.decode())
    assert url.startswith("http://testserver/media/share/")
    with django_assert_num_queries(0):
        response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    response.close()
    assert Image.open(io.BytesIO(body)).format == "JPEG"
    head = client.head(url)
    head.close()
    assert head.status_code == 200
    assert client.post(url).status_code == 405


def test_it_serves_nothing_outside_the_media_folder_nor_a_listing(client, media_root, tmp_path):
    (media_root / "share").mkdir(parents=True)
    (media_root / "share" / "notes.txt").write_text("not an image")
    (tmp_path / "secret.png").write_bytes(b"outside the media folder")
    (media_root / "share" / "link.png").symlink_to(tmp_path / "secret.png")
    (media_root / "share" / "folder.png").mkdir()

    for path in [
        "/media/share/",
        "/media/share/folder.png",
        "/media/share/notes.txt",
        "/media/share/link.png",
        "/media/../secret.png",
        "/media/share/%2e%2e/%2e%2e/secret.png",
        "/media/" + str(tmp_path / "secret.png"),
        "/media/share/missing.png",
    ]:
        assert client.get(path).status_code == 404, path


def test_it_serves_an_older_unhashed_upload_without_the_year_long_cache(client, media_root):
    (media_root / "share").mkdir(parents=True)
    (media_root / "share" / "card.png").write_bytes(_encoded(Image.new("RGB", (2, 2)), "PNG"))
    response = client.get("/media/share/card.png")
    response.close()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "immutable" not in response["Cache-Control"]


def _database_url():
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("gunicorn needs a database it can share with the test: PostgreSQL")
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_it_serves_a_shared_links_image_from_gunicorn_with_debug_off(
    transactional_db, campaign, media_root
):
    port = harness.free_port()
    site_url = f"http://127.0.0.1:{port}"
    env = harness.bench_env(
        "unused",
        DATABASE_URL=_database_url(),
        MEDIA_ROOT=str(media_root),
        SITE_URL=site_url,
        ALLOWED_HOSTS="127.0.0.1",
    )
    # Saved by this process, as the admin would, into the folder gunicorn serves.
    campaign.share_image.save("card.jpg", ContentFile(_phone_photo()))

    with harness.gunicorn(env, port=port) as url:
        with urllib.request.urlopen(url + "/") as page:  # noqa: S310 (local)
            image_url = _og_image(page.read().decode())
        assert image_url.startswith(site_url + "/media/share/")
        with urllib.request.urlopen(image_url) as response:  # noqa: S310 (local)
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert Image.open(io.BytesIO(response.read())).size == (100, 300)


def test_it_keeps_the_tones_of_a_16_bit_grayscale_image():
    """A scanner's or a RAW converter's 16-bit grayscale PNG: converted straight to RGB,
    every value above 255 (all but the deepest shadows) would be stored as white."""
    scan = Image.new("I;16", (60, 30), 32768)  # mid-grey on the 0-65535 scale
    data, extension = images.reencode(ContentFile(_encoded(scan, "PNG")))
    assert extension == "jpg"
    red, green, blue = Image.open(io.BytesIO(data)).getpixel((30, 15))
    assert 120 <= red <= 135 and red == green == blue
