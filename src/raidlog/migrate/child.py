"""The sandboxed reader process, started by :func:`raidlog.migrate.sandbox.parse`.

Run under resource limits as ``python -c BOOT RAIDLOG_DIR MIGRATE_DIR PATH FORMAT LIMITS``
(see :data:`raidlog.migrate.sandbox.BOOT`: it imports this module without running the
package ``__init__`` files, which would import all of raidlog for nothing) or as
``python -m raidlog.migrate.child PATH FORMAT LIMITS``. Writes the workbook to stdout in
MessagePack frames (rows while they are read; see :mod:`raidlog.migrate.read`), ending
with the rest of the book (exit code 0) or why the file is refused (exit code 3).
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path

from raidlog.migrate.preflight import Limits
from raidlog.migrate.read import ReadError, pack_end, pack_refusal, pack_rows, read_book

__all__ = ["main", "run"]


def main(argv: list[str]) -> int:
    """Read ``path`` as ``fmt``, writing its rows as they are read, then the rest of the
    book (exit 0), or why the file is refused (exit 3); see :mod:`raidlog.migrate.read`."""
    path, fmt, options = argv
    limits = Limits(**json.loads(options))
    out = sys.stdout.buffer

    def sink(index: int, rows: list[list[object]]) -> None:
        out.write(pack_rows(index, rows))

    # The cells make no reference cycles; without this the collector walks every row read
    # so far again and again (a fifth of the reading time of a large sheet).
    gc.disable()
    try:
        end = pack_end(read_book(Path(path), fmt, limits, sink))
    except ReadError as exc:
        out.write(pack_refusal(exc.reason, exc.sheet, exc.row))
        return 3
    except MemoryError:
        out.write(pack_refusal("reading it needs more memory than allowed"))
        return 3
    except Exception as exc:  # every parser failure is one rejection, whatever its type
        reason = f"the file is damaged or not a valid {fmt} file ({type(exc).__name__}: {exc})"
        out.write(pack_refusal(reason[:500]))
        return 3
    out.write(end)
    return 0


def run(argv: list[str]) -> None:  # pragma: no cover - runs in the child process
    """:func:`main`, then exit at once: freeing a large book cell by cell at interpreter
    exit takes longer than the parent would wait for nothing."""
    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run(sys.argv[1:])
