"""Driving Debian's Chromium from tests: the report, the Datasette pages, any page served
on 127.0.0.1.

Playwright drives the browser the machine has (``chromium``, or ``$RAIDLOG_CHROMIUM``)
through ``executable_path``, so nothing is downloaded; each page gets a fresh profile and
no background networking, so the only requests are the page's own. Without Chromium a
test fails under ``CI`` (CI must never pass because the browser is missing) and is
skipped elsewhere, saying how to install it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM_FLAGS", "chromium", "chromium_page", "free_port", "serving", "wait_for"]

#: Chromium's switches for a quiet, offline headless run (without the networking ones it
#: calls out to Google's hosts at every start).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: How long a server may take to answer its first request.
START_SECONDS = 60.0


def chromium() -> str:
    """The Chromium executable; skips the test, or fails it under ``CI``, without one."""
    found = os.environ.get("RAIDLOG_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    message = "Chromium is not installed: apt-get install chromium (scripts/check does in CI)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def chromium_page(profile: Path, *, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A Playwright page of a headless Chromium whose user data lives in ``profile`` (a
    fresh folder), closed afterwards."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport={"width": width, "height": height},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = START_SECONDS) -> None:
    """Poll ``url`` until it answers 200; fail with the server's output if it exits, or
    if it stays silent for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"the server exited with {process.returncode}:\n{output}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=2) as response,  # a server of the test's own
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
