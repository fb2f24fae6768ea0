"""Tamper evidence in PostgreSQL: someone who can disable the triggers and edit, delete or
reorder events directly is still caught by verify(), which names the first broken event."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

import raidlog
from raidlog import Action, Decision, Risk
from raidlog.model.profile import PROFILE_REF

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
