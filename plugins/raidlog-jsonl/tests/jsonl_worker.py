"""The fork server of the JSON Lines kill -9 test (``raidlog.testing.crash``).

Run as ``python jsonl_worker.py LOCATION``; each writer writes batches of ``BATCH`` risks.
"""

from __future__ import annotations

import sys

from raidlog.testing.crash import serve

BATCH = 5

if __name__ == "__main__":
    serve(sys.argv[1], batch=BATCH)
