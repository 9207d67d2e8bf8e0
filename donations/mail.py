"""E-mail to donors: receipts, year-end statements, manage links and card notices.

Each message has a plain-text and an HTML part, rendered from `email/<name>.txt` and
`email/<name>.html` in the donor's language (a gift's, a donor's, or that of the page
where a link was asked for), whatever the language of the request or task that
caused it; the links in it lead to the pages in that language. `deliver` sends one
and reports a failure as a short note without addresses; what the caller records
about it (attempts, error, sent) stays with the row.
"""

import datetime
import smtplib
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from oca_site.redaction import redact_addresses

# What sending one message may raise for reasons of that message or of the mail server,
# noted in the log without a traceback: the server refused it or could not be reached
# (smtplib, OSError), or a header (an address, a name, a subject) holds a line break,
# which Python's e-mail API refuses with ValueError (Django's BadHeaderError is now
# that very class, and deprecated).
MAIL_ERRORS = (smtplib.SMTPException, OSError, ValueError)
# The longest note a row keeps about a failure.
NOTE_LENGTH = 300
# The longest wait before a message the mail server refused is tried again.
MAX_BACKOFF = datetime.timedelta(hours=6)


@contextmanager
def in_language(code=None):
    """The language mail is written in (the site's by default), for the text made for
    a message's context and subject: amounts, dates, translated phrases."""
    with translation.override(code or settings.LANGUAGE_CODE):
        yield


def site_address():
    """The site's address as a message names it: its home page in the active language
    (SITE_URL itself for the site's own language)."""
    home = reverse("campaigns:featured")
    return settings.SITE_URL if home == "/" else settings.SITE_URL + home


def build(template, to, subject, context, language=None, headers=None):
    """The message to `to` rendered from email/<template>.txt and .html.

    `headers`: extra headers, such as an update's List-Unsubscribe
    (donations.supporters.list_unsubscribe_headers).

    Rendered in `language` (the site's by default); a subject or context values that
    are translated, formatted or reversed into links must be made under
    `in_language(language)` too.
    """
    with in_language(language):
        message = EmailMultiAlternatives(
            subject=str(subject),
            body=render_to_string(f"email/{template}.txt", context),
            to=[to],
            headers=headers,
        )
        message.attach_alternative(render_to_string(f"email/{template}.html", context), "text/html")
    return message


def deliver(message):
    """Sends `message`; None when sent, else a short note of why not, without addresses.

    Only a failure of this message or of the mail server (MAIL_ERRORS) is noted, never
    as an empty text; any other error (a bug) is raised.
    """
    try:
        message.send()
    except MAIL_ERRORS as error:
        return (describe_mail_error(error) or type(error).__name__)[:NOTE_LENGTH]
    return None


def describe_mail_error(error):
    """A mail failure as the log may show it: without the addresses it names.

    smtplib's SMTPRecipientsRefused is keyed by the refused addresses and servers quote
    the address in their replies; a log line must never carry a donor's address.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = (
            f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values()
        )
        text = "recipient refused: " + "; ".join(replies)
    else:
        text = str(error)
    return redact_addresses(text)


def short_error(error):
    """An unexpected error as a row may keep it (300 characters), without addresses."""
    return f"{type(error).__name__}: {describe_mail_error(error)}"[:NOTE_LENGTH]


def retry_later(task, row_id, attempts):
    """Queues `task(row_id)` again once the caller's transaction commits, after the
    mail server failed its `attempts`-th try: in 2, 4, 8... minutes, at most MAX_BACKOFF.

    Only where the task backend can defer; elsewhere (and after a lost task) the next
    `manage.py send_pending_receipts` tries it again.
    """
    if not task.get_backend().supports_defer:
        return
    run_after = timezone.now() + min(datetime.timedelta(minutes=2**attempts), MAX_BACKOFF)
    transaction.on_commit(lambda: task.using(run_after=run_after).enqueue(row_id))
