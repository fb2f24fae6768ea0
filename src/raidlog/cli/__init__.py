"""The ``raidlog`` command line: click commands over the Register API, no logic of its own."""

from raidlog.cli import io, items, serve  # noqa: F401  # importing registers the commands on main
from raidlog.cli.main import main

__all__ = ["main"]
