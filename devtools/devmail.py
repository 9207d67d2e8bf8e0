"""Development mail you can read: a mail backend for `make run`, and where it keeps mail.

Django's console backend prints the MIME source, where quoted-printable breaks lines
at 76 characters with a trailing "=", so a manage link copied from the terminal is
cut in two. This backend prints each message decoded instead (headers, the plain-text
version, the parts and attachments), with every link whole on its line, and keeps the
message as an .eml file so that /dev/mail/ (devtools.mail_views) can show its HTML
version. It decodes the very bytes an SMTP server would receive, so what it shows is
what a donor would get.

Chosen by the settings only with DEBUG on and no MAIL_URL of another kind; never in
production (the deploy check refuses DEBUG).
"""

import email
import email.policy
import email.utils
import re
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.html import strip_tags

# The newest messages kept; older ones are removed as new ones arrive.
KEEP = 200
# What a stored message's name looks like (its id in /dev/mail/<id>/).
MAIL_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")
RULE = "─" * 72


def default_directory():
    return Path(settings.BASE_DIR) / "var" / "dev-mail"


class ReadableConsoleBackend(BaseEmailBackend):
    """Prints each message decoded and keeps it for /dev/mail/.

    OPTIONS: `directory` (default var/dev-mail/ beside manage.py) and `stream` (default
    standard output, looked up when a message is sent).
    """

    def __init__(self, *, directory=None, stream=None, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(directory) if directory else None
        self.stream = stream
        self._lock = threading.RLock()

    def send_messages(self, email_messages):
        sent = 0
        with self._lock:
            for message in email_messages:
                raw = message.message().as_bytes()
                mail_id = store(raw, self.directory)
                stream = self.stream or sys.stdout
                stream.write(console_text(parse(raw), mail_id))
                stream.flush()
                sent += 1
        return sent


# Storage ---------------------------------------------------------------------------


def store(raw, directory=None):
    """Writes a message's bytes as <id>.eml and returns the id (its time, sortable)."""
    folder = directory or default_directory()
    folder.mkdir(parents=True, exist_ok=True)
    mail_id = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    (folder / f"{mail_id}.eml").write_bytes(raw)
    for old in sorted(folder.glob("*.eml"))[:-KEEP]:
        old.unlink(missing_ok=True)
    return mail_id


def stored_ids(directory=None):
    """The ids of the stored messages, newest first."""
    folder = directory or default_directory()
    if not folder.is_dir():
        return []
    names = (path.stem for path in folder.glob("*.eml"))
    return sorted((name for name in names if MAIL_ID.match(name)), reverse=True)


def load(mail_id, directory=None):
    """The stored message with this id, parsed; None for an unknown or malformed id."""
    if not MAIL_ID.match(mail_id or ""):
        return None
    path = (directory or default_directory()) / f"{mail_id}.eml"
    try:
        return parse(path.read_bytes())
    except FileNotFoundError:
        return None


# Reading a message -----------------------------------------------------------------


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_version(message):
    """The plain-text version, decoded (no quoted-printable soft line breaks)."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return part.get_content()
    html = html_version(message)
    return strip_tags(html).strip() if html else ""


def html_version(message):
    part = message.get_body(preferencelist=("html",))
    return part.get_content() if part is not None else ""


def attachments(message):
    """[(file name, content type, size in bytes)] of the message's attachments."""
    found = []
    for part in message.iter_attachments():
        if part.get_content_type() in ("text/plain", "text/html") and not part.get_filename():
            continue  # an alternative body, not an attachment
        payload = part.get_payload(decode=True) or b""
        found.append((part.get_filename() or "", part.get_content_type(), len(payload)))
    return found


def sent_at(message):
    """The message's Date header as an aware datetime; None when it has none."""
    try:
        return email.utils.parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        return None


def summary(message, mail_id):
    return {
        "sent_at": sent_at(message),
        "id": mail_id,
        "subject": str(message.get("Subject", "")),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "cc": str(message.get("Cc", "")),
        "reply_to": str(message.get("Reply-To", "")),
        "date": str(message.get("Date", "")),
    }


def console_text(message, mail_id):
    """What the terminal shows of a message: headers, parts, then the text, decoded."""
    head = summary(message, mail_id)
    lines = [RULE, f"Mail      {head['date']}"]
    for label, key in (("From", "from"), ("To", "to"), ("Cc", "cc"), ("Reply-To", "reply_to")):
        if head[key]:
            lines.append(f"{label + ':':<10}{head[key]}")
    lines.append(f"{'Subject:':<10}{head['subject']}")
    parts = ["text"] + (["HTML"] if html_version(message) else [])
    lines.append(
        f"{'Parts:':<10}{', '.join(parts)}; read it at {settings.SITE_URL}/dev/mail/{mail_id}/"
    )
    for name, content_type, size in attachments(message):
        lines.append(f"{'Attached:':<10}{name or '(no name)'} ({content_type}, {size:,} bytes)")
    lines += ["", text_version(message).rstrip(), RULE, ""]
    return "\n".join(lines)
