"""Unsubscribes in the mailing tool, brought back: Mailchimp's export of unsubscribed
members (CSV with "Email Address", "UNSUB_TIME", ... as Mailchimp writes it).

The whole file is read and checked before anything is written: a file with a bad row
(no address, an address that is no address, a time that is no time) is refused with
the rows named, and nothing changes; a good file is applied in one transaction. Each
address found withdraws its donor's consent as of its UNSUB_TIME (now when the file
has no time), with the source "mailchimp import"; a consent given after that time
stands. Importing the same file twice changes nothing the second time.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .donors import find_donor
from .supporters import Withdrawal, withdraw_consent

EMAIL_COLUMN = "Email Address"
TIME_COLUMN = "UNSUB_TIME"
# Mailchimp writes times as "2026-11-20 14:03:11", in UTC.
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
MAX_BYTES = 20 * 1024 * 1024


class ImportRefused(Exception):
    """The file cannot be imported as it is; `errors` says why, row by row."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportResult:
    rows: int = 0
    withdrawn: int = 0  # people whose consent this import ended
    already: int = 0  # known people with no consent standing (nothing to do)
    unknown: int = 0  # addresses that are no donor of ours
    notes: list = field(default_factory=list)


def _parse_time(text):
    text = text.strip()
    if not text:
        return None
    for pattern in TIME_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
    raise ValueError(text)


def read_rows(data):
    """[(line, address, time or None)] from the file's bytes; raises ImportRefused."""
    if len(data) > MAX_BYTES:
        raise ImportRefused([_("The file is larger than 20 MB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            [_("The file is not UTF-8 text; export it again from Mailchimp.")]
        ) from None
    try:
        return _checked_rows(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error:  # such as a cell longer than the reader takes (128 KB)
        raise ImportRefused(
            [_("The file cannot be read as CSV; export it again from Mailchimp.")]
        ) from None


def _checked_rows(reader):
    """The rows of the file's reader, checked; raises ImportRefused naming the bad ones."""
    if not reader.fieldnames or EMAIL_COLUMN not in [n.strip() for n in reader.fieldnames]:
        raise ImportRefused([_("The file has no “%(column)s” column.") % {"column": EMAIL_COLUMN}])
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    rows, errors, now = [], [], timezone.now()
    for row in reader:
        line = reader.line_num
        address = (row.get(EMAIL_COLUMN) or "").strip()
        try:
            validate_email(address)
        except ValidationError:
            errors.append(
                _("Row %(line)s: “%(address)s” is not an e-mail address.")
                % {"line": line, "address": address[:80]}
            )
            continue
        try:
            at = _parse_time(row.get(TIME_COLUMN) or "")
        except ValueError:
            errors.append(
                _("Row %(line)s: “%(time)s” is not a time like 2026-11-20 14:03:11.")
                % {"line": line, "time": (row.get(TIME_COLUMN) or "")[:40]}
            )
            continue
        rows.append((line, address, min(at, now) if at else None))
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise ImportRefused([_("The file has no rows.")])
    return rows


def import_unsubscribes(data):
    """Withdraws the consent of everyone the file names; returns an ImportResult.

    Raises ImportRefused, having written nothing, when any row is bad. Moves no money.
    """
    rows = read_rows(data)
    result = ImportResult(rows=len(rows))
    with transaction.atomic():
        for _line, address, at in rows:
            donor = find_donor(address)
            if donor is None:
                result.unknown += 1
            elif withdraw_consent(donor, Withdrawal.MAILCHIMP, at=at):
                result.withdrawn += 1
            else:
                result.already += 1
    return result
