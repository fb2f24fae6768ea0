"""raidlog: one corporate RAID register for every governance body.

The public API in one place::

    import raidlog

    with raidlog.open("memory:", actor="ana") as reg:
        risk = reg.add(raidlog.Risk(title="Supplier late", probability=4, impact=3))
        reg.transition(risk, "mitigating")
"""

from raidlog.backends.base import Backend, Capabilities, Transaction
from raidlog.errors import (
    BackendError,
    BackendNotFoundError,
    ConflictError,
    DuplicateBackendError,
    DuplicateRefError,
    ImmutableItemError,
    ImportRejected,
    InvalidTransitionError,
    ItemNotFoundError,
    ProfileError,
    RaidLogError,
    ReadOnlyError,
    SchemaVersionError,
    ValidationError,
    VocabularyError,
)
from raidlog.hookspecs import hookimpl
from raidlog.model import (
    Action,
    Assumption,
    Body,
    Change,
    Decision,
    Dependency,
    Event,
    Issue,
    Item,
    Link,
    Node,
    Objective,
    Profile,
    Rag,
    Relation,
    Risk,
    Structure,
)
from raidlog.query import Query
from raidlog.register import Problem, Register, VerifyReport, open

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Assumption",
    "Backend",
    "BackendError",
    "BackendNotFoundError",
    "Body",
    "Capabilities",
    "Change",
    "ConflictError",
    "Decision",
    "Dependency",
    "DuplicateBackendError",
    "DuplicateRefError",
    "Event",
    "ImmutableItemError",
    "ImportRejected",
    "InvalidTransitionError",
    "Issue",
    "Item",
    "ItemNotFoundError",
    "Link",
    "Node",
    "Objective",
    "Problem",
    "Profile",
    "ProfileError",
    "Query",
    "Rag",
    "RaidLogError",
    "ReadOnlyError",
    "Register",
    "Relation",
    "Risk",
    "SchemaVersionError",
    "Structure",
    "Transaction",
    "ValidationError",
    "VerifyReport",
    "VocabularyError",
    "__version__",
    "hookimpl",
    "open",
]
