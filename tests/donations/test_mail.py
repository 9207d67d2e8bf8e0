"""donations.mail: how every message to a donor is built and sent (receipts,
statements, manage links and card notices are tested through it elsewhere)."""

import smtplib

import pytest
from django.core.mail import EmailMultiAlternatives

from donations import mail

CONTEXT = {
    "has_gifts": True,
    "name": "Ana",
    "url": "https://example.org/give/manage/token/",
    "request_url": "https://example.org/give/manage/",
    "site_url": "https://example.org",
    "minutes": 60,
}


def _message():
    return mail.build("manage_link", "ana@example.org", "Your monthly gift", CONTEXT)


def test_it_builds_a_text_and_an_html_part_from_the_templates():
    message = _message()
    assert message.to == ["ana@example.org"]
    assert message.subject == "Your monthly gift"
    assert "Hello Ana," in message.body
    assert CONTEXT["url"] in message.body
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert CONTEXT["url"] in html and "<" in html


def test_it_delivers_a_message_and_says_nothing(mailoutbox):
    assert mail.deliver(_message()) is None
    assert [m.to for m in mailoutbox] == [["ana@example.org"]]


@pytest.mark.parametrize(
    ("error", "note"),
    [
        (
            smtplib.SMTPRecipientsRefused(
                {"ana@example.org": (550, b"5.1.1 <ana@example.org>: Recipient address rejected")}
            ),
            "recipient refused: 550 5.1.1 <[address]>: Recipient address rejected",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "[Errno 111] Connection refused"),
        (ValueError("Header values may not contain linefeed or carriage return"), "Header"),
        # An error without text still gets a note: "" would read as "sent".
        (OSError(), "OSError"),
    ],
)
def test_it_notes_why_a_message_was_not_sent_without_the_address(
    error, note, monkeypatch, mailoutbox
):
    def refuse(message, *args, **kwargs):
        raise error

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    result = mail.deliver(_message())
    assert result.startswith(note)
    assert "ana@example.org" not in result
    assert len(result) <= mail.NOTE_LENGTH
    assert mailoutbox == []


def test_it_raises_what_is_no_mail_failure(monkeypatch):
    # A bug is not one message's trouble: the caller logs it with its traceback.
    def broken(message, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    with pytest.raises(RuntimeError):
        mail.deliver(_message())
