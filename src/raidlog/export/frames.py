"""Items as a pandas DataFrame (needs the ``pandas`` extra: ``pip install raidlog[pandas]``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from raidlog.errors import RaidLogError
from raidlog.export.rows import columns_for, flatten
from raidlog.model.items import Item
from raidlog.query import Query

if TYPE_CHECKING:
    from raidlog.register import Register

__all__ = ["to_dataframe"]


def to_dataframe(  # pandas ships no type information
    source: Register | Iterable[Item], query: Query | None = None, /, **filters: Any
) -> Any:
    """The items of ``source`` as a pandas DataFrame: one row per item, one column per
    field (the same columns as the CSV export), indexed by ``ref``. Dates stay
    ``datetime.date`` objects; lists are ``"; "``-joined.

    ``source`` is a register (all its items, or those matching ``query`` or the
    filters of :meth:`~raidlog.register.Register.query`) or items already chosen.
    Raises :class:`~raidlog.errors.RaidLogError` naming the extra when pandas is missing.
    """
    try:
        import pandas as pd  # an optional extra: imported only when asked for
    except ImportError:
        raise RaidLogError("to_dataframe needs pandas: pip install 'raidlog[pandas]'") from None
    if isinstance(source, Iterable):
        if query is not None or filters:
            raise RaidLogError("to_dataframe filters a register, not items already chosen")
        batch = list(source)
    elif query is not None or filters:
        batch = source.query(query, **filters)
    else:
        batch = list(source.items())
    columns = columns_for(batch)
    frame = pd.DataFrame([flatten(i, columns) for i in batch], columns=columns)
    return frame.set_index("ref", drop=False)
