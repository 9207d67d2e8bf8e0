import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from . import http_cache
from .formatting import format_money
from .hero import HeroImageField
from .images import ShareImageField, validate_share_image
from .impact import ImpactCueError, parse_impact_cues
from .matches import Match, shown_on_page  # noqa: F401 (Match: a model of this app)
from .organization import Organization  # noqa: F401 (a model of this app)
from .translated import (
    MARKDOWN_HELP,
    SPANISH_HELP,
    LocalizedText,
    TranslatedCopy,
    _spanish,
    _spanish_markdown_help,
)
from .upgrade_tiers import DEFAULT_TIERS, monthly_offer, validate_upgrade_tiers
from .validators import single_line


def validate_preset_amounts(value):
    try:
        amounts = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(
            _("Enter whole dollar amounts separated by commas, such as 25,50,100,250.")
        ) from None
    if not amounts or len(amounts) > 6:
        raise ValidationError(_("Enter between one and six amounts."))
    if any(a < 5 or a > 25000 for a in amounts):
        raise ValidationError(_("Each amount must be between $5 and $25,000."))
    twice = next((a for index, a in enumerate(amounts) if a in amounts[:index]), None)
    if twice is not None:
        # The form would show two equal buttons, both checked when that amount is asked for.
        raise ValidationError(
            _("Each amount can appear only once: %(amount)s is there twice."),
            params={"amount": format_money(twice * 100)},
        )


class GiftFrequency(models.TextChoices):
    """How often a gift is given, as the donation form offers it (the same values as
    donations.models.Frequency)."""

    ONCE = "once", _("One time")
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Yearly")


class CampaignQuerySet(models.QuerySet):
    # Every write to campaigns retires the cached public pages (campaigns.http_cache); the
    # ledger's counters and the feed's version are written with update().
    def update(self, **kwargs):
        rows = super().update(**kwargs)
        http_cache.pages_changed()
        return rows

    def delete(self):
        result = super().delete()
        http_cache.pages_changed()
        return result

    def published(self):
        return self.filter(is_published=True)

    def running(self, today=None):
        today = today or timezone.localdate()
        return self.filter(starts_on__lte=today).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=today)
        )

    def in_featured_order(self):
        """Published, running campaigns, the one `/` shows first."""
        return self.published().running().order_by("-starts_on", "-pk")

    def featured(self):
        """The campaign `/` shows: the most recently started published, running one."""
        return self.in_featured_order().first()


