"""What plugin authors need to test a backend: the conformance suite and strategies.

Install with the ``testing`` extra (``pip install raidlog[testing]``), then subclass
:class:`BackendContract` in a test module.
"""

from raidlog.testing.contract import BackendContract, FakeClock

__all__ = ["BackendContract", "FakeClock"]
