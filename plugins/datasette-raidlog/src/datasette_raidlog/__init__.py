"""datasette-raidlog: a raidlog register's governance pages inside Datasette.

Datasette already shows a register's tables row by row; this plugin adds the pages a
board reads, computed by the Register API (never by SQL of its own), under
``/-/raidlog/``:

* ``/-/raidlog`` the registers among Datasette's databases;
* ``/-/raidlog/DB`` one register: its governance bodies, heat maps and top risks;
* ``/-/raidlog/DB/body/NAME`` a body's items, what was escalated to it, what breaches
  its tolerance, its heat maps (inherent against residual);
* ``/-/raidlog/DB/item/REF`` an item with its links and history;
* ``/-/raidlog/DB/agenda/NAME?date=YYYY-MM-DD`` the body's board agenda.

Read-only: there are no write routes, and the register is opened read-only for every
request (a write would raise :class:`~raidlog.errors.ReadOnlyError`). Datasette's
``view-instance`` and ``view-database`` permissions apply as on its own pages. Path
segments use Datasette's tilde encoding (:func:`datasette.utils.tilde_encode`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pluggy
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import BadRequest, NotFound, Response

from datasette_raidlog.pages import (
    PageNotFound,
    agenda_page,
    body_page,
    item_page,
    register_page,
)
from datasette_raidlog.registers import find_registers, is_register, open_read_only
from raidlog import Register

__all__ = ["database_actions", "menu_links", "register_routes", "url"]

PREFIX = "/-/raidlog"
#: Who reads the register when Datasette knows no actor (recorded nowhere: no writes).
ANONYMOUS = "datasette"
# Datasette's own marker is this very object, but untyped; pluggy's is typed.
hookimpl = pluggy.HookimplMarker("datasette")


def url(datasette: Any, database: str, *parts: str) -> str:
    """The path of a plugin page: the database's route, then ``parts``, each
    tilde-encoded (so a body named ``PMO / Finance`` stays one segment)."""
    route = datasette.get_database(database).route
    segments = [tilde_encode(route), *(tilde_encode(p) for p in parts)]
    return str(datasette.urls.path("/".join([PREFIX, *segments])))


async def _database(datasette: Any, request: Any) -> Any:
    """The Datasette database the request names, after Datasette's permission checks;
    404 unless it is a raidlog register."""
    route = tilde_decode(request.url_vars["database"])
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"Database not found: {route}") from None
    await datasette.ensure_permissions(request.actor, [("view-database", db.name), "view-instance"])
    if not await is_register(db):
        raise NotFound(f"{db.name} is not a raidlog register")
    return db


def _actor(request: Any) -> str:
    actor = request.actor
    if isinstance(actor, dict) and actor.get("id"):
        return str(actor["id"])
    return ANONYMOUS


def _read(path: str, actor: str, build: Callable[[Register], dict[str, Any]]) -> dict[str, Any]:
    with open_read_only(path, actor) as register:
        return build(register)


async def _page(
    datasette: Any,
    request: Any,
    template: str,
    build: Callable[[Register], dict[str, Any]],
) -> Any:
    db = await _database(datasette, request)
    try:
        # The Register API is synchronous: keep the event loop free while it reads.
        context = await asyncio.to_thread(_read, db.path, _actor(request), build)
    except PageNotFound as exc:
        raise NotFound(str(exc)) from None
    context.update(
        database=db.name,
        register_url=url(datasette, db.name),
        body_url=lambda name: url(datasette, db.name, "body", name),
        item_url=lambda ref: url(datasette, db.name, "item", ref),
        agenda_url=lambda name: url(datasette, db.name, "agenda", name),
    )
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


View = Callable[[Any, Any], Awaitable[Any]]


def _shows_errors(view: View) -> View:
    """Answer a bad request or a missing body, ref or register with Datasette's error
    page and the right status, without the traceback Datasette would log for it."""

    @functools.wraps(view)
    async def wrapper(datasette: Any, request: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            # Read-only: no page of this plugin takes a form or changes anything.
            status, message = 405, f"{request.method} is not allowed: these pages are read-only"
        else:
            try:
                return await view(datasette, request)
            except (NotFound, BadRequest) as exc:
                status = exc.status
                message = str(exc.args[0]) if exc.args else "Not found"
        html = await datasette.render_template(
            "error.html",
            {"ok": False, "error": message, "status": status, "title": None},
            request=request,
        )
        return Response.html(html, status=status)

    return wrapper


def _date(request: Any, name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None


@_shows_errors
async def index(datasette: Any, request: Any) -> Any:
    """``/-/raidlog``: every database Datasette serves that is a raidlog register."""
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    registers = [
        {"name": db.name, "url": url(datasette, db.name)}
        for db in await find_registers(datasette)
        if await datasette.permission_allowed(request.actor, "view-database", db.name, default=True)
    ]
    html = await datasette.render_template(
        "raidlog_index.html", {"registers": registers}, request=request
    )
    return Response.html(html)


@_shows_errors
async def register_view(datasette: Any, request: Any) -> Any:
    """``/-/raidlog/DB``: the register's bodies, heat maps and top risks."""
    return await _page(datasette, request, "raidlog_register.html", register_page)


