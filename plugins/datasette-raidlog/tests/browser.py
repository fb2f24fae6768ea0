"""Serving a register with Datasette on 127.0.0.1 for the browser tests; Chromium and the
server helpers are :mod:`raidlog.testing.browser`'s, shared with the report's tests."""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["datasette_command"]


def datasette_command(path: Path, port: int) -> list[str]:
    """Datasette itself (not ``raidlog serve``) serving ``path`` on 127.0.0.1."""
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
