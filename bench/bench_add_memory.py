"""add_many's own peak memory at two sizes: flat in the batch size? (issue 14)

    python bench/bench_add_memory.py            # 100,000 and 300,000 items
    python bench/bench_add_memory.py --quick    # 10,000 and 30,000

Each size runs in a fresh process: the items are generated first, then the process's
high-water mark is reset (``/proc/self/clear_refs``, Linux) and ``add_many`` writes them
into a new SQLite register. What is printed is the peak RSS during the call less the RSS
just before it; the target is the larger size at most 1.3 x the smaller.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _status(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    raise LookupError(key)


def child(count: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bench_sqlite

    import raidlog

    items = bench_sqlite.generate(count)
    folder = tempfile.mkdtemp()
    with raidlog.open(str(Path(folder) / "raid.db"), actor="bench") as reg:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM
        before = _status("VmRSS")
        start = time.perf_counter()
        reg.add_many(items)
        elapsed = time.perf_counter() - start
        peak = _status("VmHWM")
    shutil.rmtree(folder)
    print(f"{count}\t{elapsed:.1f}\t{peak - before:.0f}", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        child(int(argv[1]))
        return 0
    small, large = (10_000, 30_000) if "--quick" in argv else (100_000, 300_000)
    peaks = {}
    for count in (small, large):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(count)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        peaks[count] = float(out[2])
        print(f"add_many {count:,}: {float(out[1]):.1f} s, peak above the start {out[2]} MiB")
    ratio = peaks[large] / peaks[small]
    print(f"peak at {large:,} / peak at {small:,}: {ratio:.2f} (target <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
