"""The donor's whole path in Spanish: the form sent from /es/..., Stripe Checkout and
the portal in Spanish, the pages Stripe sends the donor back to, every e-mail (receipt,
card notice, manage link, year-end statement), US Spanish money and dates, and the
error pages.

Interface text comes from the Spanish catalog (locale/es); `_es()` reads a string from
it and fails when it has no Spanish yet, so that no assertion passes on English text.
"""

import datetime
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf.urls.i18n import i18n_patterns
from django.core import mail
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from campaigns.formatting import format_date, format_money
from campaigns.organization import Organization
from devtools.stripe_standin import sign_payload
from donations import monthly as monthly_service
from donations import receipts, statements
from donations.models import Donor, Gift, MonthlyGift, MonthlyNotice, Pledge
from oca_site import errors
from oca_site.middleware import database_unavailable_response

IRS_ES = "No se proporcionaron bienes ni servicios a cambio de esta contribución."
IRS_EN = "No goods or services were provided in exchange for this contribution."
STATEMENT_IRS_ES = "No se proporcionaron bienes ni servicios a cambio de estas contribuciones."
STATEMENT_IRS_EN = "No goods or services were provided in exchange for these contributions."
# A long date in Spanish: "28 de noviembre de 2026".
SPANISH_DATE = re.compile(
    r"\b\d{1,2} de (enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
    r"|noviembre|diciembre) de \d{4}\b"
)


def _es(msgid):
    """The Spanish of an interface string, from the catalog; fails while it has none."""
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"the Spanish catalog has no translation of {msgid!r} yet"
    return text


def _give_in_spanish(client, campaign, stripe_standin, data):
    """Sends the form from the Spanish page; returns (pledge, the stand-in's session)."""
    response = client.post(f"/es/give/{campaign.slug}/", data)
    assert response.status_code == 303, response.content.decode()[:2000]
    session_id = response["Location"].rsplit("/", 1)[-1]
    return Pledge.objects.get(stripe_checkout_session_id=session_id), stripe_standin.store.get(
        "checkout.session", session_id
    )


def _post_event(client, settings, event):
    body = json.dumps({k: v for k, v in event.items() if k != "delivery"}).encode()
    return client.post(
        "/stripe/webhook/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_payload(body, settings.STRIPE_WEBHOOK_SECRET),
    )


@pytest.fixture
def spanish_monthly_gift(
    client, campaign, stripe_standin, donation, django_capture_on_commit_callbacks
):
    """Ana's $50 monthly gift, started from the Spanish page, paid and confirmed on the
    (Spanish) thank-you page, its receipt sent. Returns (monthly gift, the page)."""
    pledge, session = _give_in_spanish(
        client, campaign, stripe_standin, donation(frequency="monthly")
    )
    stripe_standin.pay(session["id"])
    with django_capture_on_commit_callbacks(execute=True):
        thanks = client.get("/es/give/thanks/", {"session_id": session["id"]})
    assert thanks.status_code == 200
    return MonthlyGift.objects.get(pledge=pledge), thanks


# Formats ---------------------------------------------------------------------------


def test_it_writes_money_and_dates_as_us_spanish_readers_do():
    with translation.override("es"):
        assert format_money(125050) == "$1,250.50"
        assert format_money(125000) == "$1,250"
        assert format_money(5000, always_cents=True) == "$50.00"
        assert format_date(datetime.date(2026, 11, 28)) == "28 de noviembre de 2026"
    with translation.override("en"):
        assert format_money(125050) == "$1,250.50"
        assert format_date(datetime.date(2026, 11, 28)) == "Nov. 28, 2026"


# A one-time gift ---------------------------------------------------------------------


