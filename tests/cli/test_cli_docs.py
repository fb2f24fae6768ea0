"""docs/cli.md documents every command and every option of the command group."""

from __future__ import annotations

from pathlib import Path

import click

from raidlog.cli import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    return {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}  # type: ignore[misc]


def _section(page: str, name: str) -> str:
    heading = f"## `raidlog {name}"
    assert heading in page, f"docs/cli.md has no section {heading} ...`"
    start = page.index(heading)
    end = page.find("\n## ", start + 1)
    return page[start : end if end != -1 else len(page)]


def test_every_command_and_option_is_on_the_cli_page() -> None:
    page = PAGE.read_text(encoding="utf-8")
    missing: list[str] = []
    for name, command in _commands().items():
        if f"## `raidlog {name}" not in page:
            missing.append(f"command {name}")
            continue
        section = _section(page, name)
        for param in command.params:
            if isinstance(param, click.Option):
                if not any(f"`{opt}" in section for opt in param.opts):
                    missing.append(f"{name} {'/'.join(param.opts)}")
            elif isinstance(param, click.Argument) and param.human_readable_name not in section:
                missing.append(f"{name} argument {param.human_readable_name}")
    for param in main.params:
        if isinstance(param, click.Option) and not any(f"`{o}" in page for o in param.opts):
            missing.append(f"global {'/'.join(param.opts)}")
    assert not missing, "undocumented in docs/cli.md: " + ", ".join(missing)


def test_the_exit_codes_on_the_page_match_the_code() -> None:
    from raidlog.cli.main import EXIT_CONFLICT, EXIT_ERROR, EXIT_REJECTED

    page = PAGE.read_text(encoding="utf-8")
    for code, meaning in (
        (EXIT_ERROR, "error"),
        (EXIT_CONFLICT, "conflict"),
        (EXIT_REJECTED, "rejected"),
    ):
        assert f"| {code} |" in page, meaning
