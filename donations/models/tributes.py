"""Tribute gifts: given in honor or in memory of someone, with an optional notice."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.validators import single_line

from .donors import Pledge

# The longest message a donor may write to the person told of the gift.
NOTICE_MESSAGE_LENGTH = 500


class TributeKind(models.TextChoices):
    HONOR = "honor", _("In honor of")
    MEMORY = "memory", _("In memory of")


def tribute_line(kind, name):
    """The line "In memory of Rosa" in the active language; "" without a tribute."""
    if kind == TributeKind.MEMORY:
        return _("In memory of %(name)s") % {"name": name}
    if kind == TributeKind.HONOR:
        return _("In honor of %(name)s") % {"name": name}
    return ""


class Tribute(models.Model):
    """What the donor typed about the person their gift honors, and whom to tell.

    Kept with the pledge, as everything typed in the form; the kind and the name are
    copied onto the gift that pays it (its receipts, the feed and exports read the
    gift), the notice fields are read once, when the notice is written.
    """

    pledge = models.OneToOneField(
        Pledge, on_delete=models.CASCADE, related_name="tribute", verbose_name=_("pledge")
    )
    kind = models.CharField(max_length=10, choices=TributeKind, verbose_name=_("tribute"))
    honoree = models.CharField(_("in honor or memory of"), max_length=150, validators=[single_line])
    notify_name = models.CharField(
        _("notice to (name)"), max_length=150, blank=True, validators=[single_line]
    )
    notify_email = models.EmailField(_("notice to (e-mail)"), max_length=254, blank=True)
    notify_message = models.CharField(
        _("message in the notice"), max_length=NOTICE_MESSAGE_LENGTH, blank=True
    )
    # Unticked unless the donor ticks it: the notice says nothing of the amount.
    notify_amount = models.BooleanField(_("amount in the notice"), default=False)

    class Meta:
        verbose_name = _("tribute")
        verbose_name_plural = _("tributes")

    def __str__(self):
        return f"{self.get_kind_display()} {self.honoree}"

    @property
    def line(self):
        return tribute_line(self.kind, self.honoree)


class TributeNotice(models.Model):
    """The notice of a tribute gift, written once its money arrived and sent once.

    One per tribute (its pledge), so duplicate or reordered events, and every charge
    of a monthly gift after the first, find the row and send nothing more. A mail
    server that refuses leaves it unsent and it is tried again (donations.tributes).
    """

    tribute = models.OneToOneField(
        Tribute, on_delete=models.PROTECT, related_name="notice", verbose_name=_("tribute")
    )
    gift = models.ForeignKey(
        "Gift", on_delete=models.PROTECT, related_name="tribute_notices", verbose_name=_("gift")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mailed on"))
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    error = models.CharField(_("problem"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created on"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("tribute notice")
        verbose_name_plural = _("tribute notices")

    def __str__(self):
        return f"Tribute notice for gift {self.gift_id}"
