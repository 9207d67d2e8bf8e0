"""The signed "stop updates" page of every update e-mail, and its one-click POST.

GET shows one button; the button, or a mail program's own "Unsubscribe" (RFC 8058:
a POST with `List-Unsubscribe=One-Click` in the body), withdraws the consent. A GET
never changes anything: mail scanners and link previews open links on their own, and
must not unsubscribe anyone. No login and no CSRF token: the signed link is the
proof, it names one donor, and a forged POST could only do what its holder asks.
"""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import supporters
from .my_giving_views import _private
from .views import _limit_body, _no_store

TEMPLATE = "donations/stop_updates.html"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@_limit_body
@_no_store
def stop_updates(request, token):
    donor = supporters.donor_from_unsubscribe_token(token)
    if donor is None:
        return _private(render(request, TEMPLATE, {"state": "invalid"}, status=404))
    if request.method != "POST":
        state = "ask" if supporters.is_subscribed(donor) else "already"
        return _private(render(request, TEMPLATE, {"state": state}))
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    supporters.withdraw_consent(
        donor,
        supporters.Withdrawal.ONE_CLICK if one_click else supporters.Withdrawal.LINK,
    )
    return _private(render(request, TEMPLATE, {"state": "stopped"}))
