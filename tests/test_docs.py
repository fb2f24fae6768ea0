"""Documentation promises: every hook documented with its signature, the README's two
commands and the check script agree."""

import inspect
import re
from pathlib import Path

import pluggy

from raidlog import hookspecs

ROOT = Path(__file__).resolve().parent.parent


def _hookspecs() -> list[str]:
    marker = f"{hookspecs.PROJECT}_spec"
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, marker)
    ]


def test_every_hook_is_documented_with_its_signature() -> None:
    page = (ROOT / "docs" / "plugins" / "hooks.md").read_text()
    names = _hookspecs()
    assert names, "no hook specifications found"
    for name in names:
        fn = getattr(hookspecs, name)
        signature = f"def {name}{inspect.signature(fn)}".replace("'", "")
        assert f"## {name}" in page, f"{name} has no section in docs/plugins/hooks.md"
        assert signature in page, f"docs/plugins/hooks.md lacks the signature: {signature}"
        assert ":return:" in (fn.__doc__ or ""), f"{name} docstring must state :return:"


def test_hookspecs_are_pluggy_specs() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    assert sorted(_hookspecs()) == sorted(n for n in dir(pm.hook) if not n.startswith("_"))


def test_readme_quick_start_has_exactly_two_commands_and_ci_runs_the_check() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(bash scripts/\S+)", section, flags=re.MULTILINE)
    assert commands == ["bash scripts/demo", "bash scripts/check"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/check" in ci


def test_every_docs_page_is_in_the_nav() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs").rglob("*.md"):
        relative = page.relative_to(ROOT / "docs").as_posix()
        assert relative in nav, f"{relative} is not in the mkdocs nav"


def test_snippet_includes_point_at_files() -> None:
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text()
        assert "--8 <" not in text, f"{page}: a formatter broke a snippet marker"
        for target in re.findall(r'^--8<-- "([^"]+)"', text, flags=re.MULTILINE):
            assert (ROOT / target).is_file(), f"{page} includes {target}, which does not exist"
