"""Exports and the report on a large register, each against a same-run baseline.

    python bench/bench_export.py            # 100,000 items
    python bench/bench_export.py --quick    # 5,000 items, a smoke run

Scenarios (medians of several runs; the ratio is raidlog / baseline):

- xlsx: ``write_board_pack`` (every sheet, built from the register) against openpyxl
  write-only appending the same cells, prepared in advance as plain values. Target <= 1.5.
- csv: ``write_csv`` (flatten, formula guard, quoting) against ``csv.writer`` writing the
  same rows, prepared in advance as strings. Target <= 2.
- report: ``gather`` + ``render_html`` on the whole register, with its peak traced memory
  (tracemalloc, in a separate run so tracing does not slow the timed runs).

The register is held by the ``memory:`` backend and built with ``add_many`` in chunks.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl

import raidlog
from raidlog import Action, Body, Decision, Issue, Item, Node, Register, Risk
from raidlog.boardpack import gather
from raidlog.export.rows import columns_for, flatten
from raidlog.export.tabular import _text, write_csv
from raidlog.export.xlsx import _VIEW_COLUMNS, _excel_value, write_board_pack
from raidlog.report.html import render_html

WORDS = [
    "supplier",
    "late",
    "budget",
    "vendor",
    "data",
    "migration",
    "security",
    "test",
    "environment",
    "key",
    "person",
    "regulator",
    "licence",
    "cloud",
    "outage",
    "interface",
    "legacy",
    "scope",
    "change",
    "approval",
    "delay",
]
BODIES = ("Programme Board", "Project Board A", "Project Board B", "PMO")


def _title(rnd: random.Random) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 8))).capitalize()


def make_item(rnd: random.Random, n: int) -> Item:
    """One generated item; about half risks, the rest actions, issues and decisions."""
    base = date(2026, 1, 1)
    common: dict[str, Any] = {
        "title": _title(rnd),
        "description": " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 30))),
        "owner": f"owner{rnd.randint(1, 200)}",
        "body": rnd.choice(BODIES),
        "raised_on": base,
        "tags": tuple(rnd.sample(WORDS, 2)),
        "extra": {"Legacy ID": f"L-{n}", "Cost centre": f"CC{rnd.randint(1, 40)}"},
    }
    roll = rnd.random()
    if roll < 0.5:
        return Risk(
            **common,
            inherent_probability=rnd.randint(1, 5),
            inherent_impact=rnd.randint(1, 5),
            probability=rnd.randint(1, 5),
            impact=rnd.randint(1, 5),
            residual_probability=rnd.randint(1, 5),
            residual_impact=rnd.randint(1, 5),
            cost_exposure=float(rnd.randint(0, 500) * 1000),
            response="reduce: " + _title(rnd),
        )
    if roll < 0.8:
        return Action(
            **common,
            due=base + timedelta(days=rnd.randint(0, 400)),
            assignee=f"owner{rnd.randint(1, 200)}",
            priority=rnd.choice(("high", "medium", "low")),
        )
    if roll < 0.9:
        return Issue(**common, priority=rnd.choice(("critical", "high", "medium", "low")))
    return Decision(**common, decision=_title(rnd), rationale=_title(rnd))


def build_register(size: int) -> Register:
    """A ``memory:`` register with ``size`` generated items and a small structure."""
    register = raidlog.open("memory:", actor="bench")
    register.put_node(Node(name="Group", level="corporate", body="PMO"))
    for body in BODIES:
        register.put_body(Body(name=body, node="Group"))
    rnd = random.Random(42)
    chunk = 5_000
    gc.disable()  # bulk object creation: the collector is most of the cost (DESIGN.md)
    try:
        for start in range(0, size, chunk):
            batch = [make_item(rnd, n) for n in range(start, min(size, start + chunk))]
            register.add_many(batch)
    finally:
        gc.enable()
    return register


def median_time(work: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls of ``work``."""
    return paired(work, None, runs)[0]


def paired(
    ours: Callable[[], object], base: Callable[[], object] | None, runs: int
) -> tuple[float, float]:
    """Median wall times of ``ours`` and ``base``, run alternately so that a busy
    machine slows both sides alike."""
    times: tuple[list[float], list[float]] = ([], [])
    # Frozen objects (the register, prepared rows) are not scanned by the collector, so
    # neither side pays for the other's data.
    gc.collect()
    gc.freeze()
    try:
        for _ in range(runs):
            for side, work in enumerate((ours, base)):
                if work is None:
                    continue
                start = time.perf_counter()
                work()
                times[side].append(time.perf_counter() - start)
    finally:
        gc.unfreeze()
    return statistics.median(times[0]), statistics.median(times[1]) if times[1] else 0.0


