"""The item commands: what a PMO analyst types, and what scripts read back."""

from __future__ import annotations

import json

import pytest

from raidlog.cli.items import parse_fields
from raidlog.errors import ValidationError
from raidlog.model.items import Action, Risk

from .conftest import Cli


def test_add_prints_the_new_ref_and_show_reads_it_back(cli: Cli, reg: str) -> None:
    out = cli(
        "add",
        reg,
        "risk",
        "--title",
        "Supplier late",
        "--owner",
        "Bo",
        "--field",
        "probability=4",
        "--field",
        "impact=3",
        "--field",
        "tags=supply, q3",
    )
    assert out.stdout.strip() == "R-0001"
    shown = json.loads(cli("show", reg, "R-0001", "--json").stdout)
    assert shown["owner"] == "Bo"
    assert shown["score"] == 12
    assert shown["rag"] == "red"
    assert shown["tags"] == ["supply", "q3"]
    assert shown["created_by"] == "ana"


def test_the_actor_comes_from_as_before_the_environment(cli: Cli, reg: str) -> None:
    cli("--debug", "add", reg, "action", "--title", "Call supplier", "--as", "carla")
    shown = json.loads(cli("show", reg, "A-0001", "--json").stdout)
    assert shown["created_by"] == "carla"


def test_list_filters_mirror_the_register_query(cli: Cli, reg: str) -> None:
    cli(
        "add",
        reg,
        "risk",
        "--title",
        "Vendor insolvency",
        "--field",
        "probability=5",
        "--field",
        "impact=5",
    )
    cli(
        "add",
        reg,
        "risk",
        "--title",
        "Minor slip",
        "--field",
        "probability=1",
        "--field",
        "impact=2",
    )
    cli("add", reg, "action", "--title", "Chase vendor", "--field", "due=2020-01-01")
    high = json.loads(cli("list", reg, "--min-score", "10", "--json").stdout)
    assert [i["ref"] for i in high] == ["R-0001"]
    overdue = json.loads(cli("list", reg, "--overdue", "--json").stdout)
    assert [i["ref"] for i in overdue] == ["A-0001"]
    by_score = json.loads(
        cli("list", reg, "--kind", "risk", "--order-by", "-score", "--limit", "1", "--json").stdout
    )
    assert [i["ref"] for i in by_score] == ["R-0001"]
    words = json.loads(cli("list", reg, "--text", "vendor", "--json").stdout)
    assert [i["ref"] for i in words] == ["A-0001", "R-0001"]


def test_list_prints_a_table_for_people(cli: Cli, reg: str) -> None:
    cli("add", reg, "issue", "--title", "Server room flooded")
    out = cli("list", reg).stdout
    assert "I-0001" in out
    assert "Server room flooded" in out
    assert "1 item(s)" in out


def test_update_transition_link_escalate_and_history(cli: Cli, reg: str) -> None:
    cli("add", reg, "risk", "--title", "Key person leaves")
    cli("add", reg, "action", "--title", "Document the runbook")
    cli("update", reg, "R-0001", "--field", "owner=Dee", "--reason", "handover")
    cli("transition", reg, "A-0001", "in_progress")
    cli("link", reg, "A-0001", "mitigates", "R-0001")
    cli("escalate", reg, "R-0001", "Programme Board", "--reason", "no cover")
    events = json.loads(cli("history", reg, "R-0001", "--json").stdout)
    assert [e["action"] for e in events] == ["add", "update", "escalate"]
    assert events[1]["reason"] == "handover"
    assert events[1]["channel"] == "cli"
    assert ["owner", None, "Dee"] in events[1]["changes"]
    shown = json.loads(cli("show", reg, "R-0001", "--json").stdout)
    assert ["A-0001", "mitigates", "R-0001"] in shown["linked"]
    assert shown["escalated_to"] == ["Programme Board"]
    assert "handover" in cli("history", reg, "R-0001").stdout


