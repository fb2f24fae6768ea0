"""The hooks raidlog calls, and the markers plugins use to implement them.

A plugin is a module (or any object) with functions marked ``@hookimpl`` whose names
match the specifications below. Install it with an entry point in the group
``raidlog``::

    [project.entry-points.raidlog]
    myplugin = "raidlog_myplugin"

raidlog's own backends register through these same hooks. raidlog calls every hook
through pluggy (``pm.hook.<name>(...)``), so what pluggy promises holds: an
implementation may declare only the parameters it uses, ``tryfirst``/``trylast`` order
the calls, and ``wrapper=True`` implementations wrap the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from raidlog.backends.base import Backend
    from raidlog.boards import Reminder
    from raidlog.model.events import Event
    from raidlog.model.items import Item
    from raidlog.register import Register

__all__ = [
    "PROJECT",
    "backend_for",
    "hookimpl",
    "hookspec",
    "notify",
    "register_backends",
    "register_kinds",
    "remind",
]

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


@hookspec(firstresult=True)
def backend_for(location: str, backends: Mapping[str, type[Backend]]) -> type[Backend] | None:
    """Choose the backend class that opens ``location``.

    Stops at the first non-``None`` result. raidlog's own implementation (in
    :mod:`raidlog.backends.locations`) is ``trylast``: it picks the backend whose
    ``schemes`` match the location's scheme, else whose ``suffixes`` match its end. A
    plugin that wants a location the built-in rule would give another backend (say,
    every ``.db`` file) implements this hook and returns its class for it (``None`` for
    every other location); any implementation without ``trylast`` runs before the
    built-in one, and ``tryfirst=True`` puts it before other plugins' too.

    :param location: the location string given to :func:`raidlog.open`.
    :param backends: every registered backend class by its unique ``name`` (what
        ``register_backends`` returned).
    :return: the backend class to open ``location`` with, or ``None`` to let the next
        implementation choose.
    """


@hookspec
def register_kinds() -> Iterable[type[Item]]:  # type: ignore[empty-body]  # a spec has no body
    """Return further item kinds this plugin provides, beyond the six built-in ones.

    Each class must subclass :class:`raidlog.model.items.Item` (an attrs class) and set
    unique ``kind`` and ``ref_prefix`` class attributes; the register's profile must
    define a lifecycle for the kind before items of it can be added.

    :return: item classes (an empty list when the plugin provides none).
    """


@hookspec
def notify(events: Sequence[Event], register: Register) -> None:
    """Called after every committed change, with that change's events.

    Every plugin implementing it is called, in pluggy's order (the last registered
    first, ``tryfirst`` before and ``trylast`` after the others; ``wrapper=True``
    implementations around them all); results are ignored. The change is already
    committed: an exception raised here is logged (logger ``raidlog.notify``) and does
    not undo it, nor stop the other notifiers.

    :param events: the sealed events of one atomic change, in log order.
    :param register: the register they were written to (read from it freely; writing to
        it from here would notify again).
    :return: nothing.
    """


@hookspec
def remind(reminders: Sequence[Reminder], register: Register) -> None:
    """Deliver reminders computed by ``raidlog remind`` or ``Register.send_reminders()``.

    Every installed notifier is called with the same reminders (items due soon, overdue,
    reviews due, escalations due); results are ignored.

    :param reminders: what to remind people of, see :class:`raidlog.boards.Reminder`.
    :param register: the register they come from.
    :return: nothing.
    """
