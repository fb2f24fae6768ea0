"""The tables of a register in its PostgreSQL schema, created and migrated here.

The layout is meant to be read with ``psql`` or any SQL tool: one ``items`` table with
a readable column for every field a query filters or orders by (plus the exact item as
JSON in ``doc``), ``links``, ``entities`` (nodes, bodies, objectives), the append-only
``events``, ``counters`` for refs and ``meta``. Text columns use the ``"C"`` collation
so ``ORDER BY`` is code-point order, as in :func:`raidlog.query.evaluate`.

``meta`` holds ``schema_version``; :data:`MIGRATIONS` upgrades an older schema step by
step, and a newer one is refused with :class:`~raidlog.errors.SchemaVersionError`.
"""

from __future__ import annotations

import hashlib

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from raidlog.spi import SchemaVersionError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "ensure_schema", "lock_key"]

#: The version of the table layout this release writes.
SCHEMA_VERSION = 3

# A decision in a frozen status (MADR: accepted, rejected, deprecated, superseded) is
# evidence. raidlog itself changes one in two ways only: escalating it (the status
# stays; ``escalated_to`` and the version stamp move) and moving an accepted one to
# superseded or deprecated (the status, ``superseded_by``, ``closed_on`` and the stamp
# move). Anything else, and any status change before or after, is refused: a change of
# status alone no longer lets an edit through (schema version 2 let two UPDATEs, one
# to "proposed" and one of the text, rewrite an accepted decision). ``doc`` is
# compared field by field without the same names; ``search`` is generated afterwards.
_DECISION_TRIGGER: tuple[str, ...] = (
    """CREATE OR REPLACE FUNCTION {s}.refuse_decision_edit() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        escalation text[] := ARRAY['escalated_to', 'version', 'updated_at', 'updated_by',
                                   'doc', 'search'];
        move text[] := ARRAY['status', 'superseded_by', 'closed_on', 'version',
                             'updated_at', 'updated_by', 'doc', 'search'];
    BEGIN
        IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
            IF (to_jsonb(NEW) - escalation) = (to_jsonb(OLD) - escalation)
               AND (NEW.doc::jsonb - escalation) = (OLD.doc::jsonb - escalation) THEN
                RETURN NEW;
            END IF;
        ELSIF OLD.status = 'accepted' AND NEW.status IN ('superseded', 'deprecated')
              AND (to_jsonb(NEW) - move) = (to_jsonb(OLD) - move)
              AND (NEW.doc::jsonb - move) = (OLD.doc::jsonb - move) THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'raidlog: decision % is % and cannot be edited', OLD.ref, OLD.status
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'supersede it with a new decision (Register.supersede)';
    END $$""",
    "DROP TRIGGER IF EXISTS decisions_immutable ON {s}.items",
    """CREATE TRIGGER decisions_immutable BEFORE UPDATE ON {s}.items
        FOR EACH ROW WHEN (OLD.kind = 'decision'
                           AND OLD.status IN ('accepted', 'rejected', 'deprecated', 'superseded'))
        EXECUTE FUNCTION {s}.refuse_decision_edit()""",
)

#: Statements taking a schema from version N (the key) to N + 1. ``{s}`` is the schema.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 1 -> 2: objectives get their own entity name (version 1 stored them as bodies, so
    # an objective and a body of one name overwrote each other).
    1: (
        "ALTER TABLE {s}.entities DROP CONSTRAINT entities_entity_check",
        "UPDATE {s}.entities SET entity = 'objective' WHERE doc ->> 'entity' = 'objective'",
        """ALTER TABLE {s}.entities ADD CONSTRAINT entities_entity_check
            CHECK (entity IN ('node', 'body', 'objective'))""",
    ),
    # 2 -> 3: the decision trigger refuses every edit of a frozen decision, whatever
    # its status becomes (see _DECISION_TRIGGER).
    2: _DECISION_TRIGGER,
}

