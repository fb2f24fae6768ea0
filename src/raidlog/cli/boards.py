"""Board commands: the governance structure (nodes, bodies, objectives), a body's view,
escalations due, board agendas and reminders."""

from __future__ import annotations

from datetime import date

import click

from raidlog.cli.main import actor_option, echo_json, json_option, open_register
from raidlog.model.governance import Body, Node, Objective
from raidlog.notifiers import TerminalNotifier, format_reminders, notifier_from_spec

__all__ = ["agenda", "body", "escalations", "node", "objective", "remind", "view"]


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-03-31") from None


@click.command()
@click.argument("location")
@click.argument("name")
@click.option("--level", default="project", show_default=True, help="corporate, programme...")
@click.option("--parent", default=None, help="The node above this one.")
@click.option("--body", "body_name", default=None, help="The node's governance body.")
@click.option("--reason", default=None, help="Why the structure changes.")
@actor_option
def node(
    location: str,
    name: str,
    level: str,
    parent: str | None,
    body_name: str | None,
    reason: str | None,
    actor: str | None,
) -> None:
    """Add or change an accountability node."""
    with open_register(location, actor) as reg:
        reg.put_node(Node(name=name, level=level, parent=parent, body=body_name), reason=reason)
        click.echo(f"node {name} saved")


@click.command()
@click.argument("location")
@click.argument("name")
@click.option("--node", "node_name", default=None, help="The node the body governs.")
@click.option("--score-tolerance", type=int, default=None, help="Risk score that breaches.")
@click.option("--cost-tolerance", type=float, default=None, help="Cost exposure that breaches.")
@click.option("--slip-days", type=int, default=None, help="Days late that breach.")
@click.option("--cadence-days", type=int, default=None, help="Days between meetings.")
@click.option("--reason", default=None, help="Why the structure changes.")
@actor_option
def body(
    location: str,
    name: str,
    node_name: str | None,
    score_tolerance: int | None,
    cost_tolerance: float | None,
    slip_days: int | None,
    cadence_days: int | None,
    reason: str | None,
    actor: str | None,
) -> None:
    """Add or change a governance body and its tolerances."""
    with open_register(location, actor) as reg:
        reg.put_body(
            Body(
                name=name,
                node=node_name,
                score_tolerance=score_tolerance,
                cost_tolerance=cost_tolerance,
                slip_tolerance_days=slip_days,
                review_cadence_days=cadence_days,
            ),
            reason=reason,
        )
        click.echo(f"body {name} saved")


@click.command()
@click.argument("location")
@click.argument("name")
@click.option("--title", required=True, help="What the objective is.")
@click.option("--node", "node_name", default=None, help="The node that owns it.")
@click.option("--owner", default=None, help="Who is accountable.")
@click.option("--key-result", "key_results", multiple=True, help="A key result (repeatable).")
@click.option("--reason", default=None, help="Why the structure changes.")
@actor_option
def objective(
    location: str,
    name: str,
    title: str,
    node_name: str | None,
    owner: str | None,
    key_results: tuple[str, ...],
    reason: str | None,
    actor: str | None,
) -> None:
    """Add or change an objective (OKR) that items can be linked to."""
    record = Objective(name=name, title=title, node=node_name, owner=owner, key_results=key_results)
    with open_register(location, actor) as reg:
        reg.put_objective(record, reason=reason)
        click.echo(f"objective {name} saved")


@click.command()
@click.argument("location")
@click.argument("body_name", metavar="BODY")
@click.option("--date", "on", default=None, help="Judge lateness as of this date (ISO).")
@json_option
@actor_option
def view(location: str, body_name: str, on: str | None, as_json: bool, actor: str | None) -> None:
    """Show what BODY sees: owned items, escalations and tolerance breaches."""
    with open_register(location, actor) as reg:
        entries = reg.view(body_name, today=_day(on))
        if as_json:
            echo_json(
                [
                    {"ref": e.item.ref, "title": e.item.title, "reasons": list(e.reasons)}
                    for e in entries
                ]
            )
            return
        for e in entries:
            score = getattr(e.item, "score", None)
            rag = e.item.rag.value if e.item.rag else "-"
            click.echo(f"{e.item.ref:<9} {rag:<6} {score or '':>3}  {e.item.title}")
            click.echo(f"{'':<9} {'; '.join(e.reasons)}")
        click.echo(f"{len(entries)} items in the view of {body_name}")


