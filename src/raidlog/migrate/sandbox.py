"""Parse a spreadsheet in a child process with memory, CPU and wall-clock limits.

Readers of hostile files can abort the whole interpreter (python-calamine was seen
asking for 512 GiB on a 4 KB file), so they never run in the importing process. The
child (:mod:`raidlog.migrate.child`, started by :data:`BOOT`) writes the cells on stdout in
MessagePack frames while it reads (no JSON round trip; see :mod:`raidlog.migrate.read`),
and this process decodes them as they come, against the types it expects; a child that
dies, overruns a limit or says anything else is a rejected file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import attrs

from raidlog.errors import ImportRejected
from raidlog.migrate.preflight import Limits, Preflight
from raidlog.migrate.read import Unpacker

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


#: The child's start: ``raidlog`` and ``raidlog.migrate`` become bare packages (their
#: ``__init__`` would import all of raidlog, half a second, for a reader that needs three
#: modules), then :func:`raidlog.migrate.child.run` reads. Arguments: the two package
#: folders, then the child's own.
BOOT = (
    "import sys, types\n"
    "for name, where in (('raidlog', sys.argv[1]), ('raidlog.migrate', sys.argv[2])):\n"
    "    module = types.ModuleType(name)\n"
    "    module.__path__ = [where]\n"
    "    sys.modules[name] = module\n"
    "from raidlog.migrate.child import run\n"
    "run(sys.argv[3:])\n"
)
_MIGRATE = Path(__file__).resolve().parent


def parse(checked: Preflight, limits: Limits | None = None) -> Book:
    """Read the file pre-flight accepted, in a limited child process."""
    limits = limits or Limits()
    name = checked.path.name
    command = [
        sys.executable,
        "-c",
        BOOT,
        str(_MIGRATE.parent),
        str(_MIGRATE),
        str(checked.path),
        checked.format,
        json.dumps(attrs.asdict(limits)),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONHASHSEED"] = "0"
    preexec = (lambda: _limit(limits)) if os.name == "posix" else None
    child = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=preexec,
    )
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(child.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    late = threading.Event()

    def stop() -> None:
        late.set()
        child.kill()

    timer = threading.Timer(limits.wall_seconds, stop)
    timer.daemon = True
    timer.start()
    unpacker = Unpacker()
    garbled = stopped = False
    try:
        garbled = not _receive(child.stdout, unpacker, limits)  # type: ignore[arg-type]
        if garbled:  # what it says is no book: a child that died says why by its exit
            try:
                child.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                child.kill()  # a child still talking nonsense: nothing it says counts now
                stopped = True
    except BaseException:  # interrupted here (Ctrl-C): the child goes too
        child.kill()
        raise
    finally:
        code = child.wait()
        timer.cancel()
        drain.join()
        child.stdout.close()  # type: ignore[union-attr]
        child.stderr.close()  # type: ignore[union-attr]
    if late.is_set():
        raise ImportRejected(
            name, f"reading took longer than {limits.wall_seconds:.0f} s and was stopped"
        )
    if code == 3 and unpacker.refusal is not None and not garbled:
        refusal = unpacker.refusal
        raise ImportRejected(name, refusal.reason, sheet=refusal.sheet, row=refusal.row)
    if code != 0 and not stopped:
        raise _failure(name, code, b"".join(errors))
    if garbled or unpacker.book is None:
        raise ImportRejected(name, "the reader returned something unreadable")
    return _book(unpacker.book)


def _receive(stream: IO[bytes], unpacker: Unpacker, limits: Limits) -> bool:
    """Feed ``unpacker`` the frames on ``stream`` as they come, until it ends; False when
    what comes is not frames of a book, or a frame is larger than any the limits allow."""
    largest = 8 * limits.max_text_chars + 16 * limits.max_cells + 1024 * 1024
    while True:
        head = stream.read(4)
        if not head:
            return True
        size = int.from_bytes(head, "big")
        if len(head) < 4 or not 0 < size <= largest:
            return False
        frame = stream.read(size)
        if len(frame) < size:
            return False
        try:
            unpacker.feed(frame)
        except ValueError:
            return False


def _failure(name: str, code: int, stderr: bytes) -> ImportRejected:
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
    said = stderr.decode("utf-8", "replace")
    last = said.strip().splitlines()[-1:] or ["no message"]
    # Under the memory limit a failure can also come as a library that cannot be loaded
    # (the loader cannot map it: "failed to map segment") or a failed allocation in C.
    out_of_memory = ("MemoryError", "failed to map segment", "Cannot allocate memory")
    if any(m in last[0] for m in out_of_memory) or "memory allocation" in said:
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
