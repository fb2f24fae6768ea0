"""The SQLite backend passes the conformance suite."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raidlog.model.items import Item
from raidlog.query import Query
from raidlog.testing import BackendContract
from raidlog.testing.strategies import items, queries

# The suite's property tests are one function object shared by every subclass; Hypothesis
# refuses to run one function under two test classes (HealthCheck.differing_executors)
# once another backend's suite ran in the same session. Wrapping the suite's own test
# bodies here gives this class its own functions; the bodies and strategies are the suite's.
_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_round_trip = BackendContract.test_any_item_round_trips.hypothesis.inner_test  # type: ignore[attr-defined]
_queries = BackendContract.test_query_results_equal_the_reference_evaluator.hypothesis.inner_test  # type: ignore[attr-defined]


class TestSQLiteBackend(BackendContract):
    processes = 4

    def make_location(self, directory: Path) -> str:
        return str(directory / "raid.db")

    @_SETTINGS
    @given(item=items())
    def test_any_item_round_trips(self, item: Item) -> None:
        _round_trip(self, item)

    @_SETTINGS
    @given(
        batch=st.lists(items(), min_size=0, max_size=25),
        asked=st.lists(queries(), min_size=1, max_size=8),
    )
    def test_query_results_equal_the_reference_evaluator(
        self, batch: list[Item], asked: list[Query]
    ) -> None:
        _queries(self, batch, asked)
