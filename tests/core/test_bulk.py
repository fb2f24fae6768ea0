"""raidlog.bulk: the collector paused for bulk work, and generated code that tracebacks show."""

from __future__ import annotations

import gc
import threading
import traceback
from collections.abc import Iterator

import pytest

from raidlog.bulk import bulk, generated
from raidlog.convert import Codec
from raidlog.model.items import Risk
from raidlog.register.write import assign


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_bulk_pauses_the_collector_and_restores_it_even_on_error() -> None:
    with bulk():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), bulk():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_bulk_blocks_nest_and_the_outermost_restores() -> None:
    with bulk():
        with bulk():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block ending does not restart it
    assert gc.isenabled()


def test_bulk_leaves_a_collector_that_was_off_off() -> None:
    gc.disable()
    with bulk():
        pass
    assert not gc.isenabled()


def test_bulk_blocks_in_other_threads_keep_it_paused_until_the_last_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with bulk():
            inside.set()
            release.wait(timeout=10)

    thread = threading.Thread(target=other)
    with bulk():
        thread.start()
        inside.wait(timeout=10)
    assert not gc.isenabled()  # the other thread's block is still open
    release.set()
    thread.join(timeout=10)
    assert gc.isenabled()


def test_a_traceback_through_generated_code_shows_the_generated_line() -> None:
    source = "def half(n):\n    return n // 0  # the generated line\n"
    half = generated(source, "half", {}, "test half")
    with pytest.raises(ZeroDivisionError) as caught:
        half(4)
    text = "".join(traceback.format_exception(caught.value))
    assert "<generated: test half #" in text
    assert "return n // 0  # the generated line" in text


def test_the_register_and_converter_code_is_generated_with_its_source() -> None:
    with pytest.raises(AttributeError) as caught:
        assign(Risk.__new__(Risk), {})  # no fields set: fails inside the generated code
    text = "".join(traceback.format_exception(caught.value))
    assert "raidlog.register.write assign" in text
    assert "put(new, " in text
    codec = Codec()
    with pytest.raises(AttributeError) as caught:
        codec.item_to_dict(Risk.__new__(Risk))  # no fields set: fails inside to_dict
    text = "".join(traceback.format_exception(caught.value))
    assert "raidlog.convert to_dict Risk" in text
