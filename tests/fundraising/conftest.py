"""Fixtures for supporters' pages: a written page in each state, a photo to upload."""

import io

import pytest
from PIL import Image

from fundraising.models import FundraisingPage

# The donor-side fixtures: the donation form's data, pledges and Stripe's answers.
from tests.donations.conftest import donation, no_stripe  # noqa: F401
from tests.donations.webhook_helpers import make_pledge, stripe_api  # noqa: F401


@pytest.fixture
def make_page(campaign):
    def make(status=FundraisingPage.Status.APPROVED, **fields):
        defaults = {
            "campaign": campaign,
            "email": "rosa@example.org",
            "slug": "rosa",
            "display_name": "Rosa",
            "appeal": "Everyone deserves a home near good schools.",
            "goal_kind": FundraisingPage.GoalKind.DOLLARS,
            "goal_target": 500,
            "status": status,
        }
        return FundraisingPage.objects.create(**(defaults | fields))

    return make


def photo_bytes(size=(64, 48), exif_comment=None):
    """A JPEG photo, with an EXIF description and a GPS block when `exif_comment` is set."""
    image = Image.new("RGB", size, (200, 80, 40))
    output = io.BytesIO()
    if exif_comment:
        exif = Image.Exif()
        exif[0x010E] = exif_comment  # ImageDescription
        exif[0x8825] = {1: "N", 2: (41.0, 45.0, 50.0)}  # GPSInfo: where it was taken
        image.save(output, "JPEG", exif=exif, comment=exif_comment.encode())
    else:
        image.save(output, "JPEG")
    return output.getvalue()
