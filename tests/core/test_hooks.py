"""Every hook is called through pluggy, so what pluggy promises a plugin holds in raidlog.

An implementation may declare only the arguments it uses; ``tryfirst`` and ``trylast``
order the calls; ``wrapper=True`` implementations wrap the others; a ``firstresult``
hook chooses the backend of a location, so a plugin can claim one before the built-in.
"""

from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

import raidlog
from raidlog.backends.memory import MemoryBackend
from raidlog.backends.sqlite import SQLiteBackend
from raidlog.convert import Codec
from raidlog.model.events import Event
from raidlog.plugins import (
    default_plugin_manager,
    find_backend,
    get_plugin_manager,
    has_notifiers,
)


class _EventsOnly:
    """A notifier that declares only the argument it uses."""

    def __init__(self) -> None:
        self.seen: list[list[str | None]] = []

    @raidlog.hookimpl
    def notify(self, events: Sequence[Event]) -> None:
        self.seen.append([e.ref for e in events])


class _Named:
    """A notifier that records its name in a shared call log."""

    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls

    def notify(self, events: Sequence[Event], register: raidlog.Register) -> None:
        self.calls.append(self.name)


class _Plain(_Named):
    @raidlog.hookimpl
    def notify(self, events: Sequence[Event], register: raidlog.Register) -> None:
        super().notify(events, register)


class _First(_Named):
    @raidlog.hookimpl(tryfirst=True)
    def notify(self, events: Sequence[Event], register: raidlog.Register) -> None:
        super().notify(events, register)


class _Failing(_Named):
    @raidlog.hookimpl
    def notify(self, events: Sequence[Event], register: raidlog.Register) -> None:
        super().notify(events, register)
        raise RuntimeError(f"{self.name} is down")


class _Wrapper:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    @raidlog.hookimpl(wrapper=True)
    def notify(self, events: Sequence[Event]) -> Generator[None, None, None]:
        self.calls.append("before")
        yield
        self.calls.append("after")


def test_a_notifier_may_declare_only_the_events() -> None:
    notifier = _EventsOnly()
    with raidlog.open("memory:", actor="a", plugins=[notifier]) as reg:
        risk = reg.add(raidlog.Risk(title="Supplier late"))
        reg.update(risk, title="Supplier very late")
    assert notifier.seen == [["R-0001"], ["R-0001"]]


def test_a_wrapper_notifier_wraps_the_others() -> None:
    calls: list[str] = []
    plugins = [_Wrapper(calls), _Plain("plain", calls)]
    with raidlog.open("memory:", actor="a", plugins=plugins) as reg:
        reg.add(raidlog.Action(title="Chase the supplier"))
    assert calls == ["before", "plain", "after"]


def test_tryfirst_notifiers_run_first_and_the_rest_last_registered_first() -> None:
    calls: list[str] = []
    plugins = [_First("first", calls), _Plain("one", calls), _Plain("two", calls)]
    with raidlog.open("memory:", actor="a", plugins=plugins) as reg:
        reg.add(raidlog.Issue(title="Build broken"))
    assert calls == ["first", "two", "one"]


def test_a_failing_notifier_is_logged_and_neither_stops_the_others_nor_the_wrapper(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []
    plugins = [_Plain("one", calls), _Failing("webhook", calls), _Wrapper(calls)]
    with raidlog.open("memory:", actor="a", plugins=plugins) as reg:
        reg.add(raidlog.Decision(title="Use one register"))
        assert reg.get("D-0001").title == "Use one register"
    assert calls == ["before", "webhook", "one", "after"]
    failures = [r for r in caplog.records if r.name == "raidlog.notify"]
    assert len(failures) == 1
    assert "webhook is down" in caplog.text


def test_only_a_register_with_notifiers_keeps_events_for_them() -> None:
    assert not has_notifiers(None)
    assert not has_notifiers(get_plugin_manager(entry_points=False))
    assert has_notifiers(get_plugin_manager([_EventsOnly()], entry_points=False))


class _Claimer(MemoryBackend):
    """A third-party store that wants every ``.db`` file."""

    name: ClassVar[str] = "claimer"
    suffixes: ClassVar[tuple[str, ...]] = (".db",)

    @classmethod
    def open(cls, location: str, *, codec: Codec, options: Mapping[str, Any]) -> "_Claimer":
        return cls(location, codec)


class _ClaimsDb:
    @raidlog.hookimpl
    def register_backends(self) -> list[type[raidlog.Backend]]:
        return [_Claimer]

    @raidlog.hookimpl(tryfirst=True)
    def backend_for(self, location: str) -> type[raidlog.Backend] | None:
        return _Claimer if location.endswith(".db") else None


class _ListsDbOnly:
    @raidlog.hookimpl
    def register_backends(self) -> list[type[raidlog.Backend]]:
        return [_Claimer]


def test_a_plugin_can_claim_db_files_before_the_builtin(tmp_path: Path) -> None:
    pm = get_plugin_manager([_ClaimsDb()])
    assert find_backend(pm, str(tmp_path / "raid.db")) is _Claimer
    assert find_backend(pm, "sqlite:///raid.sqlite") is SQLiteBackend, "others unchanged"
    with raidlog.open(str(tmp_path / "raid.db"), actor="a", plugins=[_ClaimsDb()]) as reg:
        assert reg.backend.name == "claimer"
    assert not (tmp_path / "raid.db").exists(), "the SQLite backend never saw it"


def test_a_suffix_alone_does_not_take_a_location_from_the_builtin(tmp_path: Path) -> None:
    # Without a backend_for of its own, a plugin gets what the built-in rule gives it:
    # the first registered backend whose scheme, then suffix, matches.
    assert find_backend(get_plugin_manager([_ListsDbOnly()]), "raid.db") is SQLiteBackend


def test_no_backend_for_a_location_names_what_is_installed() -> None:
    with pytest.raises(raidlog.BackendNotFoundError, match=r"'raid\.txt'.*\.db.*memory:"):
        find_backend(default_plugin_manager(), "raid.txt")


class _ChoosesJunk:
    @raidlog.hookimpl
    def backend_for(self) -> object:
        return "sqlite"


def test_a_backend_for_answer_that_is_not_a_backend_class_is_refused() -> None:
    with pytest.raises(TypeError, match=r"chose 'sqlite', not a Backend class"):
        find_backend(get_plugin_manager([_ChoosesJunk()]), "raid.db")


def test_the_default_plugin_manager_is_built_once_per_process() -> None:
    assert default_plugin_manager() is default_plugin_manager()
    with raidlog.open("memory:", actor="a") as one, raidlog.open("memory:", actor="b") as two:
        assert one.plugin_manager is two.plugin_manager is default_plugin_manager()
    with raidlog.open("memory:", actor="a", plugins=[_EventsOnly()]) as own:
        assert own.plugin_manager is not default_plugin_manager()
