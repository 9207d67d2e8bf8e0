"""PDF receipts and year-end statements, rendered with WeasyPrint.

A PDF says what its e-mail says (the same context; donations.receipts.receipt_pdf and
donations.statements.statement_pdf) in the donor's language, under the organization's letterhead.
It is deterministic: the same gift gives the same bytes, today or in five years, so
a re-sent or downloaded receipt is the very document first sent (unless part of the
gift was refunded since: it then states what was kept). Nothing in it comes
from the clock or chance: its creation date is the gift's date (a statement's, the
last day of its year), WeasyPrint's document id is derived from the content, and
fonts come from the system (fonts-dejavu, installed by the project's setup), never
from the network.
"""

import base64
import datetime
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from campaigns.organization import Organization

PDF_TYPE = "application/pdf"
# The mark at the top of every PDF: the organization's uploaded logo, else the mark of
# the drawing that ships with the site (its words would repeat the name printed beside it).
FALLBACK_MARK = "img/oca-mark.svg"
LOGO_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
# A font from Debian's fonts-dejavu-core (the Dockerfile and scripts/install-test-tools
# install it): it has every letter of Spanish and the typographic quotes and dashes.
PDF_FONT = "DejaVu Sans"


def _logo_data_uri():
    """The letterhead's logo as a data: URI (a PDF fetches nothing from anywhere)."""
    organization = Organization.current()
    try:
        if organization.logo:
            with organization.logo.open("rb") as logo:
                data, name = logo.read(), organization.logo.name
        else:
            path = finders.find(FALLBACK_MARK)
            if not path:
                return ""
            with open(path, "rb") as logo:
                data, name = logo.read(), path
    except OSError:
        # A logo file lost from storage leaves the letterhead without it, not the
        # donor without a receipt.
        return ""
    kind = LOGO_TYPES.get(Path(name).suffix.lower())
    if not kind:
        return ""
    return f"data:{kind};base64," + base64.b64encode(data).decode()


def weasyprint():
    """WeasyPrint, imported on first use (it loads Pango, which only the processes that
    make PDFs need), without the global it changes.

    Importing it sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES to True,
    which would make campaigns.images accept a truncated upload as a sound image. Our
    PDFs embed no raster image, so Pillow's own strict default is put back.
    """
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint as library
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = strict
    return library


def render(template, context, *, created):
    """`template` rendered as a PDF whose metadata says it was made at `created`."""
    library = weasyprint()
    stamp = created.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    html = render_to_string(
        template, context | {"created": stamp, "logo": _logo_data_uri(), "font": PDF_FONT}
    )
    # Only data: URIs (the logo) are read: a URL in a donor's name or address must
    # never make the server fetch anything.
    fetcher = library.urls.URLFetcher(allowed_protocols={"data"}, timeout=1)
    return library.HTML(string=html, url_fetcher=fetcher).write_pdf()