class Campaign(TranslatedCopy, models.Model):
    TRANSLATED_FIELDS = (
        "title",
        "summary",
        "letter",
        "help_heading",
        "closing",
        "other_ways_to_give",
        "tax_statement",
        "share_title",
        "share_description",
        "hero_image_alt",
        "impact_cues",
    )

    class GoalKind(models.TextChoices):
        DONORS = "donors", _("Number of donors")
        DOLLARS = "dollars", _("Dollars raised")

    title = models.CharField(_("title"), max_length=200, validators=[single_line])
    title_es = models.CharField(
        _spanish(_("title")),
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_(
            "The end of the page's address: lowercase letters, digits and hyphens, "
            "such as spring-appeal."
        ),
        error_messages={"unique": _("Another campaign already uses this slug.")},
    )
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        validators=[single_line],
        help_text=_("One or two sentences shown under the title."),
    )
    summary_es = models.CharField(
        _spanish(_("summary")),
        max_length=300,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    letter = models.TextField(_("appeal letter"), help_text=MARKDOWN_HELP)
    letter_es = models.TextField(
        _spanish(_("appeal letter")), blank=True, help_text=_spanish_markdown_help()
    )
    help_heading = models.CharField(
        _("heading of the help sections"),
        max_length=200,
        blank=True,
        validators=[single_line],
        default="How will Open Communities Alliance help? How can YOU help?",
    )
    help_heading_es = models.CharField(
        _spanish(_("heading of the help sections")),
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    closing = models.TextField(
        _("closing appeal"),
        blank=True,
        help_text=MARKDOWN_HELP,
    )
    closing_es = models.TextField(
        _spanish(_("closing appeal")), blank=True, help_text=_spanish_markdown_help()
    )

    # The picture at the top of the page (campaigns.hero), with its renditions.
    hero_image = HeroImageField(
        _("hero image"),
        upload_to="hero/",
        blank=True,
        validators=[validate_share_image],
        help_text=_(
            "The picture at the top of the page, at least 1600 pixels wide "
            "(JPEG, PNG or WebP, up to 10 MB). Smaller copies for phones are made for you."
        ),
    )
    hero_image_alt = models.CharField(
        _("hero image description"),
        max_length=250,
        blank=True,
        validators=[single_line],
        help_text=_(
            "What the picture shows, for people who cannot see it (read aloud by screen "
            "readers). Required with a picture."
        ),
    )
    hero_image_alt_es = models.CharField(
        _spanish(_("hero image description")),
        max_length=250,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    # Of the stored image, set when it is stored: the page reserves its box.
    hero_image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)

    # How to give.
    preset_amounts = models.CharField(
        _("preset amounts"),
        max_length=60,
        default="25,50,100,250",
        validators=[validate_preset_amounts],
        help_text=_("Whole dollars, separated by commas."),
    )
    impact_cues = models.TextField(
        _("what each amount does"),
        blank=True,
        help_text=_(
            "One line per preset amount, shown beside it on the form: "
            "“50 = helps a family file a fair-housing complaint”."
        ),
    )
    impact_cues_es = models.TextField(
        _spanish(_("what each amount does")), blank=True, help_text=SPANISH_HELP
    )
    # Which frequencies the form offers (at least one) and which it pre-selects (one
    # offered). The values are donations.models.Frequency's; this app never imports it.
    offers_once = models.BooleanField(_("offer one-time gifts"), default=True)
    offers_monthly = models.BooleanField(_("offer monthly gifts"), default=True)
    offers_annual = models.BooleanField(_("offer yearly gifts"), default=True)
    default_frequency = models.CharField(
        _("pre-selected frequency"),
        max_length=10,
        choices=GiftFrequency,
        default=GiftFrequency.ONCE,
        help_text=_(
            "Pre-selecting monthly or yearly adds a required box the donor ticks to "
            "confirm that the gift repeats until they cancel."
        ),
    )
    # After a one-time card gift, the thank-you page may offer to make it monthly with
    # the same card (donations.upgrades); Checkout then saves the card for that.
    offers_monthly_upgrade = models.BooleanField(
        _("offer to make a one-time gift monthly"),
        default=False,
        help_text=_(
            "After a one-time card gift, the thank-you page offers a monthly gift on the "
            "same card, starting next month. Checkout tells donors their card is saved "
            "for it."
        ),
    )
    monthly_upgrade_tiers = models.TextField(
        _("monthly amount offered"),
        default=DEFAULT_TIERS,
        blank=True,
        validators=[validate_upgrade_tiers],
        help_text=_(
            "One line per tier, in whole dollars: “100: 25” offers $25 a month after a "
            "one-time gift of $100 or more. The highest tier a gift reaches is offered; "
            "gifts below every tier get no offer."
        ),
    )
    other_ways_to_give = models.TextField(
        _("other ways to give"), blank=True, help_text=MARKDOWN_HELP
    )
    other_ways_to_give_es = models.TextField(
        _spanish(_("other ways to give")), blank=True, help_text=_spanish_markdown_help()
    )

    # The organization's name, EIN and address are stored once (campaigns.organization).
    tax_statement = models.TextField(
        _("tax-deductible statement"),
        default=(
            "As a 501(c)(3) organization, all donations to Open Communities Alliance "
            "are tax deductible."
        ),
        help_text=MARKDOWN_HELP,
    )
    tax_statement_es = models.TextField(
        _spanish(_("tax-deductible statement")),
        blank=True,
        help_text=_spanish_markdown_help(),
    )

    # Goal and dates.
    goal_kind = models.CharField(
        _("goal counts"), max_length=10, choices=GoalKind, default=GoalKind.DONORS
    )
    goal_target = models.PositiveIntegerField(
        _("goal target"),
        validators=[MinValueValidator(1, _("The target must be greater than zero."))],
        help_text=_("A number of donors, or whole dollars."),
    )
    starts_on = models.DateField(_("starts on"), default=timezone.localdate)
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("Leave empty for no end.")
    )
    is_published = models.BooleanField(
        _("published"),
        default=False,
        help_text=_("Drafts are visible only to staff, through “View on site”."),
    )

    # Link previews.
    share_title = models.CharField(
        _("share title"), max_length=120, blank=True, validators=[single_line]
    )
    share_title_es = models.CharField(
        _spanish(_("share title")),
        max_length=120,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    share_description = models.CharField(
        _("share description"), max_length=300, blank=True, validators=[single_line]
    )
    share_description_es = models.CharField(
        _spanish(_("share description")),
        max_length=300,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    # Re-encoded before it is stored, under a name made of its hash (campaigns.images).
    share_image = ShareImageField(
        _("share image"),
        upload_to="share/",
        blank=True,
        validators=[validate_share_image],
        help_text=_("1200×630 pixels works best (JPEG, PNG or WebP, up to 10 MB)."),
    )

    # Progress toward the goal, kept current by the donations side in the same
    # transaction as each gift's change (see campaigns.progress), so the page never
    # aggregates the whole ledger.
    donor_count = models.PositiveIntegerField(_("donors"), default=0, editable=False)
    raised_cents = models.BigIntegerField(_("raised (cents)"), default=0, editable=False)
    # Visible feed items, kept exact by campaigns.feed in the transaction of each change,
    # so the page says "Showing 78 reactions" without counting the feed; the version
    # goes up with every change to what the feed shows, and keys its cached HTML.
    feed_count = models.PositiveIntegerField(_("visible feed items"), default=0, editable=False)
    feed_version = models.PositiveBigIntegerField(
        default=0, editable=False, verbose_name=_("feed version")
    )

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created on"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("last changed"))

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(goal_target__gt=0), name="campaign_goal_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gt=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    # Written only by UPDATEs in the transaction of the change they follow (see
    # campaigns.progress and campaigns.feed). A plain save of a campaign read earlier,
    # such as an editor's form, must not write back the values it read.
    COUNTERS = frozenset({"donor_count", "raised_cents", "feed_count", "feed_version"})

    def save(self, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in self.COUNTERS
                and field.attname not in deferred
            ]
        super().save(**kwargs)
        http_cache.pages_changed()

    def get_absolute_url(self, language=None):
        """The campaign's page in `language`, by default the active one (/es/campaigns/...
        while a Spanish page renders)."""
        if language is None:
            return reverse("campaigns:detail", kwargs={"slug": self.slug})
        with translation.override(language):
            return reverse("campaigns:detail", kwargs={"slug": self.slug})

    def delete(self, **kwargs):
        result = super().delete(**kwargs)
        http_cache.pages_changed()
        return result

    def clean(self):
        if self.ends_on and self.starts_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": _("The end date must be after the start date.")})
        errors = {}
        if self.hero_image and not self.hero_image_alt.strip():
            errors["hero_image_alt"] = _(
                "Describe the picture for people who cannot see it, or remove the picture."
            )
        if self.offers_monthly_upgrade and not self.monthly_upgrade_tiers.strip():
            errors["monthly_upgrade_tiers"] = _(
                "Enter at least one tier, or stop offering to make gifts monthly."
            )
        for name in ("impact_cues", "impact_cues_es"):
            try:
                cues = parse_impact_cues(getattr(self, name))
            except ImpactCueError as error:
                errors[name] = error.messages
                continue
            unknown = sorted(set(cues) - set(self._presets_or_none() or cues))
            if unknown:
                errors[name] = _(
                    "%(amounts)s is not one of the preset amounts. Give a line to each "
                    "preset amount only."
                ) % {"amounts": ", ".join(format_money(cents) for cents in unknown)}
        errors |= self._frequency_errors()
        if errors:
            raise ValidationError(errors)

    def _frequency_errors(self):
        if not self.frequencies:
            return {
                "offers_once": _("Offer at least one frequency: one-time, monthly or yearly gifts.")
            }
        if self.default_frequency not in self.frequencies:
            return {
                "default_frequency": _(
                    "The pre-selected frequency must be one the form offers: choose "
                    "%(offered)s, or offer %(chosen)s too."
                )
                % {
                    "offered": " / ".join(str(GiftFrequency(f).label) for f in self.frequencies),
                    "chosen": GiftFrequency(self.default_frequency).label,
                }
            }
        return {}

    @property
    def frequencies(self):
        """The frequencies the form offers, in the form's order."""
        offered = {
            GiftFrequency.ONCE: self.offers_once,
            GiftFrequency.MONTHLY: self.offers_monthly,
            GiftFrequency.ANNUAL: self.offers_annual,
        }
        return [frequency for frequency, offers in offered.items() if offers]

    def _presets_or_none(self):
        try:
            validate_preset_amounts(self.preset_amounts)
        except ValidationError:
            return None  # the preset field has its own error
        return self.preset_amounts_cents

    def impact_cue(self, cents):
        """What a gift of `cents` does, in the page's language (a LocalizedText), or ""."""
        cues = self.in_language("impact_cues")
        try:
            text = parse_impact_cues(cues).get(cents, "")
        except ImpactCueError:
            return ""
        return LocalizedText(text, cues.language, cues.is_fallback) if text else ""

    def monthly_upgrade_cents(self, gift_cents):
        """The monthly amount to offer after a one-time gift of `gift_cents`, or None
        (also when the campaign has stopped offering monthly gifts at all)."""
        if not (self.offers_monthly_upgrade and self.offers_monthly):
            return None
        return monthly_offer(self.monthly_upgrade_tiers, gift_cents)

    @property
    def days_left(self):
        """Whole days until the campaign ends, today counted; None without an end date."""
        if self.ends_on is None:
            return None
        return max(0, (self.ends_on - timezone.localdate()).days + 1)

    @property
    def is_running(self):
        today = timezone.localdate()
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)

    @property
    def has_ended(self):
        return self.ends_on is not None and self.ends_on < timezone.localdate()

    @property
    def preset_amounts_cents(self):
        return [int(part) * 100 for part in self.preset_amounts.split(",") if part.strip()]

    @property
    def goal_progress(self):
        """How far along the goal is, as (current, target) in the goal's own unit."""
        if self.goal_kind == self.GoalKind.DONORS:
            return self.donor_count, self.goal_target
        return self.raised_cents // 100, self.goal_target

    @property
    def goal_target_cents(self):
        return self.goal_target * 100

    @property
    def goal_percent(self):
        current, target = self.goal_progress
        return min(100, current * 100 // target) if target else 0

    @functools.cached_property
    def shown_match(self):
        """The matching challenge the page shows (campaigns.matches), or None."""
        return shown_on_page(self.pk) if self.pk else None


class HelpSection(TranslatedCopy, models.Model):
    """One of the "How can YOU help?" sections of a campaign, in the editor's order."""

    TRANSLATED_FIELDS = ("heading", "body")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="sections", verbose_name=_("campaign")
    )
    position = models.PositiveIntegerField(_("position"), default=0, db_index=True)
    heading = models.CharField(_("heading"), max_length=200, validators=[single_line])
    heading_es = models.CharField(
        _spanish(_("heading")),
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    body = models.TextField(_("text"), help_text=MARKDOWN_HELP)
    body_es = models.TextField(_spanish(_("text")), blank=True, help_text=_spanish_markdown_help())

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("help section")
        verbose_name_plural = _("help sections")

    def __str__(self):
        return self.heading

    def save(self, **kwargs):
        super().save(**kwargs)
        self._touch_campaign()

    def delete(self, **kwargs):
        result = super().delete(**kwargs)
        self._touch_campaign()
        return result

    def _touch_campaign(self):
        # A section's change is a change of the campaign's page (and retires the
        # cached public pages, through the queryset's update).
        Campaign.objects.filter(pk=self.campaign_id).update(updated_at=timezone.now())

    @property
    def anchor(self):
        """The section's fragment id on the page, from its heading in the page's language."""
        return slugify(self.in_language("heading"))[:60].strip("-") or f"section-{self.pk}"


class FeedItem(models.Model):
    """One line of a campaign's public activity feed ("Ana donated", "Someone shared...").

    Written by the side that knows what happened (see campaigns.feed); never holds an
    amount or an e-mail address. `display_name` is empty for an anonymous supporter.
    """

    class Kind(models.TextChoices):
        DONATED = "donated", _("donated")
        MONTHLY = "monthly", _("started a monthly donation")
        ANNUAL = "annual", _("started a yearly donation")
        SHARED_FACEBOOK = "shared_facebook", _("shared this on Facebook")
        SHARED_X = "shared_x", _("shared this on X")
        SHARED_LINKEDIN = "shared_linkedin", _("shared this on LinkedIn")
        SHARED_EMAIL = "shared_email", _("shared this by e-mail")

    class Tribute(models.TextChoices):
        # The same values as the gift's tribute (donations.models.TributeKind).
        HONOR = "honor", _("in honor of")
        MEMORY = "memory", _("in memory of")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="feed_items", verbose_name=_("campaign")
    )
    kind = models.CharField(max_length=20, choices=Kind, verbose_name=_("what happened"))
    display_name = models.CharField(max_length=150, blank=True, verbose_name=_("name shown"))
    message = models.CharField(max_length=280, blank=True, verbose_name=_("message"))
    # "… donated in memory of Rosa": a tribute gift's wording and the name it honors.
    tribute = models.CharField(
        max_length=10, choices=Tribute, blank=True, verbose_name=_("tribute")
    )
    honoree = models.CharField(max_length=150, blank=True, verbose_name=_("in honor or memory of"))
    occurred_at = models.DateTimeField(default=timezone.now, verbose_name=_("when"))
    # What the item stands for ("gift:42", "share:facebook:7:3"): one item per source.
    source_key = models.CharField(max_length=100, unique=True, verbose_name=_("source"))
    # A gift made through a supporter's page: their name as the page shows it ("via
    # Rosa's page"; empty while the page is not public) and the page's id, which its
    # own feed reads (campaigns knows no fundraising pages, only their ids).
    via_name = models.CharField(max_length=80, blank=True, verbose_name=_("via the page of"))
    via_ref = models.PositiveBigIntegerField(
        null=True, blank=True, db_index=True, verbose_name=_("via page")
    )
    # Withdrawn by the ledger (a refunded, disputed or voided gift); hidden by staff.
    withdrawn = models.BooleanField(
        default=False, verbose_name=_("withdrawn (gift no longer counts)")
    )
    hidden = models.BooleanField(default=False, verbose_name=_("hidden"))
    hidden_reason = models.CharField(max_length=200, blank=True, verbose_name=_("why hidden"))
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("feed item")
        verbose_name_plural = _("feed items")
        indexes = [
            models.Index(
                fields=["campaign", "-occurred_at", "-id"],
                condition=models.Q(withdrawn=False, hidden=False),
                name="feed_visible_newest",
            )
        ]

    def __str__(self):
        return f"{self.display_name or 'Someone'} {self.get_kind_display()}"
