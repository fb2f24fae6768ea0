"""A register written by the last release of schema 1 opens with today's plugin: migrated
to schema 2 (its objective, stored as a body then, becomes an objective), verified, and
read back as that release read it. The golden dump and how it was made: ``golden/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import raidlog_postgres
from psycopg import sql
from raidlog_postgres.schema import SCHEMA_VERSION

import raidlog
from raidlog.model.governance import Body

GOLDEN = Path(__file__).parent / "golden"


def _restore(server_url: str, schema: str) -> None:
    """Load the golden dump into ``schema`` (its own name swapped for the test's)."""
    text = (GOLDEN / "schema-1.sql").read_text(encoding="utf-8")
    # pg_dump fences its output with psql meta-commands (\restrict): not SQL, left out.
    dump = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("\\"))
    # The dump sets an empty search_path for its session: a connection of its own.
    with psycopg.connect(server_url) as conn:
        conn.execute(dump.replace("raidlog_golden_v1", schema))  # type: ignore[call-overload]  # a fixed file of our own


def _as_read_then(now: list[dict[str, Any]], then: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: doc.get(key) for key in old} for doc, old in zip(now, then, strict=True)]


def _entity_key(doc: dict[str, Any]) -> tuple[str, str]:
    return (doc["entity"], doc["name"])


def test_a_schema_1_register_is_migrated_and_reads_back_as_written(
    server_url: str, location: str, schema: str, raw: psycopg.Connection[tuple[object, ...]]
) -> None:
    _restore(server_url, schema)
    meta = sql.Identifier(schema, "meta")
    version = sql.SQL("SELECT value FROM {} WHERE key = 'schema_version'").format(meta)
    assert raw.execute(version).fetchone() == ("1",)
    expected = json.loads((GOLDEN / "schema-1.json").read_text(encoding="utf-8"))
    # Schema 1 kept the objective as a body: what that release read back says so.
    assert {(e["entity"], e["name"]) for e in expected["entities"]} >= {("objective", "O-1")}
    with raidlog.open(location, actor="ana", plugins=[raidlog_postgres]) as reg:
        report = reg.verify()
        assert report.ok, report.problems
        codec = reg.codec
        items = [codec.item_to_dict(item) for item in reg.items()]
        entities = [codec.entity_to_dict(entity) for entity in reg.backend.entities()]
        events = [codec.event_to_dict(event) for event in reg.events()]
        assert reg.structure().objectives["O-1"].title == "Ship the platform"
        reg.put_body(Body(name="O-1"))  # the name is no longer taken by the objective
        assert reg.verify().ok
    assert raw.execute(version).fetchone() == (str(SCHEMA_VERSION),)
    assert [i["ref"] for i in items] == [i["ref"] for i in expected["items"]]
    assert _as_read_then(items, expected["items"]) == expected["items"]
    # Schema 1 listed the objective among the bodies; compare in one order.
    then = sorted(expected["entities"], key=_entity_key)
    assert _as_read_then(sorted(entities, key=_entity_key), then) == then
    assert _as_read_then(events, expected["events"]) == expected["events"]
