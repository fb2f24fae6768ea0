"""The Excel workbook backend: a register people can still open in Excel.

Registered as a built-in plugin (``raidlog.backends.excel`` in
:data:`raidlog.plugins.BUILTIN_PLUGINS`); locations ending in ``.xlsx`` open it.
"""

from __future__ import annotations

from .backend import ExcelBackend, register_backends
from .external import EXTERNAL_ACTOR, HandEdit, HandEditError
from .safety import UnsafeWorkbookError, WorkbookChangedError

__all__ = [
    "EXTERNAL_ACTOR",
    "ExcelBackend",
    "HandEdit",
    "HandEditError",
    "UnsafeWorkbookError",
    "WorkbookChangedError",
    "register_backends",
]
