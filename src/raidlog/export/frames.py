"""Items as a pandas DataFrame (needs the ``pandas`` extra: ``pip install raidlog[pandas]``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from raidlog.errors import RaidLogError
from raidlog.export.rows import columns_for, flatten
from raidlog.model.items import Item

__all__ = ["to_dataframe"]


def to_dataframe(items: Iterable[Item]) -> Any:  # pandas ships no type information
    """One row per item, one column per field (the same columns as the CSV export),
    indexed by ``ref``. Dates stay ``datetime.date`` objects; lists are ``"; "``-joined.

    Raises :class:`~raidlog.errors.RaidLogError` naming the extra when pandas is missing.
    """
    try:
        import pandas as pd  # an optional extra: imported only when asked for
    except ImportError:
        raise RaidLogError("to_dataframe needs pandas: pip install 'raidlog[pandas]'") from None
    batch = list(items)
    columns = columns_for(batch)
    frame = pd.DataFrame([flatten(i, columns) for i in batch], columns=columns)
    return frame.set_index("ref", drop=False)