@click.command()
@click.argument("location")
@click.option("--apply", "apply_", is_flag=True, help="Escalate them now, with events.")
@json_option
@actor_option
def escalations(location: str, apply_: bool, as_json: bool, actor: str | None) -> None:
    """List items breaching a body's tolerance that are not yet escalated to it."""
    with open_register(location, actor) as reg:
        due = reg.escalations_due()
        if apply_:
            reg.apply_escalations(due)
        if as_json:
            echo_json(
                [
                    {
                        "ref": d.item.ref,
                        "body": d.body,
                        "reasons": list(d.reasons),
                        "applied": apply_,
                    }
                    for d in due
                ]
            )
            return
        for d in due:
            click.echo(f"{d.item.ref:<9} -> {d.body}: {'; '.join(d.reasons)}")
        verb = "escalated" if apply_ else "due"
        click.echo(f"{len(due)} escalations {verb}")


@click.command()
@click.argument("location")
@click.argument("body_name", metavar="BODY")
@click.option("--date", "on", default=None, help="Meeting date (ISO, default today).")
@click.option("--since", default=None, help="Last meeting (ISO; default one cadence before).")
@json_option
@actor_option
def agenda(
    location: str,
    body_name: str,
    on: str | None,
    since: str | None,
    as_json: bool,
    actor: str | None,
) -> None:
    """Print the agenda of BODY's meeting: escalations, breaches, decisions, overdue
    actions, reviews due and changes since the last meeting."""
    with open_register(location, actor) as reg:
        result = reg.agenda(body_name, _day(on) or reg.today(), since=_day(since))
        data = result.to_dict()
        if as_json:
            echo_json(data)
            return
        click.echo(f"Agenda of {body_name}, {data['meeting_date']} (changes since {data['since']})")
        sections = (
            ("New escalations", "new_escalations"),
            ("Breaches of tolerance", "breaches"),
            ("Decisions awaiting", "decisions_awaiting"),
            ("Overdue actions", "overdue_actions"),
            ("Due for review", "review_due"),
        )
        for heading, key in sections:
            rows = data[key]
            click.echo(f"\n{heading} ({len(rows)})")
            for row in rows:
                extra = f" ({'; '.join(row['reasons'])})" if "reasons" in row else ""
                click.echo(f"  {row['ref']:<9} {row['title']}{extra}")
        click.echo(f"\nChanges since {data['since']}: {len(data['changes'])} events")


@click.command()
@click.argument("location")
@click.option("--within", default=7, show_default=True, help="Days ahead for 'due soon'.")
@click.option(
    "--notify",
    "specs",
    multiple=True,
    help="terminal, jsonl:PATH or smtp://host:port?from=..&to=.. (repeatable; default terminal).",
)
@json_option
@actor_option
def remind(
    location: str, within: int, specs: tuple[str, ...], as_json: bool, actor: str | None
) -> None:
    """Compute reminders (due soon, overdue, reviews due, escalations due) and hand them to
    every installed notifier and those named with --notify. Suitable for cron."""
    notifiers = [notifier_from_spec(s) for s in specs]
    if not notifiers and not as_json:
        notifiers = [TerminalNotifier()]
    with open_register(location, actor, plugins=notifiers) as reg:
        found = reg.send_reminders(reg.reminders(within_days=within))
        if as_json:
            echo_json([r.to_dict() for r in found])
        elif not any(isinstance(n, TerminalNotifier) for n in notifiers):
            click.echo(format_reminders(found, reg), nl=False)
