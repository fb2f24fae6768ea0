"""The ``raidlog`` command group, shared options and error handling.

The commands live in the modules beside this one; ``raidlog.cli`` puts them on the group.

Exit codes scripts can rely on: 0 success, 1 a raidlog error (invalid input, not found,
verification failed), 2 wrong usage (click), 3 a conflict (the item changed since it
was read), 4 an import was rejected.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click

import raidlog
from raidlog.convert import Codec
from raidlog.errors import ConflictError, RaidLogError
from raidlog.plugins import backend_classes, default_plugin_manager, plugin_versions

__all__ = ["EXIT_CONFLICT", "EXIT_ERROR", "EXIT_REJECTED", "main", "open_register"]

EXIT_ERROR = 1
EXIT_CONFLICT = 3
EXIT_REJECTED = 4

#: Environment variable naming the actor when ``--as`` is not given.
ACTOR_ENV = "RAIDLOG_ACTOR"

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """Print one clear line on stderr and exit with ``code``."""
    click.echo(f"raidlog: error: {message}", err=True)
    sys.exit(code)


def actor_option(func: F) -> F:
    """``--as NAME``: who is making the change (default ``$RAIDLOG_ACTOR``, then the login)."""
    return click.option(
        "--as",
        "actor",
        envvar=ACTOR_ENV,
        default=None,
        help=f"Who is making the changes (default: ${ACTOR_ENV}, then your login name).",
    )(func)


def json_option(func: F) -> F:
    """``--json``: machine-readable output."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def resolve_actor(actor: str | None) -> str:
    """The actor: ``--as``, ``$RAIDLOG_ACTOR``, then the login name."""
    if actor:
        return actor
    for name in ("USER", "LOGNAME", "USERNAME"):
        if os.environ.get(name):
            return os.environ[name]
    return "cli"


@contextmanager
def open_register(location: str, actor: str | None, **kwargs: Any) -> Iterator[raidlog.Register]:
    """Open a register for a command; raidlog errors become one line on stderr.

    An application embedding the command group can hand it extra plugin objects (a
    backend of its own, say) with ``main(obj={"plugins": [...]})``.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is not None and isinstance(ctx.obj, dict) and "plugins" not in kwargs:
        kwargs["plugins"] = tuple(ctx.obj.get("plugins", ()))
    with raidlog.open(location, actor=resolve_actor(actor), channel="cli", **kwargs) as register:
        yield register


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False))


class RaidlogGroup(click.Group):
    """Turns raidlog errors into one line on stderr (a traceback only with ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConflictError as exc:
            if ctx.meta.get("raidlog.debug"):
                raise
            fail(str(exc), EXIT_CONFLICT)
        except RaidLogError as exc:
            if ctx.meta.get("raidlog.debug"):
                raise
            code = getattr(exc, "exit_code", EXIT_ERROR)
            fail(str(exc), code)
        except OSError as exc:
            # A file a command reads or writes (an export, a report): say which and why.
            if ctx.meta.get("raidlog.debug"):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}; check the path and its permissions")


@click.group(cls=RaidlogGroup)
@click.version_option(raidlog.__version__, prog_name="raidlog")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """raidlog: one RAID register (risks, actions, issues, decisions) for every governance body.

    Every command takes the register location first: a file such as raid.db or raid.xlsx,
    memory:, or a URL such as postgresql://host/db.
    """
    ctx.meta["raidlog.debug"] = debug


@main.command()
@json_option
def backends(as_json: bool) -> None:
    """List installed storage backends and plugins, with their versions."""
    pm = default_plugin_manager()
    classes = backend_classes(pm)
    Codec()  # importing the converter early surfaces a broken install here, not mid-command
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "schemes": [f"{s}:" for s in cls.schemes],
            "suffixes": list(cls.suffixes),
            "module": cls.__module__,
        }
        for name, cls in sorted(classes.items())
    ]
    plugins = plugin_versions(pm)
    if as_json:
        echo_json({"backends": rows, "plugins": plugins})
        return
    click.echo("Backends:")
    for row in rows:
        handles = ", ".join([*row["schemes"], *row["suffixes"]])
        click.echo(f"  {row['name']:<10} {handles}")
    click.echo("Plugins:")
    for name, version in sorted(plugins.items()):
        click.echo(f"  {name:<30} {version}")
