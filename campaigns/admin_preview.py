"""The campaign page as it would look with the change form's unsaved edits.

The editor's "Preview" button posts the change form here (in a new tab) instead of
saving it. The form and its help sections are validated as the admin would, but the
campaign is never saved: the page is rendered from an unsaved instance and unsaved
sections, through the public template, so donors keep seeing the published copy (and
the cached public pages are not touched, since nothing is written) until the editor
saves. The answer is for this editor only: never cached, not to be indexed.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import HelpSection
from .views import render_campaign


@require_POST
def preview(request, model_admin, object_id=None):
    campaign = None
    if object_id is not None:
        campaign = model_admin.get_object(request, object_id)
        if campaign is None:
            raise Http404
        if not model_admin.has_change_permission(request, campaign):
            raise PermissionDenied
    elif not model_admin.has_add_permission(request):
        raise PermissionDenied

    # Uploaded files are left out: a new share image is stored only when saved.
    form = model_admin.get_form(request, campaign, change=campaign is not None)(
        request.POST, instance=campaign
    )
    form_valid = form.is_valid()  # builds form.instance from what was typed
    sections, errors = _unsaved_sections(request, model_admin, form.instance, campaign)
    if not form_valid or errors:
        errors = [
            f"{form.fields[name].label if name in form.fields else _('Form')}: {message}"
            for name, messages in form.errors.items()
            for message in messages
        ] + errors
        response = TemplateResponse(
            request,
            "admin/campaigns/campaign/preview_invalid.html",
            {
                **model_admin.admin_site.each_context(request),
                "opts": model_admin.opts,
                "title": _("The preview cannot be shown yet"),
                "errors": errors,
            },
            status=400,
        )
    else:
        language = request.GET.get("language")
        if language not in dict(settings.LANGUAGES):
            language = translation.get_language()
        with translation.override(language):
            response = render_campaign(
                request,
                form.instance,
                sections=sections,
                extra_context={"is_preview": True, "is_unsaved_preview": True},
            )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _unsaved_sections(request, model_admin, instance, campaign):
    """The help sections as the form holds them (deleted ones out), in the order of
    their position fields, and the errors that keep the sections from being shown."""
    sections, errors = [], []
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, campaign):
        if inline.model is not HelpSection:
            continue  # a sponsor's match shows as saved: the ledger's figures are its own
        formset = formset_class(
            data=request.POST,
            instance=instance,
            prefix=formset_class.get_default_prefix(),
            queryset=inline.get_queryset(request),
        )
        if not formset.is_valid():
            errors += [
                _("Help section %(number)s: %(message)s") % {"number": number, "message": message}
                for number, form_errors in enumerate(formset.errors, start=1)
                for messages in form_errors.values()
                for message in messages
            ]
            errors += list(formset.non_form_errors())
            continue
        for form in formset.forms:
            if formset._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            sections.append(form.instance)
    sections.sort(key=lambda section: (section.position, section.pk or 0))
    return sections, errors
