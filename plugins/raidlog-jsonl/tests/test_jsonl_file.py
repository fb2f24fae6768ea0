"""What is specific to the JSON Lines file: its layout, atomic saves, versions."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import raidlog_jsonl

import raidlog
from raidlog.errors import BackendError, SchemaVersionError
from raidlog.plugins import get_plugin_manager, plugin_versions


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_a_change_is_one_item_line_plus_its_events_in_a_diff(tmp_path: Path) -> None:
    path = tmp_path / "raid.jsonl"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add_many([raidlog.Risk(title="first"), raidlog.Risk(title="second")])
        before = _lines(path)
        reg.update(reg.get("R-0002"), title="second, reworded")
        after = _lines(path)
    assert json.loads(after[0])["format"] == "raidlog-jsonl"
    assert after[:2] == before[:2]  # the header (counters unchanged) and R-0001
    assert after[2] != before[2]
    assert "second, reworded" in after[2]
    assert after[3:-1] == before[3:]  # the old events stay as they were
    assert json.loads(after[-1])["event"]["action"] == "update"


def test_a_failed_save_leaves_the_previous_file_and_no_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raid.jsonl"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(raidlog.Risk(title="kept"))
        before = path.read_bytes()

        def disk_full(src: object, dst: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", disk_full)
        with pytest.raises(BackendError, match=r"raid\.jsonl.*No space"):
            reg.add(raidlog.Risk(title="lost with the failed save"))
        monkeypatch.undo()
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["raid.jsonl", "raid.jsonl.lock"]
        assert [i.title for i in reg.items()] == ["kept"]


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "raid.jsonl"
    path.write_text('{"format": "raidlog-jsonl", "version": 2}\n', encoding="utf-8")
    with pytest.raises(SchemaVersionError, match="upgrade raidlog-jsonl"):
        raidlog.open(str(path), actor="ana")


def test_a_jsonl_file_that_is_not_a_register_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text('{"ref": "R-0001"}\n', encoding="utf-8")
    with pytest.raises(SchemaVersionError, match="not a raidlog JSON Lines register"):
        raidlog.open(str(path), actor="ana")
    assert _lines(path) == ['{"ref": "R-0001"}']


def test_the_jsonl_scheme_names_a_file_too(tmp_path: Path) -> None:
    with raidlog.open(f"jsonl:{tmp_path / 'raid.log'}", actor="ana") as reg:
        reg.add(raidlog.Action(title="x"))
    assert (tmp_path / "raid.log").exists()


def test_the_plugin_is_listed_with_its_version() -> None:
    assert "raidlog-jsonl 0.1.0" in plugin_versions(get_plugin_manager()).values()


def test_the_reference_plugin_stays_under_200_lines() -> None:
    """The plugin guide includes the source whole and promises it is short."""
    source = Path(raidlog_jsonl.__file__).read_text(encoding="utf-8")
    assert len(source.splitlines()) < 200


# damaged files ----------------------------------------------------------------------------
DAMAGE = {
    "a line cut short": lambda lines: [*lines[:2], lines[2][:-9], *lines[3:]],
    "an item that is not an object": lambda lines: [*lines[:1], '{"item": [1]}', *lines[2:]],
    "an item without its ref": lambda lines: [*lines[:1], '{"item": {}}', *lines[2:]],
    "a damaged header": lambda lines: ["{format", *lines[1:]],
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_file_is_a_backend_error_naming_it(tmp_path: Path, case: str) -> None:
    path = tmp_path / "raid.jsonl"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(raidlog.Risk(title="kept"))
    damaged = DAMAGE[case](_lines(path))
    path.write_text("\n".join(damaged) + "\n", encoding="utf-8")
    with (
        pytest.raises(BackendError, match=r"raid\.jsonl cannot be read"),
        raidlog.open(str(path), actor="ana") as reg,
    ):
        list(reg.items())
    assert _lines(path) == damaged  # nothing was written over it


def test_bytes_that_are_not_utf8_are_a_backend_error(tmp_path: Path) -> None:
    path = tmp_path / "raid.jsonl"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(raidlog.Risk(title="kept"))
    path.write_bytes(path.read_bytes() + b'{"item": "\xff"}\n')
    with (
        pytest.raises(BackendError, match=r"raid\.jsonl cannot be read.*utf-8"),
        raidlog.open(str(path), actor="ana") as reg,
    ):
        list(reg.items())


def test_an_unreadable_file_is_a_backend_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "raid.jsonl"
    with raidlog.open(str(path), actor="ana") as reg:
        reg.add(raidlog.Risk(title="kept"))
        real_open = Path.open

        def refused(self: Path, *args: object, **kwargs: object) -> object:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)  # type: ignore[call-overload]  # passed through

        monkeypatch.setattr(Path, "open", refused)
        with pytest.raises(BackendError, match=r"raid\.jsonl.*Permission denied"):
            list(reg.items())
