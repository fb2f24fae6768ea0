"""Storage is found through one hook; built-ins register exactly like third parties."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pluggy
import pytest

import raidlog
from raidlog.backends.memory import MemoryBackend
from raidlog.convert import Codec
from raidlog.plugins import BUILTIN_PLUGINS, backend_classes, find_backend, get_plugin_manager


class _Clash(MemoryBackend):
    name: ClassVar[str] = "memory"
    schemes: ClassVar[tuple[str, ...]] = ("clash",)


class _ClashPlugin:
    @raidlog.hookimpl
    def register_backends(self) -> list[type[raidlog.Backend]]:
        return [_Clash]


class _Other(MemoryBackend):
    name: ClassVar[str] = "other"
    schemes: ClassVar[tuple[str, ...]] = ()
    suffixes: ClassVar[tuple[str, ...]] = (".other",)

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> "_Other":
        return cls(location, codec)


class _OtherPlugin:
    @raidlog.hookimpl
    def register_backends(self) -> list[type[raidlog.Backend]]:
        return [_Other]


class _Misspelt:
    @raidlog.hookimpl
    def register_backend(self) -> list[type[raidlog.Backend]]:
        return []


def test_builtins_are_plugins_listed_in_one_tuple() -> None:
    pm = get_plugin_manager()
    for name in BUILTIN_PLUGINS:
        assert pm.has_plugin(name)
    assert backend_classes(pm)["memory"] is MemoryBackend


def test_duplicate_backend_name_names_both_plugins() -> None:
    pm = get_plugin_manager([_ClashPlugin()])
    with pytest.raises(raidlog.DuplicateBackendError, match=r"raidlog\.backends\.memory and"):
        backend_classes(pm)


def test_a_third_party_backend_is_chosen_by_suffix() -> None:
    pm = get_plugin_manager([_OtherPlugin()])
    assert find_backend(pm, "/tmp/raid.OTHER") is _Other
    with raidlog.open("x.other", actor="a", plugins=[_OtherPlugin()]) as reg:
        assert reg.backend.name == "other"


def test_a_misspelt_hook_fails_loudly() -> None:
    with pytest.raises(pluggy.PluginValidationError, match="register_backend"):
        get_plugin_manager([_Misspelt()])


@attrs.frozen(kw_only=True)
class Opportunity(raidlog.Item):
    kind: ClassVar[str] = "opportunity"
    ref_prefix: ClassVar[str] = "OP"
    label: ClassVar[str] = "Opportunity"

    benefit: str = ""


class _KindsPlugin:
    @raidlog.hookimpl
    def register_kinds(self) -> list[type[raidlog.Item]]:
        return [Opportunity]


def test_plugins_add_kinds_that_the_profile_gives_a_lifecycle(tmp_path: Path) -> None:
    profile = tmp_path / "opportunities.toml"
    profile.write_text(
        'name = "opportunities"\nextends = "default"\n'
        '[lifecycle.opportunity]\ninitial = "open"\nclosed = ["taken"]\n'
        '[lifecycle.opportunity.transitions]\nopen = ["taken"]\ntaken = []\n'
    )
    with raidlog.open("memory:", actor="a", profile=str(profile), plugins=[_KindsPlugin()]) as reg:
        added = reg.add(Opportunity(title="Reuse the platform", benefit="lower cost"))
        assert (added.ref, added.status) == ("OP-0001", "open")
        assert reg.transition(added, "taken").status == "taken"
        assert reg.verify().ok
    with (
        raidlog.open("memory:", actor="a", plugins=[_KindsPlugin()]) as reg,
        pytest.raises(raidlog.ProfileError, match="no lifecycle for 'opportunity'"),
    ):
        reg.add(Opportunity(title="x"))