@_shows_errors
async def body_view(datasette: Any, request: Any) -> Any:
    """``/-/raidlog/DB/body/NAME``: one governance body's page."""
    name = tilde_decode(request.url_vars["body"])
    return await _page(datasette, request, "raidlog_body.html", lambda r: body_page(r, name))


@_shows_errors
async def item_view(datasette: Any, request: Any) -> Any:
    """``/-/raidlog/DB/item/REF``: one item, its links and history."""
    ref = tilde_decode(request.url_vars["ref"])
    return await _page(datasette, request, "raidlog_item.html", lambda r: item_page(r, ref))


@_shows_errors
async def agenda_view(datasette: Any, request: Any) -> Any:
    """``/-/raidlog/DB/agenda/NAME?date=&since=``: a body's board agenda."""
    name = tilde_decode(request.url_vars["body"])
    meeting, since = _date(request, "date"), _date(request, "since")
    return await _page(
        datasette,
        request,
        "raidlog_agenda.html",
        lambda r: agenda_page(r, name, meeting, since),
    )


_DB = r"(?P<database>[^/]+)"
ROUTES: tuple[tuple[str, Callable[..., Awaitable[Any]]], ...] = (
    (rf"^{PREFIX}$", index),
    (rf"^{PREFIX}/{_DB}$", register_view),
    (rf"^{PREFIX}/{_DB}/body/(?P<body>[^/]+)$", body_view),
    (rf"^{PREFIX}/{_DB}/item/(?P<ref>[^/]+)$", item_view),
    (rf"^{PREFIX}/{_DB}/agenda/(?P<body>[^/]+)$", agenda_view),
)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Callable[..., Awaitable[Any]]]]:
    """The plugin's pages (all GET; there is no write route)."""
    return list(ROUTES)


@hookimpl
def database_actions(
    datasette: Any, actor: Any, database: str, request: Any
) -> Callable[[], Awaitable[list[dict[str, str]]]]:
    """A link to the register's pages in the database page's actions menu, for a
    database that is a raidlog register."""

    async def inner() -> list[dict[str, str]]:
        if not await is_register(datasette.get_database(database)):
            return []
        return [{"href": url(datasette, database), "label": "RAID register (governance pages)"}]

    return inner


@hookimpl
def menu_links(datasette: Any, actor: Any) -> Callable[[], Awaitable[list[dict[str, str]]]]:
    """``RAID registers`` in the navigation menu when any database is a register."""

    async def inner() -> list[dict[str, str]]:
        if not await find_registers(datasette):
            return []
        return [{"href": str(datasette.urls.path(PREFIX)), "label": "RAID registers"}]

    return inner
