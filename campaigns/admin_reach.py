"""A campaign's "QR code and donate button" page in the admin: the print QR code of its
page in each language (campaigns.qr), and the donate button snippets editors copy into
OCA's main site (campaigns.embed), each with a preview.

Staff who may view the campaign see it (the admin's own login and permission checks);
the answers are never cached, like every admin page.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from . import embed, qr

QR_TYPES = {"svg": (qr.svg, "image/svg+xml"), "png": (qr.png, "image/png")}


def _campaign_for_viewer(request, model_admin, object_id):
    campaign = model_admin.get_object(request, object_id)
    if campaign is None:
        raise Http404
    if not model_admin.has_view_permission(request, campaign):
        raise PermissionDenied
    return campaign


class ButtonForm(forms.Form):
    """The button's choices: read from the page's query string, nothing is saved."""

    amount = forms.IntegerField(
        label=gettext_lazy("Amount, in whole dollars"),
        required=False,
        min_value=settings.DONATION_MIN_CENTS // 100,
        max_value=settings.DONATION_MAX_CENTS // 100,
        help_text=gettext_lazy("Leave empty for a “Give now” button without an amount."),
    )
    frequency = forms.ChoiceField(
        label=gettext_lazy("Frequency"),
        choices=[
            ("once", gettext_lazy("One time")),
            ("monthly", gettext_lazy("Monthly")),
            ("annual", gettext_lazy("Yearly")),
        ],
        initial="once",
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=settings.LANGUAGES, initial="en"
    )

    def __init__(self, data, campaign):
        # Unbound on a first visit, so that the defaults show without errors.
        super().__init__(data if data else None)
        # Only what the campaign's form offers: it would open with another chosen.
        offered = embed.offered_frequencies(campaign)
        field = self.fields["frequency"]
        field.choices = [(value, label) for value, label in field.choices if value in offered]
        field.initial = field.initial if field.initial in offered else offered[0]

    def choices(self):
        """(amount, frequency, language) to build the snippets with; the defaults while
        the form is unbound or invalid."""
        if not self.is_bound or not self.is_valid():
            return None, None, "en"
        data = self.cleaned_data
        amount = data["amount"]
        return amount, data["frequency"] if amount else None, data["language"]


@require_safe
def reach_page(request, model_admin, object_id):
    campaign = _campaign_for_viewer(request, model_admin, object_id)
    form = ButtonForm(request.GET, campaign)
    amount, frequency, language = form.choices()
    snippets = embed.snippets(campaign, language=language, amount=amount, frequency=frequency)
    preview_query = request.GET.urlencode()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": campaign,
        "title": _("QR code and donate button"),
        "qr_codes": qr_codes(campaign),
        "form": form,
        "snippets": snippets,
        "allowed_origins": embed.allowed_origins(),
        # The preview frames are this site's own addresses, whatever SITE_URL says.
        "embed_preview_url": snippets["embed_url"].removeprefix(settings.SITE_URL),
        "link_preview_url": reverse("admin:campaigns_campaign_link_preview", args=[campaign.pk])
        + (f"?{preview_query}" if preview_query else ""),
    }
    return TemplateResponse(request, "admin/campaigns/campaign/reach.html", context)


def qr_codes(campaign):
    """The QR code of the campaign's page in each language, with its addresses."""
    return [
        {
            "language": code,
            "language_name": name,
            "page_url": qr.page_url(campaign, code),
            "svg_url": reverse("admin:campaigns_campaign_qr", args=[campaign.pk, code, "svg"]),
            "png_url": reverse("admin:campaigns_campaign_qr", args=[campaign.pk, code, "png"]),
        }
        for code, name in settings.LANGUAGES
    ]


@require_safe
def qr_code(request, model_admin, object_id, language, kind):
    """The QR code of the campaign's page in `language`, as SVG or a print-sized PNG."""
    campaign = _campaign_for_viewer(request, model_admin, object_id)
    if language not in dict(settings.LANGUAGES) or kind not in QR_TYPES:
        raise Http404
    make, content_type = QR_TYPES[kind]
    response = HttpResponse(make(qr.page_url(campaign, language)), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="qr-{campaign.slug}-{language}.{kind}"'
    return response


# The link snippet carries its own inline style, which the site's policy forbids: its
# preview is a page of its own, framed by the button page, that allows inline style
# and nothing else.
LINK_PREVIEW_POLICY = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}


@require_safe
@xframe_options_sameorigin
@csp_override(LINK_PREVIEW_POLICY)
def link_preview(request, model_admin, object_id):
    campaign = _campaign_for_viewer(request, model_admin, object_id)
    amount, frequency, language = ButtonForm(request.GET, campaign).choices()
    snippets = embed.snippets(campaign, language=language, amount=amount, frequency=frequency)
    return TemplateResponse(
        request,
        "admin/campaigns/campaign/link_preview.html",
        {"snippet": snippets["link"], "language": language},
    )
