"""The built-in SQLite backend (``raid.db``, ``raid.sqlite``, ``sqlite:///path``).

This package is a plugin module like any third party's: it ends with the
``register_backends`` hook implementation that returns :class:`SQLiteBackend`.
"""

from raidlog.backends.sqlite.backend import SQLiteBackend, register_backends

__all__ = ["SQLiteBackend", "register_backends"]
