"""The receipt of each offline kind (e-mail text, its HTML and the PDF), against the
IRS rules for acknowledging gifts.

IRS Publication 1771, "Charitable Contributions — Substantiation and Disclosure
Requirements" (also www.irs.gov's "Written acknowledgments"):
    "The written acknowledgment required to substantiate a charitable contribution of
    $250 or more must contain the following information: Name of the organization;
    Amount of cash contribution; Description (but not value) of non-cash
    contribution; Statement that no goods or services were provided by the
    organization, if that is the case; ..."

IRS Publication 561, "Determining the Value of Donated Property", on the donor's
acknowledgment:
    "The CWA must include a description (but not value) of the property donated and
    whether the charity gave you any goods or services in exchange for the property
    you donated."
and on stocks and bonds:
    "Selling prices on valuation date. If there is an active market for the
    contributed stocks or bonds on a stock exchange, in an over-the-counter market,
    or elsewhere, the FMV of each share or bond is the average price between the
    highest and lowest quoted selling prices on the valuation date."
Publication 526 ("Charitable Contributions") leaves the value of property to the
donor, who reports it (Form 8283 above $500).

Donor-advised funds, IRC §170(f)(18) (added by the Pension Protection Act of 2006):
the deduction for a gift to a donor-advised fund is allowed when the donor gives to
the fund, and only with the sponsoring organization's written acknowledgment that it
has "exclusive legal control over the assets contributed". A later grant from the
fund to a charity is the sponsoring organization's gift: the sponsor is the donor of
record, and the advisor who recommended it gets no second deduction for it.

So: cash, checks and transfers state the amount and the no-goods-or-services
sentence; stock is described (shares, ticker, date) with the mean-of-high-and-low
value given for information only; an in-kind gift is described with no value and a
sentence that the donor determines it; a fund's grant is addressed to the fund, names
the advisor as recommending it and says no deduction is available to the advisor.
"""

import datetime
import io
from decimal import Decimal
from html import unescape

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.organization import Organization
from donations import checks, my_giving, receipts, statements
from donations.models import Donor, Gift, OfflineDetails

NO_GOODS = "No goods or services were provided in exchange for this contribution."
NO_GOODS_ES = "No se proporcionaron bienes ni servicios a cambio de esta contribución."
DEDUCTIBLE = "is a 501(c)(3) nonprofit organization; your gift is tax deductible"
NONCASH_NOTE = (
    "We do not state a value for a gift of property: determining its value for your tax "
    "return is your responsibility (IRS Publication 1771)."
)
STOCK_NOTE = (
    "For your information: the IRS values publicly traded stock at the mean of its high "
    "and low prices on the day of the gift (Publication 561)."
)
STOCK_WEIGHTED_NOTE = (
    "For your information: the stock did not trade on the day of the gift, so the IRS "
    "values it at the means of its high and low prices on the nearest trading days "
    "before and after, weighted by how close each is to that day (Treasury Regulation "
    "§20.2031-2(b), Publication 561)."
)
DAF_NOTE = (
    "This grant comes from a donor-advised fund: the fund's sponsoring organization is the "
    "donor of record, and no charitable deduction is available to the advisor who "
    "recommended it."
)
RECEIVED = datetime.date(2026, 11, 20)


def _flat(text):
    return " ".join(text.split())


