"""Benchmarks of the PostgreSQL backend (plugins/raidlog-postgres), each against a
baseline measured in the same run.

    python bench/bench_postgres.py            # 100k add_many, 1M-item dashboard, 8 writers
    python bench/bench_postgres.py --quick    # small sizes, a smoke run (about a minute)

Scenarios (each in its own subprocess, so peak RSS is the scenario's own):

- ``add_many``: ``Register.add_many`` of N new items (all kinds, realistic text) into a
  new register, events and search words included, against a raw psycopg ``COPY`` of the
  same item rows into an equivalent table (same columns, indexes and generated
  ``tsvector``). Also the bulk copy path (``import_verbatim``: items and events) against
  a raw ``COPY`` of the same item and event rows.
- ``dashboard``: a 1,000,000-item register built through the backend's ``COPY`` path;
  four dashboard queries through the register against the same hand-written SQL run
  with psycopg returning the same rows.
- ``writers``: 8 processes update 50 shared items with conflict retries; updates per
  second, conflicts, and lost updates (must be 0), against one process doing the same.

The server is ``RAIDLOG_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each run works in its own schemas and drops them. Peak RSS is the Python process only.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import multiprocessing
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from raidlog_postgres.backend import PostgresBackend

import raidlog
from raidlog.backends.base import Transaction
from raidlog.model.items import BUILTIN_KINDS, Item, Risk
from raidlog.model.values import Rag
from raidlog.query import Query

URL = os.environ.get("RAIDLOG_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TODAY = date(2026, 6, 1)
BODIES = [f"Board {n}" for n in range(40)]
OWNERS = [f"owner{n}" for n in range(500)]
NODES = ["corporate"] + [f"programme-{n}" for n in range(20)]
NODES += [f"project-{p}-{n}" for p in range(20) for n in range(10)]


# data -----------------------------------------------------------------------------------
def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyzéü"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(4000)]
    return [*words, "supplier", "delay", "budget", "vendor", "migration", "café"]


def generate(
    count: int, *, seed: int, stored: bool, profile: raidlog.Profile, first: int = 0
) -> list[Item]:
    """``count`` items of every kind with realistic text; ``stored`` gives refs (numbered
    from ``first``) and versions, as the backend's bulk path receives them."""
    rng = random.Random(seed)
    vocab = _vocabulary(random.Random(0))
    made: list[Item] = []
    gc.disable()
    try:
        for n in range(count):
            cls = BUILTIN_KINDS[n % len(BUILTIN_KINDS)]
            raised = TODAY - timedelta(days=rng.randint(0, 700))
            fields: dict[str, Any] = {
                "title": " ".join(rng.choices(vocab, k=rng.randint(3, 9))),
                "description": " ".join(rng.choices(vocab, k=rng.randint(15, 60))),
                "owner": rng.choice(OWNERS),
                "raised_on": raised,
                "node": rng.choice(NODES[1:]),
                "body": rng.choice(BODIES),
                "escalated_to": tuple(rng.sample(BODIES, k=rng.choice((0, 0, 0, 1)))),
                "priority": rng.choice(("critical", "high", "medium", "low")),
                "due": raised + timedelta(days=rng.randint(0, 400)),
                "next_review": TODAY + timedelta(days=rng.randint(-60, 90)),
                "tags": tuple(
                    rng.sample(("finance", "it", "legal", "people"), k=rng.randint(0, 2))
                ),
            }
            if cls is Risk:
                fields.update(probability=rng.randint(1, 5), impact=rng.randint(1, 5))
            if stored:
                number = first + n + 1
                at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
                statuses = profile.lifecycle(cls.kind).statuses
                fields.update(
                    ref=f"{cls.ref_prefix}-{number:07d}",
                    version=1,
                    status=rng.choice(statuses),
                    rag=rng.choice(list(Rag)),
                    created_at=at,
                    created_by="bench",
                    updated_at=at,
                    updated_by="bench",
                )
                if cls is Risk:
                    fields["score"] = fields["probability"] * fields["impact"]
            made.append(cls(**fields))
    finally:
        gc.enable()
    return made


# helpers --------------------------------------------------------------------------------
def location(schema: str) -> str:
    return f"{URL}{'&' if '?' in URL else '?'}schema={schema}"


def drop(*schemas: str) -> None:
    with psycopg.connect(URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def raw_copy(
    schema: str,
    table: str,
    like: sql.Identifier,
    rows: list[tuple[Any, ...]],
    cols: Any,
    types: list[str] | None = None,
) -> float:
    """Seconds to COPY ``rows`` into a new table shaped like ``like`` (indexes included):
    psycopg's default text format, or binary when ``types`` are given."""
    target = sql.Identifier(schema, table)
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(target, like))
        start = time.perf_counter()
        binary = " (FORMAT BINARY)" if types is not None else ""
        statement = sql.SQL("COPY {} ({}) FROM STDIN" + binary).format(target, cols)
        with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
            if types is not None:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        return time.perf_counter() - start


