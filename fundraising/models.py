"""A supporter's own page for a campaign: their name, appeal, photo and goal.

A page exists from the moment a supporter asks for a link to make one (a draft that
only holds the address the link was sent to, so the link can name the page without
carrying the address). It is public only once staff approve it, and staff can hide
it again. Gifts made through it (its form, or the campaign page opened by its share
link) carry it: Pledge.fundraiser and Gift.fundraiser (donations).

Editing: the supporter's changes to what the public reads (name, appeal, photo, its
description) send an approved page back to review, off the site until staff approve
it again, because staff approved those words and that picture; a new goal alone
does not. A hidden page stays hidden whatever the supporter changes: only staff bring
it back. Whenever a page is off the site, its photo is not reachable at any address
the public was given (fundraising.photos).
"""

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from campaigns import feed, http_cache
from campaigns.images import ShareImageField, validate_share_image
from campaigns.models import Campaign
from campaigns.validators import single_line

from . import photos

APPEAL_MAX_LENGTH = 1000
# What staff re-read before the page is public again (see the module's docstring).
REVIEWED_FIELDS = ("display_name", "appeal", "photo", "photo_alt")


class FundraisingPageQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status=FundraisingPage.Status.APPROVED, campaign__is_published=True)

    def delete(self):
        """Deletes the pages as each one's own `delete` does (the admin's "Delete
        selected" deletes a queryset): their photos go too, and the cached public
        pages are retired."""
        photo_names = list(self.exclude(photo="").values_list("photo", flat=True))
        result = super().delete()
        for name in photo_names:
            transaction.on_commit(functools.partial(photos.discard, name), robust=True)
        http_cache.pages_changed()
        return result


class FundraisingPage(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Link sent, not written yet")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved (public)")
        HIDDEN = "hidden", _("Hidden")

    class GoalKind(models.TextChoices):
        DOLLARS = "dollars", _("Dollars raised")
        DONORS = "donors", _("Number of donors")

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        related_name="fundraising_pages",
        verbose_name=_("campaign"),
    )
    # The address the signed links go to; never shown on the page.
    email = models.EmailField(_("supporter's e-mail"), max_length=254)
    # In the page's address and in share links (?via=<slug>), unique within the campaign.
    slug = models.SlugField(_("address"), max_length=60, blank=True)
    display_name = models.CharField(
        _("name shown"), max_length=80, blank=True, validators=[single_line]
    )
    appeal = models.TextField(_("appeal"), max_length=APPEAL_MAX_LENGTH, blank=True)
    photo = ShareImageField(
        _("photo"),
        upload_to="fundraisers/",
        blank=True,
        validators=[validate_share_image],
        random_names=True,
    )
    photo_alt = models.CharField(
        _("photo description"), max_length=250, blank=True, validators=[single_line]
    )
    # Whether the public has been given the photo's current address (fundraising.photos).
    photo_shown = models.BooleanField(_("photo shown to the public"), default=False, editable=False)
    goal_kind = models.CharField(
        _("goal counts"), max_length=10, choices=GoalKind, default=GoalKind.DOLLARS
    )
    goal_target = models.PositiveIntegerField(
        _("goal"),
        default=500,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.DRAFT, db_index=True
    )
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = FundraisingPageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("fundraising page")
        verbose_name_plural = _("fundraising pages")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "email"], name="one_fundraising_page_per_address"
            ),
            models.UniqueConstraint(
                fields=["campaign", "slug"],
                condition=~models.Q(slug=""),
                name="fundraising_page_slug_unique",
            ),
        ]

    def __str__(self):
        return self.display_name or self.email

    def save(self, *args, **kwargs):
        stored_before = self._stored_photo_name()
        # A new upload (not stored yet) or another stored file: an address no one has.
        if not self.photo._committed or (self.photo.name or "") != stored_before:
            self.photo_shown = False
        if self.photo and self.status == self.Status.APPROVED:
            self.photo_shown = True
        super().save(*args, **kwargs)
        photos.after_save(self, stored_before)
        # The campaign's feed credits the page by name only while it is public.
        feed.rename_via(self.pk, self.via_name)
        http_cache.pages_changed()

    def get_absolute_url(self, language=None):
        with translation.override(language or translation.get_language()):
            return reverse(
                "fundraising:page", kwargs={"slug": self.campaign.slug, "page_slug": self.slug}
            )

    def clean(self):
        # The supporter's form and staff's corrections alike: a photo the page shows
        # is described for people who cannot see it.
        if self.photo and not self.photo_alt.strip():
            raise ValidationError({"photo_alt": _("Say in a few words what the photo shows.")})

    def _stored_photo_name(self):
        if self.pk is None:
            return ""
        stored = FundraisingPage.objects.filter(pk=self.pk).values_list("photo", flat=True)
        return stored.first() or ""

    def delete(self, *args, **kwargs):
        photo_name = self._stored_photo_name()
        result = super().delete(*args, **kwargs)
        transaction.on_commit(functools.partial(photos.discard, photo_name), robust=True)
        http_cache.pages_changed()
        return result

    @property
    def is_public(self):
        return self.status == self.Status.APPROVED and self.campaign.is_published

    @property
    def via_name(self):
        """The name the campaign's feed credits ("… via Rosa's page"); empty while the
        page is not public, so a hidden page's name leaves the feed with it."""
        return self.display_name if self.status == self.Status.APPROVED else ""

    def share_url(self):
        """The campaign's page crediting this one: what the supporter passes around."""
        return f"{settings.SITE_URL}{self.campaign.get_absolute_url()}?via={self.slug}"


def fundraising_page(campaign, code):
    """The approved page of `campaign` that `code` (its slug) names, or None."""
    code = (code or "").strip()
    if not code:
        return None
    return FundraisingPage.objects.public().filter(campaign=campaign, slug=code).first()
