"""Registers written by earlier releases open with today's code: migrated, verified, and
read back as those releases read them.

The golden files in ``golden/`` were made by the releases themselves (see its README):
``schema-N.db`` is a small register as the release that introduced schema version N
wrote it, ``schema-N.json`` its items, structure records and events as that release
read them back. Nothing here is built from today's model, so a change of the model or
of a migration that would lose or alter stored data fails these tests.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import raidlog
from raidlog.backends.sqlite import schema
from raidlog.model.items import Action, Risk

GOLDEN = Path(__file__).parent / "golden"
VERSIONS = (1, 2, 3)


def _copy(version: int, tmp_path: Path) -> Path:
    """A copy of a golden file to open (opening migrates it: the fixture stays as made)."""
    path = tmp_path / f"schema-{version}.db"
    shutil.copyfile(GOLDEN / f"schema-{version}.db", path)
    return path


def _expected(version: int) -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = json.loads(
        (GOLDEN / f"schema-{version}.json").read_text(encoding="utf-8")
    )
    return data


def _as_read_then(now: list[dict[str, Any]], then: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Today's dicts cut to the keys the earlier release had (fields added since take
    their defaults, which the release could not have stored)."""
    return [{key: doc.get(key) for key in old} for doc, old in zip(now, then, strict=True)]


def _catalogue(path: Path) -> set[tuple[str, str, str | None]]:
    conn = sqlite3.connect(path)
    try:
        return set(conn.execute("SELECT type, name, sql FROM sqlite_master"))
    finally:
        conn.close()


def _stored_version(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return str(row[0])
    finally:
        conn.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_the_golden_file_is_what_its_release_wrote(version: int) -> None:
    assert _stored_version(GOLDEN / f"schema-{version}.db") == str(version)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_register_of_an_earlier_release_is_migrated_and_verifies(
    version: int, tmp_path: Path
) -> None:
    path = _copy(version, tmp_path)
    with raidlog.open(str(path), actor="ana") as reg:
        report = reg.verify()
        assert report.ok, report.problems
    assert _stored_version(path) == str(schema.SCHEMA_VERSION)


@pytest.mark.parametrize("version", VERSIONS)
def test_items_structure_and_events_read_back_as_their_release_read_them(
    version: int, tmp_path: Path
) -> None:
    expected = _expected(version)
    with raidlog.open(str(_copy(version, tmp_path)), actor="ana") as reg:
        codec = reg.codec
        items = [codec.item_to_dict(item) for item in reg.items()]
        entities = [codec.entity_to_dict(entity) for entity in reg.backend.entities()]
        events = [codec.event_to_dict(event) for event in reg.events()]
    assert [i["ref"] for i in items] == [i["ref"] for i in expected["items"]]
    assert _as_read_then(items, expected["items"]) == expected["items"]
    assert _as_read_then(entities, expected["entities"]) == expected["entities"]
    assert _as_read_then(events, expected["events"]) == expected["events"]


def test_the_golden_registers_hold_every_kind_links_and_escalations() -> None:
    # What the fixtures cover, so a regenerated file cannot quietly cover less.
    items = _expected(1)["items"]
    assert {i["kind"] for i in items} == {
        "risk",
        "action",
        "issue",
        "decision",
        "assumption",
        "dependency",
    }
    relations = {link["relation"] for i in items for link in i["links"]}
    assert {"mitigates", "materialised_as", "supersedes"} <= relations
    assert any(i["escalated_to"] for i in items)
    assert {e["entity"] for e in _expected(1)["entities"]} == {"node", "body"}
    assert {e["action"] for e in _expected(1)["events"]} >= {"add", "update", "escalate"}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_migrated_register_has_the_schema_of_a_new_one(version: int, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    raidlog.open(str(fresh), actor="ana").close()
    migrated = _copy(version, tmp_path)
    raidlog.open(str(migrated), actor="ana").close()
    assert _catalogue(migrated) == _catalogue(fresh)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_migrated_register_takes_writes_and_searches(version: int, tmp_path: Path) -> None:
    path = _copy(version, tmp_path)
    with raidlog.open(str(path), actor="ana") as reg:
        risk = reg.add(Risk(title="Key person leaves", probability=3, impact=5))
        action = reg.add(Action(title="Pair on the release"))
        reg.link(action, "mitigates", risk)
        assert [r.title for r in reg.query(text="supplier", kind="risk")] == ["Supplier late"]
        assert [r for r, _, _ in reg.links(risk)] == [action.ref]
        assert reg.query(body="Programme Board")[0].title == "Supplier late"
        assert reg.verify().ok
    with raidlog.open(str(path), actor="ana") as reg:
        assert reg.get(risk.ref or "").title == "Key person leaves"


def test_a_new_register_has_a_column_for_every_field_of_the_model(tmp_path: Path) -> None:
    # The schema is literal DDL plus migrations: a field added to the model without a
    # migration that adds its column shows here first.
    path = tmp_path / "raid.db"
    raidlog.open(str(path), actor="ana").close()
    conn = sqlite3.connect(path)
    try:
        for spec in schema.table_specs().values():
            stored = [row[1] for row in conn.execute(f"PRAGMA table_info({spec.name})")]
            assert stored == ["id", *spec.names], spec.name
    finally:
        conn.close()
