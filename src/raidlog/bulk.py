"""Tools for bulk work: the cyclic garbage collector paused, and code generated per class.

Building hundreds of thousands of short-lived objects (a bulk write, a workbook read or
written, an import) creates no reference cycles worth collecting, yet the cyclic
collector would spend most of the time scanning them: :func:`bulk` pauses it for the
duration. Per-class functions written out field by field (the converters' ``to_dict``,
the register's ``assign``) are compiled by :func:`generated`, which registers their
source with :mod:`linecache` so tracebacks and debuggers show the generated lines.
:func:`unshared` keeps encoders that cache a string's UTF-8 form from growing the
caller's own strings. A :class:`Worker` runs a store's writes on a thread of its own,
in order, beside the Python making the next ones.

This module imports nothing of raidlog: every layer, and plugins, may use it.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import linecache
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Worker", "bulk", "generated", "unshared"]

_lock = threading.Lock()
_depth = 0  # how many bulk() blocks are open, in any thread
_was_enabled = False  # whether the collector ran when the outermost block began
_numbers = itertools.count(1)


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block: ``with bulk(): ...``.

    Blocks nest, in one thread or across threads: the collector is paused when the first
    block begins and runs again (if it ran before) when the last one ends, also when a
    block raises. Reference counting frees objects as usual meanwhile."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def generated(source: str, name: str, namespace: dict[str, Any], label: str) -> Callable[..., Any]:
    """The function ``name`` that ``source`` defines, run in ``namespace``.

    ``label`` says what the code is for (``"raidlog.convert to_dict Risk"``); it becomes
    the code's file name, ``<generated: label #n>``, whose lines :mod:`linecache` holds,
    so a traceback through the function shows its source."""
    filename = f"<generated: {label} #{next(_numbers)}>"
    lines = [line + "\n" for line in source.splitlines()]
    # An entry without a modification time is never dropped by linecache.checkcache().
    linecache.cache[filename] = (len(source), None, lines, filename)
    exec(compile(source, filename, "exec"), namespace)  # code the caller built from its own class
    function: Callable[..., Any] = namespace[name]
    return function


def unshared(text: str) -> str:
    """``text`` itself when it is ASCII, else a new string equal to it.

    ``sqlite3`` and orjson attach the UTF-8 form of every non-ASCII string they are
    handed to the string object itself (CPython keeps it until the string dies). Bulk
    work handing a caller's own text to them would grow the caller's objects by that
    form for every item; handed a copy, the form dies with the copy. ASCII strings are
    their own UTF-8 and gain nothing. (Slicing always copies; ``str(text)`` would not.)
    """
    if text.isascii():
        return text
    return (" " + text)[1:]


class Worker:
    """Calls run in the order given on a thread of its own (started by the first).

    A store's bulk write hands its writes over (:meth:`submit` returns at once, or
    waits while ``ahead`` calls are already waiting, so memory stays bounded) and goes
    on making the next ones; :meth:`settle` waits until every call is done. The first
    error stays (:attr:`failure`): every later :meth:`submit` and :meth:`settle` raises
    it again and nothing queued after it runs, so a transaction with a failed write can
    never commit. The SQLite store and the PostgreSQL plugin write this way."""

    def __init__(self, name: str, ahead: int) -> None:
        self._name = name
        self._jobs: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]] | None]
        self._jobs = queue.Queue(maxsize=ahead)
        self._thread: threading.Thread | None = None
        #: The first error a call raised (``None`` while all went well).
        self.failure: BaseException | None = None
        #: Set by ``close(drop=True)``: the calls still queued are skipped.
        self.dropping = False

    @property
    def running(self) -> bool:
        """Whether the thread was started and not closed."""
        return self._thread is not None

    def submit(self, call: Callable[..., None], *args: Any) -> None:
        if self.failure is not None:
            raise self.failure
        if self._thread is None:
            thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            thread.start()  # RuntimeError when no thread can start: nothing was queued
            self._thread = thread
        self._jobs.put((call, args))

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self.failure is None and not self.dropping:
                    call, args = job
                    call(*args)
            except BaseException as exc:  # handed to the thread that settles
                self.failure = exc
            finally:
                self._jobs.task_done()

    def settle(self) -> None:
        """Wait for every submitted call; raise the error of one that failed."""
        if self._thread is not None:
            self._jobs.join()
        if self.failure is not None:
            raise self.failure

    def close(self, *, drop: bool = False) -> None:
        """End the thread once the queued calls are done; with ``drop``, once the call
        running is (the rest are skipped). Never raises."""
        if self._thread is None:
            return
        self.dropping = self.dropping or drop
        self._jobs.put(None)
        self._thread.join()
        self._thread = None