def test_a_gift_from_the_spanish_page_goes_through_checkout_in_spanish(
    client,
    campaign,
    stripe_standin,
    donation,
    deliver_standin_events,
    settings,
    django_capture_on_commit_callbacks,
):
    pledge, session = _give_in_spanish(client, campaign, stripe_standin, donation(amount="100"))
    assert pledge.language == "es"

    # Stripe is asked for its Spanish page, and sends the donor back to Spanish pages.
    assert session["locale"] == "es"
    assert session["success_url"] == (
        settings.SITE_URL + "/es/give/thanks/?session_id={CHECKOUT_SESSION_ID}"
    )
    cancel = urlsplit(session["cancel_url"])
    assert cancel.path == f"/es/campaigns/{campaign.slug}/"
    assert parse_qs(cancel.query) == {"amount": ["100"], "frequency": ["once"], "cancelled": ["1"]}

    page = requests.get(session["url"]).text
    assert '<html lang="es">' in page
    assert "Pago en modo de prueba" in page
    assert re.search(r'id="pay"[^>]*>Donar</button>', page)
    assert re.search(r'id="cancel"[^>]*>Cancelar</a>', page)
    assert '<p class="amount" id="amount">$100.00</p>' in page

    stripe_standin.pay(session["id"])
    with django_capture_on_commit_callbacks(execute=True):
        deliver_standin_events()
    gift = Gift.objects.get()
    assert gift.language == "es"
    assert gift.donor.language == "es"

    thanks = client.get("/es/give/thanks/", {"session_id": session["id"]})
    assert thanks.status_code == 200
    html = thanks.content.decode()
    assert '<html lang="es">' in html
    assert (
        _es("Thank you, %(first_name)s — your %(amount)s gift is confirmed")
        % {"first_name": "Ana", "amount": "$100"}
        in html
    )

    (receipt,) = mail.outbox
    assert receipt.subject == _es("Your receipt from %(org)s") % {
        "org": Organization.current().legal_name
    }
    for part in (receipt.body, receipt.alternatives[0][0]):
        # The Spanish statement for the donor, and the English one the IRS reads.
        assert IRS_ES in part and IRS_EN in part
        assert "$100.00" in part
        assert SPANISH_DATE.search(part), part
        assert _es("Dear %(donor_name)s,") % {"donor_name": "Ana Lopez"} in part
    assert '<html lang="es">' in receipt.alternatives[0][0]
    assert '<strong lang="en">' + IRS_EN in receipt.alternatives[0][0]


def test_the_english_page_keeps_everything_in_english(
    client,
    campaign,
    stripe_standin,
    donation,
    deliver_standin_events,
    settings,
    django_capture_on_commit_callbacks,
):
    response = client.post(f"/give/{campaign.slug}/", donation())
    session = stripe_standin.store.get("checkout.session", response["Location"].rsplit("/", 1)[-1])
    assert session["locale"] == "en"
    assert session["success_url"].startswith(settings.SITE_URL + "/give/thanks/")
    assert urlsplit(session["cancel_url"]).path == f"/campaigns/{campaign.slug}/"
    page = requests.get(session["url"]).text
    assert '<html lang="en">' in page and ">Pay</button>" in page

    stripe_standin.pay(session["id"])
    with django_capture_on_commit_callbacks(execute=True):
        deliver_standin_events()
    gift = Gift.objects.get()
    assert (gift.language, gift.pledge.language, gift.donor.language) == ("en", "en", "en")
    (receipt,) = mail.outbox
    assert receipt.subject.startswith("Your receipt from ")
    assert IRS_EN in receipt.body and IRS_ES not in receipt.body
    assert receipt.body.count(IRS_EN) == 1


def test_the_same_form_sent_from_both_pages_makes_a_pledge_in_each_language(
    client, campaign, stripe_standin, donation
):
    # Without script the pledge is found again by what was sent; a donor who switched
    # language and sent the same form again must get Checkout in the new language.
    english = client.post(f"/give/{campaign.slug}/", donation())
    spanish, session = _give_in_spanish(client, campaign, stripe_standin, donation())
    assert english["Location"].rsplit("/", 1)[-1] != session["id"]
    assert sorted(Pledge.objects.values_list("language", flat=True)) == ["en", "es"]
    assert session["locale"] == "es"


def test_a_later_gift_in_another_language_keeps_the_donors_language(
    client, campaign, stripe_standin, donation, deliver_standin_events
):
    """Each gift has its own language; the donor's (their statements') is set when
    their first gift makes them, and is not changed by someone paying with their
    address in another language."""
    _, first = _give_in_spanish(client, campaign, stripe_standin, donation(amount="100"))
    stripe_standin.pay(first["id"])
    deliver_standin_events()
    later = client.post(f"/give/{campaign.slug}/", donation(amount="50"))
    stripe_standin.pay(later["Location"].rsplit("/", 1)[-1])
    deliver_standin_events()

    donor = Donor.objects.get()
    assert donor.language == "es"
    assert sorted(donor.gifts.values_list("language", flat=True)) == ["en", "es"]