# scenarios ------------------------------------------------------------------------------
def scenario_add_many(size: int, runs: int) -> dict[str, Any]:
    add, add_raw, add_raw_binary, add_raw_all, bulk, bulk_raw = [], [], [], [], [], []
    for run in range(runs):
        schemas = [f"raidlog_bench_{uuid.uuid4().hex[:10]}" for _ in range(3)]
        try:
            with raidlog.open(location(schemas[0]), actor="bench") as reg:
                items = generate(size, seed=run, stored=False, profile=reg.profile)
                add.append(timed(functools.partial(reg.add_many, items)))
                stored, events = list(reg.items()), list(reg.events())
                backend = reg.backend
                assert isinstance(backend, PostgresBackend)
                item_rows = [backend._item_row(i) for i in stored]
                event_rows = [backend._event_row(e) for e in events]
                items_table = sql.Identifier(schemas[0], "items")
                events_table = sql.Identifier(schemas[0], "events")
                add_raw.append(
                    raw_copy(schemas[2], "items", items_table, item_rows, backend._sql.item_columns)
                )
                # The same rows in binary COPY, as raidlog sends them (the rows here are
                # plain Python values, as psycopg takes them: raidlog's own encoding of
                # arrays and documents is part of what is measured, not of the baseline).
                add_raw_binary.append(
                    raw_copy(
                        schemas[2],
                        "items3",
                        items_table,
                        item_rows,
                        backend._sql.item_columns,
                        backend._sql.item_types,
                    )
                )
                # Everything add_many stores that is not derived on the server: the item
                # rows and the event rows, both by binary COPY, one transaction each.
                add_raw_all.append(
                    add_raw_binary[-1]
                    + raw_copy(
                        schemas[2],
                        "events3",
                        events_table,
                        event_rows,
                        backend._sql.event_columns,
                        backend._sql.event_types,
                    )
                )
            # One COPY of every item: on a loaded machine it can outlast the default
            # 30 s statement timeout (the setting changes nothing that is timed).
            with raidlog.open(
                location(schemas[1]), actor="bench", options={"statement_timeout": 600}
            ) as copy_reg:
                load = functools.partial(copy_reg.backend.import_verbatim, stored, events)
                bulk.append(timed(load))
            raw_items = raw_copy(
                schemas[2], "items2", items_table, item_rows, backend._sql.item_columns
            )
            raw_events = raw_copy(
                schemas[2], "events", events_table, event_rows, backend._sql.event_columns
            )
            bulk_raw.append(raw_items + raw_events)
            del items, stored, events, item_rows, event_rows
        finally:
            drop(*schemas)
    return {
        "add_many_s": statistics.median(add),
        "raw_copy_items_s": statistics.median(add_raw),
        "raw_binary_copy_items_s": statistics.median(add_raw_binary),
        "raw_binary_copy_items_events_s": statistics.median(add_raw_all),
        "import_verbatim_s": statistics.median(bulk),
        "raw_copy_items_events_s": statistics.median(bulk_raw),
    }


def _build(reg: raidlog.Register, size: int) -> float:
    backend = reg.backend
    assert isinstance(backend, PostgresBackend)
    reg.put_node(raidlog.Node(name="corporate", level="corporate"))
    for node in NODES[1:]:
        parent = "corporate" if node.startswith("programme") else f"programme-{node.split('-')[1]}"
        reg.put_node(raidlog.Node(name=node, parent=parent))
    start = time.perf_counter()
    batch = 50_000
    for first in range(0, size, batch):
        # One generator run per batch keeps memory flat; seeds differ, refs continue.
        chunk = generate(
            min(batch, size - first), seed=first, stored=True, profile=reg.profile, first=first
        )
        backend.atomic(functools.partial(_put_all, chunk))
        del chunk
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(backend.schema, "items")))
    return time.perf_counter() - start


def _put_all(items: list[Item], txn: Transaction) -> None:
    txn.put([(item, 0) for item in items])


