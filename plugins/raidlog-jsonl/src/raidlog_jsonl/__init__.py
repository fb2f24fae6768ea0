"""A raidlog register in one JSON Lines file: the reference storage plugin.

The file is a header line (format, version, metadata, ref counters), then one line per item
(by ref), per node or body, and per event (in order), each with sorted keys, so a ``git diff``
shows a change as one item line plus its event lines. Every change rewrites the file atomically
(temporary file, fsync, ``os.replace``, fsync of the folder) holding an exclusive ``flock`` on
``<file>.lock``, after re-reading the file under it. A file that fails is a BackendError.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from raidlog import spi

try:
    import fcntl
except ImportError:  # Windows has no flock: one process at a time (see capabilities)
    fcntl = None  # type: ignore[assignment]  # the module is optional

__all__ = ["JsonlBackend", "register_backends"]

T = TypeVar("T")
FORMAT, VERSION = "raidlog-jsonl", 1
Doc = dict[str, Any]


class _State:
    """Everything the file holds, as JSON-ready values."""

    def __init__(self, header: Doc, lines: Iterable[Doc] = ()) -> None:
        self.meta: dict[str, str] = header.get("meta", {})
        self.counters: dict[str, int] = header.get("counters", {})
        body = list(lines)
        self.items: dict[str, Doc] = {d["item"]["ref"]: d["item"] for d in body if "item" in d}
        found = [d["entity"] for d in body if "entity" in d]
        self.entities: dict[str, Doc] = {f"{e['entity']}:{e['name']}": e for e in found}
        self.events: list[Doc] = [d["event"] for d in body if "event" in d]

    def lines(self) -> Iterator[Doc]:
        yield {"format": FORMAT, "version": VERSION, "meta": self.meta, "counters": self.counters}
        yield from ({"item": self.items[ref]} for ref in sorted(self.items))
        yield from ({"entity": self.entities[key]} for key in sorted(self.entities))
        yield from ({"event": event} for event in self.events)


class _JsonlTransaction(spi.Transaction):
    """Changes a freshly read state; the backend saves it only if the work succeeds."""

    def __init__(self, codec: spi.Codec, state: _State) -> None:
        self.codec, self.state = codec, state

    def get(self, ref: str) -> spi.Item | None:
        data = self.state.items.get(ref)
        return None if data is None else self.codec.item_from_dict(data)

    def head(self) -> spi.ChainHead:
        last = self.state.events[-1] if self.state.events else None
        return spi.ChainHead() if last is None else spi.ChainHead(last["seq"], last["hash"])

    def allocate(self, prefix: str) -> int:
        self.state.counters[prefix] = self.state.counters.get(prefix, 0) + 1
        return self.state.counters[prefix]

    def reserve(self, prefix: str, number: int) -> None:
        self.state.counters[prefix] = max(self.state.counters.get(prefix, 0), number)

    def put(self, writes: Sequence[tuple[spi.Item, int]]) -> None:
        for item, expected in writes:
            ref = item.ref or ""
            stored = self.state.items.get(ref)
            if expected == 0 and stored is not None:
                raise spi.DuplicateRefError(ref)
            if expected != 0 and (stored is None or stored["version"] != expected):
                raise spi.ConflictError(ref, expected, self.get(ref))
            self.state.items[ref] = self.codec.item_to_dict(item)

    def append(self, events: Sequence[spi.Event]) -> None:
        self.state.events.extend(self.codec.event_to_dict(e) for e in events)

    def get_entity(self, entity: type[spi.Entity], name: str) -> spi.Entity | None:
        data = self.state.entities.get(f"{entity.__name__.lower()}:{name}")
        return None if data is None else self.codec.entity_from_dict(data)

    def put_entity(self, entity: spi.Entity, expected_version: int) -> None:
        key = f"{type(entity).__name__.lower()}:{entity.name}"
        stored = self.state.entities.get(key)
        if (0 if stored is None else stored["version"]) != expected_version:
            raise spi.ConflictError(key, expected_version, None)
        self.state.entities[key] = self.codec.entity_to_dict(entity)

    def set_meta(self, key: str, value: str) -> None:
        self.state.meta[key] = value


class JsonlBackend(spi.Backend):
    """A register in a ``.jsonl`` file (or ``jsonl:path``)."""

    name: ClassVar[str] = "jsonl"
    schemes: ClassVar[tuple[str, ...]] = ("jsonl",)
    suffixes: ClassVar[tuple[str, ...]] = (".jsonl",)
    capabilities: ClassVar[spi.Capabilities] = spi.Capabilities(
        persistent=True, concurrent_threads=True, concurrent_processes=fcntl is not None
    )

    def __init__(self, location: str, codec: spi.Codec) -> None:
        super().__init__(location, codec)
        self.path = Path(location[6:] if location.lower().startswith("jsonl:") else location)
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def _failing(self, damage: type[Exception] = OSError) -> Iterator[None]:
        try:  # the file's failures (and ``damage``, decoding it) as a BackendError naming it
            yield
        except (OSError, damage) as exc:
            raise spi.BackendError(f"{self.path} cannot be read or written ({exc!r})") from exc

    @classmethod
    def open(cls, location: str, *, codec: spi.Codec, options: Mapping[str, Any]) -> JsonlBackend:
        backend = cls(location, codec)
        if not backend.path.exists():
            backend.atomic(lambda txn: None)  # writes the header of an empty register
        with backend._failing(Exception), backend.path.open(encoding="utf-8") as file:
            header = dict(json.loads(file.readline() or "{}"))  # metadata only: the first line
        if header.get("format") != FORMAT or header.get("version", VERSION + 1) > VERSION:
            raise spi.SchemaVersionError(
                f"{backend.path} is not a raidlog JSON Lines register of version {VERSION} "
                "or older: check the file, or upgrade raidlog-jsonl"
            )
        return backend

    def _read(self) -> _State:
        """The state on disk. Parsed at each call: simple, and fine for a few thousand items."""
        if not self.path.exists():
            return _State({})
        with self._failing(Exception), self.path.open(encoding="utf-8") as file:
            lines = [json.loads(line) for line in file if line.strip()]
            return _State(lines[0] if lines else {}, lines[1:])

    def _save(self, state: _State) -> None:
        temp = self.path.with_name(f".{self.path.name}.tmp")  # one writer at a time: one name
        try:
            with temp.open("w", encoding="utf-8", newline="\n") as file:
                for line in state.lines():
                    file.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, self.path)
        finally:
            temp.unlink(missing_ok=True)
        spi.fsync_folder(self.path.parent)  # make the rename itself durable

    def atomic(self, work: Callable[[spi.Transaction], T]) -> T:
        # One writer at a time (thread lock, and flock across processes): it reads the latest.
        with self._lock, self._failing(), open(f"{self.path}.lock", "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            state = self._read()
            result = work(_JsonlTransaction(self.codec, state))
            self._save(state)
            return result

    def get(self, ref: str) -> spi.Item | None:
        return _JsonlTransaction(self.codec, self._read()).get(ref)

    def items(self, kinds: Iterable[str] | None = None) -> Iterator[spi.Item]:
        state, wanted = self._read(), None if kinds is None else set(kinds)
        found = [d for _, d in sorted(state.items.items()) if wanted is None or d["kind"] in wanted]
        return (self.codec.item_from_dict(d) for d in found)

    def events(self, *, ref: str | None = None, after: int = 0) -> Iterator[spi.Event]:
        found = [e for e in self._read().events if e["seq"] > after]
        return (self.codec.event_from_dict(e) for e in found if ref is None or e["ref"] == ref)

    def entities(self) -> list[spi.Entity]:
        state = self._read()
        return [self.codec.entity_from_dict(state.entities[k]) for k in sorted(state.entities)]

    def get_meta(self, key: str) -> str | None:
        return self._read().meta.get(key)

    def close(self) -> None:
        """Nothing stays open between calls: each one opens and closes the file."""


@spi.hookimpl
def register_backends() -> list[type[spi.Backend]]:
    """The ``jsonl`` backend, for ``.jsonl`` files and ``jsonl:`` locations."""
    return [JsonlBackend]
