"""Commands over single items and the register: init, add, list, show, update,
transition, link, escalate, history, verify.

Every command takes the register location first. Values given as ``--field name=value``
are parsed into the field's type (numbers, dates as ISO ``YYYY-MM-DD``, lists separated
by commas); ``extra.NAME=value`` keeps a custom field as text; an empty value clears an
optional field.
"""

from __future__ import annotations

import typing
from datetime import date, datetime
from typing import Any

import attrs
import click
from rich.console import Console
from rich.table import Table

from raidlog.cli.main import EXIT_ERROR, actor_option, echo_json, fail, json_option, main
from raidlog.cli.main import open_register as _open
from raidlog.errors import ValidationError
from raidlog.model.items import Item
from raidlog.register import Register

__all__ = ["parse_fields"]

#: Fields a person never sets directly (the register keeps them, or a command exists).
_NOT_SETTABLE = frozenset(
    {
        "ref",
        "kind",
        "version",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "rag_manual",
        "links",
        "escalated_to",
        "extra",
    }
)

_LIST_COLUMNS = ("ref", "kind", "status", "rag", "owner", "due", "score", "title")


def _field_types(cls: type[Item]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(name: str, text: str, hint: Any) -> Any:
    """Parse ``text`` into the type ``hint`` of field ``name``."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    optional = type(None) in typing.get_args(hint)
    base = args[0] if optional and len(args) == 1 else hint
    origin = typing.get_origin(base)
    if text == "" and (optional or origin is tuple):
        return None if optional else ()
    try:
        if origin is tuple:
            return tuple(part.strip() for part in text.split(",") if part.strip())
        if base is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError("expected true or false")
            return lowered in ("true", "yes", "1")
        if base is int:
            return int(text)
        if base is float:
            return float(text)
        if base is date:
            return date.fromisoformat(text)
        if base is datetime:
            return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"--field {name}={text!r}: {exc}", field=name) from None
    return text


def parse_fields(cls: type[Item], pairs: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse ``name=value`` pairs for an item class into (typed fields, extra fields)."""
    hints = _field_types(cls)
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValidationError(f"--field {pair!r} is not NAME=VALUE", field=name or None)
        if name.startswith("extra."):
            extra[name.removeprefix("extra.")] = value
            continue
        if name not in hints or name in _NOT_SETTABLE:
            settable = sorted(set(hints) - _NOT_SETTABLE)
            raise ValidationError(
                f"a {cls.kind} has no settable field {name!r}; fields: {', '.join(settable)} "
                "(use extra.NAME=VALUE for a custom field)",
                field=name,
            )
        fields[name] = _coerce(name, value, hints[name])
    return fields, extra


def _item_row(register: Register, item: Item) -> dict[str, Any]:
    return register.codec.item_to_dict(item)


def _print_items(items: list[Item]) -> None:
    table = Table(show_lines=False)
    for column in _LIST_COLUMNS:
        table.add_column(column, overflow="fold")
    for item in items:
        values = [getattr(item, c, None) for c in _LIST_COLUMNS]
        table.add_row(*("" if v is None else str(v) for v in values))
    Console(soft_wrap=False).print(table)
    click.echo(f"{len(items)} item(s)")


def _print_item(register: Register, item: Item) -> None:
    table = Table(show_header=False, title=f"{item.ref}  {item.title}")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in _item_row(register, item).items():
        if value in (None, "", [], {}):
            continue
        table.add_row(name, str(value))
    for source, relation, target in register.links(item):
        table.add_row("link", f"{source} {relation} {target}")
    Console().print(table)


location_argument = click.argument("location")


@main.command()
@location_argument
@click.option("--profile", default=None, help="Profile for a new register (default: default).")
@actor_option
@json_option
def init(location: str, profile: str | None, actor: str | None, as_json: bool) -> None:
    """Create a register at LOCATION (or open an existing one) and show its profile."""
    with _open(location, actor, profile=profile) as register:
        info = {
            "location": register.location,
            "backend": register.backend.name,
            "profile": register.profile.name,
            "items": len(register),
        }
    if as_json:
        echo_json(info)
    else:
        click.echo(
            f"Register {info['location']} ({info['backend']}), profile {info['profile']}, "
            f"{info['items']} item(s)"
        )


@main.command()
@location_argument
@click.argument("kind")
@click.option("--title", required=True, help="The item's title.")
@click.option("--owner", default=None, help="The accountable person.")
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any other field (repeatable); extra.NAME=VALUE for a custom field.",
)
@click.option("--reason", default=None, help="Why the item is added (recorded in its event).")
@actor_option
@json_option
def add(
    location: str,
    kind: str,
    title: str,
    owner: str | None,
    fields: tuple[str, ...],
    reason: str | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Add an item of KIND (risk, action, issue, decision, ...) and print its ref."""
    with _open(location, actor) as register:
        cls = register.codec.kind_class(kind)
        values, extra = parse_fields(cls, fields)
        values["title"] = title
        if owner is not None:
            values["owner"] = owner
        if extra:
            values["extra"] = extra
        try:
            item = cls(**values)
        except TypeError as exc:
            raise ValidationError(f"cannot make a {kind}: {exc}") from None
        stored = register.add(item, reason=reason)
        if as_json:
            echo_json(_item_row(register, stored))
        else:
            click.echo(stored.ref)


@main.command(name="list")
@location_argument
@click.option("--kind", multiple=True, help="Only these kinds (repeatable).")
@click.option("--status", multiple=True, help="Only these statuses (repeatable).")
@click.option("--body", default=None, help="A body's items, including those escalated to it.")
@click.option("--node", default=None, help="A node's items, including the nodes below it.")
@click.option("--owner", default=None, help="Only items owned by this person.")
@click.option("--open", "only_open", is_flag=True, help="Leave closed items out.")
@click.option("--overdue", is_flag=True, help="Due before today and not closed.")
@click.option("--review-due", is_flag=True, help="Next review today or earlier, not closed.")
@click.option("--min-score", type=int, default=None, help="Risks scoring at least this.")
@click.option("--text", default=None, help="Every word appears in the title or description.")
@click.option("--tag", "tags", multiple=True, help="Items carrying this tag (repeatable: all).")
@click.option(
    "--order-by", default="ref", show_default=True, help="Comma-separated keys; -key descends."
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@actor_option
@json_option
def list_items(
    location: str,
    kind: tuple[str, ...],
    status: tuple[str, ...],
    body: str | None,
    node: str | None,
    owner: str | None,
    only_open: bool,
    overdue: bool,
    review_due: bool,
    min_score: int | None,
    text: str | None,
    tags: tuple[str, ...],
    order_by: str,
    limit: int | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """List items matching the filters (all of them must hold)."""
    with _open(location, actor) as register:
        items = register.query(
            kind=kind or None,
            status=status or None,
            body=body,
            node=node,
            owner=owner,
            open=only_open or None,
            overdue=overdue or None,
            review_due=review_due or None,
            min_score=min_score,
            text=text,
            tags=tags or None,
            order_by=[k.strip() for k in order_by.split(",") if k.strip()],
            limit=limit,
        )
        if as_json:
            echo_json([_item_row(register, i) for i in items])
        else:
            _print_items(items)


@main.command()
@location_argument
@click.argument("ref")
@actor_option
@json_option
def show(location: str, ref: str, actor: str | None, as_json: bool) -> None:
    """Show every field of the item REF and its links."""
    with _open(location, actor) as register:
        item = register.get(ref)
        if as_json:
            row = _item_row(register, item)
            row["linked"] = [[s, str(r), t] for s, r, t in register.links(item)]
            echo_json(row)
        else:
            _print_item(register, item)


@main.command()
@location_argument
@click.argument("ref")
@click.option(
    "--field",
    "fields",
    multiple=True,
    required=True,
    metavar="NAME=VALUE",
    help="A field to change (repeatable); an empty value clears it.",
)
@click.option("--reason", default=None, help="Why (recorded in the event).")
@click.option(
    "--expect-version",
    type=int,
    default=None,
    help="Fail with exit code 3 unless the item is still at this version.",
)
@actor_option
@json_option
def update(
    location: str,
    ref: str,
    fields: tuple[str, ...],
    reason: str | None,
    expect_version: int | None,
    actor: str | None,
    as_json: bool,
) -> None:
    """Change fields of the item REF (exit code 3 when it changed meanwhile)."""
    with _open(location, actor) as register:
        item = register.get(ref)
        values, extra = parse_fields(type(item), fields)
        if extra:
            values["extra"] = {**item.extra, **extra}
        if expect_version is not None:
            # The register compares the version read with the stored one: a stale
            # expectation raises ConflictError (exit 3) and nothing is written.
            item = attrs.evolve(item, version=expect_version)
        stored = register.update(item, reason=reason, **values)
        if as_json:
            echo_json(_item_row(register, stored))
        else:
            click.echo(f"{stored.ref} version {stored.version}")


@main.command()
@location_argument
@click.argument("ref")
@click.argument("status")
@click.option("--reason", default=None, help="Why (some moves, such as reopening, need one).")
@actor_option
@json_option
def transition(
    location: str, ref: str, status: str, reason: str | None, actor: str | None, as_json: bool
) -> None:
    """Move the item REF to STATUS as the profile's lifecycle allows."""
    with _open(location, actor) as register:
        stored = register.transition(register.get(ref), status, reason=reason)
        if as_json:
            echo_json(_item_row(register, stored))
        else:
            click.echo(f"{stored.ref} is {stored.status}")


@main.command()
@location_argument
@click.argument("source")
@click.argument("relation")
@click.argument("target")
@click.option("--reason", default=None, help="Why (recorded in the event).")
@actor_option
def link(
    location: str, source: str, relation: str, target: str, reason: str | None, actor: str | None
) -> None:
    """Link item SOURCE to TARGET with RELATION (mitigates, resolves, depends_on, ...)."""
    with _open(location, actor) as register:
        register.link(source, relation, target, reason=reason)
        click.echo(f"{source} {relation} {target}")


@main.command()
@location_argument
@click.argument("ref")
@click.argument("body")
@click.option("--reason", required=True, help="Why it goes up (required).")
@actor_option
def escalate(location: str, ref: str, body: str, reason: str, actor: str | None) -> None:
    """Surface the item REF to the governance body BODY."""
    with _open(location, actor) as register:
        stored = register.escalate(ref, body, reason=reason)
        click.echo(f"{stored.ref} escalated to {', '.join(stored.escalated_to)}")


@main.command()
@location_argument
@click.argument("ref")
@actor_option
@json_option
def history(location: str, ref: str, actor: str | None, as_json: bool) -> None:
    """Show every event of the item REF, oldest first: who, when, what, why."""
    with _open(location, actor) as register:
        register.get(ref)
        events = register.history(ref)
        if as_json:
            echo_json([register.codec.event_to_dict(e) for e in events])
            return
        table = Table()
        for column in ("seq", "at", "actor", "channel", "action", "changes", "reason"):
            table.add_column(column, overflow="fold")
        for event in events:
            changes = "; ".join(f"{c.field}: {c.old!r} -> {c.new!r}" for c in event.changes)
            table.add_row(
                str(event.seq),
                event.at.isoformat(timespec="seconds"),
                event.actor,
                event.channel,
                event.action,
                changes,
                event.reason or "",
            )
        Console().print(table)


@main.command()
@location_argument
@click.option(
    "--anchor",
    is_flag=True,
    help="Print only the anchor (the head's sequence number and hash, SEQ:HASH) to record "
    "elsewhere.",
)
@click.option(
    "--expect",
    "expected",
    default=None,
    metavar="ANCHOR",
    help="Fail unless the chain still holds the anchored event unchanged (SEQ:HASH, or a "
    "head hash recorded by an older release); a chain that grew since passes.",
)
@actor_option
@json_option
def verify(
    location: str, anchor: bool, expected: str | None, actor: str | None, as_json: bool
) -> None:
    """Check the event chain, that replaying it gives the stored items, and what the store
    keeps for queries (exit 1 if not)."""
    with _open(location, actor) as register:
        report = register.verify(expect=expected)
    check = report.anchor_check
    if as_json:
        echo_json(
            {
                "ok": report.ok and (check is None or check.intact),
                "events_checked": report.events_checked,
                "items_checked": report.items_checked,
                "head_hash": report.head_hash,
                "head_seq": report.head_seq,
                "anchor": report.anchor,
                "expected_head": expected,
                "anchor_check": None
                if check is None
                else {"intact": check.intact, "grown_by": check.grown_by, "reason": check.reason},
                "problems": [
                    {"seq": p.seq, "ref": p.ref, "table": p.table, "reason": p.reason}
                    for p in report.problems
                ],
                "notes": list(report.notes),
            }
        )
    elif anchor:
        click.echo(report.anchor)
    elif report.ok:
        click.echo(
            f"OK: {report.events_checked} event(s), {report.items_checked} item(s), "
            f"head {report.head_hash}"
            + ("" if check is None or not check.intact else f"; {check.reason}")
        )
        for note in report.notes:
            click.echo(f"note: {note}")
    if not report.ok:
        first = report.first_broken
        assert first is not None
        where = ", ".join(
            part
            for part in (
                f"event {first.seq}" if first.seq else "",
                f"item {first.ref}" if first.ref else "",
            )
            if part
        )
        more = len(report.problems) - 1
        fail(
            f"verification failed at {where or 'the register'}: {first.reason}"
            + (f" ({more} more problem(s): --json lists them all)" if more else ""),
            EXIT_ERROR,
        )
    if check is not None and not check.intact:
        fail(f"the anchor {expected} does not hold: {check.reason}", EXIT_ERROR)