# A monthly gift -----------------------------------------------------------------------


def test_a_monthly_gift_from_the_spanish_page_is_spanish_throughout(
    client, spanish_monthly_gift, stripe_standin, settings
):
    monthly, thanks = spanish_monthly_gift
    html = thanks.content.decode()
    assert '<html lang="es">' in html
    assert 'href="/es/give/manage/"' in html
    session = stripe_standin.store.get(
        "checkout.session", monthly.pledge.stripe_checkout_session_id
    )
    assert session["locale"] == "es"
    page = requests.get(session["url"]).text  # the session is complete now
    assert "Esta sesión ya no está disponible" in page
    assert re.search(r'id="return"[^>]*>Volver al sitio</a>', page)

    gift = Gift.objects.get()
    assert gift.language == "es"
    (receipt,) = mail.outbox
    assert IRS_ES in receipt.body and IRS_EN in receipt.body
    assert "$50.00" in receipt.body
    # Where the donor asks for a link to "My giving", in Spanish.
    assert f"{_es('Manage my giving')}: {settings.SITE_URL}/es/give/manage/" in receipt.body
    assert f'href="{settings.SITE_URL}/es/give/manage/"' in receipt.alternatives[0][0]


def test_renewals_of_a_spanish_monthly_gift_are_spanish(
    client, spanish_monthly_gift, stripe_standin, deliver_standin_events
):
    monthly, _ = spanish_monthly_gift
    stripe_standin.renew(monthly.stripe_subscription_id)
    deliver_standin_events(types=["invoice.paid"])
    assert list(monthly.charges.values_list("language", flat=True)) == ["es", "es"]


def test_it_asks_in_spanish_to_update_the_card(
    client, spanish_monthly_gift, stripe_standin, settings, django_capture_on_commit_callbacks
):
    monthly, _ = spanish_monthly_gift
    mail.outbox.clear()  # the receipt
    stripe_standin.renew(monthly.stripe_subscription_id, fail=True)
    (failed,) = [e for e in stripe_standin.events if e["type"] == "invoice.payment_failed"]
    with django_capture_on_commit_callbacks(execute=True):
        assert _post_event(client, settings, failed).status_code == 200
    assert MonthlyNotice.objects.get().sent_at is not None

    (notice,) = mail.outbox
    assert notice.subject == _es("Your monthly gift didn’t go through")
    assert _es("Update my card") in notice.alternatives[0][0]
    assert "$50.00" in notice.body
    # The link leads to the Spanish manage page, and works.
    link = re.search(r"https?://\S+/es/give/manage/[^/\s]+/", notice.body)
    assert link, notice.body
    # And where to ask for a new one, in Spanish too.
    assert re.search(rf"{re.escape(settings.SITE_URL)}/es/give/manage/(\s|$)", notice.body)
    page = client.get(link.group(0))
    assert page.status_code == 200
    assert '<html lang="es">' in page.content.decode()


def test_it_mails_the_manage_link_in_the_language_of_the_page(
    client, spanish_monthly_gift, settings
):
    mail.outbox.clear()  # the receipt
    answer = client.post("/es/give/manage/", {"email": "ana@example.org"})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert '<html lang="es">' in html
    assert _es("If that address has given to us, we’ve sent it a link to “My giving”.") in html
    assert 'href="/es/"' in html

    (message,) = mail.outbox
    assert message.subject == _es("Your link to “My giving” at Open Communities Alliance")
    assert '<html lang="es">' in message.alternatives[0][0]
    link = re.search(r"https?://\S+/give/manage/[^/\s]+/", message.body).group(0)
    assert link.startswith(settings.SITE_URL + "/es/give/manage/")
    assert f"{settings.SITE_URL}/es/\n" in message.body  # the site, in Spanish

    # The same donor asking from the English page gets English.
    client.post("/give/manage/", {"email": "ana@example.org"})
    english = mail.outbox[-1]
    assert english.subject == "Your link to “My giving” at Open Communities Alliance"
    assert (
        re.search(r"https?://\S+/give/manage/[^/\s]+/", english.body)
        .group(0)
        .startswith(settings.SITE_URL + "/give/manage/")
    )


