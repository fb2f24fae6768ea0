"""Every error raidlog raises, under one base class.

Each error also subclasses the builtin that fits, so callers that already catch
``LookupError`` or ``ValueError`` keep working. Messages say what was wrong and
what to do next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from raidlog.migrate.report import ImportReport
    from raidlog.model.items import Item

__all__ = [
    "BackendError",
    "BackendNotFoundError",
    "ConflictError",
    "DuplicateBackendError",
    "DuplicateRefError",
    "ImmutableItemError",
    "ImportRejected",
    "InvalidTransitionError",
    "ItemNotFoundError",
    "ProfileError",
    "RaidLogError",
    "ReadOnlyError",
    "SchemaVersionError",
    "ValidationError",
    "VocabularyError",
]


class RaidLogError(Exception):
    """Base class of every error raised by raidlog."""


class ValidationError(RaidLogError, ValueError):
    """A value does not satisfy the model or the register's profile.

    ``field`` names the offending field when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ItemNotFoundError(RaidLogError, LookupError):
    """No item with this ref is stored in the register."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"no item with ref {ref!r} in this register")
        self.ref = ref


class DuplicateRefError(RaidLogError, ValueError):
    """An item was added with a ref that is already taken."""

    def __init__(self, ref: str) -> None:
        super().__init__(
            f"ref {ref!r} is already used in this register; leave ref unset to have one allocated"
        )
        self.ref = ref


class ConflictError(RaidLogError):
    """The stored item moved on since it was read: nothing was written.

    ``ref`` names what moved (an item's ref; a whole store's location when the conflict
    is with the store itself, as for a workbook edited in Excel), ``expected`` the
    version that was read, ``current`` the item as it is stored now (``None`` when the
    store could not return it). Re-read, re-apply the change and try again.
    """

    def __init__(
        self, ref: str, expected: int, current: Item | None, *, message: str | None = None
    ) -> None:
        found = current.version if current is not None else "unknown"
        super().__init__(
            message
            or f"{ref} changed since it was read (read version {expected}, stored version "
            f"{found}); nothing was written: re-read the item and apply the change again"
        )
        self.ref = ref
        self.expected = expected
        self.current = current


class InvalidTransitionError(RaidLogError, ValueError):
    """A status change the profile's lifecycle does not allow."""

    def __init__(
        self,
        ref: str,
        kind: str,
        old: str,
        new: str,
        allowed: tuple[str, ...],
        hint: str | None = None,
    ) -> None:
        options = ", ".join(allowed) if allowed else "none (final status)"
        message = hint or f"allowed from {old!r}: {options}"
        super().__init__(f"{ref}: a {kind} cannot move from {old!r} to {new!r}; {message}")
        self.ref = ref
        self.old = old
        self.new = new
        self.allowed = allowed


class ImmutableItemError(RaidLogError, ValueError):
    """An accepted decision or a closed item was edited in place.

    ``ref`` names the item (``None`` when a store refused the write without saying
    which item it was). Supersede the decision, or reopen the item through a
    transition first.
    """

    def __init__(self, message: str, *, ref: str | None = None) -> None:
        super().__init__(message)
        self.ref = ref


class ProfileError(RaidLogError, ValueError):
    """A profile data file is missing or malformed."""


class BackendNotFoundError(RaidLogError, LookupError):
    """No installed backend handles this location."""


class DuplicateBackendError(RaidLogError):
    """Two plugins register a backend under the same name."""


class BackendError(RaidLogError):
    """The store failed or holds something this release cannot read."""


class SchemaVersionError(BackendError):
    """The store was written by a newer release of raidlog (or is not a register)."""


class ReadOnlyError(RaidLogError):
    """A write was attempted on a read-only view (for example ``Register.as_of``)."""


class ImportRejected(RaidLogError, ValueError):
    """A spreadsheet could not be imported: nothing was written to the register.

    ``file``, ``sheet`` and ``row`` (1-based, as the spreadsheet shows it) say where, when
    known; ``reason`` says what was wrong. ``report`` is the import report worked out up
    to the refusal (every rejected row with its reason), when there is one. The CLI
    exits with :attr:`exit_code`.
    """

    exit_code = 4
    report: ImportReport | None

    def __init__(
        self,
        file: str,
        reason: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        report: ImportReport | None = None,
    ) -> None:
        where = file
        if sheet is not None:
            where += f", sheet {sheet!r}"
        if row is not None:
            where += f", row {row}"
        super().__init__(f"{where}: {reason}; nothing was imported")
        self.file = file
        self.sheet = sheet
        self.row = row
        self.reason = reason
        self.report = report


class VocabularyError(RaidLogError, ValueError):
    """A word list of the importer (a TOML file of :mod:`raidlog.migrate.vocab`) is invalid.

    ``file``, ``table`` and ``entry`` say where; ``reason`` says what was wrong.
    """

    def __init__(self, file: str, table: str, entry: str, reason: str) -> None:
        super().__init__(f"{file}, table [{table}], entry {entry!r}: {reason}")
        self.file = file
        self.table = table
        self.entry = entry
        self.reason = reason
