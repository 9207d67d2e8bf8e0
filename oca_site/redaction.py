"""Donors' e-mail addresses kept out of the logs.

Logs go to places with weaker protection than the database (a hosting provider's log
store, a terminal, a bug report), yet the text of an error often quotes an address: a
mail server's 550 reply, Stripe refusing an address, a database error's detail. So
such text is passed through `redact_addresses` before it is logged or kept on a row,
and the console handler (settings.LOGGING) blanks any address that slips through.
"""

import logging
import re
import sys
import traceback

# An address as a mail server, Stripe or a database quotes it back, e.g. in
# `550 5.1.1 <ana@example.org>: ...` or `Invalid email address: ana@example.org`.
ADDRESS = re.compile(r"[^\s<>'\"(),;:]+@[^\s<>'\"(),;:]+")


def redact_addresses(text):
    """`text` with every e-mail address in it replaced by "[address]"."""
    return ADDRESS.sub("[address]", text)


def log_unexpected(log, message, *args):
    """Like `log.exception(message, *args)`, with any address in the traceback blanked.

    For errors that are bugs or outages rather than one mail's trouble, so the
    traceback is wanted; but a database or template error may quote a donor's address
    in its text, and a log line must never carry one.
    """
    trace = "".join(traceback.format_exception(sys.exception()))
    log.error(message + "\n%s", *args, redact_addresses(trace))


class RedactAddresses(logging.Filter):
    """A handler's filter: blanks addresses in a record's message and traceback.

    The last line of defence, for a record whose author forgot `redact_addresses`:
    it works on what the handler writes, so the records that reach other handlers
    (pytest's caplog among them) are checked by tests/test_logging_privacy.py instead.
    """

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:
            # A record whose arguments do not fit its format: the handler reports it
            # (logging.Handler.handleError) as it would without this filter.
            return True
        redacted = redact_addresses(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatted here, as logging.Formatter would, so that it can be redacted;
            # the formatter then writes this text instead of formatting it again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_addresses(record.stack_info)
        return True
