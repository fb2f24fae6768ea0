"""Building the plugin manager, and calling the hooks through it.

There is no module-level plugin manager: :func:`get_plugin_manager` builds one, loads
the built-in plugins (listed in :data:`BUILTIN_PLUGINS`, registered exactly like a
third party's), then the entry points of group ``raidlog``, then any extra plugin
objects, and checks every hook implementation against its specification.
:func:`default_plugin_manager` builds the one without extra plugins once per process:
loading entry points is most of what opening a register costs.

``pm.hook.<name>(...)`` is untyped, so every hook raidlog calls is called in exactly one
typed function here (:func:`backend_classes`, :func:`find_backend`,
:func:`kind_classes`, :func:`notify`, :func:`remind`), always through pluggy, so
pluggy's promises hold for plugins: an implementation may take only the arguments it
uses, ``tryfirst`` and ``trylast`` order the calls and ``wrapper=True`` wraps them.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pluggy

from raidlog import hookspecs
from raidlog.backends.base import Backend
from raidlog.errors import BackendNotFoundError, DuplicateBackendError, ValidationError
from raidlog.model.items import BUILTIN_KINDS, Item
from raidlog.model.profile import PROFILE_REF

if TYPE_CHECKING:
    from raidlog.boards import Reminder
    from raidlog.model.events import Event
    from raidlog.register import Register

__all__ = [
    "BUILTIN_PLUGINS",
    "backend_classes",
    "default_plugin_manager",
    "find_backend",
    "get_plugin_manager",
    "has_notifiers",
    "kind_classes",
    "notify",
    "plugin_versions",
    "remind",
]

_notify_log = logging.getLogger("raidlog.notify")

#: Modules of the plugins raidlog ships; each ends with the same ``@hookimpl`` a third
#: party writes.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "raidlog.backends.memory",
    "raidlog.backends.sqlite",
    "raidlog.backends.excel",
    "raidlog.backends.locations",
)


def get_plugin_manager(
    extra: Iterable[object] = (), *, entry_points: bool = True
) -> pluggy.PluginManager:
    """A plugin manager with the built-in plugins, the installed ones (entry points in
    group ``raidlog``, unless ``entry_points`` is false) and ``extra`` plugin objects.

    Raises :class:`pluggy.PluginValidationError` when a plugin implements a hook that
    does not exist (a misspelt name fails loudly).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if entry_points:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    for plugin in extra:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    pm.check_pending()
    return pm


