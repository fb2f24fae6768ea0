"""Run every benchmark in this folder, one after the other, each in its own process.

    python bench/run.py            # full sizes (tens of minutes on 2 cores)
    python bench/run.py --quick    # small sizes: a smoke test of every scenario

Each ``bench_*.py`` measures its baseline in the same run and prints medians, ratios
and peak memory; the figures in ``docs/benchmarks.md`` come from the full run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run each benchmark script with the given arguments; return the worst exit code."""
    here = Path(__file__).resolve().parent
    worst = 0
    for script in sorted(here.glob("bench_*.py")):
        print(f"\n=== {script.name} {' '.join(argv)}", flush=True)
        code = subprocess.call([sys.executable, str(script), *argv])
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
