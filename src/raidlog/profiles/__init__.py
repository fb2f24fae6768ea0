"""The profiles raidlog ships, as TOML data, and the loader that reads them.

A profile file may say ``extends = "other"``: it is merged over that profile, tables
key by key; arrays (and arrays of tables such as ``bands``) replace the parent's.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from raidlog.errors import ProfileError
from raidlog.model.profile import Profile

__all__ = ["available_profiles", "load_profile", "profile_data"]


def available_profiles() -> tuple[str, ...]:
    """Names of the profiles shipped with raidlog."""
    folder = resources.files(__name__)
    return tuple(
        sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    )


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read(name_or_path: str) -> dict[str, Any]:
    path = Path(name_or_path)
    try:
        if name_or_path.endswith(".toml"):
            text = path.read_text(encoding="utf-8")
        else:
            text = resources.files(__name__).joinpath(f"{name_or_path}.toml").read_text("utf-8")
    except FileNotFoundError:
        shipped = ", ".join(available_profiles())
        raise ProfileError(
            f"no profile {name_or_path!r}: use one of {shipped} or the path of a .toml file"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {name_or_path!r} is not valid TOML: {exc}") from exc


def profile_data(name_or_path: str, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fully merged data of a profile (``extends`` resolved)."""
    if name_or_path in _seen:
        raise ProfileError(f"profile {name_or_path!r} extends itself through {_seen}")
    data = _read(name_or_path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    return _merge(profile_data(str(parent), (*_seen, name_or_path)), data)


def load_profile(name_or_path: str) -> Profile:
    """Load a shipped profile by name (``default``, ``prince2``, ``pmi``, ``iso31000``) or a
    profile file by path. Raises ``ProfileError`` naming what is wrong."""
    return Profile.from_mapping(profile_data(name_or_path))