def _pdf_text(pdf_bytes):
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    return _flat(" ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def receipt_of(bookkeeper, campaign, donor, mailoutbox, django_capture_on_commit_callbacks):
    """`receipt_of(method, amount_cents=..., details=..., donor=...)`: logs the gift and
    returns (gift, e-mail text, e-mail HTML, PDF text) of the receipt it was sent."""

    def log(method, *, amount_cents=None, details=None, giver=None):
        with django_capture_on_commit_callbacks(execute=True):
            gift = checks.record_offline_gift(
                method=method,
                donor=giver or donor,
                campaign=campaign,
                amount_cents=amount_cents,
                received_on=RECEIVED,
                user=bookkeeper,
                details=details,
            )
        message = mailoutbox[-1]
        html = unescape(message.alternatives[0][0])
        pdf = next(body for name, body, kind in message.attachments if kind == "application/pdf")
        return gift, _flat(message.body), _flat(html), _pdf_text(pdf)

    return log


def _stock():
    return OfflineDetails(
        ticker="AAPL",
        shares=Decimal("12.5"),
        high_price=Decimal("188.01"),
        low_price=Decimal("186.50"),
    )


@pytest.mark.parametrize(
    ("method", "details", "method_line"),
    [
        (Gift.Method.CASH, None, "Payment method: Cash"),
        (
            Gift.Method.TRANSFER,
            OfflineDetails(reference="ZL-99812", sender="Luis Lopez"),
            "Payment method: Bank transfer, reference ZL-99812",
        ),
    ],
)
def test_cash_and_transfers_state_the_amount_and_no_goods_or_services(
    receipt_of, method, details, method_line
):
    gift, text, html, pdf = receipt_of(method, amount_cents=50000, details=details)

    for body in (text, pdf):
        assert "$500.00" in body
        assert NO_GOODS in body and DEDUCTIBLE in body
        assert Organization.current().legal_name in body
    assert "Amount: $500.00" in text and method_line in text
    assert "$500.00" in html and NO_GOODS in html
    assert gift.receipt_status == Gift.Receipt.PENDING  # sent after commit:
    assert Gift.objects.get(pk=gift.pk).receipt_status == Gift.Receipt.SENT
    if method == Gift.Method.TRANSFER:
        assert "Sent by: Luis Lopez" in text


def test_one_share_is_one_share_in_english_and_in_spanish(receipt_of):
    one = _stock()
    one.shares = Decimal("1")
    _gift, text, _html, pdf = receipt_of(Gift.Method.STOCK, details=one)
    assert "1 share of AAPL, received on Nov. 20, 2026" in text
    assert "1 shares" not in text and "1 shares" not in pdf
    ana = Donor.objects.create(name="Ana Ruiz", email="ana.ruiz@example.org", language="es")
    one = _stock()
    one.shares = Decimal("1")
    _gift, text, _html, _pdf = receipt_of(Gift.Method.STOCK, details=one, giver=ana)
    assert "1 acción de AAPL, recibida el " in text


def test_stock_is_described_and_its_value_given_for_information(receipt_of):
    gift, text, html, pdf = receipt_of(Gift.Method.STOCK, details=_stock())

    description = "12.5 shares of AAPL, received on Nov. 20, 2026"
    computation = (
        "12.5 shares × $187.255 (the mean of the high $188.01 and the low $186.50) = $2,340.69"
    )
    for body in (text, html, pdf):
        assert description in body
        assert computation in body
        assert STOCK_NOTE in body and NONCASH_NOTE in body and NO_GOODS in body
    # Described, not stated as an amount received.
    assert "Amount:" not in text
    assert ">Amount<" not in html
    assert "Payment method: Stock" in text
    assert gift.amount_cents == 234069


def test_stock_without_trading_that_day_shows_how_it_was_valued(receipt_of):
    # Friday, November 20, 2026 without trading: Wednesday the 18th (mean $10) is two
    # trading days before, Wednesday the 25th (mean $15) three after.
    details = OfflineDetails(
        ticker="XYZ",
        shares=Decimal(100),
        no_trading=True,
        before_date=datetime.date(2026, 11, 18),
        before_high=Decimal("10.50"),
        before_low=Decimal("9.50"),
        after_date=datetime.date(2026, 11, 25),
        after_high=Decimal(16),
        after_low=Decimal(14),
    )
    gift, text, html, pdf = receipt_of(Gift.Method.STOCK, details=details)

    for body in (text, html, pdf):
        assert "100 shares of XYZ, received on Nov. 20, 2026" in body
        assert "No trading on the transfer date." in body
        assert (
            "Nearest trading day before: Nov. 18, 2026 (trading days to the transfer date: "
            "2), where the mean of the high $10.50 and the low $9.50 is $10.00."
        ) in body
        assert "100 shares × (3 × $10.00 + 2 × $15.00) ÷ 5 = $1,200.00" in body
        assert STOCK_WEIGHTED_NOTE in body and NONCASH_NOTE in body
        assert STOCK_NOTE not in body  # not the mean of the day's high and low
    assert "Amount:" not in text
    assert gift.amount_cents == 120000


def test_an_in_kind_gift_is_described_without_any_value(receipt_of):
    details = OfflineDetails(
        description="Forty winter coats for the shelter", estimated_value_cents=80000
    )
    gift, text, html, pdf = receipt_of(Gift.Method.IN_KIND, details=details)

    for body in (text, html, pdf):
        assert "Forty winter coats for the shelter" in body
        assert NONCASH_NOTE in body and NO_GOODS in body
        # No value at all: neither the $0 of the ledger nor the internal estimate.
        assert "$" not in body.replace(Organization.current().legal_name, "")
        assert "800.00" not in body and "$800" not in body
    assert "Amount" not in text


def test_a_fund_grant_is_addressed_to_the_fund_and_gives_the_advisor_no_deduction(receipt_of):
    details = OfflineDetails(fund_name="Fidelity Charitable", reference="G-7731")
    gift, text, html, pdf = receipt_of(Gift.Method.DAF, amount_cents=100000, details=details)

    for body in (text, html, pdf):
        assert "Dear Fidelity Charitable," in body
        assert "Recommended by" in body and "Ana Lopez" in body
        assert "G-7731" in body and "$1,000.00" in body
        assert DAF_NOTE in body and NO_GOODS in body
        # The advisor is not told the grant is deductible to them.
        assert DEDUCTIBLE not in body
    assert "Donor: Fidelity Charitable" in text
    assert "Recommended by: Ana Lopez" in text
    assert "Payment method: Grant G-7731 from Fidelity Charitable" in text


def test_a_spanish_receipt_gives_each_rule_in_spanish_and_in_english(receipt_of):
    ana = Donor.objects.create(name="Ana Ruiz", email="ana.ruiz@example.org", language="es")
    details = OfflineDetails(fund_name="Schwab Charitable", reference="S-1")
    gift, text, html, pdf = receipt_of(
        Gift.Method.DAF, amount_cents=30000, details=details, giver=ana
    )

    for body in (text, pdf):
        assert NO_GOODS_ES in body and NO_GOODS in body
        assert DAF_NOTE in body  # the English the IRS reads, beside the Spanish
        assert "fondo asesorado por donantes" in body
        assert "Recomendada por" in body


def test_the_letter_and_the_year_end_statement_state_no_value_for_property(
    bookkeeper, bookkeeper_client, campaign, donor, receipt_of
):
    receipt_of(Gift.Method.STOCK, details=_stock())
    in_kind, *_ = receipt_of(
        Gift.Method.IN_KIND,
        details=OfflineDetails(description="Office chairs", estimated_value_cents=12345),
    )
    cash, *_ = receipt_of(Gift.Method.CASH, amount_cents=2500)

    letter = _flat(
        bookkeeper_client.get(
            reverse("admin:donations_gift_letters") + f"?ids={in_kind.pk}"
        ).content.decode()
    )
    assert "Office chairs" in letter and NONCASH_NOTE in letter
    assert "123.45" not in letter and "$0.00" not in letter

    gifts = list(statements.gifts_of(donor, RECEIVED.year))
    context = statements.statement_context(donor, RECEIVED.year, gifts)
    amounts = [line["amount"] for line in context["gifts"]]
    assert amounts == ["12.5 shares of AAPL", "Office chairs", "$25.00"]
    assert context["total"] == "$25.00"  # the cash only: property is described, not valued
    pdf = _pdf_text(statements.statement_pdf(donor, RECEIVED.year, gifts))
    assert "12.5 shares of AAPL" in pdf and "$2,340.69" not in pdf


def test_the_receipt_pdf_of_an_offline_gift_is_made_again_byte_for_byte(receipt_of):
    gift, *_ = receipt_of(Gift.Method.STOCK, details=_stock())
    first = receipts.receipt_pdf(gift)
    assert first == receipts.receipt_pdf(Gift.objects.get(pk=gift.pk))
    assert timezone.localtime(gift.given_at).date() == RECEIVED


def test_a_grant_s_letter_goes_to_the_fund_in_care_of_the_advisor(bookkeeper_client, receipt_of):
    details = OfflineDetails(fund_name="Fidelity Charitable", reference="G-7731")
    gift, *_ = receipt_of(Gift.Method.DAF, amount_cents=100000, details=details)

    html = bookkeeper_client.get(
        reverse("admin:donations_gift_letters") + f"?ids={gift.pk}"
    ).content.decode()
    address = html.split('<address class="recipient">')[1].split("</address>")[0]
    assert address.split("<br>")[:3] == ["Fidelity Charitable", "c/o Ana Lopez", "12 Elm Street"]
    letter = _flat(unescape(html))
    assert "Dear Fidelity Charitable," in letter and DAF_NOTE in letter
    assert DEDUCTIBLE not in letter


def test_the_year_end_statement_leaves_out_a_fund_s_grant(campaign, donor, bookkeeper):
    """The statement lists the donor's tax-deductible gifts and totals them: a fund's
    grant is the fund's gift, deductible by nobody who reads that statement (its
    receipt says so), so it is neither listed nor counted, and a year of grants only
    has no statement at all (nor one to download from My giving)."""
    last_year = timezone.localdate().year - 1
    day = datetime.date(last_year, 6, 3)

    def log(method, amount_cents, details=None, giver=donor, received_on=day):
        return checks.record_offline_gift(
            method=method,
            donor=giver,
            campaign=campaign,
            amount_cents=amount_cents,
            received_on=received_on,
            user=bookkeeper,
            details=details,
        )

    log(Gift.Method.DAF, 100000, OfflineDetails(fund_name="Fidelity Charitable", reference="G-1"))
    cash = log(Gift.Method.CASH, 2500)
    advisor = Donor.objects.create(name="Luis Vega", email="luis.vega@example.org")
    log(
        Gift.Method.DAF,
        50000,
        OfflineDetails(fund_name="Schwab Charitable", reference="S-2"),
        giver=advisor,
    )

    assert list(statements.gifts_of(donor, last_year)) == [cash]
    listed = {row.pk: row for row in statements.donors_for(last_year)}
    assert donor.pk in listed and advisor.pk not in listed
    assert (listed[donor.pk].year_gifts, listed[donor.pk].year_cents) == (1, 2500)
    context = statements.statement_context(donor, last_year, [cash])
    assert context["total"] == "$25.00"
    assert my_giving.statement_years(advisor) == []
    assert my_giving.statement_years(donor) == [last_year]
