"""Share images: what an editor uploads is checked, then re-encoded before it is stored.

The file a browser sends is untrusted bytes with an untrusted name. Only JPEG, PNG and
WebP that Pillow can fully decode are taken; SVG (a script container), HTML under an
image's name, truncated files and decompression bombs are refused with a message. What is
stored is never the upload itself but a new file that Pillow encodes from the decoded
pixels: EXIF orientation applied, then every piece of metadata (EXIF with its GPS
position, XMP, comments, the original file name) left behind, colours moved to sRGB,
scaled down to what a link preview can use, under a name made of its content's hash
(or, for a field made with `random_names=True`, a random name: see ShareImageField).

Two pieces, one chokepoint each:

- `validate_share_image`, the model field's validator, runs the whole conversion in the
  admin's form (any ModelForm, or `full_clean()`), so an editor sees on the form why a
  file is refused. The save converts again: uploads are rare and the work is bounded.
- `ShareImageFieldFile.save` re-encodes. Every write through the field passes there:
  the admin's save (FileField.pre_save calls it) and code that calls
  `campaign.share_image.save(...)` directly, which a hook in `Campaign.save` or in the
  admin form's clean would miss. A file that fails the checks there raises
  ValidationError and nothing is stored.

Limits (see the constants): 10 MB and 40 megapixels in, comfortably above a phone photo
exported for the web and far below what would exhaust an app server's memory; at most
2400 pixels on the longer side out, twice the 1200 pixels link previews ask for.
"""

import hashlib
import io
import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.db.models.fields.files import FieldFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2400
JPEG_QUALITY = 85
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")

NOT_AN_IMAGE = _(
    "Upload a JPEG, PNG or WebP image. Other files, SVG drawings included, are not accepted."
)
DAMAGED = _("This image file is damaged or incomplete. Export it again and upload the new file.")
TOO_LARGE = _("The file is %(size)s; the largest accepted is %(limit)s. Export a smaller image.")
TOO_MANY_PIXELS = _(
    "The image has more than %(limit)s megapixels. Scale it down (2400 pixels wide is "
    "plenty) and upload it again."
)


def validate_share_image(value):
    """The share_image field's validator: refuses a new upload that is not an image we
    take. A file stored earlier is not opened again on every save of the campaign."""
    # FieldFile._committed is False exactly while the field holds a new, unsaved upload.
    if getattr(value, "_committed", True):
        return
    # The whole conversion, not only the checks: whatever would fail when the campaign
    # is saved fails here, on the form, with a message. It runs again at the save.
    reencode(value.file)


class ShareImageFieldFile(FieldFile):
    def save(self, name, content, save=True):
        """Stores the re-encoded image under "<hash>.<jpg|png>" (a random name for a
        field with `random_names`); `name`, the uploader's file name, is dropped. Raises
        ValidationError, storing nothing, for a file that `validate_share_image` refuses.
        The same picture uploaded twice is stored once (under its hash)."""
        data, extension = reencode(content)
        hashed_name = f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"
        stored_name = self.field.generate_filename(self.instance, hashed_name)
        if self.field.random_names:
            super().save(unguessable_name(extension), ContentFile(data), save)
        elif self.storage.exists(stored_name):
            # Same hash, same bytes: point at the copy already stored.
            self.name = stored_name
            setattr(self.instance, self.field.attname, self.name)
            self._committed = True
            if save:
                self.instance.save()
        else:
            super().save(hashed_name, ContentFile(data), save)
        # Later reads in this request must see what was stored, not the upload.
        self._file = None


def unguessable_name(extension):
    """A file name no one can work out, not even from the picture: 32 random hex digits
    (the shape oca_site.media serves as a name that never changes content)."""
    return f"{secrets.token_hex(16)}.{extension}"


class ShareImageField(models.FileField):
    """A FileField whose every stored file went through `reencode` (see the module).

    `random_names=True` stores each upload under a new random name instead of its
    hash: for pictures the public may see only for a while (a supporter's photo, see
    fundraising.photos), whose address must not be found again from the picture
    itself, nor come back when the same picture is uploaded again.
    """

    attr_class = ShareImageFieldFile

    def __init__(self, *args, random_names=False, **kwargs):
        self.random_names = random_names
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.random_names:
            kwargs["random_names"] = True
        return name, path, args, kwargs


def reencode(content):
    """(bytes, extension) of a clean copy of the uploaded image `content`.

    PNG when the image has pixels that are actually see-through (a logo on a transparent
    background), otherwise JPEG, which is several times smaller for photographs.
    """
    image = _decoded(content)
    try:
        image = _eight_bit(ImageOps.exif_transpose(image))
        translucent = _is_translucent(image)
        image = _as_srgb(image, "RGBA" if translucent else "RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        # What the encoders would otherwise copy from the original: comments, the ICC
        # profile (already applied), XMP and the rest. EXIF is written only if asked.
        image.info = {}
        output = io.BytesIO()
        if translucent:
            image.save(output, "PNG", optimize=True)
            return output.getvalue(), "png"
        image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        return output.getvalue(), "jpg"
    except (OSError, ValueError, SyntaxError):
        # A broken EXIF block, or a pixel format with no way to RGB.
        raise ValidationError(DAMAGED, code="damaged") from None


def _decoded(content):
    """The first frame of `content`, fully decoded, or ValidationError saying why not."""
    size = content.size
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            TOO_LARGE,
            code="too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )
    try:
        # verify() checks the file's structure (chunk checksums for PNG) without
        # decoding; it leaves the image unusable, so the file is opened a second time.
        with _opened(content) as image:
            image.verify()
        image = _opened(content)
        if image.format == "JPEG":
            # Let the JPEG decoder scale down as it goes: same check, far less memory.
            image.draft(None, (MAX_SIDE, MAX_SIDE))
        # Decodes every pixel: a truncated or corrupt file fails here, not later.
        image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Image.UnidentifiedImageError:
        raise ValidationError(NOT_AN_IMAGE, code="not_an_image") from None
    except Exception:
        # Pillow's decoders fail on hostile input with many kinds of exceptions
        # (OSError, SyntaxError, ValueError, struct.error...), all meaning "damaged".
        raise ValidationError(DAMAGED, code="damaged") from None
    finally:
        content.seek(0)
    return image


def _opened(content):
    content.seek(0)
    image = Image.open(content, formats=ACCEPTED_FORMATS)
    # Checked from the header, before anything is decoded. Pillow's own limit (its
    # DecompressionBomb warning and error) is twice as high and meant for any program.
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels():
    return ValidationError(
        TOO_MANY_PIXELS, code="too_many_pixels", params={"limit": MAX_PIXELS // 1_000_000}
    )


def _eight_bit(image):
    """`image`, if it is 16-bit grayscale (a scanner's or a RAW converter's PNG, which
    Pillow opens in mode "I;16" or "I"), scaled to 8 bits: Pillow's conversion to RGB
    clips each value to 255 instead, which turns all but the deepest shadows white."""
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


def _is_translucent(image):
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        alpha = image.convert("RGBA").getchannel("A")
        return alpha.getextrema()[0] < 255
    return False


def _as_srgb(image, mode):
    """`image` in `mode`, its colours moved from its embedded ICC profile (a phone's
    Display P3, a print shop's CMYK) to sRGB, which is what browsers assume once the
    profile is gone."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            return ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # A profile littleCMS cannot use: keep the numbers as they are.
    return image.convert(mode)
