"""The canonical JSON every hash covers: the bytes earlier releases wrote, whatever encodes them.

Every release before orjson hashed the text of the stdlib encoder below. The encoder now
in use must give byte for byte that text for every value a register can hold, and refuse
(with a clear error) what no register could hold: a lone surrogate has no UTF-8 form, so
no earlier release could hash it, and NaN or infinity is not JSON (the model refuses it).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import raidlog
from raidlog.errors import ValidationError
from raidlog.model.events import ChainHead, EventDraft, canonical_json, seal

_OLD = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
_SURROGATE = re.compile("[\ud800-\udfff]")

# Text of every Unicode category, lone surrogates (Cs) included.
_any_text = st.text(st.characters(exclude_categories=()), max_size=12)
_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1])
    | st.floats()
    | st.sampled_from([1e16, 1e-7, -0.0, 0.0, 1e15, 1.5e-5, 5e-324, 1.7976931348623157e308])
    | _any_text
)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_any_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def _has_non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list | tuple):
        return any(_has_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    return False


@settings(max_examples=600, deadline=None)
@given(value=_values)
@example(value='a\x00\x1f\x7f\u2028\u2029"\\\n\t\b\f\r é😀\ufeff')
@example(value={"b": 1e16, "a": [1e-7, -0.0, None, True, 2**70]})
@example(value={"é": 1, "e": 2, "😀": 3, "\uffff": 4, "z": 5})
@example(value=["\ud800"])
@example(value=float("nan"))
def test_the_encoder_writes_the_bytes_the_old_encoder_wrote(value: object) -> None:
    old = _OLD(value)
    if _SURROGATE.search(old) or _has_non_finite(value):
        # Never stored by any release: the old text could not be hashed (no UTF-8 form)
        # or was not JSON (NaN, Infinity).
        with pytest.raises(ValidationError):
            canonical_json(value)
        return
    assert canonical_json(value).encode() == old.encode()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e16, "1e+16"),
        (1e-7, "1e-07"),
        (-0.0, "-0.0"),
        (1e15, "1000000000000000.0"),
        (2**70, "1180591620717411303424"),
        ({"tiny": 1e-7, "big": 2**64}, '{"big":18446744073709551616,"tiny":1e-07}'),
        (["ünï", "\u2028"], '["ünï","\u2028"]'),
        ("\x01", '"\\u0001"'),
    ],
)
def test_pinned_forms(value: object, text: str) -> None:
    # orjson alone writes 1e-7, 1e16 (some versions) and refuses 2**64: these stay as they were.
    assert canonical_json(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")], "a\udfff"])
def test_what_no_register_can_hold_is_refused_with_a_clear_error(value: object) -> None:
    with pytest.raises(ValidationError, match=r"finite|surrogate"):
        canonical_json(value)


_GOLDEN = Path(__file__).parent / "data" / "old-encoder.db"


def test_a_register_written_with_the_old_encoder_still_verifies(tmp_path: Path) -> None:
    # tests/core/data/old-encoder.db was written by raidlog before orjson (main at
    # 90ee15a): floats such as 1e16, 1e-07, -0.0 and 5e-324, integers beyond 64 bits,
    # escapes, U+2028 and astral text, in single adds, updates and add_many.
    path = tmp_path / "old.db"
    shutil.copyfile(_GOLDEN, path)
    register = raidlog.open(f"sqlite:///{path}", actor="checker")
    report = register.verify()
    assert report.ok, report.problems
    assert (report.events_checked, report.items_checked) == (9, 7)
    assert report.head_hash == "eb682492d441d371af7c6010f14426d8fea551ca28424f655f943f026e65fb35"
    # And an event whose changes hold those floats, written again today, hashes alike.
    risk = register.get("R-0001")
    assert risk.extra["tiny"] == 5e-324
    assert register.verify().ok


def test_an_event_whose_text_holds_a_lone_surrogate_is_refused_before_it_is_sealed() -> None:
    draft = EventDraft(
        ref="R-0001",
        kind="risk",
        action="add",
        version=1,
        actor="a\ud800",
        at=datetime(2026, 1, 2, tzinfo=UTC),
        channel="api",
    )
    with pytest.raises(ValidationError, match="surrogate"):
        seal([draft], ChainHead())