_CREATE: tuple[str, ...] = (
    """CREATE TABLE {s}.meta (
        key text COLLATE "C" PRIMARY KEY,
        value text NOT NULL
    )""",
    """CREATE TABLE {s}.counters (
        prefix text COLLATE "C" PRIMARY KEY,
        value bigint NOT NULL CHECK (value >= 0)
    )""",
    """CREATE TABLE {s}.items (
        ref text COLLATE "C" PRIMARY KEY,
        kind text COLLATE "C" NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        title text COLLATE "C" NOT NULL,
        status text COLLATE "C",
        priority text COLLATE "C",
        rag text COLLATE "C",
        owner text COLLATE "C",
        body text COLLATE "C",
        node text COLLATE "C",
        due date,
        next_review date,
        raised_on date,
        closed_on date,
        score bigint,
        inherent_score bigint,
        residual_score bigint,
        cost_exposure double precision,
        created_at timestamptz,
        updated_at timestamptz,
        escalated_to text[] NOT NULL,
        objectives text[] NOT NULL,
        tags text[] NOT NULL,
        words text NOT NULL,
        doc json NOT NULL,
        search tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(words, ' ')))
            STORED
    )""",
    """CREATE TABLE {s}.links (
        source text COLLATE "C" NOT NULL REFERENCES {s}.items (ref),
        position integer NOT NULL,
        relation text NOT NULL,
        target text COLLATE "C" NOT NULL,
        PRIMARY KEY (source, position)
    )""",
    """CREATE TABLE {s}.entities (
        entity text NOT NULL CHECK (entity IN ('node', 'body', 'objective')),
        name text COLLATE "C" NOT NULL,
        version integer NOT NULL CHECK (version > 0),
        doc json NOT NULL,
        PRIMARY KEY (entity, name)
    )""",
    """CREATE TABLE {s}.events (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        ref text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        action text NOT NULL,
        version integer NOT NULL,
        actor text NOT NULL,
        at timestamptz NOT NULL,
        channel text NOT NULL,
        changes json NOT NULL,
        reason text,
        source text,
        prev_hash text NOT NULL,
        hash text NOT NULL UNIQUE
    )""",
    # The dashboard queries: a body's items by score, a node's overdue work, counts by
    # kind and RAG, tags, escalations and the full-text words.
    "CREATE INDEX items_body_score ON {s}.items (body, score DESC NULLS LAST, ref)",
    "CREATE INDEX items_node_due ON {s}.items (node, due)",
    "CREATE INDEX items_kind_rag ON {s}.items (kind, rag)",
    "CREATE INDEX items_kind_status ON {s}.items (kind, status)",
    "CREATE INDEX items_owner ON {s}.items (owner)",
    "CREATE INDEX items_escalated_to ON {s}.items USING gin (escalated_to)",
    "CREATE INDEX items_tags ON {s}.items USING gin (tags)",
    "CREATE INDEX items_search ON {s}.items USING gin (search)",
    "CREATE INDEX links_target ON {s}.links (target, source, position)",
    "CREATE INDEX events_ref ON {s}.events (ref, seq)",
    # History is evidence: even a raw SQL client cannot rewrite it silently.
    """CREATE FUNCTION {s}.refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'raidlog: % on %.% is refused: % rows are never changed or removed',
            TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'record a change through raidlog (withdraw or close the item)';
    END $$""",
    """CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {s}.events
        FOR EACH ROW EXECUTE FUNCTION {s}.refuse_rewrite()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {s}.events
        FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_rewrite()""",
    """CREATE TRIGGER items_no_delete BEFORE DELETE ON {s}.items
        FOR EACH ROW EXECUTE FUNCTION {s}.refuse_rewrite()""",
    """CREATE TRIGGER items_no_truncate BEFORE TRUNCATE ON {s}.items
        FOR EACH STATEMENT EXECUTE FUNCTION {s}.refuse_rewrite()""",
    *_DECISION_TRIGGER,
)


def lock_key(schema: str) -> int:
    """A stable 64-bit advisory-lock key for creating or migrating ``schema``."""
    digest = hashlib.sha256(f"raidlog-schema:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _statement(template: str, schema: str) -> sql.Composed:
    return sql.SQL(template).format(s=sql.Identifier(schema))


def ensure_schema(conn: psycopg.Connection[TupleRow], schema: str) -> int:
    """Create the register in ``schema`` when it is missing, or migrate it; return the
    version found before any migration (0 for a new register).

    Creation and migration hold an advisory lock, so processes opening one new register
    at the same moment create it once. Raises :class:`SchemaVersionError` when the
    schema was written by a newer release, or holds tables that are not a register.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(schema)])
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        tables = {
            str(name)
            for (name,) in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
                [schema],
            )
        }
        if "meta" not in tables:
            if tables:
                raise SchemaVersionError(
                    f"schema {schema!r} holds tables that are not a raidlog register "
                    f"({', '.join(sorted(tables)[:5])}); name another schema with ?schema=..."
                )
            for template in _CREATE:
                conn.execute(_statement(template, schema))
            conn.execute(
                _statement(
                    "INSERT INTO {s}.meta (key, value) VALUES "
                    "('format', 'raidlog'), ('writer', 'lock row'), ('schema_version', %s)",
                    schema,
                ),
                [str(SCHEMA_VERSION)],
            )
            return 0
        found = _stored_version(conn, schema)
        if found > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the register in schema {schema!r} has schema version {found}, written by a "
                f"newer raidlog-postgres (this one writes {SCHEMA_VERSION}); upgrade "
                "raidlog-postgres to open it"
            )
        for version in range(found, SCHEMA_VERSION):
            for template in MIGRATIONS[version]:
                conn.execute(_statement(template, schema))
        if found < SCHEMA_VERSION:
            conn.execute(
                _statement("UPDATE {s}.meta SET value = %s WHERE key = 'schema_version'", schema),
                [str(SCHEMA_VERSION)],
            )
        return found


def _stored_version(conn: psycopg.Connection[TupleRow], schema: str) -> int:
    try:
        with conn.transaction():
            row = conn.execute(
                _statement("SELECT value FROM {s}.meta WHERE key = 'schema_version'", schema)
            ).fetchone()
    except psycopg.errors.UndefinedColumn:
        row = None
    text = str(row[0]) if row is not None else ""
    if not text.isdigit():
        raise SchemaVersionError(
            f"schema {schema!r} has a meta table without a raidlog schema_version; "
            "it is not a raidlog register: name another schema with ?schema=..."
        )
    return int(text)
