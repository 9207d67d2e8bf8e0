"""PDF receipts and statements: attached to every receipt and statement e-mail, in the
donor's language, with the letterhead and what the IRS needs, and made again byte for
byte the same."""

import datetime
import io

import pypdf
import pytest
from django.core import mail
from django.utils import timezone

from campaigns.organization import Organization
from donations import receipts, statements
from donations.models import Gift

IRS = "No goods or services were provided in exchange for this contribution."
IRS_ES = "No se proporcionaron bienes ni servicios a cambio de esta contribución."


def _reader(pdf_bytes):
    return pypdf.PdfReader(io.BytesIO(pdf_bytes))


def _text(pdf_bytes):
    return " ".join(" ".join(page.extract_text() for page in _reader(pdf_bytes).pages).split())


@pytest.fixture
def old_gift(online_gift):
    """A gift of March 2024, long since receipted."""
    given_at = datetime.datetime(2024, 3, 15, 14, 30, tzinfo=datetime.UTC)
    return online_gift(
        amount_cents=25000, given_at=given_at, card_brand="mastercard", card_last4="4444"
    )


def test_an_old_receipt_is_made_again_byte_for_byte(old_gift):
    first = receipts.receipt_pdf(old_gift)
    again = receipts.receipt_pdf(Gift.objects.get(pk=old_gift.pk))
    assert first == again
    metadata = _reader(first).metadata
    # Dated the day of the gift, not the day it was made.
    assert metadata.creation_date == old_gift.given_at
    assert metadata.modification_date == old_gift.given_at
    assert "$250.00" in _text(first)


def test_a_statement_is_made_again_byte_for_byte(old_gift, donor):
    gifts = list(statements.gifts_of(donor, 2024))
    first = statements.statement_pdf(donor, 2024, gifts)
    assert first == statements.statement_pdf(donor, 2024, list(statements.gifts_of(donor, 2024)))
    assert _reader(first).metadata.creation_date.year == 2024


def test_the_receipt_has_the_letterhead_the_donor_and_the_irs_sentence(old_gift):
    text = _text(receipts.receipt_pdf(old_gift))
    for expected in (
        Organization.current().legal_name,
        f"EIN {Organization.current().ein}",
        Organization.current().street,
        "Dear Ana Lopez,",
        "$250.00",
        "March 15, 2024",
        "Mastercard card ending in 4444",
        IRS,
        "501(c)(3)",
    ):
        assert expected in text, expected


def test_a_check_receipt_names_the_check(online_gift):
    gift = online_gift(
        method=Gift.Method.CHECK,
        check_number="2231",
        stripe_payment_intent_id=None,
        stripe_charge_id=None,
        received_on=timezone.localdate(),
    )
    assert "Check no. 2231" in _text(receipts.receipt_pdf(gift))


def test_a_spanish_receipt_is_in_spanish_with_the_english_irs_sentence_beside(online_gift):
    gift = online_gift(language="es", amount_cents=5000)
    text = _text(receipts.receipt_pdf(gift))
    assert "Recibo de su donación" in text
    assert IRS_ES in text
    assert IRS in text  # the English one is what the IRS reads


def test_every_receipt_email_carries_its_pdf(online_gift, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gift = online_gift(amount_cents=4200)
    [message] = mail.outbox
    [(filename, content, mimetype)] = message.attachments
    assert mimetype == "application/pdf"
    assert filename == f"receipt-{timezone.localtime(gift.given_at):%Y-%m-%d}-{gift.pk}.pdf"
    assert content == receipts.receipt_pdf(gift)
    assert "A PDF copy of this receipt is attached." in message.body


def test_the_year_end_statement_email_carries_its_pdf(old_gift, donor):
    outcome = statements.send_year_end_statements(2024)
    assert outcome.sent == [donor]
    [message] = mail.outbox
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("giving-statement-2024.pdf", "application/pdf")
    text = _text(content)
    assert "2024 giving statement" in text
    assert "$250.00" in text


def test_a_donor_name_cannot_make_the_pdf_fetch_anything(online_gift, donor):
    gift = online_gift(donor_name='Ana <img src="http://127.0.0.1:9/x.png"> Lopez')
    text = _text(receipts.receipt_pdf(gift))
    assert '<img src="http://127.0.0.1:9/x.png">' in text  # shown as text, escaped


def test_making_a_pdf_leaves_pillow_strict_about_truncated_images(old_gift):
    # WeasyPrint's import relaxes this process-wide; share-image uploads rely on it.
    from PIL import ImageFile

    receipts.receipt_pdf(old_gift)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_receipt_made_after_a_partial_refund_states_what_was_kept(online_gift, mailoutbox):
    """The contribution is what the organization kept: a receipt downloaded or re-sent
    after a partial refund states it (with what was given and refunded), as the
    year-end statement does, never the amount first charged."""
    gift = online_gift(amount_cents=25000, refunded_cents=10000)
    assert gift.counted
    text = _text(receipts.receipt_pdf(gift))
    assert "$150.00 ($250.00 given, $100.00 refunded)" in text
    message = receipts.build_receipt(gift)
    assert "Amount: $150.00 ($250.00 given, $100.00 refunded)" in message.body
    assert "$150.00 ($250.00 given, $100.00 refunded)" in message.alternatives[0].content


def test_a_receipt_without_a_refund_states_the_amount_alone(online_gift):
    text = _text(receipts.receipt_pdf(online_gift(amount_cents=25000)))
    assert "$250.00" in text and "refunded" not in text


def test_a_spanish_receipt_after_a_partial_refund_says_so_in_spanish(online_gift):
    gift = online_gift(language="es", amount_cents=25000, refunded_cents=10000)
    assert "$150.00 ($250.00 donados, $100.00 reembolsados)" in _text(receipts.receipt_pdf(gift))


def test_the_receipts_file_is_named_by_the_date_the_receipt_states(online_gift):
    """A gift of New Year's Eve, 11:30 pm in Hartford (already January 1 in UTC), is
    a gift of the year it was given in, by its receipt's date and by its file's name."""
    given_at = datetime.datetime(2025, 1, 1, 4, 30, tzinfo=datetime.UTC)
    gift = online_gift(given_at=given_at)
    assert "Dec. 31, 2024" in _text(receipts.receipt_pdf(gift))
    assert receipts.receipt_filename(gift) == f"receipt-2024-12-31-{gift.pk}.pdf"
