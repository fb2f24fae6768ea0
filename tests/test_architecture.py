"""The layers of docs/architecture.md hold: imports point down only, and no two modules
import each other, directly or round a loop.

Imports are read from the source with ``ast`` (so a module nobody imports is checked
too), including imports inside functions; imports under ``if TYPE_CHECKING:`` are left
out, since they never run. ``from package import name`` counts as importing the
submodule ``package.name`` when there is one, else the package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import raidlog
import raidlog.spi

SRC = Path(raidlog.__file__).parent
PLUGINS = Path(__file__).resolve().parents[1] / "plugins"

#: The layers, lowest first: a module may import its own layer and those below it.
#: Keep in step with docs/architecture.md.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("raidlog.errors", "raidlog.files", "raidlog.bulk")),
    ("model", ("raidlog.model",)),
    ("convert", ("raidlog.convert", "raidlog.profiles", "raidlog.rules")),
    (
        "plugins/backend",
        (
            "raidlog.hookspecs",
            "raidlog.plugins",
            "raidlog.spi",
            "raidlog.notifiers",
            "raidlog.query",
            "raidlog.backends",
        ),
    ),
    ("register", ("raidlog.register", "raidlog.boards", "raidlog.boardpack", "raidlog")),
    ("export/report, migrate", ("raidlog.export", "raidlog.report", "raidlog.migrate")),
    ("testing", ("raidlog.testing",)),
    ("cli", ("raidlog.cli", "raidlog.__main__")),
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _owner(name: str) -> str:
    """The module of ``name`` (a module, or a name inside one)."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """(module imported, line) for every raidlog import ``module`` runs."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(nodes: list[ast.stmt] | list[ast.AST]) -> Iterator[tuple[str, int]]:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.orelse)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "raidlog":
                        yield _owner(alias.name), node.lineno
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                if source.split(".")[0] != "raidlog":
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    yield (full if full in MODULES else _owner(source)), node.lineno
            else:
                yield from walk(list(ast.iter_child_nodes(node)))

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for target, line in walk(tree.body):
        if target != module:
            yield target, line


#: Imports known to break the layers, each with the work that removes it. An entry whose
#: import is gone fails :func:`test_known_exceptions_still_exist`: delete it then.
KNOWN: dict[tuple[str, str], str] = {}

_ALL = {module: sorted(set(_imported(module, path))) for module, path in MODULES.items()}
GRAPH = {
    module: [(target, line) for target, line in imports if (module, target) not in KNOWN]
    for module, imports in _ALL.items()
}


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of the longest prefix naming ``module``."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            named = module == prefix or (prefix != "raidlog" and module.startswith(prefix + "."))
            if named and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    if best is None:
        raise LookupError(
            f"{module} belongs to no layer: add it to LAYERS in tests/test_architecture.py "
            "and to the table in docs/architecture.md"
        )
    return best[1]


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for module in MODULES:
        try:
            layer_of(module)
        except LookupError as exc:
            unplaced.append(str(exc))
    assert unplaced == []


def test_imports_point_down_only() -> None:
    upward = [
        f"{MODULES[module].relative_to(SRC.parent)}:{line}: {module} "
        f"({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, imports in GRAPH.items()
        for target, line in imports
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_the_model_imports_nothing_of_raidlog_but_its_errors() -> None:
    outside = [
        f"{module} imports {target}"
        for module, imports in GRAPH.items()
        if layer_of(module) <= 1
        for target, _ in imports
        if not (target.startswith("raidlog.model") or target == "raidlog.errors")
    ]
    assert outside == []
    assert GRAPH["raidlog.errors"] == []
    assert GRAPH["raidlog.files"] == []


def test_a_backend_never_imports_register_migrate_or_cli() -> None:
    forbidden = ("raidlog.register", "raidlog.migrate", "raidlog.cli", "raidlog")
    found = [
        f"{module} imports {target}"
        for module, imports in GRAPH.items()
        if module.startswith("raidlog.backends")
        for target, _ in imports
        if target in forbidden or target.startswith(forbidden[:3])
    ]
    assert found == []


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_round_a_loop() -> None:
    graph = {module: [target for target, _ in imports] for module, imports in GRAPH.items()}
    assert _cycles(graph) == []


def test_known_exceptions_still_exist() -> None:
    present = {(module, target) for module, imports in _ALL.items() for target, _ in imports}
    assert set(KNOWN) <= present, "an import in KNOWN is gone: remove it from KNOWN"


def test_the_cycle_finder_finds_a_loop_and_only_a_loop() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": []}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": ["b"], "b": []}) == []


def test_the_reader_sees_function_level_imports_and_skips_type_checking_blocks() -> None:
    cli_migrate = dict(GRAPH["raidlog.cli.migrate"])
    assert "raidlog.export.xlsx" in cli_migrate, "imported inside a function"
    hookspecs = [target for target, _ in GRAPH["raidlog.hookspecs"]]
    assert "raidlog.register" not in hookspecs, "imported under TYPE_CHECKING only"


def _storage_plugins() -> list[str]:
    """The plugin packages under plugins/ that provide a backend (``register_backends``)."""
    return sorted(
        package.name
        for package in PLUGINS.glob("*/src/*")
        if any(
            "def register_backends" in p.read_text(encoding="utf-8") for p in package.rglob("*.py")
        )
    )


def test_both_storage_plugins_are_found() -> None:
    assert {"raidlog_jsonl", "raidlog_postgres"} <= set(_storage_plugins())


@pytest.mark.parametrize("plugin", _storage_plugins())
def test_storage_plugins_import_raidlog_only_through_the_spi(plugin: str) -> None:
    (package,) = PLUGINS.glob(f"*/src/{plugin}")
    imports = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("raidlog"):
                if node.module == "raidlog":
                    imports.extend(f"raidlog.{alias.name}" for alias in node.names)
                else:
                    imports.append(node.module or "")
            elif isinstance(node, ast.Import):
                imports.extend(a.name for a in node.names if a.name.split(".")[0] == "raidlog")
    assert imports, "the plugin imports raidlog somewhere"
    assert {name for name in imports if not name.startswith(f"{plugin}")} == {"raidlog.spi"}


def test_the_spi_exports_exactly_its_names() -> None:
    for name in raidlog.spi.__all__:
        assert getattr(raidlog.spi, name) is not None
    public = {n for n in vars(raidlog.spi) if not n.startswith("_") and n != "annotations"}
    assert public == set(raidlog.spi.__all__)
