"""copy between real stores: every installed file backend, there and back with history.

Runs for each built-in file store that is installed (SQLite's ``raid.db``, the Excel
workbook's ``raid.xlsx``); a store not installed yet is skipped, saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import raidlog
from raidlog.errors import BackendNotFoundError
from raidlog.export import load_json, write_jsonl
from raidlog.plugins import find_backend, get_plugin_manager

from ..export.conftest import build  # noqa: TID252  # one sample register for every export test
from .conftest import Cli


def _store(tmp_path: Path, name: str) -> str:
    location = str(tmp_path / name)
    try:
        find_backend(get_plugin_manager(), location)
    except BackendNotFoundError:
        pytest.skip(f"no backend for {name} is installed")
    return location


@pytest.mark.parametrize("name", ["raid.db", "raid.xlsx"])
def test_memory_to_store_to_json_to_memory(tmp_path: Path, name: str) -> None:
    location = _store(tmp_path, name)
    with raidlog.open("memory:", actor="ana") as source:
        build(source)
        with raidlog.open(location, actor="ana") as stored:
            source.copy_to(stored)
        with raidlog.open(location, actor="bo") as reopened:
            assert list(reopened.items()) == list(source.items())
            report = reopened.verify()
            assert report.ok, report.problems
            dump = tmp_path / "raid.jsonl"
            write_jsonl(reopened, dump)
        with raidlog.open("memory:", actor="cy") as back:
            load_json(dump, back)
            assert list(back.items()) == list(source.items())
            assert back.verify().head_hash == source.verify().head_hash


@pytest.mark.parametrize("name", ["raid.db", "raid.xlsx"])
def test_the_copy_command_between_stores(cli: Cli, tmp_path: Path, name: str) -> None:
    location = _store(tmp_path, name)
    cli("init", "shared:src")
    cli("add", "shared:src", "risk", "--title", "Copied with its history")
    cli("update", "shared:src", "R-0001", "--field", "owner=Dee", "--reason", "handover")
    cli("copy", "shared:src", location)
    head = cli("verify", "shared:src", "--anchor").stdout.strip()
    cli("verify", location, "--expect", head)
    events = cli("history", location, "R-0001", "--json").stdout
    assert "handover" in events
