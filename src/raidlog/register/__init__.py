"""The Register: the one public facade over a store, and how to open one.

The package has one room per job: :mod:`~raidlog.register.facade` (the
:class:`Register` API), :mod:`~raidlog.register.write` (the write engine: one atomic
change, bulk slices), :mod:`~raidlog.register.verify` (:class:`VerifyReport`),
:mod:`~raidlog.register.history` (replay, ``as_of``, copies),
:mod:`~raidlog.register.profile` (the profile in the event chain) and
:mod:`~raidlog.register.opening` (:func:`open`).
"""

from __future__ import annotations

from raidlog.register.facade import Register
from raidlog.register.opening import open
from raidlog.register.verify import AnchorCheck, Problem, VerifyReport

__all__ = ["AnchorCheck", "Problem", "Register", "VerifyReport", "open"]
