"""The sandboxed reader process: ``python -m raidlog.migrate.child PATH FORMAT LIMITS``.

Started by :func:`raidlog.migrate.sandbox.parse` under resource limits; writes the workbook
to stdout as MessagePack (:func:`~raidlog.migrate.read.pack_book`), or a JSON error with
exit code 3. Never imported by the package, so ``-m`` runs it cleanly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from raidlog.migrate.preflight import Limits
from raidlog.migrate.read import ReadError, pack_book, read_book

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Read ``path`` as ``fmt`` and write it packed (exit 3 with a JSON error)."""
    path, fmt, options = argv
    limits = Limits(**json.loads(options))
    try:
        packed = pack_book(read_book(Path(path), fmt, limits))
    except ReadError as exc:
        error = {"reason": exc.reason, "sheet": exc.sheet, "row": exc.row}
        sys.stdout.write(json.dumps(error))
        return 3
    except MemoryError:
        sys.stdout.write(json.dumps({"reason": "reading it needs more memory than allowed"}))
        return 3
    except Exception as exc:  # every parser failure is one rejection, whatever its type
        reason = f"the file is damaged or not a valid {fmt} file ({type(exc).__name__}: {exc})"
        sys.stdout.write(json.dumps({"reason": reason[:500]}))
        return 3
    sys.stdout.flush()
    sys.stdout.buffer.write(packed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
