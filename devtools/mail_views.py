"""/dev/mail/: the mail `make run` sent, to read in a browser (DEBUG only).

Every view answers 404 unless DEBUG is on, whatever the URLconf, so a production
site never shows it. A message's HTML version is served on its own address with a
policy of its own (no script, no request anywhere, a sandbox) and shown in a
sandboxed frame: mail HTML is foreign markup, and the page around it stays under the
site's strict policy.
"""

from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin

from . import devmail

# Inline styles (mail has them) and images inline or from anywhere; nothing else, and
# no script even if the markup had one. Links may open the page they lead to.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
    "sandbox allow-top-navigation-by-user-activation"
)


def debug_only(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


def _message_or_404(mail_id):
    message = devmail.load(mail_id)
    if message is None:
        raise Http404
    return message


@debug_only
def mail_list(request):
    mails = []
    for mail_id in devmail.stored_ids():
        message = devmail.load(mail_id)
        if message is not None:
            mails.append(devmail.summary(message, mail_id))
    return render(request, "devtools/mail_list.html", {"mails": mails})


@debug_only
def mail_detail(request, mail_id):
    message = _message_or_404(mail_id)
    return render(
        request,
        "devtools/mail_detail.html",
        {
            "mail": devmail.summary(message, mail_id),
            "text": devmail.text_version(message),
            "has_html": bool(devmail.html_version(message)),
            "attachments": devmail.attachments(message),
        },
    )


@debug_only
@xframe_options_sameorigin
def mail_html(request, mail_id):
    html = devmail.html_version(_message_or_404(mail_id))
    if not html:
        raise Http404
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_POLICY
    response["Cache-Control"] = "no-store"
    return response
