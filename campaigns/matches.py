"""Matching challenges: a sponsor who adds money to every gift, up to a cap, for a while.

Editors set a match on the campaign's admin page (sponsor, ratio, cap, dates). How much
it has matched so far (`matched_cents`) is written by the side that books gifts
(donations.matching, through campaigns.progress), in the transaction of each change
to a gift, from the counted gifts alone: a refund, a dispute or a void takes its part
back. It is the sponsor's money, never part of a gift: nothing a donor receives names
it, and the campaign's own total and goal leave it out.
"""

import datetime

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import http_cache
from .formatting import format_date, format_money, format_month_day
from .translated import SPANISH_HELP, TranslatedCopy, _spanish
from .validators import single_line


class Match(TranslatedCopy, models.Model):
    """One sponsor's match of a campaign's gifts over a run of dates."""

    TRANSLATED_FIELDS = ("note",)

    class Ratio(models.IntegerChoices):
        # The sponsor's dollars for each dollar given.
        ONE = 1, _("1:1 (every gift doubled)")
        TWO = 2, _("2:1 (every gift tripled)")
        THREE = 3, _("3:1 (every gift quadrupled)")

    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="matches",
        verbose_name=_("campaign"),
    )
    sponsor = models.CharField(
        _("sponsor"),
        max_length=150,
        validators=[single_line],
        help_text=_("The name the page thanks, as the sponsor wishes to be named."),
    )
    ratio = models.PositiveSmallIntegerField(_("ratio"), choices=Ratio, default=Ratio.ONE)
    cap_dollars = models.PositiveIntegerField(
        _("cap (dollars)"),
        validators=[MinValueValidator(1, _("The cap must be greater than zero."))],
        help_text=_("The most the sponsor gives, in whole dollars."),
    )
    starts_on = models.DateField(
        _("starts on"), blank=True, help_text=_("Leave empty to start with the campaign.")
    )
    ends_on = models.DateField(
        _("ends on"), blank=True, help_text=_("Leave empty to end with the campaign.")
    )
    note = models.CharField(
        _("note"),
        max_length=300,
        blank=True,
        validators=[single_line],
        help_text=_("An optional line shown under the match on the page."),
    )
    note_es = models.CharField(
        _spanish(_("note")),
        max_length=300,
        blank=True,
        validators=[single_line],
        help_text=SPANISH_HELP,
    )
    # What the counted gifts in the match's dates earn from the sponsor, capped; written
    # only by campaigns.progress.set_matched, in the transaction of each gift's change.
    matched_cents = models.BigIntegerField(_("matched (cents)"), default=0, editable=False)

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("matching challenge")
        verbose_name_plural = _("matching challenges")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cap_dollars__gt=0), name="match_cap_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="match_ends_on_or_after_start",
            ),
        ]

    def __str__(self):
        return gettext("%(sponsor)s: %(ratio)s up to %(cap)s") % {
            "sponsor": self.sponsor,
            "ratio": f"{self.ratio}:1",
            "cap": format_money(self.cap_cents),
        }

    def save(self, **kwargs):
        # An editor's form read `matched_cents` earlier: it must not write it back over
        # what a gift booked since has written (the ledger refreshes it after the save).
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "matched_cents"
            ]
        super().save(**kwargs)
        http_cache.pages_changed()

    def delete(self, **kwargs):
        result = super().delete(**kwargs)
        http_cache.pages_changed()
        return result

    def clean(self):
        """Fills empty dates from the campaign's, then checks the dates fit in it.

        One-day matches are allowed (a Giving Tuesday): the end may be the start.
        """
        try:
            campaign = self.campaign
        except ObjectDoesNotExist:
            return  # the form's own error says the campaign is missing
        if self.starts_on is None:
            self.starts_on = campaign.starts_on
        if self.ends_on is None:
            self.ends_on = campaign.ends_on
        errors = {}
        if self.ends_on is None:
            errors["ends_on"] = _("The campaign has no end date: give the match one.")
        elif self.ends_on.year == datetime.MAXYEAR:
            # Its gifts are counted up to the day after it ends, which may not be a date.
            errors["ends_on"] = _("The match must end before the year 9999.")
        elif self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The match must end on or after the day it starts.")
        if self.starts_on and campaign.starts_on and self.starts_on < campaign.starts_on:
            errors["starts_on"] = _(
                "The match cannot start before the campaign does (%(date)s)."
            ) % {"date": format_date(campaign.starts_on)}
        if self.ends_on and campaign.ends_on and self.ends_on > campaign.ends_on:
            errors["ends_on"] = _("The match cannot end after the campaign does (%(date)s).") % {
                "date": format_date(campaign.ends_on)
            }
        if errors:
            raise ValidationError(errors)

    @property
    def cap_cents(self):
        return self.cap_dollars * 100

    @property
    def is_met(self):
        return self.matched_cents >= self.cap_cents

    @property
    def remaining_cents(self):
        return max(0, self.cap_cents - self.matched_cents)

    def has_ended(self, today=None):
        return self.ends_on < (today or timezone.localdate())

    def is_upcoming(self, today=None):
        return self.starts_on > (today or timezone.localdate())

    @property
    def percent(self):
        return min(100, self.matched_cents * 100 // self.cap_cents)

    # The page's banner (campaigns/includes/match_banner.html), in the active language.

    def headline(self):
        """ "Every gift doubled until December 31, thanks to …" while the match runs;
        the dates it will run before it starts; an honest thank-you once the cap is
        reached or the end date has passed."""
        values = {
            "sponsor": self.sponsor,
            "cap": format_money(self.cap_cents),
            "matched": format_money(self.matched_cents),
            "date": format_month_day(self.ends_on),
            "start": format_month_day(self.starts_on),
        }
        if self.is_upcoming():
            coming = {
                self.Ratio.ONE: gettext(
                    "From %(start)s to %(date)s, every gift doubled, thanks to %(sponsor)s"
                ),
                self.Ratio.TWO: gettext(
                    "From %(start)s to %(date)s, every gift tripled, thanks to %(sponsor)s"
                ),
                self.Ratio.THREE: gettext(
                    "From %(start)s to %(date)s, every gift quadrupled, thanks to %(sponsor)s"
                ),
            }
            return coming[self.ratio] % values
        if self.is_met:
            return gettext("The %(cap)s match from %(sponsor)s was met. Thank you!") % values
        if self.has_ended():
            return (
                gettext("The match from %(sponsor)s has ended with %(matched)s matched. Thank you!")
                % values
            )
        running = {
            self.Ratio.ONE: gettext("Every gift doubled until %(date)s, thanks to %(sponsor)s"),
            self.Ratio.TWO: gettext("Every gift tripled until %(date)s, thanks to %(sponsor)s"),
            self.Ratio.THREE: gettext(
                "Every gift quadrupled until %(date)s, thanks to %(sponsor)s"
            ),
        }
        return running[self.ratio] % values

    def figures(self):
        """ "$3,200 of $5,000 matched": what the meter under the headline shows; before
        the match starts, how much it will match."""
        if self.is_upcoming():
            return gettext("Up to %(cap)s matched") % {"cap": format_money(self.cap_cents)}
        return gettext("%(matched)s of %(cap)s matched") % {
            "matched": format_money(self.matched_cents),
            "cap": format_money(self.cap_cents),
        }


def overlapping(matches):
    """The first two of `matches` whose dates share a day, or None."""
    ordered = sorted(matches, key=lambda m: m.starts_on or datetime.date.min)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if earlier.ends_on and later.starts_on and later.starts_on <= earlier.ends_on:
            return earlier, later
    return None


def shown_on_page(campaign_id, today=None):
    """The match the campaign's page shows: the one running today, else the next one
    to start (announced, so donors can plan their gift), else the last one that ended
    (its thank-you)."""
    today = today or timezone.localdate()
    matches = Match.objects.filter(campaign_id=campaign_id).order_by("starts_on")
    started = matches.filter(starts_on__lte=today).last()
    if started is not None and not started.has_ended(today):
        return started
    return matches.filter(starts_on__gt=today).first() or started
