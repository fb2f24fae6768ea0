"""Serving a register with Datasette on 127.0.0.1 and driving Debian's Chromium.

The Chromium flags and the skip-or-fail rule are those of the report's browser test
(``tests/report/test_browser.py``): Debian's ``chromium`` through Playwright's
``executable_path`` (no browser download), a fresh profile, no background networking.
Without Chromium the test fails in CI (``CI`` set) and is skipped elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: How long a server may take to answer its first request.
START_SECONDS = 60.0


def chromium() -> str:
    """Debian's Chromium (or ``$RAIDLOG_CHROMIUM``); skips, or fails in CI, without it."""
    found = os.environ.get("RAIDLOG_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    message = "Chromium is not installed: apt-get install chromium (scripts/check does in CI)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = START_SECONDS) -> None:
    """Poll ``url`` until it answers 200; fail with the server's output if it exits
    or stays silent for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"the server exited with {process.returncode}:\n{output}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {seconds:.0f} s")


@contextlib.contextmanager
def serving(command: Sequence[str], probe: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (a server), wait until ``probe`` answers, stop it afterwards."""
    process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(probe, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


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
