"""Tamper evidence in PostgreSQL: someone who can disable the triggers and edit, delete or
reorder events directly is still caught by verify(), which names the first broken event."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql
from raidlog_postgres import SCHEMA_VERSION

import raidlog
from raidlog import Action, Body, Decision, Risk
from raidlog.errors import BackendError
from raidlog.model.profile import PROFILE_REF

Raw = psycopg.Connection[tuple[object, ...]]

CASES = {
    "edited": (["UPDATE {t} SET actor = 'mallory' WHERE seq = 2"], 2, "edited"),
    "deleted": (["DELETE FROM {t} WHERE seq = 2"], 3, "missing or out of order"),
    "reordered": (
        [
            "UPDATE {t} SET seq = 1000 WHERE seq = 2",
            "UPDATE {t} SET seq = 2 WHERE seq = 3",
            "UPDATE {t} SET seq = 3 WHERE seq = 1000",
        ],
        2,
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_event_tampering_is_named(
    location: str, schema: str, raw: psycopg.Connection[tuple[object, ...]], case: str
) -> None:
    with raidlog.open(location, actor="ana") as reg:
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.update(risk, impact=4, reason="worse")
        reg.add(Action(title="Chase"))
    table = sql.Identifier(schema, "events")
    statements, seq, words = CASES[case]
    with raw.transaction():
        raw.execute(sql.SQL("ALTER TABLE {t} DISABLE TRIGGER ALL").format(t=table))
        for statement in statements:
            raw.execute(sql.SQL(statement).format(t=table))  # type: ignore[arg-type]  # fixed test SQL
        raw.execute(sql.SQL("ALTER TABLE {t} ENABLE TRIGGER ALL").format(t=table))
    with raidlog.open(location, actor="auditor") as reg:
        problem = reg.verify().first_broken
    assert problem is not None
    assert problem.seq == seq
    assert words in problem.reason


# a frozen decision cannot be rewritten from psql, in one UPDATE or several ----------------
# (the attacker here cannot disable triggers; one who can is caught by verify, above)
def _step(column: str, value: str) -> str:
    """Set ``column`` and the same field of ``doc`` (so the row still reads as an item)."""
    return (
        f"UPDATE {{t}} SET {column} = '{value}', "
        f"doc = jsonb_set(doc::jsonb, '{{{{{column}}}}}', to_jsonb('{value}'::text))::json "
        "WHERE ref = 'D-0001'"
    )


REWRITES = {
    "status then text": [_step("status", "proposed"), _step("title", "Go with vendor B")],
    "text with a status change": [
        "UPDATE {t} SET status = 'superseded', title = 'Go with vendor B' WHERE ref = 'D-0001'"
    ],
    "back to proposed": [_step("status", "proposed")],
    "rejected reopened": [_step("status", "proposed")],
}


def _decision(reg: raidlog.Register, case: str) -> None:
    decision = reg.add(Decision(title="Go with vendor A", decision="Vendor A"))
    reg.transition(decision, "rejected" if case.startswith("rejected") else "accepted")


def _rewrite(raw: Raw, schema: str, statements: list[str]) -> None:
    table = sql.Identifier(schema, "items")
    with raw.transaction():
        for statement in statements:
            raw.execute(sql.SQL(statement).format(t=table))  # type: ignore[arg-type]  # fixed test SQL


@pytest.mark.parametrize("case", sorted(REWRITES))
def test_a_frozen_decision_cannot_be_rewritten_by_changing_its_status_first(
    location: str, schema: str, raw: Raw, case: str
) -> None:
    with raidlog.open(location, actor="ana") as reg:
        _decision(reg, case)
        before = reg.get("D-0001")
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="cannot be edited"):
        _rewrite(raw, schema, REWRITES[case])
    with raidlog.open(location, actor="auditor") as reg:
        assert reg.get("D-0001") == before
        assert reg.verify().ok


def test_raidlog_still_supersedes_an_escalated_accepted_decision(location: str) -> None:
    with raidlog.open(location, actor="ana") as reg:
        reg.put_body(Body(name="ExCo"))
        decision = reg.add(Decision(title="Go with vendor A", decision="Vendor A"))
        reg.escalate(decision, "ExCo", reason="board to decide")
        reg.transition(reg.get("D-0001"), "accepted")
        reg.supersede(reg.get("D-0001"), Decision(title="Go with vendor B"))
        assert reg.get("D-0001").status == "superseded"
        assert reg.get("D-0001").escalated_to == ("ExCo",)
        assert reg.verify().ok


# What schema version 2 created: any change of status let the whole row through.
_VERSION_2_TRIGGER = (
    "DROP TRIGGER decisions_immutable ON {s}.items",
    """CREATE OR REPLACE FUNCTION {s}.refuse_decision_edit() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'raidlog: decision % is accepted and cannot be edited', OLD.ref
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER decisions_immutable BEFORE UPDATE ON {s}.items
        FOR EACH ROW WHEN (OLD.kind = 'decision' AND OLD.status = 'accepted')
        EXECUTE FUNCTION {s}.refuse_decision_edit()""",
    "UPDATE {s}.meta SET value = '2' WHERE key = 'schema_version'",
)


def test_a_version_2_register_gets_the_strict_trigger_when_opened(
    location: str, schema: str, raw: Raw
) -> None:
    with raidlog.open(location, actor="ana") as reg:
        _decision(reg, "accepted")
    with raw.transaction():
        for statement in _VERSION_2_TRIGGER:
            raw.execute(sql.SQL(statement).format(s=sql.Identifier(schema)))  # type: ignore[arg-type]  # fixed test SQL
    with raidlog.open(location, actor="ana") as reg:  # migrates to the current version
        assert reg.get("D-0001").status == "accepted"
        assert reg.verify().ok  # a register written before the audit passes it
    version = raw.execute(
        sql.SQL("SELECT value FROM {} WHERE key = 'schema_version'").format(
            sql.Identifier(schema, "meta")
        )
    ).fetchone()
    assert version == (str(SCHEMA_VERSION),)
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="cannot be edited"):
        _rewrite(raw, schema, REWRITES["status then text"])


# rows verify cannot decode are reported, and verify goes on -------------------------------
DAMAGE = {
    "item time not a time": (
        "items",
        """UPDATE {t} SET doc = jsonb_set(doc::jsonb, '{{created_at}}', '"soon"')::json
           WHERE ref = 'A-0001'""",
    ),
    "item field of the wrong type": (
        "items",
        """UPDATE {t} SET doc = jsonb_set(doc::jsonb, '{{tags}}', '7')::json
           WHERE ref = 'A-0001'""",
    ),
    "event changes not a list of changes": (
        "events",
        """UPDATE {t} SET changes = '{{"impact": 4}}' WHERE seq = 2""",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_rows_verify_cannot_read_are_reported_not_raised(
    location: str, schema: str, raw: Raw, case: str
) -> None:
    with raidlog.open(location, actor="ana") as reg:
        risk = reg.add(Risk(title="Supplier late", probability=3, impact=3))
        reg.update(risk, impact=4, reason="worse")
        reg.add(Action(title="Chase"))
    table_name, statement = DAMAGE[case]
    table = sql.Identifier(schema, table_name)
    with raw.transaction():
        raw.execute(sql.SQL("ALTER TABLE {t} DISABLE TRIGGER ALL").format(t=table))
        raw.execute(sql.SQL(statement).format(t=table))  # type: ignore[arg-type]  # fixed test SQL
        raw.execute(sql.SQL("ALTER TABLE {t} ENABLE TRIGGER ALL").format(t=table))
    with raidlog.open(location, actor="auditor") as reg:
        report = reg.verify()
        assert not report.ok
        damaged = [p for p in report.problems if "cannot be read" in p.reason]
        assert [p.table for p in damaged] == [table_name], report.problems
        if table_name == "events":
            assert damaged[0].seq == 2
            with pytest.raises(BackendError, match="event 2 cannot be read"):
                list(reg.events())
        else:
            assert damaged[0].ref == "A-0001"
            assert report.items_checked == 2
            with pytest.raises(BackendError, match="A-0001 in table items cannot be read"):
                reg.get("A-0001")


def test_a_profile_edited_in_the_meta_table_is_reported_and_not_obeyed(
    location: str, schema: str, raw: psycopg.Connection[tuple[object, ...]]
) -> None:
    with raidlog.open(location, actor="ana") as reg:
        decision = reg.transition(reg.add(Decision(title="Dual source")), "accepted")
        rules = dict(reg.profile.source)
    forged = json.loads(json.dumps(rules))
    forged["lifecycle"]["decision"]["frozen"] = []
    for band in forged["bands"]:
        band["rag"] = "green"
    with raw.transaction():
        raw.execute(
            sql.SQL("UPDATE {t} SET value = %s WHERE key = 'profile'").format(
                t=sql.Identifier(schema, "meta")
            ),
            (json.dumps(forged),),
        )
    with raidlog.open(location, actor="mallory") as reg:
        assert reg.profile.source == rules
        problem = reg.verify().first_broken
        assert problem is not None
        assert problem.ref == PROFILE_REF
        with pytest.raises(raidlog.ImmutableItemError):
            reg.update(reg.get(decision.ref or ""), decision="rewritten")
        assert reg.add(Risk(title="Severe", probability=5, impact=5)).rag == "red"
        assert reg.verify().ok
