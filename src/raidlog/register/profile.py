"""The register's profile in the event chain.

The profile is the register's rules: which statuses freeze an item, the bands that make
a risk red, which moves need a reason. A copy kept beside the data (SQLite ``meta``, the
workbook's ``_meta`` sheet, PostgreSQL's ``meta`` table, the JSON Lines header) can be
edited by anyone who can edit the store, so the profile is also an event in the hash
chain, on the entity :data:`~raidlog.model.profile.PROFILE_REF`: the first event records
it, each change of it is another. A register opens with the profile its chain records;
:func:`check` reports a stored copy that differs.

Registers written before profiles were chained have no such event: they open with their
stored profile, and the first write records it in the chain (in the same transaction as
the change it carries). Until then :func:`check` says so as a note, not a problem.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs

from raidlog.backends.base import Backend
from raidlog.errors import ProfileError
from raidlog.model.events import Event
from raidlog.model.profile import (
    PROFILE_REF,
    Profile,
    chained_profile,
    profile_changes,
    profile_payload,
)

if TYPE_CHECKING:
    from raidlog.register.write import Write

__all__ = ["ProfileChain", "check", "chosen", "read_chain", "stage", "staged"]

#: The reason recorded on a profile event.
_REASON = "the profile this register's changes follow"


@attrs.define(kw_only=True)
class ProfileChain:
    """What a register knows of its profile's place in the chain.

    ``recorded`` is the data the last profile event holds (``None``: no profile event
    yet), ``version`` that event's version, ``copy_differs`` whether the stored copy
    differs from the profile the register follows (the next write restores it).
    """

    recorded: dict[str, Any] | None = None
    version: int = 0
    copy_differs: bool = False

    def pending(self, profile: Profile) -> bool:
        """Whether the next write must record ``profile`` or restore the stored copy."""
        if self.copy_differs or self.recorded is None:
            return True
        return profile_payload(self.recorded) != profile_payload(profile.source)


def read_chain(backend: Backend, stored: str | None) -> ProfileChain:
    """The profile events of ``backend``'s chain, compared with the ``stored`` copy."""
    events = list(backend.events(ref=PROFILE_REF))
    recorded = chained_profile(events)
    if recorded is None:
        return ProfileChain(copy_differs=stored is None)
    return ProfileChain(
        recorded=recorded,
        version=max(e.version for e in events if e.kind == PROFILE_REF),
        copy_differs=not _same(stored, recorded),
    )


def chosen(chain: ProfileChain, stored: str | None) -> Profile | None:
    """The profile a register follows: the chained one, else its stored copy (a register
    written before profiles were chained), else ``None`` (a new register)."""
    if chain.recorded is not None:
        return Profile.from_mapping(chain.recorded)
    if stored is None:
        return None
    try:
        data = json.loads(stored)
    except ValueError as exc:
        raise ProfileError(
            f"the stored profile is not valid JSON ({exc}) and the event chain records none"
        ) from None
    return Profile.from_mapping(data)


def stage(write: Write) -> None:
    """Record the register's profile in ``write`` (before its other changes) when the
    chain does not hold it yet, and restore a stored copy that differs."""
    register = write.register
    chain = register.profile_chain
    profile = register.profile
    recorded = chain.recorded
    if recorded is None or profile_payload(recorded) != profile_payload(profile.source):
        write.draft(
            PROFILE_REF,
            PROFILE_REF,
            "add" if recorded is None else "update",
            chain.version + 1,
            profile_changes(recorded, profile.source),
            reason=_REASON,
        )
    write.txn.set_meta("profile", profile_payload(profile.source))


def staged(chain: ProfileChain, profile: Profile) -> None:
    """After a write that staged the profile committed: the chain now holds it."""
    if chain.recorded is None or profile_payload(chain.recorded) != profile_payload(profile.source):
        chain.version += 1
    chain.recorded = dict(profile.source)
    chain.copy_differs = False


def check(events: list[Event], stored: str | None) -> tuple[list[str], list[str]]:
    """What is wrong with the stored profile (each a problem of the entity
    :data:`PROFILE_REF`), and notes, for :func:`raidlog.register.verify.verify`."""
    recorded = chained_profile(events)
    if recorded is None:
        if not events:
            return [], []
        return [], [
            "profile not chained: this register was written before raidlog recorded its "
            "profile in the event chain; the next write records the stored profile"
        ]
    if _same(stored, recorded):
        return [], []
    what = "is missing" if stored is None else "differs from the one recorded in the chain"
    return [
        f"the stored profile {what} (changed outside raidlog); the register follows the "
        "chained profile, and the next write restores the stored copy"
    ], []


def _same(stored: str | None, recorded: dict[str, Any]) -> bool:
    if stored is None:
        return False
    try:
        return profile_payload(json.loads(stored)) == profile_payload(recorded)
    except ValueError:
        return False