def _dashboard(reg: raidlog.Register) -> dict[str, tuple[Callable[[], Any], str, list[Any]]]:
    """Each query twice: through the register, and as the hand-written SQL."""
    backend = reg.backend
    assert isinstance(backend, PostgresBackend)
    closed = reg.closed_statuses()
    not_closed = " AND ".join(
        f"NOT (kind = '{kind}' AND status = '{status}')" for kind, status in closed
    )
    body_q = reg.build_query(body="Board 7", open=True, order_by="-score", limit=50, today=TODAY)
    overdue_q = reg.build_query(
        kind="action", node="programme-3", overdue=True, order_by="due", limit=100, today=TODAY
    )
    subtree = list(overdue_q.nodes or ())
    text_q = reg.build_query(text="supplier delay", limit=50)
    combos = [(k.kind, r.value) for k in BUILTIN_KINDS for r in Rag]
    counts_q = [Query(kinds=[k], rags=[r]) for k, r in combos]
    return {
        "body's open items by score, top 50": (
            lambda: [i.ref for i in backend.query(body_q)],
            f"SELECT ref, doc FROM {{}} WHERE (body = %s OR escalated_to @> ARRAY[%s]) "
            f"AND {not_closed} ORDER BY score DESC NULLS LAST, ref LIMIT 50",
            ["Board 7", "Board 7"],
        ),
        "overdue actions of a programme subtree, first 100": (
            lambda: [i.ref for i in backend.query(overdue_q)],
            f"SELECT ref, doc FROM {{}} WHERE kind = 'action' AND node = ANY(%s) AND due < %s "
            f"AND {not_closed} ORDER BY due, ref LIMIT 100",
            [subtree, TODAY],
        ),
        "counts by kind and RAG (18 counts)": (
            lambda: [backend.count(q) for q in counts_q],
            "SELECT count(*) FROM {} WHERE kind = %s AND rag = %s",
            list(combos),
        ),
        "full-text 'supplier delay', first 50": (
            lambda: [i.ref for i in backend.query(text_q)],
            "SELECT ref, doc FROM {} WHERE search @@ 'supplier & delay'::tsquery "
            "ORDER BY ref LIMIT 50",
            [],
        ),
    }


def _hand_written(
    conn: psycopg.Connection[Any], items: sql.Identifier, text: str, params: list[Any]
) -> list[Any]:
    statement = sql.SQL(text).format(items)
    if text.startswith("SELECT count"):
        return [_one(conn.execute(statement, list(combo)).fetchone()) for combo in params]
    return [ref for ref, _doc in conn.execute(statement, params).fetchall()]


def _one(row: tuple[Any, ...] | None) -> Any:
    assert row is not None
    return row[0]


def scenario_dashboard(size: int, runs: int) -> dict[str, Any]:
    schema = f"raidlog_bench_{uuid.uuid4().hex[:10]}"
    result: dict[str, Any] = {}
    try:
        with raidlog.open(location(schema), actor="bench") as reg:
            result["build_s"] = _build(reg, size)
            backend = reg.backend
            assert isinstance(backend, PostgresBackend)
            items = sql.Identifier(backend.schema, "items")
            with psycopg.connect(URL, autocommit=True) as conn:
                for name, (ours, text, params) in _dashboard(reg).items():
                    theirs = functools.partial(_hand_written, conn, items, text, params)
                    expected = theirs()
                    assert ours() == expected, f"{name}: the register and the SQL disagree"
                    mine_s, theirs_s = [], []
                    for _ in range(runs):  # interleaved, so load on the machine hits both
                        mine_s.append(timed(ours))
                        theirs_s.append(timed(theirs))
                    result[name] = {
                        "register_ms": statistics.median(mine_s) * 1000,
                        "sql_ms": statistics.median(theirs_s) * 1000,
                        "rows": len(expected),
                    }
    finally:
        drop(schema)
    return result


def _writer(
    loc: str, worker: int, updates: int, refs: list[str]
) -> tuple[dict[str, int], int, float, float]:
    rng = random.Random(worker)
    done: dict[str, int] = {}
    conflicts = 0
    with raidlog.open(loc, actor=f"writer-{worker}") as reg:
        start = time.time()  # after start-up and open: only the updates are timed
        for n in range(updates):
            ref = rng.choice(refs)
            while True:
                item = reg.get(ref)
                try:
                    reg.update(item, tags=(*item.tags, f"w{worker}-{n}"))
                    break
                except raidlog.ConflictError:
                    conflicts += 1
            done[ref] = done.get(ref, 0) + 1
        end = time.time()
    return done, conflicts, start, end