def test_the_spanish_manage_pages_change_the_amount_and_open_the_portal_in_spanish(
    client, spanish_monthly_gift, stripe_standin, standin_objects, settings
):
    monthly, _ = spanish_monthly_gift
    token = monthly_service.make_token(monthly.donor)
    page = client.get(f"/es/give/manage/{token}/")
    html = page.content.decode()
    assert '<html lang="es">' in html
    assert f'action="/es/give/manage/{token}/amount/"' in html
    assert f'action="/es/give/manage/{token}/portal/"' in html

    changed = client.post(
        f"/es/give/manage/{token}/amount/", {"monthly_id": monthly.pk, "amount": "75"}
    )
    assert changed.status_code == 303
    assert changed["Location"] == f"/es/give/manage/{token}/?done=amount"
    notice = client.get(changed["Location"]).content.decode()
    assert _es("Your gift is changed. The new amount applies from your next charge.") in (notice)

    portal = client.post(f"/es/give/manage/{token}/portal/", {"monthly_id": monthly.pk})
    assert portal.status_code == 303
    (session,) = standin_objects("billing_portal.session")
    assert session["locale"] == "es"
    # Back to the Spanish manage page (with a fresh link).
    assert re.fullmatch(
        rf"{re.escape(settings.SITE_URL)}/es/give/manage/[^/]+/", session["return_url"]
    )
    text = requests.get(portal["Location"]).text
    assert '<html lang="es">' in text
    assert "$75.00 / mes" in text and "activa" in text
    assert re.search(r'id="cancel-subscription"[^>]*>Cancelar suscripción</button>', text)


# Checks and statements ----------------------------------------------------------------


def test_a_check_from_a_spanish_speaking_donor_gets_a_spanish_receipt(donor, log_check):
    Donor.objects.filter(pk=donor.pk).update(language="es")
    donor.refresh_from_db()
    gift = log_check(amount_cents=125050, check_number="88")
    assert gift.language == "es"
    receipt = receipts.build_receipt(gift)
    assert receipt.subject == _es("Your receipt from %(org)s") % {
        "org": Organization.current().legal_name
    }
    assert "$1,250.50" in receipt.body
    assert _es("Check no. %(number)s") % {"number": "88"} in receipt.body
    assert IRS_ES in receipt.body and IRS_EN in receipt.body


def test_the_printed_letter_is_in_the_language_of_each_gift(bookkeeper_client, donor, log_check):
    english = log_check(amount_cents=10000, check_number="41")
    Donor.objects.filter(pk=donor.pk).update(language="es")
    donor.refresh_from_db()
    spanish = log_check(amount_cents=125050, check_number="42")
    html = bookkeeper_client.get(
        reverse("admin:donations_gift_letters") + f"?ids={english.pk},{spanish.pk}"
    ).content.decode()
    letters = re.findall(r'(?s)<article class="letter" lang="(\w+)".*?</article>', html)
    assert sorted(letters) == ["en", "es"]
    spanish_letter = re.search(r'(?s)<article class="letter" lang="es".*?</article>', html)[0]
    assert _es("Dear %(name)s,") % {"name": "Ana Lopez"} in spanish_letter
    assert "$1,250.50" in spanish_letter and SPANISH_DATE.search(spanish_letter)
    assert IRS_ES in spanish_letter and f'<span lang="en">{IRS_EN}</span>' in spanish_letter
    english_letter = re.search(r'(?s)<article class="letter" lang="en".*?</article>', html)[0]
    assert "Dear Ana Lopez," in english_letter and IRS_ES not in english_letter


