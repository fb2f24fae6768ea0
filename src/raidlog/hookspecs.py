"""The hooks raidlog calls, and the markers plugins use to implement them.

A plugin is a module (or any object) with functions marked ``@hookimpl`` whose names
match the specifications below. Install it with an entry point in the group
``raidlog``::

    [project.entry-points.raidlog]
    myplugin = "raidlog_myplugin"

raidlog's own backends register through these same hooks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from raidlog.backends.base import Backend
    from raidlog.model.items import Item

__all__ = ["PROJECT", "hookimpl", "hookspec", "register_backends", "register_kinds"]

#: The pluggy project name, also the entry-point group.
PROJECT = "raidlog"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_backends() -> Iterable[type[Backend]]:  # type: ignore[empty-body]  # a spec has no body
    """Return the storage backends this plugin provides.

    Called once when a plugin manager is built; every plugin's results are collected.
    Each class must subclass :class:`raidlog.backends.base.Backend` and set a unique
    ``name``; two backends with one name are an error naming both plugins. A location
    is opened by the backend whose ``schemes`` match its scheme, else whose
    ``suffixes`` match its end.

    :return: backend classes (an empty list when the plugin provides none).
    """


@hookspec
def register_kinds() -> Iterable[type[Item]]:  # type: ignore[empty-body]  # a spec has no body
    """Return further item kinds this plugin provides, beyond the six built-in ones.

    Each class must subclass :class:`raidlog.model.items.Item` (an attrs class) and set
    unique ``kind`` and ``ref_prefix`` class attributes; the register's profile must
    define a lifecycle for the kind before items of it can be added.

    :return: item classes (an empty list when the plugin provides none).
    """
