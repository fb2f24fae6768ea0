"""The domain model: items, events, governance structure, profiles. Pure: no I/O."""

from raidlog.model.events import ChainHead, Change, Event, EventDraft
from raidlog.model.governance import Body, Node, Objective, Structure
from raidlog.model.items import (
    BUILTIN_KINDS,
    LEVELS,
    Action,
    Assumption,
    Decision,
    Dependency,
    Issue,
    Item,
    Link,
    Risk,
)
from raidlog.model.profile import Band, Lifecycle, Matrix, Profile
from raidlog.model.values import Rag, Relation

__all__ = [
    "BUILTIN_KINDS",
    "LEVELS",
    "Action",
    "Assumption",
    "Band",
    "Body",
    "ChainHead",
    "Change",
    "Decision",
    "Dependency",
    "Event",
    "EventDraft",
    "Issue",
    "Item",
    "Lifecycle",
    "Link",
    "Matrix",
    "Node",
    "Objective",
    "Profile",
    "Rag",
    "Relation",
    "Risk",
    "Structure",
]
