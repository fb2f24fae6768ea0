"""Benchmark: importing a generated legacy RAID log workbook.

Scenarios, each run in a fresh subprocess (for a clean peak RSS) several times, the three
interleaved round by round (so a busy machine slows them alike), medians reported,
baselines in the same run:

- ``raidlog``: ``raidlog.migrate.import_file`` of the workbook into a new register
  (SQLite when the ``raid.db`` backend is installed, else ``memory:``; the output says which);
- ``raw``: python-calamine read + ``sqlite3`` ``executemany`` of the raw rows, one transaction;
- ``pandas``: ``pandas.read_excel`` (openpyxl engine) + ``DataFrame.to_sql`` into SQLite.

Targets (issue 14): raidlog at most 6 x raw (raidlog / raw <= 6), at least 2 x faster than
pandas (pandas / raidlog >= 2), and a peak memory under 400 MB for the importing process
and for its sandboxed reader child, each (the child's is the largest peak among the
scenario's children: the reader is the only one).

    python bench/bench_migrate.py            # 100,000 rows, 3 runs
    python bench/bench_migrate.py --quick    # 2,000 rows, 1 run (a smoke test)
    python bench/bench_migrate.py --breakdown --rows 20000   # where the import's time goes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _sqlite_available() -> bool:
    import raidlog
    from raidlog.errors import BackendNotFoundError

    try:
        with tempfile.TemporaryDirectory() as folder:
            raidlog.open(str(Path(folder) / "probe.db"), actor="bench").close()
    except BackendNotFoundError:
        return False
    return True


def run_raidlog(path: Path, folder: Path) -> dict[str, object]:
    import raidlog
    from raidlog.migrate import import_file

    location = str(folder / "raid.db") if _sqlite_available() else "memory:"
    start = time.perf_counter()
    with raidlog.open(location, actor="bench") as register:
        report = import_file(path, register)
        items = report.added
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "items": items, "location": location}


def run_raw(path: Path, folder: Path) -> dict[str, object]:
    import sqlite3

    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    header, data = rows[4], rows[5:]
    width = len(header)
    connection = sqlite3.connect(folder / "raw.db")
    try:
        columns = ", ".join(f"c{n}" for n in range(width))
        connection.execute(f"CREATE TABLE raw ({columns})")
        marks = ", ".join("?" * width)
        with connection:
            connection.executemany(f"INSERT INTO raw VALUES ({marks})", data)
    finally:
        connection.close()
    return {"seconds": time.perf_counter() - start, "items": len(data)}


def run_pandas(path: Path, folder: Path) -> dict[str, object]:
    import sqlite3

    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_excel(path, engine="openpyxl", header=4)
    connection = sqlite3.connect(folder / "pandas.db")
    try:
        frame.to_sql("risks", connection, index=False)
        connection.commit()
    finally:
        connection.close()
    return {"seconds": time.perf_counter() - start, "items": len(frame)}


SCENARIOS = {"raidlog": run_raidlog, "raw": run_raw, "pandas": run_pandas}


def breakdown(path: Path) -> dict[str, float]:
    """Where an import's time goes (``--breakdown``; not one of the timed scenarios).

    The reader's stages are run here one after another, in this process, as the child
    would run them if nothing overlapped: start-up (the child's imports, in a process of
    its own), calamine (values), the style pass (colours, hidden rows, formulas; in the
    child it runs in a thread while calamine loads), packing and unpacking the frames (in
    the child and the importer they overlap). Then ``parse`` is the reader as the import
    sees it (child, pipe and decoding overlapped), and the import's own stages follow."""
    import threading
    import time as clock

    import raidlog
    from raidlog.migrate import importer, read, sandbox
    from raidlog.migrate.preflight import Limits

    limits = Limits()
    figures: dict[str, float] = {}

    def timed(name: str, work: Any) -> Any:
        start = clock.perf_counter()
        result = work()
        figures[name] = figures.get(name, 0.0) + clock.perf_counter() - start
        return result

    folders = (
        str(Path(sandbox.__file__).resolve().parent.parent),
        str(Path(sandbox.__file__).resolve().parent),
    )
    starting = sandbox.BOOT.replace(
        "from raidlog.migrate.child import run\nrun(sys.argv[3:])\n",
        "import raidlog.migrate.child, python_calamine, zipfile, defusedxml.ElementTree\n",
    )
    timed(
        "child start-up",
        lambda: subprocess.run(
            [sys.executable, "-c", starting, *folders],
            check=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        ),
    )
    styles = read._style_pass
    read._style_pass = lambda path, names, stopped: (1900, {})  # type: ignore[assignment]
    try:  # calamine alone (the style pass is timed on its own just after)
        book = timed("calamine read", lambda: read.read_book(path, "xlsx", limits))
    finally:
        read._style_pass = styles  # type: ignore[assignment]
    names = [sheet["name"] for sheet in book["sheets"]]
    timed("style pass", lambda: styles(path, names, threading.Event()))
    packed = timed("pack", lambda: read.pack_book(book))
    timed("unpack", lambda: read.unpack_book(packed))
    for name in ("parse", "_drafts", "_items", "_write"):
        stage = getattr(importer, name)
        setattr(
            importer,
            name,
            lambda *a, _stage=stage, _name=name, **k: timed(_name, lambda: _stage(*a, **k)),
        )
    with tempfile.TemporaryDirectory() as folder:
        location = str(Path(folder) / "raid.db") if _sqlite_available() else "memory:"
        with raidlog.open(location, actor="bench") as register:
            timed("import total", lambda: importer.import_file(path, register))
    return figures