@functools.cache
def default_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager of :func:`get_plugin_manager` with its default arguments,
    built once per process and shared (what :func:`raidlog.open` uses when it is given
    no extra plugins). Register nothing into it: pass plugins to
    :func:`get_plugin_manager` or :func:`raidlog.open` instead."""
    return get_plugin_manager()


def backend_classes(pm: pluggy.PluginManager) -> dict[str, type[Backend]]:
    """Every registered backend by name, in the order pluggy calls the
    ``register_backends`` implementations (the last registered plugin first).

    Raises :class:`DuplicateBackendError` when two plugins use one name, naming both,
    and ``TypeError`` when a plugin returns something that is not a Backend class.
    """
    found: dict[str, type[Backend]] = {}
    batches: list[Iterable[object] | None] = pm.hook.register_backends()
    for cls in (cls for batch in batches for cls in batch or ()):
        if not (isinstance(cls, type) and issubclass(cls, Backend)):
            raise TypeError(f"plugin {_providers(pm, cls)} returned {cls!r}, not a Backend class")
        if cls.name in found and found[cls.name] is not cls:
            # Called last registered first: ``cls`` comes from the earlier plugin.
            raise DuplicateBackendError(
                f"two plugins register a backend named {cls.name!r}: "
                f"{_providers(pm, cls)} and {_providers(pm, found[cls.name])}; "
                "uninstall one of them"
            )
        found[cls.name] = cls
    # Built-ins registered first are called last: list them first, as they always were.
    return dict(reversed(found.items()))


def _providers(pm: pluggy.PluginManager, returned: object) -> str:
    """The names of the plugins whose ``register_backends`` returns ``returned``: asked
    of each plugin alone (through pluggy), on the error path only."""
    names = []
    plugins = [impl.plugin for impl in pm.hook.register_backends.get_hookimpls()]
    for plugin in plugins:
        alone = pm.subset_hook_caller("register_backends", [p for p in plugins if p is not plugin])
        if any(returned is cls for batch in alone() for cls in batch or ()):
            names.append(pm.get_name(plugin) or repr(plugin))
    return ", ".join(names) or repr(returned)


def kind_classes(pm: pluggy.PluginManager) -> tuple[type[Item], ...]:
    """The built-in kinds and every kind plugins register, checked for unique names."""
    kinds: dict[str, type[Item]] = {k.kind: k for k in BUILTIN_KINDS}
    prefixes = {k.ref_prefix: k.kind for k in BUILTIN_KINDS}
    batches: list[Iterable[object] | None] = pm.hook.register_kinds()
    for batch in batches:
        for cls in batch or ():
            if not (isinstance(cls, type) and issubclass(cls, Item)) or not cls.kind:
                raise TypeError(f"{cls!r} is not an Item subclass with a kind")
            if cls.kind == PROFILE_REF:
                raise ValidationError(f"the kind {PROFILE_REF!r} is the register's own")
            if cls.kind in kinds and kinds[cls.kind] is not cls:
                raise ValidationError(f"two item classes register the kind {cls.kind!r}")
            if prefixes.get(cls.ref_prefix, cls.kind) != cls.kind:
                raise ValidationError(
                    f"kind {cls.kind!r} reuses the ref prefix {cls.ref_prefix!r} "
                    f"of {prefixes[cls.ref_prefix]!r}"
                )
            kinds[cls.kind] = cls
            prefixes[cls.ref_prefix] = cls.kind
    return tuple(kinds.values())


def find_backend(pm: pluggy.PluginManager, location: str) -> type[Backend]:
    """The backend that opens ``location``: the first non-``None`` answer of the
    ``backend_for`` hook (a plugin's first, raidlog's own scheme-then-suffix rule last).

    Raises :class:`BackendNotFoundError`, listing what the installed backends handle,
    when no implementation claims it, and ``TypeError`` when one answers with something
    that is not a registered Backend class.
    """
    backends = backend_classes(pm)
    chosen: object = pm.hook.backend_for(location=location, backends=backends)
    if chosen is None:
        known = sorted(
            {f"{s}:" for cls in backends.values() for s in cls.schemes}
            | {x for cls in backends.values() for x in cls.suffixes}
        )
        raise BackendNotFoundError(
            f"no installed backend opens {location!r}; installed backends handle: "
            f"{', '.join(known)} (see `raidlog backends`)"
        )
    if not (isinstance(chosen, type) and issubclass(chosen, Backend)):
        raise TypeError(f"a backend_for implementation chose {chosen!r}, not a Backend class")
    return chosen


def has_notifiers(pm: pluggy.PluginManager | None) -> bool:
    """Whether any plugin implements ``notify`` (a write keeps its events for them)."""
    return pm is not None and bool(pm.hook.notify.get_hookimpls())


def notify(pm: pluggy.PluginManager, events: Sequence[Event], register: Register) -> None:
    """Call the ``notify`` hook after a committed change, in pluggy's order and with
    its wrappers. A notifier that raises is logged on ``raidlog.notify`` and the others
    still run: the change is committed, a failing notifier must not hide that.

    pluggy stops a hook call at the first exception, so each plain implementation runs
    inside a guard of its own, handed to pluggy in its place with ``call_extra`` (in
    the order pluggy would call them); the wrappers stay as they are and wrap them all.
    """
    hook = pm.hook.notify
    plain = [impl for impl in hook.get_hookimpls() if not (impl.wrapper or impl.hookwrapper)]
    wrappers_only = pm.subset_hook_caller("notify", [impl.plugin for impl in plain])
    # call_extra puts each method before the ones already given, as pluggy's own
    # registration order does: handing them over in get_hookimpls() order keeps it.
    guarded = [_guarded(impl, len(events)) for impl in plain]
    try:
        wrappers_only.call_extra(guarded, {"events": events, "register": register})
    except Exception:
        _notify_log.exception("a notify wrapper failed on %d events", len(events))


def _guarded(impl: pluggy.HookImpl, count: int) -> Callable[..., None]:
    function = impl.function

    @functools.wraps(function)  # pluggy reads the wrapped signature: same arguments
    def guarded(*args: Any) -> None:
        try:
            function(*args)
        except Exception:
            _notify_log.exception("notifier %s failed on %d events", impl.plugin_name, count)

    return guarded


def remind(pm: pluggy.PluginManager, reminders: Sequence[Reminder], register: Register) -> None:
    """Hand ``reminders`` to every ``remind`` implementation, in pluggy's order."""
    pm.hook.remind(reminders=reminders, register=register)


def plugin_versions(pm: pluggy.PluginManager) -> dict[str, str]:
    """Registered plugins by name, with the version of the distribution providing them."""
    versions: dict[str, str] = {}
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    for name, plugin in pm.list_name_plugin():
        dist = dists.get(id(plugin))
        if dist is not None:
            versions[name] = f"{dist.project_name} {dist.version}"
        elif name.startswith("raidlog."):
            versions[name] = f"raidlog {metadata.version('raidlog')}"
        else:
            versions[name] = "unknown version"
    return versions
