"""Open Communities Alliance itself: its legal name, EIN, address and logo, stored once.

Every campaign page's check block and footer, every receipt, year-end statement and
printed letter reads them from the one row of `Organization`, so a second campaign
never makes staff type the address and EIN again, and a correction reaches everything
at once. Staff edit it in the admin ("Organization details"); until the real EIN is
entered (the demo's `00-0000000`, or none) every admin page says so and
`check --deploy --database default` warns (campaigns.checks).
"""

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from . import http_cache
from .images import ShareImageField, validate_share_image
from .validators import single_line

PLACEHOLDER_EIN = "00-0000000"
FALLBACK_LOGO = "img/oca-logo.svg"


# ASCII digits only: str.isdigit() also takes Arabic-Indic digits and superscripts.
_EIN = re.compile(r"[0-9]{2}-?[0-9]{7}")


def is_ein(value):
    """True for nine digits written 12-3456789 (or without the hyphen), as receipts
    print it; not with the hyphen elsewhere."""
    return _EIN.fullmatch(value) is not None


class Organization(models.Model):
    """The one row of the organization's details (primary key 1); see `current()`."""

    legal_name = models.CharField(
        _("legal name"),
        max_length=200,
        default="Open Communities Alliance",
        validators=[single_line],
        help_text=_("As registered with the IRS; printed on every receipt."),
    )
    ein = models.CharField(
        _("EIN (federal tax number)"),
        max_length=10,
        blank=True,
        validators=[single_line],
        help_text=_(
            "The employer identification number, as 12-3456789. Receipts print it, so "
            "donors can deduct their gifts."
        ),
    )
    check_payee = models.CharField(
        _("make checks payable to"),
        max_length=200,
        default="Open Communities Alliance",
        validators=[single_line],
    )
    street = models.CharField(_("street address"), max_length=200, validators=[single_line])
    suite = models.CharField(_("suite"), max_length=100, blank=True, validators=[single_line])
    city_state_zip = models.CharField(
        _("city, state and ZIP"), max_length=200, validators=[single_line]
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[single_line])
    email = models.EmailField(
        _("e-mail address"),
        blank=True,
        help_text=_("Where donors can write with questions; shown on receipts."),
    )
    website = models.URLField(_("website"), blank=True)
    # Checked and re-encoded like every upload (campaigns.images): a logo with a
    # transparent background is stored as PNG.
    logo = ShareImageField(
        _("logo"),
        upload_to="logo/",
        blank=True,
        validators=[validate_share_image],
        help_text=_(
            "JPEG, PNG or WebP, up to 10 MB; a PNG with a transparent background works "
            "best. Leave empty to use the built-in logo."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organization details")
        verbose_name_plural = _("organization details")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="organization_single_row")
        ]

    def __str__(self):
        return self.legal_name

    def save(self, **kwargs):
        self.pk = 1
        super().save(**kwargs)
        # Campaign pages show these details: retire their cached copies.
        http_cache.pages_changed()

    def clean(self):
        if self.ein and not is_ein(self.ein):
            raise ValidationError({"ein": _("Enter the EIN as 12-3456789.")})

    @classmethod
    def current(cls):
        """The organization's details, the row made with the defaults if there is none yet."""
        organization, _created = cls.objects.get_or_create(pk=1)
        return organization

    @property
    def ein_is_placeholder(self):
        """True while no real EIN is entered (none, or the demo's 00-0000000)."""
        return not self.ein or self.ein.replace("-", "") == PLACEHOLDER_EIN.replace("-", "")

    def address_lines(self):
        """The postal address, the lines that are filled in, in order: street, suite,
        city, state and ZIP (receipts, statements, letterhead)."""
        return [line for line in (self.street, self.suite, self.city_state_zip) if line]

    @property
    def logo_url(self):
        """The uploaded logo, or the drawing that ships with the site."""
        return self.logo.url if self.logo else static(FALLBACK_LOGO)
