"""Write a small register into a PostgreSQL schema with the raidlog found on ``sys.path``,
and its read-back beside it; see README.md in this folder::

    PYTHONPATH=/tmp/old/src:/tmp/old/plugins/raidlog-postgres/src \
        python make_golden.py 'postgresql://postgres@127.0.0.1/test' schema-1.json

The register lands in the schema ``raidlog_golden_v1`` (which must not exist); dump it
with ``pg_dump`` afterwards. It holds every built-in kind, a link, an escalation, a
superseded decision, nodes, a body and an objective (which schema 1 stored as a body),
and the events of all of it, at fixed times.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pluggy

# The plugin is passed by hand: entry points of today's tree import modules the earlier
# release does not have.
pluggy.PluginManager.load_setuptools_entrypoints = lambda self, group, name=None: 0  # type: ignore[method-assign]  # a generator script, not library code

import raidlog_postgres  # noqa: E402

import raidlog  # noqa: E402  # after the patch above
from raidlog import Action, Assumption, Body, Decision, Dependency, Issue, Node, Objective, Risk  # noqa: E402

SCHEMA = "raidlog_golden_v1"
_ticks = count()


def clock() -> datetime:
    """One minute later at each call, from 2026-11-02 09:00 UTC."""
    return datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=next(_ticks))


def make(url: str, out: Path) -> None:
    location = f"{url}?schema={SCHEMA}"
    plugins = [raidlog_postgres]
    with raidlog.open(location, actor="ana", clock=clock, plugins=plugins) as reg:
        reg.put_node(Node(name="Programme X", level="programme", body="Programme Board"))
        reg.put_body(Body(name="Programme Board", node="Programme X", score_tolerance=15))
        reg.put_objective(Objective(name="O-1", title="Ship the platform", node="Programme X"))
        risk = reg.add(Risk(title="Supplier late", owner="ana", probability=4, impact=4))
        action = reg.add(Action(title="Chase the supplier", owner="ben"))
        reg.link(action, "mitigates", risk, reason="the chase lowers the risk")
        reg.escalate(risk, "Programme Board", reason="score above tolerance")
        reg.add(Assumption(title="The budget holds"))
        reg.add(Dependency(title="Identity service"))
        decision = reg.transition(reg.add(Decision(title="Use one register")), "accepted")
        reg.supersede(decision, Decision(title="Use one register per programme"))
        reg.add(Issue(title="Build broken", priority="high"))
        assert reg.verify().ok
    with raidlog.open(location, actor="ana", plugins=plugins) as reg:
        codec = reg.codec
        read_back = {
            "items": [codec.item_to_dict(item) for item in reg.items()],
            "entities": [codec.entity_to_dict(e) for e in reg.backend.entities()],
            "events": [codec.event_to_dict(event) for event in reg.events()],
        }
    text = json.dumps(read_back, indent=1, sort_keys=True, ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    make(sys.argv[1], Path(sys.argv[2]))
