"""The Excel workbook backend: a register people can still open in Excel.

Registered as a built-in plugin (``raidlog.backends.excel`` in
:data:`raidlog.plugins.BUILTIN_PLUGINS`); locations ending in ``.xlsx`` open it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backend import ExcelBackend, register_backends
from .safety import UnsafeWorkbookError, WorkbookChangedError

if TYPE_CHECKING:
    from .external import EXTERNAL_ACTOR, HandEdit, HandEditError

__all__ = [
    "EXTERNAL_ACTOR",
    "ExcelBackend",
    "HandEdit",
    "HandEditError",
    "UnsafeWorkbookError",
    "WorkbookChangedError",
    "register_backends",
]

_EXTERNAL = frozenset({"EXTERNAL_ACTOR", "HandEdit", "HandEditError"})


def __getattr__(name: str) -> Any:
    # openpyxl (and numpy beneath it) loads only when a workbook is read or written:
    # registering this backend, as every ``raidlog.open`` does, must not cost that.
    if name in _EXTERNAL:
        from . import external

        return getattr(external, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
