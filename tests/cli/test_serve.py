"""``raidlog serve``: Datasette with the datasette-raidlog pages, on 127.0.0.1 by default."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import raidlog
from raidlog import Body, Risk
from raidlog.cli import main
from raidlog.testing.browser import free_port

START_SECONDS = 60.0


@pytest.fixture
def register(tmp_path: Path) -> Path:
    path = tmp_path / "raid.db"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.put_body(Body(name="Board"))
        reg.add(Risk(title="Vendor late", body="Board", probability=3, impact=4))
    return path


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # a local test server
            return str(response.read().decode())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_serve_starts_datasette_with_the_register_pages(register: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "raidlog", "serve", str(register), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline, page = time.monotonic() + START_SECONDS, None
        while page is None and time.monotonic() < deadline and server.poll() is None:
            page = _get(f"http://127.0.0.1:{port}/-/raidlog/raid/body/Board")
            time.sleep(0.2)
        assert server.poll() is None, "raidlog serve exited early"
        assert page is not None, f"nothing answered on 127.0.0.1:{port}"
        assert "<title>Board: RAID register raid</title>" in page
        assert "R-0001" in page
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/-/raidlog" in output.decode()


def test_serve_binds_to_127_0_0_1_by_default(
    register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasette import cli as datasette_cli

    seen: dict[str, Any] = {}
    monkeypatch.setattr(datasette_cli.serve, "main", lambda **kwargs: seen.update(kwargs))
    result = CliRunner().invoke(main, ["serve", str(register)])
    assert result.exit_code == 0, result.output
    assert seen["args"] == [str(register), "--host", "127.0.0.1", "--port", "8001"]
    result = CliRunner().invoke(main, ["serve", str(register), "--host", "0.0.0.0", "--port", "9"])
    assert result.exit_code == 0, result.output
    assert seen["args"][1:] == ["--host", "0.0.0.0", "--port", "9"]


def test_serve_says_what_to_install_without_the_plugin(
    register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "datasette_raidlog", None)  # as if not installed
    result = CliRunner().invoke(main, ["serve", str(register)])
    assert result.exit_code == 1
    assert "datasette-raidlog is not installed" in result.stderr
    assert "pip install datasette-raidlog" in result.stderr


def test_serve_refuses_a_file_that_is_not_a_register(tmp_path: Path) -> None:
    missing = CliRunner().invoke(main, ["serve", str(tmp_path / "nope.db")])
    assert missing.exit_code == 1
    assert "no register in this file" in missing.stderr
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    with conn:
        conn.execute("create table things (name text)")
    conn.close()
    foreign = CliRunner().invoke(main, ["serve", str(other)])
    assert foreign.exit_code == 1
    assert "not a raidlog register" in foreign.stderr
    remote = CliRunner().invoke(main, ["serve", "postgresql://127.0.0.1/test"])
    assert remote.exit_code == 1
    assert "SQLite register file" in remote.stderr
