"""Errors carry data, and every error raidlog raises is a RaidLogError."""

import ast
import importlib
from pathlib import Path

import pytest

import raidlog
import raidlog.errors
from raidlog.backends.excel.safety import WorkbookChangedError
from raidlog.model.items import Decision

SRC = Path(raidlog.__file__).parent


def _exception_classes() -> list[tuple[str, str]]:
    """(module, class) of every class defined under src/raidlog that derives from an
    exception: found in the source, so that a module nobody imports is walked too."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.bases:
                found.append((module, node.name))
    classes = []
    for module, name in found:
        cls = getattr(importlib.import_module(module), name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            classes.append((module, name))
    return classes


def test_every_exception_class_in_the_package_is_a_raidlog_error() -> None:
    classes = _exception_classes()
    assert ("raidlog.backends.excel.safety", "WorkbookChangedError") in classes
    assert ("raidlog.migrate.read", "ReadError") in classes
    outside = [
        f"{module}.{name}"
        for module, name in classes
        if not issubclass(getattr(importlib.import_module(module), name), raidlog.RaidLogError)
    ]
    assert outside == []


def test_errors_module_lists_every_error_it_defines_and_the_package_exports_them() -> None:
    defined = {
        name
        for name, value in vars(raidlog.errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    assert defined == set(raidlog.errors.__all__)
    assert defined <= set(raidlog.__all__)


def test_a_changed_workbook_is_a_conflict_error_with_its_fields() -> None:
    error = WorkbookChangedError("raid.xlsx", "it was deleted or moved")
    assert isinstance(error, raidlog.ConflictError)
    assert (error.ref, error.expected, error.current) == ("raid.xlsx", 0, None)
    assert error.detail == "it was deleted or moved"
    assert str(error).startswith("raid.xlsx was changed outside raidlog")
    assert "reopen the register" in str(error)


def test_a_conflict_error_names_the_versions() -> None:
    error = raidlog.ConflictError("R-0001", 2, None)
    assert str(error).startswith("R-0001 changed since it was read (read version 2")


def test_an_immutable_item_error_carries_the_ref() -> None:
    with raidlog.open("memory:", actor="a") as reg:
        decision = reg.add(Decision(title="Use one register"))
        decision = reg.transition(decision, "accepted")
        with pytest.raises(raidlog.ImmutableItemError) as caught:
            reg.update(decision, title="Use two registers")
    assert caught.value.ref == decision.ref
    assert str(caught.value).startswith(f"{decision.ref}")


def test_an_import_rejection_declares_its_report() -> None:
    error = raidlog.ImportRejected("raid.xlsx", "no sheet", sheet="Risks", row=3)
    assert error.report is None
    assert str(error) == "raid.xlsx, sheet 'Risks', row 3: no sheet; nothing was imported"
