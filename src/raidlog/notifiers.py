"""The notifiers raidlog ships: terminal, JSON Lines file and SMTP e-mail.

Each is a plugin object implementing the ``remind`` hook. They need configuration (a
stream, a path, a mail server), so they are not installed globally: pass them to
``raidlog.open(..., plugins=[...])``, or name them on the command line with
``raidlog remind LOCATION --notify SPEC`` where SPEC is ``terminal``, ``jsonl:PATH`` or
``smtp://[user[:password]@]host[:port]?from=ADDR&to=ADDR[,ADDR...][&starttls=1]``.
"""

from __future__ import annotations

import json
import smtplib
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from raidlog.errors import ValidationError
from raidlog.hookspecs import hookimpl

if TYPE_CHECKING:
    from raidlog.boards import Reminder
    from raidlog.register import Register

__all__ = [
    "JsonLinesNotifier",
    "SmtpNotifier",
    "TerminalNotifier",
    "format_reminders",
    "notifier_from_spec",
]

_HEADINGS = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "review_due": "Review due",
    "escalation_due": "Escalation due",
}


def format_reminders(reminders: Sequence[Reminder], register: Register) -> str:
    """Reminders as plain text, grouped by reason (what a terminal or an e-mail shows)."""
    if not reminders:
        return f"No reminders for {register.location}.\n"
    lines = [f"Reminders for {register.location} ({len(reminders)}):"]
    for reason, heading in _HEADINGS.items():
        group = [r for r in reminders if r.reason == reason]
        if not group:
            continue
        lines.append(f"\n{heading} ({len(group)}):")
        for r in group:
            owner = f" [{r.owner}]" if r.owner else ""
            lines.append(f"  {r.ref:<9} {r.title}{owner}: {r.detail}")
    return "\n".join(lines) + "\n"


class TerminalNotifier:
    """Writes reminders, grouped by reason, to a text stream (standard output)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    @hookimpl
    def remind(self, reminders: Sequence[Reminder], register: Register) -> None:
        """Print the reminders."""
        (self.stream or sys.stdout).write(format_reminders(reminders, register))


class JsonLinesNotifier:
    """Appends one JSON object per reminder to a file (for scripts and log shippers)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @hookimpl
    def remind(self, reminders: Sequence[Reminder], register: Register) -> None:
        """Append the reminders, each with the register and the time it was sent."""
        sent = datetime.now(UTC).isoformat()
        with self.path.open("a", encoding="utf-8") as out:
            for reminder in reminders:
                record = {"register": register.location, "sent_at": sent, **reminder.to_dict()}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


class SmtpNotifier:
    """Sends the reminders as one plain-text e-mail through an SMTP server."""

    def __init__(
        self,
        host: str,
        *,
        port: int = 25,
        sender: str,
        recipients: Sequence[str],
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 30.0,
    ) -> None:
        if not recipients:
            raise ValidationError("an SMTP notifier needs at least one recipient (to=...)")
        self.host, self.port = host, port
        self.sender, self.recipients = sender, list(recipients)
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def message(self, reminders: Sequence[Reminder], register: Register) -> EmailMessage:
        """The e-mail that :meth:`remind` sends."""
        msg = EmailMessage()
        msg["Subject"] = f"raidlog: {len(reminders)} reminders for {register.location}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg.set_content(format_reminders(reminders, register))
        return msg

    @hookimpl
    def remind(self, reminders: Sequence[Reminder], register: Register) -> None:
        """Send one e-mail listing the reminders (none when there is nothing to say)."""
        if not reminders:
            return
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(self.message(reminders, register))


def notifier_from_spec(spec: str) -> object:
    """Build a notifier from a command-line spec: ``terminal``, ``jsonl:PATH`` or
    ``smtp://[user[:password]@]host[:port]?from=ADDR&to=ADDR[,ADDR]&starttls=1``."""
    if spec == "terminal":
        return TerminalNotifier()
    if spec.startswith("jsonl:"):
        path = spec.removeprefix("jsonl:")
        if not path:
            raise ValidationError("jsonl: needs a file path, as in jsonl:reminders.jsonl")
        return JsonLinesNotifier(path)
    if spec.startswith("smtp://"):
        url = urlsplit(spec)
        query = parse_qs(url.query)
        sender = query.get("from", [""])[0]
        recipients = [a for value in query.get("to", []) for a in value.split(",") if a]
        if not url.hostname or not sender:
            raise ValidationError(f"{spec!r} needs a host and from=ADDR")
        return SmtpNotifier(
            url.hostname,
            port=url.port or 25,
            sender=sender,
            recipients=recipients,
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        )
    raise ValidationError(
        f"unknown notifier {spec!r}: use terminal, jsonl:PATH or smtp://host:port?from=..&to=.."
    )
