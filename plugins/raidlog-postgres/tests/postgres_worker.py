"""The fork server of the PostgreSQL kill -9 test (``raidlog.testing.crash``).

Run as ``python postgres_worker.py LOCATION``. Each writer holds one pooled connection,
writes batches of ``BATCH`` risks (through ``COPY``) and prints
``ready <its pid> <its server session's pid>``.
"""

from __future__ import annotations

import sys

from raidlog.register import Register
from raidlog.testing.crash import serve

BATCH = 32  # the smallest batch the backend sends through COPY


def _session(reg: Register) -> int:
    return int(reg.backend._read(lambda conn: conn.info.backend_pid))  # type: ignore[attr-defined]  # a PostgresBackend


if __name__ == "__main__":
    serve(sys.argv[1], batch=BATCH, options={"pool_size": 1}, ready=_session)
