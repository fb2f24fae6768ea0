"""What a plugin imports from raidlog, in one place: the service provider interface.

A storage plugin needs the backend contract, the codec, the model's event and item
types, the errors a store raises and the query spec it answers. They live in several
internal modules whose layout may change; this module is the stable name for them::

    from raidlog.spi import Backend, Capabilities, Transaction, hookimpl

Everything here is also documented where it is defined; see the plugin author guide
(``docs/plugins/``) for how the pieces fit.
"""

from __future__ import annotations

from raidlog.backends.base import Backend, Capabilities, Entity, Finding, Transaction
from raidlog.backends.staging import StagingTransaction, State
from raidlog.bulk import Worker, bulk, unshared
from raidlog.convert import Codec, entity_kind
from raidlog.errors import (
    BackendError,
    ConflictError,
    DuplicateRefError,
    RaidLogError,
    SchemaVersionError,
    ValidationError,
)
from raidlog.files import fsync_folder
from raidlog.hookspecs import hookimpl
from raidlog.model.events import (
    EVENT_FIELDS,
    ChainHead,
    Change,
    Event,
    event_from_row,
    event_row,
)
from raidlog.model.governance import Body, Node, Objective
from raidlog.model.items import Item
from raidlog.model.values import Relation
from raidlog.query import Query, evaluate, folded, matches, split_folded, text_words

__all__ = [
    "EVENT_FIELDS",
    "Backend",
    "BackendError",
    "Body",
    "Capabilities",
    "ChainHead",
    "Change",
    "Codec",
    "ConflictError",
    "DuplicateRefError",
    "Entity",
    "Event",
    "Finding",
    "Item",
    "Node",
    "Objective",
    "Query",
    "RaidLogError",
    "Relation",
    "SchemaVersionError",
    "StagingTransaction",
    "State",
    "Transaction",
    "ValidationError",
    "Worker",
    "bulk",
    "entity_kind",
    "evaluate",
    "event_from_row",
    "event_row",
    "folded",
    "fsync_folder",
    "hookimpl",
    "matches",
    "split_folded",
    "text_words",
    "unshared",
]
