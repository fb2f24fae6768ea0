"""Parse a spreadsheet in a child process with memory, CPU and wall-clock limits.

Readers of hostile files can abort the whole interpreter (python-calamine was seen
asking for 512 GiB on a 4 KB file), so they never run in the importing process. The
child (``python -m raidlog.migrate.child``) writes the cells on stdout as MessagePack
(no JSON round trip; see :func:`~raidlog.migrate.read.pack_book`); a child that dies,
overruns a limit or says anything else is a rejected file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import attrs

from raidlog.errors import ImportRejected
from raidlog.migrate.preflight import Limits, Preflight
from raidlog.migrate.read import unpack_book

__all__ = ["Book", "Sheet", "parse"]


@attrs.define(kw_only=True)
class Sheet:
    """One sheet as read: rows of cell values (0-based positions) and what styles said."""

    name: str
    visible: bool
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = attrs.Factory(list)
    hidden_rows: frozenset[int] = frozenset()
    fills: dict[tuple[int, int], str] = attrs.Factory(dict)
    formulas: frozenset[tuple[int, int]] = frozenset()
    #: Cells in a bold font (.xlsx and .xlsm only): section headings of a list of lines.
    bold: frozenset[tuple[int, int]] = frozenset()


@attrs.define(kw_only=True)
class Book:
    """Every sheet of a file, its date epoch and reading notes."""

    sheets: list[Sheet]
    epoch: int = 1900
    notes: list[str] = attrs.Factory(list)


def _limit(limits: Limits) -> None:  # pragma: no cover - runs in the child before exec
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parse(checked: Preflight, limits: Limits | None = None) -> Book:
    """Read the file pre-flight accepted, in a limited child process."""
    limits = limits or Limits()
    name = checked.path.name
    command = [
        sys.executable,
        "-m",
        "raidlog.migrate.child",
        str(checked.path),
        checked.format,
        json.dumps(attrs.asdict(limits)),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONHASHSEED"] = "0"
    preexec = (lambda: _limit(limits)) if os.name == "posix" else None
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            timeout=limits.wall_seconds,
            env=env,
            preexec_fn=preexec,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ImportRejected(
            name, f"reading took longer than {limits.wall_seconds:.0f} s and was stopped"
        ) from None
    if done.returncode != 0:
        raise _failure(name, done.returncode, done.stdout, done.stderr)
    try:
        payload = unpack_book(done.stdout)
    except ValueError:
        raise ImportRejected(name, "the reader returned something unreadable") from None
    return _book(payload)


def _failure(name: str, code: int, stdout: bytes, stderr: bytes) -> ImportRejected:
    if code == 3:
        try:
            error = json.loads(stdout)
            return ImportRejected(
                name, str(error["reason"]), sheet=error.get("sheet"), row=error.get("row")
            )
        except (ValueError, KeyError, TypeError):
            pass
    if code < 0:
        try:
            signame = signal.Signals(-code).name
        except ValueError:
            signame = f"signal {-code}"
        why = {
            "SIGXCPU": "it used more CPU time than allowed",
            "SIGKILL": "it was killed (memory or time limit)",
            "SIGABRT": "the reader aborted (typically a huge declared sheet size or memory limit)",
            "SIGSEGV": "the reader crashed",
        }.get(signame, f"it died with {signame}")
        return ImportRejected(name, f"the file could not be read safely: {why}")
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    if "MemoryError" in last[0] or "memory allocation" in stderr.decode("utf-8", "replace"):
        return ImportRejected(name, "the file could not be read safely: it needs too much memory")
    return ImportRejected(name, f"the file could not be read ({last[0][:300]})")


def _book(payload: dict[str, Any]) -> Book:
    sheets = []
    for data in payload["sheets"]:
        sheets.append(
            Sheet(
                name=str(data["name"]),
                visible=bool(data["visible"]),
                rows=data["rows"],
                merged=[(int(a), int(b), int(c), int(d)) for a, b, c, d in data["merged"]],
                hidden_rows=frozenset(int(r) for r in data["hidden_rows"]),
                fills={(int(r), int(c)): str(rag) for r, c, rag in data["fills"]},
                formulas=frozenset((int(r), int(c)) for r, c in data["formulas"]),
                bold=frozenset((int(r), int(c)) for r, c in data.get("bold", ())),
            )
        )
    return Book(sheets=sheets, epoch=int(payload["epoch"]), notes=list(payload["notes"]))
