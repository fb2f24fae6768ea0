"""``raidlog import``: the spreadsheet migration from the command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

import raidlog
from raidlog.cli.main import ACTOR_ENV, resolve_actor
from raidlog.errors import ImportRejected
from raidlog.files import write_text
from raidlog.migrate.importer import import_file

__all__ = ["import_command"]

_STAGES = {"checking": "Checking", "reading": "Reading", "mapping": "Mapping", "writing": "Writing"}


@click.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML mapping file that overrides the guesses (see --dry-run).",
)
@click.option(
    "--dry-run", is_flag=True, help="Write nothing; print the report and the mapping as TOML."
)
@click.option(
    "--keep-valid",
    is_flag=True,
    help="Import the valid rows and report the rejected ones (default: all or nothing).",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full import report as JSON to this file.",
)
@click.option(
    "--pack",
    is_flag=True,
    help="SOURCE is a board pack from `raidlog export --format xlsx` that people edited: "
    "update the items by ref and add the new rows.",
)
@click.option(
    "--as",
    "actor",
    envvar=ACTOR_ENV,
    default=None,
    help=f"Who is importing (default: ${ACTOR_ENV}, then your login name).",
)
def import_command(
    source: Path,
    target: str,
    mapping: Path | None,
    dry_run: bool,
    keep_valid: bool,
    report_path: Path | None,
    pack: bool,
    actor: str | None,
) -> None:
    """Import a spreadsheet (xlsx, xlsm, xls, ods, csv), or a folder of MADR or
    adr-tools decision records, into the register at TARGET.

    Jira, Azure DevOps, ServiceNow and Smartsheet CSV exports are recognised by their
    header row and mapped without a mapping file.

    A raidlog JSON or JSON Lines export rebuilds the exported register (events
    included) in an empty TARGET; with --pack, an edited xlsx board pack updates the
    items by ref and adds its new rows.

    Tables, header rows, kinds and columns are found by content; every unmapped column
    is kept in the items' extra fields. All or nothing unless --keep-valid; importing
    the same file again changes nothing, a newer version updates the items. Exit code 4
    when the file is rejected.
    """
    if source.is_dir():
        if mapping is not None or pack:
            raise click.UsageError("--mapping and --pack apply to spreadsheets, not a folder")
        _import_records(source, target, dry_run, keep_valid, report_path, actor)
        return
    if source.suffix.lower() in (".json", ".jsonl") or pack:
        _import_export(source, target, pack=pack, actor=actor)
        return
    bar: Any = None
    current: list[str] = [""]

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal bar
        if stage != current[0]:
            if bar is not None:
                bar.render_finish()
            current[0] = stage
            bar = click.progressbar(
                range(max(total, 1)),
                label=_STAGES.get(stage, stage).ljust(8),
                file=sys.stderr,
            )
            bar.render_progress()
        if bar is not None:
            bar.pos = min(done, bar.length)
            bar.render_progress()

    with raidlog.open(target, actor=resolve_actor(actor), channel="import") as register:
        try:
            report = import_file(
                source,
                register,
                mapping=mapping,
                dry_run=dry_run,
                keep_valid=keep_valid,
                progress=progress,
            )
        except ImportRejected as exc:
            if bar is not None:
                bar.render_finish()
            _say_rejected(exc, report_path)
            raise
        if bar is not None:
            bar.render_finish()
    # A dry run explains every choice; an import says what it did.
    click.echo(report.explain() if dry_run else report.summary())
    _write_report(report.to_json(), report_path)
    if dry_run:
        click.echo("\n# The mapping used (save it, edit it, pass it with --mapping):")
        click.echo(report.mapping_toml)


def _import_export(source: Path, target: str, *, pack: bool, actor: str | None) -> None:
    """Files raidlog wrote itself: a JSON export, or a board pack people edited."""
    from raidlog.export.jsonio import load_json
    from raidlog.export.xlsx import apply_xlsx
    from raidlog.migrate.preflight import preflight

    with raidlog.open(target, actor=resolve_actor(actor), channel="import") as register:
        if not pack:
            count = load_json(source, register)
            click.echo(f"rebuilt {count} items with their events from {source}")
            return
        # A pack comes back from people's hands: the same archive checks as any import.
        preflight(source)
        result = apply_xlsx(source, register)
        click.echo(
            f"{source}: {len(result.updated)} items updated, {len(result.added)} added, "
            f"{result.unchanged} rows unchanged"
        )


def _import_records(
    source: Path,
    target: str,
    dry_run: bool,
    keep_valid: bool,
    report_path: Path | None,
    actor: str | None,
) -> None:
    """A folder of MADR or adr-tools decision records."""
    from raidlog.migrate.madr import import_folder

    with raidlog.open(target, actor=resolve_actor(actor), channel="import") as register:
        try:
            report = import_folder(source, register, dry_run=dry_run, keep_valid=keep_valid)
        except ImportRejected as exc:
            _say_rejected(exc, report_path)
            raise
    click.echo(report.summary())
    _write_report(report.to_json(), report_path)


def _say_rejected(exc: ImportRejected, report_path: Path | None) -> None:
    """A refused import's partial report, when it has one: its summary on stderr, its
    JSON at ``--report`` (the error itself is raised by the caller)."""
    partial = exc.report
    if partial is not None:
        click.echo(partial.summary(), err=True)
        if report_path is not None:
            write_text(report_path, partial.to_json())


def _write_report(text: str, report_path: Path | None) -> None:
    """The import report's JSON at ``--report``, when one was asked for."""
    if report_path is not None:
        write_text(report_path, text)
        click.echo(f"report written to {report_path}")
