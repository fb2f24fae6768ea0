"""``raidlog serve``: browse a SQLite register in Datasette with the datasette-raidlog pages.

Datasette and the plugin are a separate package (``plugins/datasette-raidlog``), imported
only when the command runs, so every other command starts without them.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import click

import raidlog
from raidlog.cli.main import fail, main

__all__ = ["serve"]

_MISSING = (
    "datasette-raidlog is not installed, so there is nothing to serve the register with: "
    "pip install datasette-raidlog (scripts/setup installs it from plugins/datasette-raidlog)"
)


def _register_file(location: str) -> Path:
    """The SQLite file of an existing register; a clear error for anything else."""
    path = Path(location.removeprefix("sqlite:///"))
    if "://" in location and not location.startswith("sqlite:///"):
        fail(f"{location}: raidlog serve shows a SQLite register file (Datasette reads SQLite)")
    if not path.is_file() or path.stat().st_size == 0:
        fail(f"{path}: no register in this file; create one with raidlog init {path}")
    # Opening refuses a SQLite file that is not a register, before Datasette serves it.
    with raidlog.open(f"sqlite:///{path.resolve()}", actor="serve"):
        pass
    return path


@main.command()
@click.argument("location")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 127.0.0.1 keeps the register on this machine.",
)
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
def serve(location: str, host: str, port: int) -> None:
    """Serve the register LOCATION (a SQLite file) in Datasette, read-only, with its
    governance pages at /-/raidlog/ (bodies, items, heat maps, agendas)."""
    try:
        importlib.import_module("datasette_raidlog")
        from datasette.cli import serve as datasette_serve
    except ImportError:
        fail(_MISSING)
    path = _register_file(location)
    click.echo(f"Serving {path} at http://{host}:{port}/-/raidlog (Ctrl+C stops)", err=True)
    datasette_serve.main(
        args=[str(path), "--host", host, "--port", str(port)],
        prog_name="raidlog serve",
        standalone_mode=False,
    )
