"""The supporter's forms: the address to send a link to, and their page itself."""

import re

from django import forms
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from donations.forms import MESSAGE_FORBIDDEN, NAME_FORBIDDEN, MessageField, PublicEmailField

from .models import REVIEWED_FIELDS, FundraisingPage


class LinkRequestForm(forms.Form):
    email = PublicEmailField(
        label=_("Your e-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address; we send the link to it."),
            "invalid": _("Enter an e-mail address like name@example.org."),
        },
    )


class PageForm(forms.ModelForm):
    """What the supporter writes. The slug is made once, from the first name shown."""

    class Meta:
        model = FundraisingPage
        fields = ["display_name", "appeal", "photo", "photo_alt", "goal_kind", "goal_target"]
        # Its line breaks counted once, as the box counts them (see MessageField).
        field_classes = {"appeal": MessageField}
        labels = {
            "display_name": _("Your name, as the page shows it"),
            "appeal": _("Why you support this campaign"),
            "photo": _("A photo (optional)"),
            "photo_alt": _("What the photo shows, for people who can’t see it"),
            "goal_kind": _("Your goal counts"),
            "goal_target": _("Your goal"),
        }
        help_texts = {
            "appeal": _("Plain text, up to 1,000 characters. A blank line starts a paragraph."),
            "photo": _("JPEG, PNG or WebP, up to 10 MB."),
            "goal_target": _("In dollars, or a number of donors."),
        }
        error_messages = {
            "display_name": {"required": _("Enter the name your page shows.")},
            "appeal": {
                "required": _("Write a few words about why you support this campaign."),
                "max_length": _("Keep your appeal to 1,000 characters or fewer."),
            },
            "goal_target": {
                "required": _("Enter a goal, such as 500."),
                "invalid": _("Enter the goal as a whole number, such as 500."),
                "min_value": _("Enter a goal of at least 1."),
                "max_value": _("Enter a goal of at most 1,000,000."),
            },
        }
        widgets = {
            "appeal": forms.Textarea(attrs={"rows": 6, "maxlength": 1000}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "goal_kind": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.fields["appeal"].required = True

    def clean_display_name(self):
        name = " ".join(self.cleaned_data["display_name"].split())
        if NAME_FORBIDDEN.search(self.cleaned_data["display_name"]):
            raise forms.ValidationError(
                _("Use letters, spaces and punctuation only; < and > can’t be part of a name.")
            )
        if not name:
            raise forms.ValidationError(_("Enter the name your page shows."))
        return name

    def clean_appeal(self):
        appeal = self.cleaned_data["appeal"].strip().replace("\r\n", "\n")
        if MESSAGE_FORBIDDEN.search(appeal):
            raise forms.ValidationError(_("The appeal contains characters we can’t show."))
        return appeal

    def save(self, commit=True):
        """Saves the page; a change to what staff approved sends it back to review."""
        page = super().save(commit=False)
        reviewed = any(name in self.changed_data for name in REVIEWED_FIELDS)
        if page.status == FundraisingPage.Status.DRAFT or (
            reviewed and page.status == FundraisingPage.Status.APPROVED
        ):
            page.status = FundraisingPage.Status.PENDING
        if not page.slug:
            page.slug = unique_slug(page)
        if commit:
            save_page(page)
        return page


# How many addresses a first save tries before it gives up.
SLUG_ATTEMPTS = 3


def save_page(page):
    """Saves `page`. Written for the first time, it may have been given an address
    (`unique_slug`) that another supporter of the campaign took just before it was
    saved; it then takes the next free one."""
    for attempt in range(SLUG_ATTEMPTS):
        try:
            with transaction.atomic():
                page.save()
            return page
        except IntegrityError:
            taken = (
                FundraisingPage.objects.filter(campaign_id=page.campaign_id, slug=page.slug)
                .exclude(pk=page.pk)
                .exists()
            )
            if not taken or attempt == SLUG_ATTEMPTS - 1:
                raise
            page.slug = unique_slug(page)


def unique_slug(page):
    base = slugify(page.display_name)[:50].strip("-") or "supporter"
    base = re.sub(r"-+", "-", base)
    taken = set(
        FundraisingPage.objects.filter(campaign=page.campaign, slug__startswith=base)
        .exclude(pk=page.pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug
