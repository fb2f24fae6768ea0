"""CLI tests run the command group in-process against a store that outlives one command.

``shared:NAME`` opens the same in-memory store for every command of a test (the
``memory:`` backend opens a new empty one each time, by design), handed to the group
the way an embedding application would: ``main(obj={"plugins": [...]})``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from raidlog.backends.base import Backend
from raidlog.backends.memory import MemoryBackend
from raidlog.cli import main
from raidlog.convert import Codec
from raidlog.hookspecs import hookimpl


class SharedMemoryBackend(MemoryBackend):
    """``shared:NAME``: one in-memory store per name for the whole test."""

    name: ClassVar[str] = "shared-memory"
    schemes: ClassVar[tuple[str, ...]] = ("shared",)
    stores: ClassVar[dict[str, SharedMemoryBackend]] = {}

    @classmethod
    def open(
        cls, location: str, *, codec: Codec, options: Mapping[str, Any]
    ) -> SharedMemoryBackend:
        return cls.stores.setdefault(location, cls(location, codec))


class SharedPlugin:
    @hookimpl
    def register_backends(self) -> list[type[Backend]]:
        return [SharedMemoryBackend]


PLUGIN = SharedPlugin()


class Cli:
    """Runs ``raidlog ...`` in-process; stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0, env: dict[str, str] | None = None) -> Result:
        result = self.runner.invoke(
            main, list(args), obj={"plugins": [PLUGIN]}, env=env or {"RAIDLOG_ACTOR": "ana"}
        )
        assert result.exit_code == code, (
            f"exit {result.exit_code}, wanted {code}\nstdout: {result.stdout}\n"
            f"stderr: {result.stderr}\n{result.exception!r}"
        )
        return result


@pytest.fixture
def cli() -> Iterator[Cli]:
    SharedMemoryBackend.stores.clear()
    yield Cli()
    SharedMemoryBackend.stores.clear()


@pytest.fixture
def reg(cli: Cli) -> str:
    """A fresh register location for the test."""
    cli("init", "shared:raid")
    return "shared:raid"
