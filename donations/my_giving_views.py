""" "My giving": the donor's own page behind a signed link, and what it lets them do.

Every view starts from the link: a bad or expired one gets the page that explains it
and nothing else. Every answer is the donor's alone: private, never stored by any
cache, and its address (which holds the token) is not sent on in a Referer.
"""

from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from . import languages, monthly, my_giving, pdfs, receipts, stripe_gateway
from .forms import ChangeAmountForm, ManageLinkForm
from .my_giving_forms import DetailsForm, DisplayForm, ReceiptChoiceForm, UpdatesChoiceForm
from .views import _limit_body, _see_other

# The choices on the page, each its own small form (donations.my_giving_forms), in the
# order shown: name in the URL -> form class. Another is one more line.
PREFERENCES = {
    "display": DisplayForm,
    "receipts": ReceiptChoiceForm,
    "updates": UpdatesChoiceForm,
    "details": DetailsForm,
}


def _private(response):
    response["Cache-Control"] = "private, no-store"
    # The token in the address must not leave the site in a Referer header. Not
    # "no-referrer": under it browsers post the page's forms with "Origin: null",
    # which the CSRF check rightly refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


def signed(view):
    """Runs `view(request, donor, token, ...)` for a good link; else explains the link."""

    @wraps(view)
    @cache_control(private=True, no_store=True)
    def wrapped(request, token, *args, **kwargs):
        try:
            donor = monthly.donor_from_token(token)
        except (monthly.LinkExpired, monthly.LinkInvalid) as error:
            expired = isinstance(error, monthly.LinkExpired)
            response = render(
                request,
                "donations/manage_link_problem.html",
                {"problem": "expired" if expired else "invalid", "form": ManageLinkForm()},
                status=410 if expired else 404,
            )
            return _private(response)
        return _private(view(request, donor, token, *args, **kwargs))

    return wrapped


def _page_url(token, **query):
    url = reverse("donations:manage-gifts", args=[token])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def render_page(request, donor, token, *, status=200, bound=None, notice=""):
    """The page; `bound` is a form sent back with its errors (a change of amount or a
    preference), the others start from what is on file."""
    monthly_gifts = []
    for gift, next_charge, brand, last4 in my_giving.monthly_gifts(donor):
        form = None
        if isinstance(bound, ChangeAmountForm) and bound.data.get("monthly_id") == str(gift.pk):
            form = bound
        form = form or ChangeAmountForm(initial={"monthly_id": gift.pk})
        form.auto_id = f"id_%s_{gift.pk}"
        monthly_gifts.append(
            {
                "gift": gift,
                "form": form,
                "next_charge": next_charge,
                "brand": brand,
                "last4": last4,
                "by_bank": monthly.paid_by_bank(gift),
            }
        )
    preferences = []
    for name, form_class in PREFERENCES.items():
        if not form_class.offered_to(donor, has_monthly=bool(monthly_gifts)):
            continue
        form = bound if isinstance(bound, form_class) else None
        form = form or form_class(initial=form_class.initial_for(donor), prefix=name)
        preferences.append({"form": form, "template": f"donations/my_giving/{name}.html"})
    context = {
        "donor": donor,
        "token": token,
        "gifts": my_giving.gifts_of(donor),
        "monthly_gifts": monthly_gifts,
        "statement_years": my_giving.statement_years(donor),
        "preferences": preferences,
        "notice": notice,
        "done": _done_message(request.GET.get("done", "")),
    }
    return render(request, "donations/my_giving.html", context, status=status)


def _done_message(what):
    messages = {
        "amount": _("Your gift is changed. The new amount applies from your next charge."),
        "sent": _("We’ve e-mailed the receipt again to the address on file."),
    }
    for name, form_class in PREFERENCES.items():
        messages[name] = form_class.saved_message
    return messages.get(what, "")


@require_safe
@signed
def page(request, donor, token):
    return render_page(request, donor, token)


@require_POST
@_limit_body
@signed
def change_preference(request, donor, token, name):
    """Applies one of the page's small forms (PREFERENCES)."""
    form_class = PREFERENCES.get(name)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, prefix=name)
    if not form.is_valid():
        return render_page(request, donor, token, status=400, bound=form)
    form.save(donor)
    return _see_other(_page_url(token, done=name) + f"#{name}")


@require_safe
@signed
def receipt_pdf(request, donor, token, gift_id):
    gift = my_giving.gift_of(donor, gift_id)
    if gift is None:
        raise Http404
    return _pdf(receipts.receipt_pdf(gift), receipts.receipt_filename(gift))


@require_POST
@signed
def resend_receipt(request, donor, token, gift_id):
    gift = my_giving.gift_of(donor, gift_id)
    if gift is None:
        raise Http404
    outcome = my_giving.resend_receipt(donor, gift)
    if outcome == "limited":
        notice = _("You’ve asked for several receipts this hour. Please try again later.")
        return render_page(request, donor, token, status=429, notice=notice)
    if outcome != "sent":
        notice = _("We couldn’t send the receipt just now. Please try again, or download it.")
        return render_page(request, donor, token, status=503, notice=notice)
    return _see_other(_page_url(token, done="sent"))


@require_safe
@signed
def statement_pdf(request, donor, token, year):
    found = my_giving.statement_of(donor, year)
    if found is None:
        raise Http404
    return _pdf(*found)


def _pdf(content, filename):
    response = HttpResponse(content, content_type=pdfs.PDF_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_POST
@signed
def manage_portal(request, donor, token):
    """Opens Stripe's customer portal (update the card, or cancel)."""
    chosen = None
    if request.POST.get("monthly_id", "").isdecimal():
        chosen = monthly.manageable_gifts(donor).filter(pk=request.POST["monthly_id"]).first()
    try:
        url = monthly.open_portal(donor, chosen, language=languages.active())
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected) as error:
        unreachable = isinstance(error, stripe_gateway.StripeUnavailable)
        notice = _("We couldn’t open the payment page just now. Nothing changed; please try again.")
        return render_page(request, donor, token, status=503 if unreachable else 502, notice=notice)
    return _see_other(url)


@require_POST
@_limit_body
@signed
def manage_amount(request, donor, token):
    """Changes the amount of one of the donor's recurring gifts, from the next charge on."""
    # The form finds the gift among the donor's own (another is no gift: 404), and
    # caps the amount as that gift is paid.
    form = ChangeAmountForm(request.POST, gifts=monthly.manageable_gifts(donor))
    if not form.is_valid():
        if not form.has_error("monthly_id"):
            return render_page(request, donor, token, status=400, bound=form)
        raise Http404
    gift = form.gift
    try:
        monthly.change_amount(gift, form.cleaned_data["amount"])
    except (stripe_gateway.StripeUnavailable, stripe_gateway.StripeRejected) as error:
        unreachable = isinstance(error, stripe_gateway.StripeUnavailable)
        notice = _("We couldn’t change your gift just now. Nothing changed; please try again.")
        return render_page(
            request, donor, token, status=503 if unreachable else 502, bound=form, notice=notice
        )
    return _see_other(_page_url(token, done="amount"))
