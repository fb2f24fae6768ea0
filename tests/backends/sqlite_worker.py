"""A writer process for the SQLite multi-process tests (run with ``sys.executable``).

``contend LOCATION WORKER ROUNDS REF...``: update the given items, re-reading after
every conflict; print a JSON report of accepted writes and conflicts.
``churn LOCATION SEED``: write forever (adds, updates, links, transitions) after
printing ``ready``; the kill -9 test kills it at a random point.
"""

from __future__ import annotations

import json
import random
import sys
import time

import raidlog
from raidlog.model.items import Action, Risk


def contend(location: str, worker: int, rounds: int, refs: list[str]) -> None:
    rng = random.Random(worker)
    accepted: list[tuple[str, int, str]] = []
    conflicts = 0
    with raidlog.open(location, actor=f"worker-{worker}") as reg:
        for n in range(rounds):
            ref = rng.choice(refs)
            title = f"worker {worker} write {n}"
            while True:
                item = reg.get(ref)
                time.sleep(rng.uniform(0, 0.003))  # widen the read-to-write window
                try:
                    stored = reg.update(item, title=title)
                except raidlog.ConflictError:
                    conflicts += 1
                    continue
                accepted.append((ref, stored.version, title))
                break
    print(json.dumps({"accepted": accepted, "conflicts": conflicts}))


def churn(location: str, seed: int) -> None:
    rng = random.Random(seed)
    with raidlog.open(location, actor=f"churn-{seed}") as reg:
        print("ready", flush=True)
        n = 0
        while True:
            n += 1
            risks = reg.add_many(
                [Risk(title=f"risk {seed}.{n}.{k}", probability=2, impact=3) for k in range(5)]
            )
            action = reg.add(
                Action(title=f"action {seed}.{n}", links=[("mitigates", risks[0].ref)])
            )
            reg.update(risks[1], impact=rng.randint(1, 5), reason="new estimate")
            reg.transition(action, "in_progress")
            reg.escalate(risks[2], "ExCo", reason="big")


if __name__ == "__main__":
    mode, location = sys.argv[1], sys.argv[2]
    if mode == "contend":
        contend(location, int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    else:
        churn(location, int(sys.argv[3]))