def child(scenario: str, path: Path) -> None:
    """Run one scenario and print its figures as JSON (peak RSS of this process and of the
    sandbox child it started, in MB)."""
    with tempfile.TemporaryDirectory() as folder:
        result = SCENARIOS[scenario](path, Path(folder))
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    result["peak_mb"] = own.ru_maxrss / 1024
    result["child_peak_mb"] = children.ru_maxrss / 1024
    # CPU seconds of the whole scenario (the sandboxed reader included), for busy machines.
    result["cpu_s"] = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(json.dumps(result))


def run_once(scenario: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", scenario, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [float(r["seconds"]) for r in results]
    return {
        "median_s": statistics.median(seconds),
        "median_cpu_s": statistics.median(float(r["cpu_s"]) for r in results),
        "runs_s": seconds,
        "peak_mb": max(float(r["peak_mb"]) for r in results),
        "child_peak_mb": max(float(r["child_peak_mb"]) for r in results),
        "items": results[0]["items"],
        "location": results[0].get("location"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows, one run")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--breakdown", action="store_true", help="where the import's time goes (no scenarios)"
    )
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    rows = args.rows or (2_000 if args.quick else 100_000)
    runs = args.runs or (1 if args.quick else 3)
    from raidlog.migrate.sample import write_large_legacy_log

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "legacy.xlsx"
        start = time.perf_counter()
        write_large_legacy_log(path, rows)
        print(
            f"generated {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in "
            f"{time.perf_counter() - start:.1f} s; {runs} run(s) per scenario, medians"
        )
        if args.breakdown:
            found = [breakdown(path) for _ in range(runs)]
            for name in found[0]:
                median = statistics.median(f[name] for f in found)
                print(f"  {name:<16} {median:7.2f} s")
            return
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in SCENARIOS}
        for _ in range(runs):  # round by round: each ratio's runs see the same load
            for name in SCENARIOS:
                results[name].append(run_once(name, path))
        figures = {name: summary(found) for name, found in results.items()}
    for name, f in figures.items():
        where = f" into {f['location']}" if f.get("location") else ""
        print(
            f"  {name:<8} {f['median_s']:7.2f} s (cpu {f['median_cpu_s']:6.2f} s)  "
            f"peak {f['peak_mb']:6.0f} MB "
            f"(reader child {f['child_peak_mb']:.0f} MB)  {f['items']} rows{where}"
        )
    ours = float(figures["raidlog"]["median_s"])
    raw = float(figures["raw"]["median_s"])
    pandas = float(figures["pandas"]["median_s"])
    peak = float(figures["raidlog"]["peak_mb"])
    child_peak = float(figures["raidlog"]["child_peak_mb"])
    cpu = {name: float(f["median_cpu_s"]) for name, f in figures.items()}

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(
        f"raidlog / raw       = {ours / raw:5.2f} wall, {cpu['raidlog'] / cpu['raw']:5.2f} cpu  "
        f"(target <= 6: {met(ours / raw <= 6)})"
    )
    print(
        f"pandas / raidlog    = {pandas / ours:5.2f} wall, "
        f"{cpu['pandas'] / cpu['raidlog']:5.2f} cpu  (target >= 2: {met(pandas / ours >= 2)})"
    )
    print(f"raidlog peak        = {peak:5.0f} MB  (target < 400: {met(peak < 400)})")
    print(f"reader child peak   = {child_peak:5.0f} MB  (target < 400: {met(child_peak < 400)})")
    print(f"load average        = {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
