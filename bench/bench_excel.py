"""Benchmarks of the Excel workbook backend, each against a same-run openpyxl baseline.

    python bench/bench_excel.py            # 10,000 items
    python bench/bench_excel.py --quick    # 1,000 items, a smoke run

Scenarios (medians of several runs; each run in a fresh child process so its peak RSS
is its own):

- open: ``raidlog.open`` of the workbook plus one query, against openpyxl read-only
  iterating every value of the same sheets (target: ratio <= 1.5);
- update: one ``Register.update`` (lock, check, render, write, fsync, re-read to
  verify, replace), against openpyxl write-only writing the same rows (target <= 1.5);
- batch: 1,000 updates in ``with register.batch():``, counting the saves (target: 1).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import raidlog
from raidlog.backends.excel import backend as excel_backend
from raidlog.model.items import Action, Item, Risk

WORDS = [
    "supplier",
    "delay",
    "budget",
    "vendor",
    "data",
    "migration",
    "audit",
    "contract",
    "licence",
    "staff",
]


def make_items(count: int) -> list[Item]:
    """A register's worth of risks and actions with realistic text."""
    made: list[Item] = []
    for n in range(count):
        words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(6))
        common: dict[str, Any] = {
            "title": f"{words} {n}",
            "description": f"{words} " * 8,
            "owner": f"owner {n % 40}",
            "tags": (WORDS[n % 10], WORDS[(n + 3) % 10]),
            "due": date(2026, 1, 1) + timedelta(days=n % 500),
            "priority": ("critical", "high", "medium", "low")[n % 4],
        }
        if n % 2:
            made.append(Risk(probability=1 + n % 5, impact=1 + (n // 5) % 5, **common))
        else:
            made.append(Action(progress=n % 101, **common))
    return made


def build(path: Path, count: int) -> None:
    with raidlog.open(str(path), actor="bench") as register:
        register.add_many(make_items(count))


def peak_mib() -> float:
    """This process's peak RSS. Linux's ``ru_maxrss`` keeps the parent's peak across
    fork and exec, so the high-water mark of this process's own memory (VmHWM) is read
    where there is one."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# scenarios, each run in a child process ---------------------------------------------
def run_open(path: Path) -> dict[str, float]:
    start = time.perf_counter()
    with raidlog.open(str(path), actor="bench") as register:
        found = register.query(kind="risk", open=True, order_by="-score", limit=50)
    seconds = time.perf_counter() - start
    assert len(found) == 50
    return {"seconds": seconds, "peak_mib": peak_mib()}


def run_openpyxl_read(path: Path) -> dict[str, float]:
    import openpyxl

    start = time.perf_counter()
    book = openpyxl.load_workbook(path, read_only=True)
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
    book.close()
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib()}


def run_update(path: Path) -> dict[str, float]:
    with raidlog.open(str(path), actor="bench") as register:
        action = next(iter(register.items("action")))
        start = time.perf_counter()
        register.update(action, progress=(action.progress + 1) % 100)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": peak_mib()}


def run_openpyxl_write(path: Path) -> dict[str, float]:
    import openpyxl
    import python_calamine

    reader = python_calamine.CalamineWorkbook.from_path(str(path))
    sheets = {n: reader.get_sheet_by_name(n).to_python() for n in reader.sheet_names}
    reader.close()
    out = path.with_name("baseline.xlsx")
    start = time.perf_counter()
    book = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(out)
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib()}


def run_batch(path: Path, updates: int) -> dict[str, float]:
    saves = [0]
    real = excel_backend.atomic_write

    def counting(*args: Any, **kwargs: Any) -> str:
        saves[0] += 1
        return real(*args, **kwargs)

    excel_backend.atomic_write = counting  # type: ignore[assignment]  # counting wrapper
    with raidlog.open(str(path), actor="bench") as register:
        actions = list(register.items("action"))[:updates]
        start = time.perf_counter()
        with register.batch():
            for action in actions:
                register.update(action, progress=(action.progress + 1) % 100)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "saves": saves[0], "updates": len(actions), "peak_mib": peak_mib()}


SCENARIOS = {
    "open": run_open,
    "openpyxl_read": run_openpyxl_read,
    "update": run_update,
    "openpyxl_write": run_openpyxl_write,
}


def child(scenario: str, path: Path, updates: int) -> dict[str, float]:
    """Run one scenario in a fresh interpreter and return what it measured."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", scenario, str(path), "--updates", str(updates)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 items, fewer runs")
    parser.add_argument("--items", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "PATH"))
    args = parser.parse_args()
    if args.child:
        name, where = args.child
        if name == "batch":
            result = run_batch(Path(where), args.updates)
        else:
            result = SCENARIOS[name](Path(where))
        print(json.dumps(result))
        return
    count = args.items or (1_000 if args.quick else 10_000)
    runs = args.runs or (3 if args.quick else 5)
    updates = min(args.updates, count // 2)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "raid.xlsx"
        start = time.perf_counter()
        build(path, count)
        print(
            f"built a {count:,}-item register in {time.perf_counter() - start:.1f} s "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
        results = {name: [child(name, path, updates) for _ in range(runs)] for name in SCENARIOS}
        batch = [child("batch", path, updates) for _ in range(max(1, runs // 2))]
    rows = [
        ("open + query", "open", "openpyxl read-only, every sheet", "openpyxl_read"),
        ("one update + save", "update", "openpyxl write-only, same rows", "openpyxl_write"),
    ]
    print(f"\n{count:,} items, median of {runs} runs (each in a fresh process)\n")
    print(f"{'scenario':<20}{'raidlog':>10}{'baseline':>10}{'ratio':>8}{'peak MiB':>10}  baseline")
    for label, mine, baseline_label, baseline in rows:
        ours, theirs = median(results[mine], "seconds"), median(results[baseline], "seconds")
        peak = median(results[mine], "peak_mib")
        print(
            f"{label:<20}{ours:>9.2f}s{theirs:>9.2f}s{ours / theirs:>8.2f}{peak:>10.0f}  "
            f"{baseline_label} (peak {median(results[baseline], 'peak_mib'):.0f} MiB)"
        )
    single = median(results["update"], "seconds")
    took = median(batch, "seconds")
    print(
        f"{'batch of updates':<20}{took:>9.2f}s  {int(batch[0]['updates']):,} updates, "
        f"{int(batch[0]['saves'])} save(s); {took / single:.1f} x one update; "
        f"peak {median(batch, 'peak_mib'):.0f} MiB"
    )


if __name__ == "__main__":
    main()
