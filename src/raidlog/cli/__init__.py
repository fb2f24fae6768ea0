"""The ``raidlog`` command line: click commands over the Register API, no logic of its own."""

from raidlog.cli.main import main

__all__ = ["main"]
