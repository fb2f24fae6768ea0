"""Building the plugin manager and reading what the plugins provide.

There is no module-level plugin manager: :func:`get_plugin_manager` builds one, loads
the built-in plugins (listed in :data:`BUILTIN_PLUGINS`, registered exactly like a
third party's), then the entry points of group ``raidlog``, then any extra plugin
objects, and checks every hook implementation against its specification.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib import metadata

import pluggy

from raidlog import hookspecs
from raidlog.backends.base import Backend
from raidlog.errors import BackendNotFoundError, DuplicateBackendError, ValidationError
from raidlog.model.items import BUILTIN_KINDS, Item
from raidlog.model.profile import PROFILE_REF

__all__ = [
    "BUILTIN_PLUGINS",
    "backend_classes",
    "find_backend",
    "get_plugin_manager",
    "kind_classes",
    "plugin_versions",
]

#: Modules of the plugins raidlog ships; each ends with the same ``@hookimpl`` a third
#: party writes.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "raidlog.backends.memory",
    "raidlog.backends.sqlite",
    "raidlog.backends.excel",
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


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or repr(plugin)


def backend_classes(pm: pluggy.PluginManager) -> dict[str, type[Backend]]:
    """Every registered backend by name. Raises :class:`DuplicateBackendError` when two
    plugins use one name, naming both."""
    found: dict[str, tuple[type[Backend], str]] = {}
    for impl in pm.hook.register_backends.get_hookimpls():
        for cls in impl.function() or ():  # type: ignore[attr-defined]  # pluggy types results as object
            if not (isinstance(cls, type) and issubclass(cls, Backend)):
                raise TypeError(f"plugin {impl.plugin_name} returned {cls!r}, not a Backend class")
            if cls.name in found and found[cls.name][0] is not cls:
                raise DuplicateBackendError(
                    f"two plugins register a backend named {cls.name!r}: "
                    f"{found[cls.name][1]} and {impl.plugin_name}; uninstall one of them"
                )
            found[cls.name] = (cls, impl.plugin_name)
    return {name: cls for name, (cls, _) in found.items()}


def kind_classes(pm: pluggy.PluginManager) -> tuple[type[Item], ...]:
    """The built-in kinds and every kind plugins register, checked for unique names."""
    kinds: dict[str, type[Item]] = {k.kind: k for k in BUILTIN_KINDS}
    prefixes = {k.ref_prefix: k.kind for k in BUILTIN_KINDS}
    for batch in pm.hook.register_kinds():
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
    """The backend that opens ``location``: by scheme first, then by suffix."""
    backends = backend_classes(pm).values()
    scheme, sep, _ = location.partition(":")
    # A one-letter "scheme" is a Windows drive (C:\...), not a scheme.
    if sep and len(scheme) > 1:
        for cls in backends:
            if scheme.lower() in cls.schemes:
                return cls
    for cls in backends:
        if cls.suffixes and location.lower().endswith(cls.suffixes):
            return cls
    known = sorted(
        {f"{s}:" for cls in backends for s in cls.schemes}
        | {x for cls in backends for x in cls.suffixes}
    )
    raise BackendNotFoundError(
        f"no installed backend opens {location!r}; installed backends handle: "
        f"{', '.join(known)} (see `raidlog backends`)"
    )


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
