"""A tiny SMTP server that keeps what it receives: the mail server of the drills and tests.

    .venv/bin/python bench/smtp_sink.py --port 2525 --out /tmp/mail.jsonl [--refuse]

Speaks the part of SMTP that Django's smtp backend uses (EHLO/HELO, MAIL, RCPT, DATA,
RSET, NOOP, QUIT), without TLS or authentication, on 127.0.0.1 only. Each message
accepted is kept in `messages` and, with `--out`, appended to a JSON-lines file as it
arrives, so a drill can count what got through even if the sink is stopped. With
`--refuse` (or `refuse=True`) every recipient is refused the way Postfix does it,
with the address in the reply, which is what a mail-failure log line gets to see.

Standard library only (asyncio), so the drills need nothing installed.
"""

import argparse
import asyncio
import email
import email.policy
import json
import threading
import time

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def parse_message(raw):
    """The parts a drill or test looks at: sender, recipients, subject and plain text."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return {
        "subject": str(message.get("Subject", "")),
        "to_header": str(message.get("To", "")),
        "text": body.get_content() if body is not None else "",
    }


class SmtpSink:
    """Serves SMTP on 127.0.0.1:`port` in a background thread (`start`/`stop`)."""

    def __init__(self, port=0, *, out=None, refuse=False):
        self.port = port
        self.out = out
        self.refuse = refuse
        self.messages = []
        self.refused = []
        self._lock = threading.Lock()
        self._loop = None
        self._server = None
        self._thread = None
        self._ready = threading.Event()

    # Running

    def start(self):
        self._thread = threading.Thread(target=self._run, name="smtp-sink", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._server is None:
            raise RuntimeError(f"The SMTP sink could not listen on 127.0.0.1:{self.port}")
        return self

    def stop(self):
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _run(self):
        self._loop = asyncio.new_event_loop()
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._session, "127.0.0.1", self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
        except OSError:
            self._server = None
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

    # Keeping what arrives

    def _keep(self, sender, recipients, raw):
        record = {
            "received_at": time.time(),
            "from": sender,
            "to": recipients,
            **parse_message(raw),
        }
        with self._lock:
            self.messages.append(record)
            if self.out:
                with open(self.out, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")

    # One SMTP conversation

    async def _session(self, reader, writer):
        def reply(line):
            writer.write(line.encode() + b"\r\n")

        sender, recipients = None, []
        reply("220 127.0.0.1 smtp-sink ready")
        try:
            while True:
                await writer.drain()
                line = await reader.readline()
                if not line:
                    break
                command, _, argument = line.decode("utf-8", "replace").strip().partition(" ")
                verb = command.upper()
                if verb == "EHLO":
                    reply("250-127.0.0.1")
                    reply(f"250-SIZE {MAX_MESSAGE_BYTES}")
                    reply("250-8BITMIME")
                    reply("250 SMTPUTF8")
                elif verb == "HELO":
                    reply("250 127.0.0.1")
                elif verb == "MAIL":
                    sender, recipients = _address(argument), []
                    reply("250 2.1.0 Ok")
                elif verb == "RCPT":
                    if sender is None:
                        reply("503 5.5.1 Error: need MAIL command")
                        continue
                    address = _address(argument)
                    if self.refuse:
                        with self._lock:
                            self.refused.append(address)
                        reply(
                            f"550 5.1.1 <{address}>: Recipient address rejected: "
                            "User unknown in virtual mailbox table"
                        )
                    else:
                        recipients.append(address)
                        reply("250 2.1.5 Ok")
                elif verb == "DATA":
                    if not recipients:
                        reply("554 5.5.1 Error: no valid recipients")
                        continue
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    raw = await _read_data(reader)
                    if raw is None:
                        break
                    self._keep(sender, recipients, raw)
                    sender, recipients = None, []
                    reply("250 2.0.0 Ok: queued")
                elif verb == "RSET":
                    sender, recipients = None, []
                    reply("250 2.0.0 Ok")
                elif verb == "NOOP":
                    reply("250 2.0.0 Ok")
                elif verb == "QUIT":
                    reply("221 2.0.0 Bye")
                    break
                else:
                    reply("502 5.5.2 Error: command not recognized")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def _address(argument):
    """The address in `FROM:<a@b> SIZE=1` or `TO:<a@b>`."""
    _, _, rest = argument.partition(":")
    return rest.strip().split(" ")[0].strip("<>")


async def _read_data(reader):
    lines = []
    size = 0
    while True:
        line = await reader.readline()
        if not line:
            return None
        if line in (b".\r\n", b".\n"):
            return b"".join(lines)
        if line.startswith(b".."):
            line = line[1:]
        size += len(line)
        if size > MAX_MESSAGE_BYTES:
            return None
        lines.append(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--out", help="append each message as a JSON line to this file")
    parser.add_argument("--refuse", action="store_true", help="refuse every recipient")
    args = parser.parse_args()
    sink = SmtpSink(args.port, out=args.out, refuse=args.refuse).start()
    print(f"SMTP sink on 127.0.0.1:{sink.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
