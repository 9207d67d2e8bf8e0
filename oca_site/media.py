"""Uploaded files (campaigns' share and hero images), served by the app itself at MEDIA_URL.

Why this and not a bucket: the only uploads are a handful of share images that staff
add, read by link-preview crawlers rather than by every visitor. A folder on the app
server's disk (MEDIA_ROOT, a volume in Docker) needs no extra account, bill, key or
service for a small nonprofit to run, backs up with the server, and nginx can serve the
same folder directly later without a change here. With more than one app server, that
folder must be shared between them (or STORAGES["default"] pointed at a bucket, whose
URLs then bypass this view).

Django's own `django.views.static.serve` is meant for development only. This view is
what production needs and no more: GET and HEAD of a regular file inside MEDIA_ROOT
(never a folder listing, never a path outside it, symbolic links included), only image
types, sent with the type its extension names and `nosniff`, so that no browser runs an
old upload as a page. Share images are stored under the hash of their content
(campaigns.images), so such a name never changes content and is cached for a year;
supporters' photos, which are withdrawn with their page, only for minutes.
"""

import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
# "share/<32 hex digits>.jpg", as campaigns.images names what it stores, and a hero
# image's renditions, "hero/<32 hex digits>-960.webp" (campaigns.hero).
CONTENT_HASHED = re.compile(r"(?:.+/)?[0-9a-f]{32}(?:-[0-9]{2,4})?\.(?:jpg|png|webp)")
IMMUTABLE = "public, max-age=31536000, immutable"
# Files from before names were hashed: their name may one day be reused.
REVALIDATE = "public, max-age=3600"
# Supporters' photos: their content never changes, but one can be withdrawn (its page
# hidden: fundraising.photos moves it and its address answers 404), so caches in
# between (nginx, a CDN, a browser) keep it minutes, not a year.
WITHDRAWABLE_FOLDER = "fundraisers/"
WITHDRAWABLE = "public, max-age=300"


@require_safe
def serve(request, path):
    content_type = CONTENT_TYPES.get(Path(path).suffix.lower())
    if content_type is None or "\x00" in path:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    # resolve() follows every symbolic link and "..", so what is checked is the file
    # that would really be opened.
    file = (root / path).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        raise Http404
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Cache-Control"] = _cache_control(path)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cache_control(path):
    if path.startswith(WITHDRAWABLE_FOLDER):
        return WITHDRAWABLE
    return IMMUTABLE if CONTENT_HASHED.fullmatch(path) else REVALIDATE
