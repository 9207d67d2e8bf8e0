"""Print QR codes of a campaign's public page (flyers, posters, the mailed letter).

The code holds the page's plain address in one language, with no tracking query: the
page a phone opens is then the public page every visitor gets, served from the cache
(campaigns.http_cache). Error correction Q (a quarter of the code may be smudged or
torn and it still reads) and the standard quiet zone of four modules.
"""

import io

import segno
from django.conf import settings

ERROR_CORRECTION = "q"
QUIET_ZONE = 4
# The PNG is for print: about two inches wide at 300 dots per inch.
PRINT_DPI = 300
PRINT_PIXELS = 2 * PRINT_DPI


def page_url(campaign, language):
    """The campaign's public page in `language`, at the site's own address."""
    return settings.SITE_URL + campaign.get_absolute_url(language=language)


def qr_code(url):
    return segno.make(url, error=ERROR_CORRECTION, micro=False, boost_error=False)


def print_scale(code):
    """Pixels per module for a PNG of about PRINT_PIXELS across, quiet zone included."""
    width, _ = code.symbol_size(scale=1, border=QUIET_ZONE)
    return max(1, round(PRINT_PIXELS / width))


def svg(url):
    """The code as SVG, ten units a module: it scales to any size without blurring."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=10, border=QUIET_ZONE, title=url, xmldecl=True)
    return out.getvalue()


def png(url):
    """The code as a print-sized PNG, marked 300 dpi."""
    code = qr_code(url)
    out = io.BytesIO()
    code.save(out, kind="png", scale=print_scale(code), border=QUIET_ZONE, dpi=PRINT_DPI)
    return out.getvalue()