def _run_writers(processes: int, updates: int) -> dict[str, Any]:
    schema = f"raidlog_bench_{uuid.uuid4().hex[:10]}"
    loc = location(schema)
    try:
        with raidlog.open(loc, actor="setup") as reg:
            refs = [
                r.ref or ""
                for r in reg.add_many(raidlog.Action(title=f"shared {n}") for n in range(50))
            ]
        per_worker = updates // processes
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.starmap(_writer, [(loc, w, per_worker, refs) for w in range(processes)])
        elapsed = max(r[3] for r in results) - min(r[2] for r in results)
        accepted: dict[str, int] = {}
        for done, *_ in results:
            for ref, count in done.items():
                accepted[ref] = accepted.get(ref, 0) + count
        with raidlog.open(loc, actor="check") as reg:
            lost = sum(accepted.get(ref, 0) - (reg.get(ref).version - 1) for ref in refs)
            tags = sum(len(reg.get(ref).tags) for ref in refs)
            verified = reg.verify().ok
        total = sum(accepted.values())
        return {
            "updates": total,
            "seconds": elapsed,
            "updates_per_s": total / elapsed,
            "conflicts": sum(r[1] for r in results),
            "lost_updates": lost + (total - tags),
            "chain_verifies": verified,
        }
    finally:
        drop(schema)


def scenario_writers(updates: int, runs: int) -> dict[str, Any]:
    many = [_run_writers(8, updates) for _ in range(runs)]
    one = [_run_writers(1, updates) for _ in range(runs)]
    return {
        "8 processes": min(
            many,
            key=lambda r: abs(
                r["updates_per_s"] - statistics.median(m["updates_per_s"] for m in many)
            ),
        ),
        "1 process": min(
            one,
            key=lambda r: abs(
                r["updates_per_s"] - statistics.median(m["updates_per_s"] for m in one)
            ),
        ),
        "lost_updates_all_runs": sum(r["lost_updates"] for r in many + one),
        "all_chains_verify": all(r["chain_verifies"] for r in many + one),
    }


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    middle = statistics.median_low(r["updates_per_s"] for r in runs)
    return next(r for r in runs if r["updates_per_s"] == middle)


SCENARIOS: dict[str, Callable[[int, int], dict[str, Any]]] = {
    "add_many": scenario_add_many,
    "dashboard": scenario_dashboard,
    "writers": scenario_writers,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--scenario", choices=SCENARIOS, help="run one scenario in-process")
    parser.add_argument("--size", type=int)
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    if args.scenario:
        load = os.getloadavg()[0]
        result = SCENARIOS[args.scenario](args.size, args.runs)
        result["peak_rss_mib"] = peak_rss_mib()
        result["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]  # before, after
        print(json.dumps(result))
        return
    plan = {
        "add_many": (5_000, 1) if args.quick else (100_000, 3),
        "dashboard": (20_000, 3) if args.quick else (1_000_000, 9),
        "writers": (400, 1) if args.quick else (2_000, 3),
    }
    for name, (size, runs) in plan.items():
        command = [sys.executable, __file__, "--scenario", name, "--size", str(size)]
        output = subprocess.run(
            [*command, "--runs", str(runs)], check=True, capture_output=True, text=True
        ).stdout
        report(name, size, runs, json.loads(output.strip().splitlines()[-1]))


def report(name: str, size: int, runs: int, result: dict[str, Any]) -> None:
    print(
        f"\n## {name} (size {size:,}, median of {runs}; peak RSS {result['peak_rss_mib']:.0f} MiB; "
        f"load average before and after {result['load_average']})"
    )
    if name == "add_many":
        for ours, theirs, label in (
            ("add_many_s", "raw_copy_items_s", "Register.add_many vs raw COPY of the item rows"),
            (
                "add_many_s",
                "raw_binary_copy_items_s",
                "Register.add_many vs raw binary COPY of the item rows",
            ),
            (
                "add_many_s",
                "raw_binary_copy_items_events_s",
                "Register.add_many vs raw binary COPY of the item and event rows",
            ),
            (
                "import_verbatim_s",
                "raw_copy_items_events_s",
                "import_verbatim vs raw COPY of items + events",
            ),
        ):
            ratio = result[ours] / result[theirs]
            print(f"- {label}: {result[ours]:.2f} s vs {result[theirs]:.2f} s, ratio {ratio:.2f}")
    elif name == "dashboard":
        print(f"- build (COPY path, VACUUM ANALYZE): {result['build_s']:.1f} s")
        for query, figures in result.items():
            if isinstance(figures, dict):
                ratio = figures["register_ms"] / figures["sql_ms"]
                print(
                    f"- {query}: {figures['register_ms']:.1f} ms vs {figures['sql_ms']:.1f} ms "
                    f"hand-written, ratio {ratio:.2f} ({figures['rows']} rows)"
                )
    else:
        for label in ("8 processes", "1 process"):
            r = result[label]
            print(
                f"- {label}: {r['updates']} updates in {r['seconds']:.1f} s = "
                f"{r['updates_per_s']:.0f} updates/s, {r['conflicts']} conflicts retried, "
                f"{r['lost_updates']} lost"
            )
        print(
            f"- lost updates over all runs: {result['lost_updates_all_runs']}; "
            f"every chain verifies: {result['all_chains_verify']}"
        )


if __name__ == "__main__":
    main()
