"""Board agendas, reminders and the notifiers that deliver them."""

import io
import json
import socket
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

import raidlog
from raidlog import Action
from raidlog.notifiers import JsonLinesNotifier, SmtpNotifier, TerminalNotifier, notifier_from_spec
from raidlog.register import Register

from .conftest import TODAY


def test_agenda_gathers_what_the_body_must_see(org: Register) -> None:
    org.escalate("R-0002", "Programme 1 board", reason="needs a decision on test kit")
    meeting = org.agenda("Programme 1 board", date(2026, 6, 1))
    assert meeting.since == date(2026, 5, 4)  # one 28-day cadence earlier
    assert [i.ref for i in meeting.new_escalations] == ["R-0002"]
    assert [e.item.ref for e in meeting.breaches] == ["R-0001"]
    assert [i.ref for i in meeting.decisions_awaiting] == ["D-0001"]
    assert meeting.overdue_actions == ()
    data = meeting.to_dict()
    assert data["breaches"][0]["reasons"] == ["breach: score 20 reaches the tolerance of 12"]
    assert {c["ref"] for c in data["changes"]} >= {"R-0001", "R-0002", "D-0001"}
    portfolio = org.agenda("Portfolio board", TODAY)
    assert [i.ref for i in portfolio.overdue_actions] == ["A-0001"]


def test_reminders_cover_every_reason(org: Register) -> None:
    org.add(Action(title="Book the board room", due=date(2026, 6, 5), node="P1.1"))
    found = org.reminders(today=TODAY, within_days=7)
    reasons = {(r.reason, r.ref) for r in found}
    assert ("overdue", "A-0001") in reasons
    assert ("due_soon", "A-0002") in reasons
    assert ("review_due", "R-0001") in reasons
    assert ("escalation_due", "R-0001") in reasons


class _Collector:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.reminders: list[Any] = []

    @raidlog.hookimpl
    def notify(self, events: Any, register: Register) -> None:
        self.events.append([e.ref for e in events])

    @raidlog.hookimpl
    def remind(self, reminders: Any, register: Register) -> None:
        self.reminders.extend(reminders)


class _Broken:
    @raidlog.hookimpl
    def notify(self, events: Any, register: Register) -> None:
        raise RuntimeError("webhook down")


def test_notify_is_called_after_each_committed_change(caplog: pytest.LogCaptureFixture) -> None:
    collector = _Collector()
    with raidlog.open("memory:", actor="a", plugins=[collector, _Broken()]) as reg:
        risk = reg.add(raidlog.Risk(title="x"))
        reg.update(risk, title="y")
        with pytest.raises(raidlog.ValidationError):
            reg.add(raidlog.Action(title="bad", priority="urgent"))
        assert collector.events == [["R-0001"], ["R-0001"]], "nothing for a failed write"
        assert reg.get("R-0001").title == "y", "a failing notifier undoes nothing"
        assert "webhook down" in caplog.text
        reg.send_reminders()
        assert collector.reminders == []


def test_terminal_and_jsonl_notifiers(org: Register, tmp_path: Path) -> None:
    found = org.reminders(today=TODAY)
    out = io.StringIO()
    TerminalNotifier(out).remind(found, org)
    assert "Overdue (1):" in out.getvalue()
    assert "A-0001" in out.getvalue()
    path = tmp_path / "reminders.jsonl"
    notifier = notifier_from_spec(f"jsonl:{path}")
    assert isinstance(notifier, JsonLinesNotifier)
    notifier.remind(found, org)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == len(found)
    assert lines[0]["register"] == "memory:"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[bytes]]]:
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_smtp_notifier_sends_one_mail(org: Register, smtp_server: tuple[int, list[bytes]]) -> None:
    port, received = smtp_server
    notifier = notifier_from_spec(
        f"smtp://127.0.0.1:{port}?from=raidlog@example.org&to=pmo@example.org,cfo@example.org"
    )
    assert isinstance(notifier, SmtpNotifier)
    notifier.remind(org.reminders(today=TODAY), org)
    (raw,) = received
    mail = message_from_bytes(raw)
    assert mail["To"] == "pmo@example.org, cfo@example.org"
    assert "reminders for memory:" in mail["Subject"]
    assert "A-0001" in mail.get_payload()


def test_bad_notifier_specs_are_clear() -> None:
    with pytest.raises(raidlog.ValidationError, match="unknown notifier"):
        notifier_from_spec("slack")
    with pytest.raises(raidlog.ValidationError, match="from=ADDR"):
        notifier_from_spec("smtp://host")
