"""Writing what an import read: one upsert on the import channel, with the items the
register refuses as frozen (a closed item, an accepted decision the file changes) taken
out one by one, and the report's tallies of what was added, changed or left alone.

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
) -> list[Item]:
    """``register.upsert_many(items)`` as one import of the file ``name``.

    When the register refuses an item as frozen, ``frozen(index, error)`` is called: it
    raises (an :class:`~raidlog.errors.ImportRejected` naming the row) to stop, or
    returns, after dropping its own record of that item, to have the item and its source
    taken out and the others written again. Any other refusal is an ``ImportRejected``
    naming the file; nothing is written then.
    """
    try:
        while True:
            try:
                return register.upsert_many(
                    items, reason=f"imported from {name}", sources=sources, channel="import"
                )
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


def tally(report: ImportReport, stored: list[Item], before: Mapping[str | None, int]) -> None:
    """Count ``stored`` into ``report``: added (no version ``before``), unchanged (the same
    version) or updated, and list their refs."""
    for item in stored:
        assert item.ref is not None
        report.refs.append(item.ref)
        if item.ref not in before:
            report.added += 1
        elif before[item.ref] == item.version:
            report.unchanged += 1
        else:
            report.updated += 1
