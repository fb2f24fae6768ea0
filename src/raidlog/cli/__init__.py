"""The ``raidlog`` command line: click commands over the Register API, no logic of its own.

``main`` (the group, its shared options and error handling) is in :mod:`raidlog.cli.main`;
each command module imports it, and this package puts every command on it: ``io``,
``items`` and ``serve`` by their ``@main.command()`` decorators, the others here.
"""

from raidlog.cli import boards, io, items, migrate, serve  # noqa: F401  # io, items, serve: for their @main.command()
from raidlog.cli.main import main

__all__ = ["main"]

for _command in (
    boards.node,
    boards.body,
    boards.objective,
    boards.view,
    boards.escalations,
    boards.agenda,
    boards.remind,
    migrate.import_command,
):
    main.add_command(_command)
