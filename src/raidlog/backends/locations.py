"""The built-in rule that chooses a backend for a location: scheme first, then suffix.

A plugin module like any third party's, listed in :data:`raidlog.plugins.BUILTIN_PLUGINS`.
Its ``backend_for`` implementation is ``trylast``, so a plugin's own implementation of
the hook is asked first and may claim any location (every ``.db`` file, say).
"""

from __future__ import annotations

from collections.abc import Mapping

from raidlog.backends.base import Backend
from raidlog.hookspecs import hookimpl

__all__ = ["backend_for", "by_scheme_then_suffix"]


def by_scheme_then_suffix(
    location: str, backends: Mapping[str, type[Backend]]
) -> type[Backend] | None:
    """The backend whose ``schemes`` match the scheme of ``location``, else the one whose
    ``suffixes`` match its end (case-insensitive), else ``None``. Backends are tried in
    the order given."""
    scheme, sep, _ = location.partition(":")
    # A one-letter "scheme" is a Windows drive (C:\...), not a scheme.
    if sep and len(scheme) > 1:
        for cls in backends.values():
            if scheme.lower() in cls.schemes:
                return cls
    lowered = location.lower()
    for cls in backends.values():
        if cls.suffixes and lowered.endswith(cls.suffixes):
            return cls
    return None


@hookimpl(trylast=True)
def backend_for(location: str, backends: Mapping[str, type[Backend]]) -> type[Backend] | None:
    """raidlog's own choice, asked after every plugin's: scheme first, then suffix."""
    return by_scheme_then_suffix(location, backends)
