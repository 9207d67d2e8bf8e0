"""A campaign's hero image: stored like a share image, plus renditions for `srcset`.

What an editor uploads goes through the same checks and re-encoding as a share image
(campaigns.images): only JPEG, PNG or WebP that Pillow fully decodes, metadata dropped,
stored under the hash of its content. Beside it, Pillow writes smaller copies for
phones and laptops, in WebP (smaller, read by every current browser) and JPEG (the
fallback in <picture>): `hero/<hash>-480.webp`, `hero/<hash>-480.jpg`, and so on. A
rendition's name follows from the original's name and its width, so a page lists them
without touching the disk, and like the original it never changes content (served
with a one-year lifetime by oca_site.media).

The campaign keeps the stored image's width and height, so the page can reserve the
image's box before it loads (no layout shift).
"""

import io
import posixpath

from django.core.files.base import ContentFile
from PIL import Image

from .images import ShareImageField, ShareImageFieldFile

# Widths of the renditions, in CSS pixels × density: a 360 px phone at 1.3×, a phone
# at 2.7× or a laptop's column, a wide screen at 2×. Never wider than the original.
WIDTHS = (480, 960, 1600)
FORMATS = (("webp", "WEBP", {"quality": 80, "method": 6}), ("jpg", "JPEG", {"quality": 82}))


def rendition_widths(original_width):
    """The widths of the renditions made for an image `original_width` pixels wide."""
    if not original_width:
        return []
    return sorted({min(width, original_width) for width in WIDTHS})


def rendition_name(name, width, extension):
    """`hero/<hash>.jpg` at 480 in WebP → `hero/<hash>-480.webp`."""
    stem = posixpath.splitext(name)[0]
    return f"{stem}-{width}.{extension}"


def make_renditions(storage, name):
    """Writes the renditions of the stored image `name` that are missing; returns the
    original's (width, height). Safe to run again: a rendition already stored (same
    name, same content, by construction) is left as it is, and when all are there the
    image is not even decoded."""
    with storage.open(name, "rb") as stored:
        image = Image.open(stored)
        size = image.size
        missing = [
            (width, extension, pillow_format, options)
            for width in rendition_widths(image.width)
            for extension, pillow_format, options in FORMATS
            if not storage.exists(rendition_name(name, width, extension))
        ]
        if not missing:
            return size
        image.load()
    has_alpha = image.mode in ("RGBA", "LA")
    scaled = {}
    for width, extension, pillow_format, options in missing:
        if width not in scaled:
            height = max(1, round(image.height * width / image.width))
            scaled[width] = (
                image if width == image.width else image.resize((width, height), Image.LANCZOS)
            )
        frame = scaled[width]
        if pillow_format == "JPEG" and has_alpha:
            # JPEG has no transparency: flatten on white, as the page's paper.
            flat = Image.new("RGB", frame.size, "white")
            flat.paste(frame, mask=frame.getchannel("A"))
            frame = flat
        output = io.BytesIO()
        frame.save(output, pillow_format, optimize=True, **options)
        storage.save(rendition_name(name, width, extension), ContentFile(output.getvalue()))
    return size


class HeroImageFieldFile(ShareImageFieldFile):
    def save(self, name, content, save=True):
        """Stores the re-encoded image (see ShareImageFieldFile.save), then its
        renditions, and records its size on the campaign (`hero_image_width`, ...)."""
        super().save(name, content, save=False)
        width, height = make_renditions(self.storage, self.name)
        self.instance.hero_image_width = width
        self.instance.hero_image_height = height
        if save:
            self.instance.save()


class HeroImageField(ShareImageField):
    attr_class = HeroImageFieldFile


def picture(campaign):
    """What templates/campaigns/includes/hero.html needs to draw the hero image, or
    None when the campaign has none."""
    image = campaign.hero_image
    if not image:
        return None
    widths = rendition_widths(campaign.hero_image_width)
    storage = image.storage

    def srcset(extension):
        return ", ".join(
            f"{storage.url(rendition_name(image.name, width, extension))} {width}w"
            for width in widths
        )

    return {
        "webp_srcset": srcset("webp"),
        "jpeg_srcset": srcset("jpg"),
        "fallback": storage.url(rendition_name(image.name, widths[-1], "jpg"))
        if widths
        else image.url,
        "width": campaign.hero_image_width,
        "height": campaign.hero_image_height,
        "alt": campaign.in_language("hero_image_alt"),
    }
