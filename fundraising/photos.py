"""A supporter's photo is reachable only while the public may see their page.

The media view serves any stored file to whoever has its address, and an approved
page hands that address to every visitor (and to link-preview crawlers). So when a
page leaves the site (staff hide it, or a change sends it back to review), its photo
moves to a new random name and the old file is deleted: the address the public saw
answers 404. Approving the page again shows the photo under its new name. A photo the
supporter replaces or removes is deleted, and so is the photo of a deleted page.

`FundraisingPage.photo_shown` says whether the public has had the current address;
the model's save keeps it and calls `after_save`. The files move after the
transaction commits, so a rolled-back hide moves nothing, and a storage failure never
undoes the hide: it is logged and the page keeps `photo_shown`, so its next save, or
`manage.py move_hidden_photos`, tries again.
"""

import functools
import logging
from pathlib import PurePosixPath

from django.db import transaction

from campaigns.images import unguessable_name

from . import models

logger = logging.getLogger(__name__)


def after_save(page, stored_before):
    """Schedules, for after the commit, what `page`'s save means for its photo files:
    `stored_before` (the photo's name before this save) deleted if it was replaced or
    removed, and the photo moved out of sight if the page is not public."""
    if stored_before and stored_before != page.photo.name:
        transaction.on_commit(functools.partial(discard, stored_before), robust=True)
    if needs_moving(page):
        transaction.on_commit(functools.partial(move_out_of_sight, page.pk), robust=True)


def needs_moving(page):
    return bool(page.photo) and page.photo_shown and page.status != page.Status.APPROVED


def move_out_of_sight(page_id):
    """Gives the photo of page `page_id`, if the public has had its address and the
    page is no longer approved, a new random name; the old file is deleted. Returns
    whether it moved. Safe to run again: a page whose photo has moved is left alone."""
    page = models.FundraisingPage.objects.filter(pk=page_id).first()
    if page is None or not needs_moving(page):
        return False
    old_name = page.photo.name
    storage = page.photo.storage
    extension = PurePosixPath(old_name).suffix.lstrip(".") or "jpg"
    try:
        with storage.open(old_name, "rb") as content:
            new_name = storage.save(
                page.photo.field.generate_filename(page, unguessable_name(extension)), content
            )
    except Exception:  # a full or unreachable disk or bucket, a missing file
        logger.exception(
            "Could not move the photo of fundraising page %s out of sight; %s still "
            "serves it until this is tried again",
            page_id,
            old_name,
        )
        return False
    # Only if nothing changed meanwhile (a new photo, the page approved again).
    moved = (
        models.FundraisingPage.objects.filter(pk=page_id, photo=old_name, photo_shown=True)
        .exclude(status=models.FundraisingPage.Status.APPROVED)
        .update(photo=new_name, photo_shown=False)
    )
    discard(old_name if moved else new_name)
    return bool(moved)


def discard(name):
    """Deletes the photo file `name` unless a page still uses it (photos stored before
    names were random were named by their content, which two pages could share)."""
    if not name or models.FundraisingPage.objects.filter(photo=name).exists():
        return
    storage = models.FundraisingPage._meta.get_field("photo").storage
    try:
        storage.delete(name)
    except Exception:
        logger.exception("Could not delete the fundraising photo %s; delete it by hand", name)
