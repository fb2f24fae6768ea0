"""Writing what an import read: one atomic write on the import channel (the bulk add path
when every item is new), with the items the register refuses as frozen (a closed item, an
accepted decision the file changes) taken out one by one, and the report's tallies of what
was added, changed or left alone.

The spreadsheet importer and the MADR folder reader both end here, so both refuse,
retry and count alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from raidlog.errors import ImmutableItemError, ImportRejected, RaidLogError
from raidlog.migrate.report import ImportReport
from raidlog.model.items import Item
from raidlog.register import Register

__all__ = ["tally", "upsert"]


def upsert(
    register: Register,
    items: list[Item],
    sources: list[str],
    name: str,
    frozen: Callable[[int, ImmutableItemError], None],
) -> list[tuple[str, int]]:
    """Write ``items`` as one import of the file ``name``; return each stored item's
    ``(ref, version)``, in order.

    When every item is new (none carries a version read from the register, and none has
    a ref of its own unless the register is empty), this is ``register.add_many``: the
    bulk path, which keeps only refs while it streams the items in slices. Otherwise it is
    ``register.upsert_many``, which adds the new items and replaces the matched ones.

    When the register refuses an item as frozen, ``frozen(index, error)`` is called: it
    raises (an :class:`~raidlog.errors.ImportRejected` naming the row) to stop, or
    returns, after dropping its own record of that item, to have the item and its source
    taken out and the others written again. Any other refusal is an ``ImportRejected``
    naming the file; nothing is written then.
    """
    reason = f"imported from {name}"
    try:
        if _all_new(register, items):
            added = register.add_many(items, reason=reason, sources=sources, channel="import")
            return [(ref, 1) for ref in added.refs]
        while True:
            try:
                stored = register.upsert_many(
                    items, reason=reason, sources=sources, channel="import"
                )
                return [(str(item.ref), item.version) for item in stored]
            except ImmutableItemError as exc:
                index = next((i for i, item in enumerate(items) if item.ref == exc.ref), None)
                if index is None:
                    raise ImportRejected(name, str(exc)) from None
                frozen(index, exc)
                del items[index], sources[index]
    except RaidLogError as exc:
        if isinstance(exc, ImportRejected):
            raise
        raise ImportRejected(name, str(exc)) from None


def _all_new(register: Register, items: list[Item]) -> bool:
    """Whether ``upsert_many`` would only add: no item was read from the register, and
    no preset ref can name a stored item."""
    if any(item.version for item in items):
        return False
    return all(item.ref is None for item in items) or len(register) == 0


def tally(
    report: ImportReport, stored: list[tuple[str, int]], before: Mapping[str | None, int]
) -> None:
    """Count ``stored`` (``(ref, version)`` pairs) into ``report``: added (no version
    ``before``), unchanged (the same version) or updated, and list their refs."""
    for ref, version in stored:
        report.refs.append(ref)
        if ref not in before:
            report.added += 1
        elif before[ref] == version:
            report.unchanged += 1
        else:
            report.updated += 1