def xlsx_scenario(register: Register, out: Path, runs: int) -> tuple[float, float]:
    """(raidlog board pack, openpyxl write-only writing the same cells) in seconds."""
    board = gather(register, body="Programme Board")
    items = list(register.items())
    columns = columns_for(items, register.codec.kinds.values())
    # The same cells, prepared before timing: the baseline measures writing alone.
    sheets: list[list[list[Any]]] = [
        [[k, str(v)] for k, v in (("Cover", "x"),) * 11],
        [list(_VIEW_COLUMNS), *(flatten(i, _VIEW_COLUMNS) for i in board.view)],
        [[0] * 14 for _ in range(7)],
        [["ref"] * 8, *([None] * 8 for _ in board.overdue_actions)],
        [["ref"] * 7, *([None] * 7 for _ in board.escalations)],
        [["ref"] * 7, *([None] * 7 for _ in board.decisions)],
        [columns, *([_excel_value(v) for v in flatten(i, columns)] for i in items)],
    ]

    def baseline() -> None:
        wb = openpyxl.Workbook(write_only=True)
        for n, rows in enumerate(sheets):
            ws = wb.create_sheet(f"S{n}")
            for row in rows:
                ws.append(row)
        wb.save(str(out.with_suffix(".base.xlsx")))

    def ours() -> None:
        write_board_pack(register, out, body="Programme Board", items=items)

    return paired(ours, baseline, runs)


def csv_scenario(register: Register, out: Path, runs: int) -> tuple[float, float]:
    """(raidlog CSV export, csv.writer writing the same rows) in seconds.

    The baseline's rows (every cell already text) are prepared before each of its runs
    and dropped after it, so neither side runs with the other's data in memory."""
    items = list(register.items())
    columns = columns_for(items)

    def prepare() -> list[list[str]]:
        return [columns, *([_text(v, False) for v in flatten(i, columns)] for i in items)]

    ours_times: list[float] = []
    base_times: list[float] = []
    gc.collect()
    gc.freeze()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            write_csv(items, out)
            ours_times.append(time.perf_counter() - start)
            rows = prepare()
            start = time.perf_counter()
            with open(out.with_suffix(".base.csv"), "w", newline="", encoding="utf-8-sig") as fh:
                csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
            base_times.append(time.perf_counter() - start)
            del rows
            gc.collect()
    finally:
        gc.unfreeze()
    return statistics.median(ours_times), statistics.median(base_times)


def report_scenario(register: Register, out: Path, runs: int) -> tuple[float, float]:
    """(seconds for gather + render + write, peak traced MiB of one run)."""

    def ours() -> None:
        out.write_text(render_html(gather(register, body=None)), encoding="utf-8")

    seconds = median_time(ours, runs)
    gc.collect()
    tracemalloc.start()
    ours()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 items, one run each")
    parser.add_argument("--size", type=int, default=None, help="number of items")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per scenario")
    parser.add_argument(
        "--only",
        choices=("xlsx", "csv", "report"),
        action="append",
        help="run only this scenario (repeatable; default all)",
    )
    args = parser.parse_args(argv)
    size = args.size or (5_000 if args.quick else 100_000)
    runs = args.runs or (1 if args.quick else 3)
    started = time.perf_counter()
    register = build_register(size)
    print(f"register: {len(register):,} items built in {time.perf_counter() - started:.1f} s")
    failed = False
    only = set(args.only or ("xlsx", "csv", "report"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "xlsx" in only:
            ours, base = xlsx_scenario(register, folder / "pack.xlsx", runs)
            ratio = ours / base
            failed |= ratio > 1.5
            print(
                f"xlsx board pack: {ours:.2f} s, openpyxl write-only same cells {base:.2f} s, "
                f"ratio {ratio:.2f} (target <= 1.5)"
            )
        if "csv" in only:
            ours, base = csv_scenario(register, folder / "raid.csv", runs)
            ratio = ours / base
            failed |= ratio > 2
            print(
                f"csv: {ours:.2f} s, csv.writer same rows {base:.2f} s, "
                f"ratio {ratio:.2f} (target <= 2)"
            )
        if "report" in only:
            seconds, peak = report_scenario(register, folder / "report.html", runs)
            print(f"report (whole register): {seconds:.2f} s, peak traced memory {peak:.0f} MiB")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (register + every scenario): {rss:.0f} MiB")
    return 1 if failed and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
