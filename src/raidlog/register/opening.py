"""Opening a register: the location chooses the backend through the plugin manager,
and the store's own profile wins over the one asked for."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from raidlog.convert import Codec
from raidlog.errors import ProfileError
from raidlog.plugins import default_plugin_manager, find_backend, get_plugin_manager, kind_classes
from raidlog.profiles import load_profile, profile_data
from raidlog.register.facade import Register
from raidlog.register.profile import chosen as chosen_profile
from raidlog.register.profile import read_chain

__all__ = ["open"]


def open(  # raidlog.open mirrors the builtin on purpose, like sqlite3's connect
    location: str,
    *,
    actor: str,
    profile: str | None = None,
    plugins: Sequence[object] = (),
    channel: str = "api",
    options: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Register:
    """Open (or create) the register at ``location``.

    ``location`` chooses the backend by scheme or suffix: ``memory:``, ``raid.db``,
    ``sqlite:///path``, ``raid.xlsx``, ``postgresql://...``, or whatever installed
    plugins handle. ``actor`` is who makes the changes (recorded in every event).
    ``profile`` (a shipped profile's name or a ``.toml`` path) is used when the
    register is new, default ``"default"``; an existing register keeps the profile it
    was created with, and naming a different one raises
    :class:`~raidlog.errors.ProfileError`. ``plugins`` are extra plugin objects to
    register (installed ones load by themselves); ``options`` go to the backend.
    """
    # Without extra plugins every register shares the one built per process.
    pm = get_plugin_manager(plugins) if plugins else default_plugin_manager()
    codec = Codec(kind_classes(pm))
    backend_cls = find_backend(pm, location)
    backend = backend_cls.open(location, codec=codec, options=options or {})
    try:
        stored = backend.get_meta("profile")
        # The chain's profile wins over the stored copy anyone with the file can edit.
        chain = read_chain(backend, stored)
        existing = chosen_profile(chain, stored)
        if existing is None:
            chosen = load_profile(profile or "default")
        else:
            chosen = existing
            if profile is not None and profile_data(profile).get("name") != chosen.name:
                raise ProfileError(
                    f"{location} uses profile {chosen.name!r}, not {profile!r}; open it without "
                    "a profile, or create a new register for another profile"
                )
        register = Register(
            backend,
            actor=actor,
            profile=chosen,
            codec=codec,
            plugin_manager=pm,
            channel=channel,
            clock=clock,
        )
        register.profile_chain = chain
        if stored is None:
            register._store_profile(chosen)
    except BaseException:
        backend.close()
        raise
    return register
