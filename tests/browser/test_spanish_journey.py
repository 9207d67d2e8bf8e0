"""The whole giving path in Spanish, on a 360 px phone: /es/, a $25 monthly gift with
the fee covered, the stand-in's Spanish checkout, the Spanish thank-you page and
receipt, and a cancellation through the Spanish manage link.

Labels are looked up in the site's own catalog (gettext under Spanish), so the test
follows the wording the translators chose and fails if a step shows English."""

import re

from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from campaigns.formatting import format_money
from donations.fees import fee_to_cover
from donations.models import Gift, MonthlyGift
from tests.quality import assert_no_axe_violations, assert_valid_html

IRS_ES = "No se proporcionaron bienes ni servicios a cambio de esta contribución."
IRS_EN = "No goods or services were provided in exchange for this contribution."
MANAGE_LINK = re.compile(r"https?://\S+/es/give/manage/[^/\s]+/")


def es(text, **values):
    with translation.override("es"):
        translated = translation.gettext(text)
    return translated % values if values else translated


def _check_quality(page):
    assert_no_axe_violations(page)
    assert_valid_html(page.content())


def test_a_spanish_reader_gives_monthly_and_cancels_in_spanish(
    live_server, campaign, standin, mobile_page
):
    page = mobile_page
    with translation.override("es"):
        total = format_money(2500 + fee_to_cover(2500))
    page.goto(live_server.url + "/es/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    _check_quality(page)

    form = page.locator("#donation-form")
    # By its accessible name, which is the amount alone; what the amount does (the
    # text beside it in the label) is the radio's description.
    form.get_by_role("radio", name="$25", exact=True).check()
    form.get_by_label(es("Monthly"), exact=True).check()
    form.locator("#id_cover_fee").check()
    form.get_by_label(es("Your name")).fill("Ana Lopez")
    form.get_by_label(es("E-mail"), exact=True).fill("ana@example.org")
    # The button says what will be charged, monthly, in Spanish: "Donar $25.85 al mes".
    expect(form.locator("#donate-submit")).to_have_text(es("Give %(amount)s monthly", amount=total))
    form.locator("#donate-submit").click()

    # The stand-in's checkout page, in Spanish: Stripe's locale was "es".
    page.wait_for_url(standin.url + "/checkout/**")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#amount")).to_contain_text(total)
    page.locator("#pay").click()

    page.wait_for_url(re.compile(r"/es/give/thanks/\?session_id=cs_"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        es(
            "Thank you, %(first_name)s — your %(amount)s monthly gift is confirmed",
            first_name="Ana",
            amount=total,
        )
    )
    _check_quality(page)
    gift = Gift.objects.get()
    assert (gift.language, gift.amount_cents, gift.frequency) == (
        "es",
        2500 + fee_to_cover(2500),
        "monthly",
    )

    # The receipt, in Spanish, with the English legal sentence kept beside it.
    (receipt,) = [m for m in mail.outbox if m.to == ["ana@example.org"]]
    assert IRS_ES in receipt.body and IRS_EN in receipt.body
    assert total in receipt.body
    assert "Dear" not in receipt.body
    mail.outbox.clear()

    # The manage link, asked for from the Spanish thank-you page.
    page.get_by_role("main").get_by_role("link", name=es("Manage my giving")).click()
    page.get_by_label(es("The e-mail address you gave with")).fill("ana@example.org")
    page.get_by_role("button", name=es("E-mail me a link")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(es("Check your e-mail"))
    (message,) = mail.outbox
    links = MANAGE_LINK.findall(message.body)
    assert len(links) == 1, message.body

    page.goto(links[0])
    expect(page.get_by_role("heading", level=1)).to_have_text(es("My giving, %(name)s", name="Ana"))
    _check_quality(page)
    page.get_by_role("button", name=es("Update card or cancel")).click()
    page.wait_for_url(standin.url + "/portal/**")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("button", name="Cancelar suscripción").click()
    expect(page.locator("#confirmation")).to_have_text(
        "Se canceló su suscripción. No se harán más cobros."
    )
    assert MonthlyGift.objects.get().status == MonthlyGift.Status.CANCELED

    page.get_by_role("link", name="Volver al sitio").click()
    page.wait_for_url(live_server.url + "/es/give/manage/**")
    expect(page.get_by_role("button", name=es("Update card or cancel"))).to_have_count(0)
    expect(
        page.get_by_role("link", name=re.compile(re.escape(es("Download the receipt (PDF)"))))
    ).to_have_count(1)