def test_it_sends_the_year_end_statement_in_the_donors_language(
    donor, online_gift, campaign, mailoutbox
):
    Donor.objects.filter(pk=donor.pk).update(language="es")
    given = timezone.make_aware(datetime.datetime(2025, 3, 14, 12))
    online_gift(amount_cents=125050, given_at=given, card_brand="visa", card_last4="4242")
    online_gift(amount_cents=2000, given_at=given + datetime.timedelta(days=100))

    outcome = statements.send_year_end_statements(2025)
    assert outcome.sent == [donor]
    (message,) = mailoutbox
    assert message.subject == _es("Your %(year)s giving statement from %(org)s") % {
        "year": 2025,
        "org": Organization.current().legal_name,
    }
    body = message.body
    assert "14 de marzo de 2025: $1,250.50" in body
    assert "22 de junio de 2025: $20.00" in body
    assert "Total: $1,270.50" in body  # "Total" in Spanish too
    assert STATEMENT_IRS_ES in body and STATEMENT_IRS_EN in body
    assert '<html lang="es">' in message.alternatives[0][0]


# Error pages -------------------------------------------------------------------------


def _fails(request):
    raise RuntimeError("a bug")


def _database_down(request):
    raise OperationalError("connection to server failed: Connection refused")


def _ok(request):
    return HttpResponse("ok")


urlpatterns = i18n_patterns(
    path("", include("campaigns.urls")),
    path("fails/", _fails),
    path("database-down/", _database_down),
    path("ok/", _ok),
    prefix_default_language=False,
)
handler404 = "oca_site.errors.page_not_found"
handler500 = "oca_site.errors.server_error"


def test_it_says_page_not_found_in_spanish_under_es(client, db):
    response = client.get("/es/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert _es("We couldn’t find that page") in html
    assert 'href="/es/"' in html
    english = client.get("/no-such-page/").content.decode()
    assert '<html lang="en">' in english and "We couldn’t find that page" in english


@pytest.mark.urls(__name__)
def test_it_answers_500_in_spanish_under_es(client, db):
    client.raise_request_exception = False
    response = client.get("/es/fails/")
    assert response.status_code == 500
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Algo salió mal de nuestra parte" in html
    assert 'href="/es/"' in html
    english = client.get("/fails/").content.decode()
    assert '<html lang="en">' in english and "Something went wrong on our side" in english


@pytest.mark.urls(__name__)
def test_it_answers_503_in_spanish_under_es(client, db):
    response = client.get("/es/database-down/")
    assert response.status_code == 503
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Volvemos enseguida" in html
    english = client.get("/database-down/").content.decode()
    assert '<html lang="en">' in english and "We’ll be right back" in english


def test_the_error_handlers_read_the_language_from_the_path_whatever_is_active():
    # An error raised before LocaleMiddleware ran finds the language of the thread's
    # previous request active; the page follows the address asked for.
    request = RequestFactory().get("/es/give/thanks/")
    with translation.override("en"):
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            page = errors.server_error(request).content.decode()
        unavailable = database_unavailable_response(OperationalError("down"), request)
    assert '<html lang="es">' in page and "Algo salió mal de nuestra parte" in page
    assert unavailable.status_code == 503
    assert "Volvemos enseguida" in unavailable.content.decode()
    with translation.override("es"):
        english = errors.page_not_found(RequestFactory().get("/nope/"), None)
    assert "We couldn’t find that page" in english.content.decode()


def test_it_answers_429_in_spanish_under_es(client, db, settings):
    settings.PLEDGE_RATE_LIMIT = "1/h"
    client.post("/es/give/manage/", {"email": "ana@example.org"})
    response = client.post("/es/give/manage/", {"email": "ana@example.org"})
    assert response.status_code == 429
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert _es("Please wait a moment") in html
    assert 'href="/es/"' in html


def test_shares_from_a_spanish_page_carry_the_spanish_title_and_address(campaign):
    from urllib.parse import parse_qs, urlsplit

    from django.utils import translation

    from donations.shares import share_url

    with translation.override("es"):
        x = parse_qs(urlsplit(share_url("x", campaign)).query)
        mail_body = parse_qs(urlsplit(share_url("email", campaign)).query)["body"][0]
    assert x["text"] == [campaign.share_title_es or campaign.title_es]
    assert x["url"][0].endswith(f"/es/campaigns/{campaign.slug}/")
    assert mail_body.startswith(campaign.share_description_es or campaign.summary_es)