def test_a_stale_update_exits_3_and_writes_nothing(cli: Cli, reg: str) -> None:
    cli("add", reg, "risk", "--title", "Budget cut")
    cli("update", reg, "R-0001", "--field", "owner=Eve")
    result = cli("update", reg, "R-0001", "--field", "owner=Fay", "--expect-version", "1", code=3)
    assert result.stderr.startswith("raidlog: error: R-0001 changed since it was read")
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(cli("show", reg, "R-0001", "--json").stdout)["owner"] == "Eve"


def test_errors_are_one_line_on_stderr_with_exit_1(cli: Cli, reg: str) -> None:
    result = cli("show", reg, "R-0099", code=1)
    assert result.stderr == "raidlog: error: no item with ref 'R-0099' in this register\n"
    assert "Traceback" not in result.output
    bad = cli("add", reg, "risk", "--title", "x", "--field", "colour=blue", code=1)
    assert "no settable field 'colour'" in bad.stderr
    assert cli("transition", reg, "R-0099", "closed", code=1).stderr.count("\n") == 1


def test_debug_shows_the_traceback(cli: Cli, reg: str) -> None:
    result = cli("--debug", "show", reg, "R-0099", code=1)
    assert result.exception is not None
    assert type(result.exception).__name__ == "ItemNotFoundError"


def test_a_lifecycle_violation_names_the_allowed_moves(cli: Cli, reg: str) -> None:
    cli("add", reg, "action", "--title", "Order parts")
    result = cli("transition", reg, "A-0001", "nonsense", code=1)
    assert "allowed from 'open'" in result.stderr


def test_verify_anchor_and_expect(cli: Cli, reg: str) -> None:
    cli("add", reg, "decision", "--title", "Use vendor B")
    head = cli("verify", reg, "--anchor").stdout.strip()
    seq, _, digest = head.partition(":")
    assert (seq, len(digest)) == ("2", 64)  # the profile's event, then the risk's
    assert cli("verify", reg).stdout.startswith("OK: 2 event(s), 1 item(s)")
    cli("verify", reg, "--expect", head)
    cli("verify", reg, "--expect", digest)  # a bare head hash, as older releases recorded
    wrong = cli("verify", reg, "--expect", "0" * 64, code=1)
    assert "chain was rebuilt or changed" in wrong.stderr
    report = json.loads(cli("verify", reg, "--json", "--expect", head).stdout)
    assert report["ok"] is True
    assert report["head_hash"] == digest
    assert report["anchor"] == head


def test_verify_fails_when_history_was_tampered_with(cli: Cli, reg: str) -> None:
    import attrs

    from .conftest import SharedMemoryBackend

    cli("add", reg, "risk", "--title", "Original title")
    store = SharedMemoryBackend.stores[reg]
    items = store._state.items
    items["R-0001"] = attrs.evolve(items["R-0001"], title="Edited behind its back")
    result = cli("verify", reg, code=1)
    assert "verification failed at item R-0001" in result.stderr
    assert "title" in result.stderr


def test_init_reports_backend_and_profile(cli: Cli) -> None:
    info = json.loads(cli("init", "shared:new", "--profile", "prince2", "--json").stdout)
    assert info == {
        "location": "shared:new",
        "backend": "shared-memory",
        "profile": "prince2",
        "items": 0,
    }


class TestParseFields:
    def test_values_take_the_type_of_their_field(self) -> None:
        fields, extra = parse_fields(
            Action, ("progress=40", "due=2026-03-01", "tags=a,b", "extra.cost centre=CC-12")
        )
        assert fields["progress"] == 40
        assert fields["due"].isoformat() == "2026-03-01"
        assert fields["tags"] == ("a", "b")
        assert extra == {"cost centre": "CC-12"}

    def test_an_empty_value_clears_an_optional_field(self) -> None:
        assert parse_fields(Risk, ("probability=",))[0] == {"probability": None}

    @pytest.mark.parametrize(
        ("pair", "message"),
        [
            ("probability=high", "--field probability='high'"),
            ("nonsense", "is not NAME=VALUE"),
            ("version=3", "no settable field 'version'"),
        ],
    )
    def test_bad_pairs_name_the_field(self, pair: str, message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            parse_fields(Risk, (pair,))
