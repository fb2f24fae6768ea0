"""Coverage-guided fuzzing of the public importer with atheris (libFuzzer).

The only outcomes allowed are a successful import and ``ImportRejected``; anything else
(another exception, a hang, a crash of this process) is a finding. Parsing happens in
the importer's sandboxed child process, so the fuzzer's coverage guides the pre-flight,
table finding, value reading and mapping code that runs here.

    python fuzz/fuzz_import.py                          # run until stopped (the long run)
    python fuzz/fuzz_import.py -max_total_time=60       # the short run CI makes
    python fuzz/fuzz_import.py -runs=1000 CORPUS_DIR    # libFuzzer options and corpus dirs

Seeds are written at start: every small case of ``raidlog.testing.hostile``, the sample
legacy workbook, and the real spreadsheets of ``../shared/corpus`` when present.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["raidlog"]):
    import raidlog
    from raidlog.errors import ImportRejected
    from raidlog.migrate import import_file
    from raidlog.migrate.sample import write_sample
    from raidlog.testing.hostile import CASES, generate

SUFFIXES = (".xlsx", ".csv", ".xls", ".xlsm", ".ods", ".txt")
_SKIP_SEEDS = {"zip_bomb", "too_many_rows", "lying_zip_header"}  # large; tested elsewhere


def one_input(data: bytes) -> None:
    """Import ``data`` under a suffix it chooses; only success or ImportRejected."""
    provider = atheris.FuzzedDataProvider(data)
    suffix = SUFFIXES[provider.ConsumeIntInRange(0, len(SUFFIXES) - 1)]
    body = provider.ConsumeBytes(provider.remaining_bytes())
    with tempfile.TemporaryDirectory(prefix="raidlog-fuzz-") as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(body)
        with raidlog.open("memory:", actor="fuzz") as register:
            try:
                import_file(path, register)
            except ImportRejected:
                return


def _seeds(folder: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="raidlog-seeds-"))
    try:
        files = [generate(c, scratch) for c in CASES if c.name not in _SKIP_SEEDS]
        files.append(write_sample(scratch / "sample.xlsx"))
        corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
        files += sorted(corpus.glob("*.xlsx")) if corpus.is_dir() else []
        for n, source in enumerate(files):
            index = SUFFIXES.index(source.suffix) if source.suffix in SUFFIXES else 0
            # The first byte chooses the suffix (ConsumeIntInRange reads it first).
            (folder / f"seed-{n:03d}").write_bytes(bytes([index]) + source.read_bytes())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    """Write the seeds, then hand over to libFuzzer with this process's arguments."""
    args = [a for a in sys.argv if not a.startswith("-") or a == sys.argv[0]]
    options = [a for a in sys.argv[1:] if a.startswith("-")]
    corpus = Path(args[1]) if len(args) > 1 else Path(tempfile.mkdtemp(prefix="raidlog-corpus-"))
    corpus.mkdir(parents=True, exist_ok=True)
    _seeds(corpus)
    atheris.Setup([sys.argv[0], *options, str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
