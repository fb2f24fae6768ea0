"""Write a small SQLite register with the raidlog found on ``sys.path``.

Run with an earlier release's source first on the path to make a golden file of that
release's schema (see README.md in this folder)::

    PYTHONPATH=/tmp/raidlog-old/src python make_golden.py schema-1.db

Uses only the Register API that release 976a6e5 (schema version 1) already had, so the
same script makes every golden file: every built-in kind, typed links, an escalation, a
superseded decision, a materialised risk, a governance structure, and the events of all
of it, at fixed times. Beside ``NAME.db`` it writes ``NAME.json``: the items, structure
records and events as that release itself reads them back, in its own codec's dicts.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path

import pluggy

# Installed plugins of today's tree import modules an earlier release does not have: the
# golden file is made with that release's own built-in backends only.
pluggy.PluginManager.load_setuptools_entrypoints = lambda self, group, name=None: 0  # type: ignore[method-assign]  # a generator script, not library code

import raidlog  # noqa: E402  # after the patch above
from raidlog import Action, Assumption, Body, Decision, Dependency, Issue, Node, Risk  # noqa: E402

_ticks = count()
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def clock() -> datetime:
    """One minute later at each call: the events have fixed, increasing times."""
    return START + timedelta(minutes=next(_ticks))


def make(path: Path) -> None:
    """Create the register at ``path`` (which must not exist)."""
    if path.exists():
        raise SystemExit(f"{path} exists; golden files are made once")
    with raidlog.open(str(path), actor="ana", clock=clock) as reg:
        reg.put_node(Node(name="Programme X", level="programme", body="Programme Board"))
        reg.put_node(Node(name="Project A", level="project", parent="Programme X"))
        reg.put_body(Body(name="Programme Board", node="Programme X", score_tolerance=15))
        risk = reg.add(
            Risk(
                title="Supplier late",
                description="The main supplier may deliver the platform late.",
                owner="ana",
                node="Project A",
                probability=4,
                impact=4,
                due=date(2026, 12, 1),
                tags=("supply", "platform"),
                extra={"Legacy ID": "RSK-7"},
            )
        )
        action = reg.add(Action(title="Chase the supplier", owner="ben", node="Project A"))
        reg.link(action, "mitigates", risk, reason="the chase lowers the risk")
        reg.escalate(risk, "Programme Board", reason="score above the project's tolerance")
        reg.add(Assumption(title="The budget holds until March", owner="cy"))
        reg.add(Dependency(title="Identity service from Project B", owner="ana"))
        decision = reg.add(Decision(title="Use one register", owner="dee"))
        decision = reg.transition(decision, "accepted", reason="board meeting")
        reg.supersede(decision, Decision(title="Use one register per programme", owner="dee"))
        flaky = reg.add(Risk(title="Test rig unstable", probability=2, impact=3))
        reg.materialise(flaky, title="Test rig down", reason="it happened")
        reg.add(Issue(title="Build broken on main", owner="ben", priority="high"))
        reg.update(
            reg.get(action.ref or ""), title="Chase the supplier weekly", reason="board asked"
        )
        assert reg.verify().ok
    with raidlog.open(str(path), actor="ana") as reg:
        codec = reg.codec
        read_back = {
            "items": [codec.item_to_dict(item) for item in reg.items()],
            "entities": [codec.entity_to_dict(e) for e in reg.backend.entities()],
            "events": [codec.event_to_dict(event) for event in reg.events()],
        }
    text = json.dumps(read_back, indent=1, sort_keys=True, ensure_ascii=False)
    path.with_suffix(".json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    make(Path(sys.argv[1]))
