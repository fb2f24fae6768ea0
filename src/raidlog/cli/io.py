"""Commands that move registers in and out: export, report, copy.

Long operations show a progress bar on stderr (never on stdout, which scripts read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from raidlog.boardpack import gather
from raidlog.cli.main import actor_option, echo_json, json_option, main, open_register
from raidlog.errors import ValidationError
from raidlog.export.jsonio import load_json, write_json, write_jsonl
from raidlog.export.rows import select_items
from raidlog.export.tabular import write_csv
from raidlog.files import write_text
from raidlog.report.html import render_html

__all__ = ["progress"]

FORMATS = ("xlsx", "csv", "json", "jsonl", "madr")
_JSON_SUFFIXES = (".json", ".jsonl")


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; yields ``advance(n)``.
    ``total=None`` shows a spinner."""
    console = Console(stderr=True)
    columns = (
        (SpinnerColumn(), TextColumn("{task.description}"))
        if total is None
        else (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    )
    # Only for a person at a terminal: a script's captured stderr stays clean.
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance


@main.command()
@click.argument("location")
@click.argument("out", type=click.Path(writable=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: from OUT's suffix).",
)
@click.option("--body", default=None, help="A body's items (its own and those escalated to it).")
@click.option("--node", default=None, help="A node's items, with the nodes below it.")
@click.option("--kind", multiple=True, help="Only these kinds (repeatable).")
@click.option("--status", multiple=True, help="Only these statuses (repeatable).")
@click.option(
    "--raw",
    is_flag=True,
    help="CSV for machines: no formula-guard prefix, plain UTF-8 without BOM.",
)
@actor_option
@json_option
def export(
    location: str,
    out: str,
    fmt: str | None,
    body: str | None,
    node: str | None,
    kind: tuple[str, ...],
    status: tuple[str, ...],
    raw: bool,
    actor: str | None,
    as_json: bool,
) -> None:
    """Export the register (or the filtered items) to OUT as xlsx, csv, json, jsonl or madr.

    xlsx is a board pack (cover, view, heat maps, overdue actions, escalations,
    decisions, and every item). json and jsonl carry items, events and structure; an
    unfiltered one rebuilds the register with `raidlog copy OUT.json TARGET`. madr
    writes one MADR decision record per decision into the folder OUT
    (`raidlog import OUT TARGET` reads them back).
    """
    is_folder = Path(out).is_dir()
    chosen_format = fmt or ("madr" if is_folder else Path(out).suffix.lower().lstrip("."))
    if is_folder and chosen_format != "madr":
        raise click.UsageError(f"{out} is a folder: only --format madr writes into a folder")
    if chosen_format not in FORMATS:
        raise click.UsageError(f"say --format {'|'.join(FORMATS)} (cannot tell from {out!r})")
    if raw and chosen_format != "csv":
        raise click.UsageError("--raw applies to --format csv only")
    filtered = bool(body or node or kind or status)
    with open_register(location, actor) as register:
        items = select_items(register, body=body, node=node, kind=kind, status=status)
        with progress(f"Exporting {chosen_format}", len(items)) as advance:
            if chosen_format == "csv":
                count = write_csv(items, out, raw=raw, advance=advance)
            elif chosen_format == "madr":
                from raidlog.export.madr import write_madr

                count = write_madr(items, out, advance=advance)
            elif chosen_format == "xlsx":
                from raidlog.export.xlsx import write_board_pack  # openpyxl: only for xlsx

                count = write_board_pack(register, out, body=body, items=items, advance=advance)
            elif chosen_format == "json":
                count = write_json(
                    register, out, items=items if filtered else None, advance=advance
                )
            else:
                count = write_jsonl(
                    register, out, items=items if filtered else None, advance=advance
                )
    if as_json:
        echo_json({"out": out, "format": chosen_format, "items": count})
    else:
        click.echo(f"Wrote {count} item(s) to {out} ({chosen_format})")


@main.command()
@click.argument("location")
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
@click.option("--body", default=None, help="The governance body the report is for.")
@actor_option
@json_option
def report(location: str, out: str, body: str | None, actor: str | None, as_json: bool) -> None:
    """Write a self-contained HTML report (heat maps, view, top risks, overdue actions,
    escalations, decisions, objectives at risk) to OUT."""
    with open_register(location, actor) as register:
        with progress("Gathering the report", None):
            data = gather(register, body=body)
        with progress("Writing the report", None):
            write_text(out, render_html(data))
    if as_json:
        echo_json(
            {"out": out, "body": body, "items_in_view": len(data.view), "rag": data.rag_counts}
        )
    else:
        click.echo(f"Wrote the report for {body or 'the whole register'} to {out}")


@main.command()
@click.argument("source")
@click.argument("target")
@actor_option
@json_option
def copy(source: str, target: str, actor: str | None, as_json: bool) -> None:
    """Copy the register at SOURCE, with its full history, into the new register TARGET.

    SOURCE may also be a complete json or jsonl export; TARGET may be a .json or .jsonl
    file to write one. The target must be empty; verify() passes on it afterwards.
    """
    source_is_file = source.lower().endswith(_JSON_SUFFIXES)
    target_is_file = target.lower().endswith(_JSON_SUFFIXES)
    if source_is_file and target_is_file:
        raise click.UsageError("one side of copy must be a register, not two json files")
    if source_is_file:
        if not Path(source).is_file():
            raise ValidationError(f"{source} does not exist")
        with open_register(target, actor) as register:
            with progress(f"Loading {source}", None):
                count = load_json(source, register)
            report = register.verify()
    else:
        with open_register(source, actor) as origin:
            if target_is_file:
                with progress(f"Writing {target}", len(origin)) as advance:
                    writer = write_jsonl if target.lower().endswith(".jsonl") else write_json
                    count = writer(origin, target, advance=advance)
                report = origin.verify()
            else:
                with open_register(target, actor) as register:
                    with progress(f"Copying to {target}", None):
                        count = len(origin)
                        origin.copy_to(register)
                    report = register.verify()
    if not report.ok:
        first = report.first_broken
        raise ValidationError(
            f"copied, but verify() fails on the result: {first.reason if first else '?'}"
        )
    if as_json:
        echo_json({"source": source, "target": target, "items": count, "head": report.head_hash})
    else:
        click.echo(f"Copied {count} item(s) from {source} to {target}; head {report.head_hash}")
