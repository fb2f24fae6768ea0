"""Column headers: normalisation and the synonym table behind every guess.

A header is normalised (case, spaces, non-breaking spaces, newlines, punctuation,
camelCase and snake_case, hints such as "(H/M/L)" or "(dd/mm/yyyy)") and then looked up
in :data:`SYNONYMS`. Each field key names a concept (``owner``, ``due``...); which model
attribute it lands in depends on the kind (see :func:`attribute`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "KIND_WORDS",
    "LEVEL_PREFIXES",
    "SYNONYMS",
    "attribute",
    "candidates",
    "kind_of_word",
    "normalise",
]

#: field key -> normalised headers that mean it.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ref": (
        "id",
        "ref",
        "reference",
        "ref no",
        "ref number",
        "reference number",
        "ref id",
        "no",
        "number",
        "s no",
        "sno",
        "sl no",
        "serial",
        "serial no",
        "serial number",
        "#",
        "key",
        "issue key",
        "item id",
        "item no",
        "item number",
        "log id",
        "raid id",
        "risk id",
        "risk no",
        "risk number",
        "risk ref",
        "issue id",
        "issue no",
        "issue number",
        "issue ref",
        "action id",
        "action no",
        "action number",
        "action ref",
        "decision id",
        "decision no",
        "decision number",
        "decision ref",
        "assumption id",
        "dependency id",
        "s n",
        "sr no",
        "sr",
        "sl",
        "sno",
        "no.",
        "unique id",
        "uid",
    ),
    "kind": (
        "type",
        "risk issue",
        "raid item",
        "raid log type",
        "item category",
        "item type",
        "raid type",
        "raid category",
        "record type",
        "log type",
        "issue type",
        "entry type",
        "raid",
    ),
    "title": (
        "title",
        "summary",
        "risk name",
        "risk title",
        "issue title",
        "issue name",
        "action title",
        "action name",
        "decision title",
        "short description",
        "headline",
        "subject",
        "item",
        "risk",
        "issue",
        "action",
        "decision",
        "assumption",
        "dependency",
        "risk summary",
        "issue summary",
        "action summary",
        "topic",
    ),
    "description": (
        "description",
        "details",
        "detail",
        "risk description",
        "issue description",
        "action description",
        "decision description",
        "assumption description",
        "dependency description",
        "problem",
        "item description",
        "description of risk",
        "description of issue",
        "narrative",
        "full description",
        "risk details",
        "issue details",
        "action details",
        "description details",
    ),
    "owner": (
        "owner",
        "risk owner",
        "issue owner",
        "action owner",
        "decision owner",
        "assigned to",
        "assignee",
        "responsible",
        "responsible person",
        "actionee",
        "allocated to",
        "accountable",
        "owned by",
        "person responsible",
        "who",
        "responsibility",
        "lead",
        "action by",
    ),
    "raised_by": (
        "raised by",
        "author",
        "reporter",
        "originator",
        "submitted by",
        "identified by",
        "logged by",
        "created by",
        "requested by",
        "requestor",
        "requester",
        "proposed by",
        "reported by",
        "flagged by",
        "opened by",
        "entered by",
        "initiated by",
        "initiator",
    ),
    "raised_on": (
        "date raised",
        "raised",
        "raised on",
        "date identified",
        "identified",
        "identified on",
        "opened",
        "date opened",
        "open date",
        "opened on",
        "created",
        "created on",
        "date created",
        "creation date",
        "date logged",
        "logged",
        "logged on",
        "date added",
        "date entered",
        "entry date",
        "submitted",
        "date submitted",
        "raised date",
        "date",
        "start date",
        "reported",
        "date reported",
    ),
    "probability": (
        "probability",
        "likelihood",
        "prob",
        "p",
        "l",
        "chance",
        "probability score",
        "likelihood score",
        "probability rating",
        "likelihood rating",
        "probability level",
        "likelihood level",
    ),
    "impact": (
        "impact",
        "severity",
        "consequence",
        "i",
        "c",
        "impact score",
        "impact rating",
        "impact level",
        "severity score",
        "consequence score",
        "impact severity",
    ),
    "score": (
        "risk score",
        "score",
        "exposure",
        "rating",
        "risk rating",
        "rpn",
        "ev",
        "pxi",
        "p x i",
        "p i",
        "risk exposure",
        "overall score",
        "total score",
        "risk value",
        "priority score",
        "expected value",
        "l x i",
        "lxi",
        "overall rating",
        "overall risk rating",
        "overall risk score",
    ),
    "rag": (
        "rag",
        "rag status",
        "rag rating",
        "status rag",
        "rag colour",
        "rag color",
        "colour",
        "color",
        "traffic light",
        "rag score",
        "overall rag",
        "current rag",
        "rag rating overall",
    ),
    "status": (
        "status",
        "state",
        "current status",
        "risk status",
        "issue status",
        "action status",
        "decision status",
        "assumption status",
        "dependency status",
        "open closed",
        "item status",
        "stage",
    ),
    "response": (
        "mitigation",
        "mitigations",
        "mitigation plan",
        "mitigating actions",
        "mitigation actions",
        "mitigation action",
        "mitigation strategy",
        "response",
        "responses",
        "risk response",
        "response plan",
        "response action",
        "response actions",
        "countermeasure",
        "countermeasures",
        "controls in place",
        "current controls",
        "existing controls",
        "existing mitigation",
        "existing mitigations",
        "treatment",
        "treatment plan",
        "action plan",
        "actions",
        "controls",
        "mitigation response",
        "planned response",
        "risk mitigation",
        "contingency",
        "contingency plan",
        "contingency actions",
        "fallback plan",
    ),
    "response_category": (
        "response strategy",
        "response type",
        "strategy",
        "treatment type",
        "response category",
        "risk strategy",
        "treatment strategy",
        "approach",
    ),
    "cause": (
        "cause",
        "causes",
        "root cause",
        "trigger",
        "triggers",
        "risk cause",
        "source",
        "risk trigger",
        "trigger event",
    ),
    "event": ("event", "risk event"),
    "effect": (
        "effect",
        "effects",
        "impact description",
        "consequences",
        "description of impact",
        "impact on project",
        "impact details",
    ),
    "due": (
        "due",
        "due date",
        "target date",
        "required by",
        "deadline",
        "date due",
        "target completion date",
        "target resolution date",
        "target closure date",
        "needed by",
        "by when",
        "action date",
        "due by",
        "target",
        "completion due",
        "planned completion",
        "planned completion date",
        "expected completion",
        "expected completion date",
        "target close date",
        "resolution due date",
        "date required",
        "decision required by",
        "decision due",
        "need by date",
        "expected resolution",
        "expected resolution date",
        "expected closure date",
        "expected close date",
        "planned closure date",
        "planned close date",
        "estimated closure date",
        "estimated close date",
        "estimated completion date",
        "forecast closure",
        "forecast closure date",
        "forecast completion date",
        "close by",
        "complete by",
    ),
    "next_review": (
        "review date",
        "next review",
        "next review date",
        "date of next review",
        "review by",
        "review due",
    ),
    "closed_on": (
        "closure date",
        "closed date",
        "date closed",
        "closed",
        "closed on",
        "date resolved",
        "resolved",
        "resolved on",
        "resolved date",
        "resolution date",
        "completion date",
        "completed",
        "date completed",
        "completed on",
        "actual completion date",
        "actual completion",
        "date of closure",
        "close date",
        "actual close date",
        "date done",
    ),
    "resolution": (
        "resolution",
        "resolution notes",
        "how resolved",
        "resolution details",
        "resolution description",
        "outcome",
        "resolution plan",
    ),
    "decision": (
        "decision",
        "decision made",
        "decision statement",
        "decision taken",
        "agreed decision",
        "decision details",
        "decision outcome",
    ),
    "rationale": (
        "rationale",
        "reason",
        "reasoning",
        "justification",
        "basis for decision",
        "reason for decision",
        "rationale for decision",
    ),
    "options_considered": (
        "options",
        "options considered",
        "alternatives",
        "alternatives considered",
    ),
    "decided_by": (
        "made by",
        "decision made by",
        "decided",
        "decided by",
        "decision maker",
        "decision makers",
        "approved by",
        "approver",
        "authorised by",
        "authorized by",
        "decision by",
        "agreed by",
    ),
    "decided_on": (
        "decision date",
        "date decided",
        "date of decision",
        "approved date",
        "date approved",
        "approval date",
        "decided on",
        "date agreed",
        "agreed date",
    ),
    "priority": ("priority", "importance", "urgency", "priority level", "criticality"),
    "category": (
        "category",
        "risk category",
        "risk type",
        "area",
        "risk area",
        "category type",
        "classification",
        "risk class",
    ),
    "issue_type": ("issue type", "issue category", "change type", "type of issue"),
    "severity": ("severity", "issue severity", "severity level"),
    "proximity": ("proximity", "timeframe", "time frame", "risk proximity", "when", "time horizon"),
    "progress": (
        "progress",
        "% complete",
        "percent complete",
        "complete %",
        "percentage complete",
        "% done",
        "completion %",
        "pct complete",
    ),
    "cost_exposure": (
        "cost exposure",
        "cost impact",
        "financial impact",
        "impact monetary",
        "impact cost",
        "cost",
        "estimated cost",
        "financial exposure",
        "cost of impact",
        "impact $",
        "impact £",
        "impact €",
        "monetary impact",
        "impact value",
    ),
    "counterparty": (
        "counterparty",
        "dependent on",
        "dependency on",
        "provider",
        "supplier",
        "from",
        "depends on team",
        "external party",
        "third party",
        "delivering team",
        "owning team",
    ),
    "direction": ("direction", "inbound outbound", "in out"),
    "validation": (
        "validation",
        "how validated",
        "validation method",
        "validation notes",
        "validation approach",
    ),
    "validated_on": ("validated on", "date validated", "validation date"),
    "tags": ("tags", "labels", "keywords", "label"),
    "links": (
        "dependencies",
        "depends on",
        "predecessors",
        "mitigates",
        "mitigates risk",
        "resolves",
        "linked item",
        "linked items",
        "links",
        "related items",
        "related item",
        "related to",
        "related risks",
        "related issues",
        "related actions",
        "related decisions",
        "linked risks",
        "linked issues",
        "link to",
        "related",
        "linked to",
        "cross reference",
        "related ref",
    ),
    "completed_on": ("actual completion date", "date completed", "completed on"),
}

#: Qualifiers that put probability, impact and score on another assessment level.
LEVEL_PREFIXES: dict[str, str] = {
    "inherent": "inherent_",
    "initial": "inherent_",
    "gross": "inherent_",
    "pre mitigation": "inherent_",
    "pre": "inherent_",
    "before": "inherent_",
    "unmitigated": "inherent_",
    "raw": "inherent_",
    "original": "inherent_",
    "current": "",
    "residual": "residual_",
    "post mitigation": "residual_",
    "post": "residual_",
    "after": "residual_",
    "net": "residual_",
    "mitigated": "residual_",
    "target": "target_",
    "desired": "target_",
}

KIND_WORDS: dict[str, str] = {
    "risk": "risk",
    "risks": "risk",
    "r": "risk",
    "threat": "risk",
    "opportunity": "risk",
    "action": "action",
    "actions": "action",
    "a": "action",
    "task": "action",
    "todo": "action",
    "to do": "action",
    "issue": "issue",
    "issues": "issue",
    "i": "issue",
    "problem": "issue",
    "decision": "decision",
    "decisions": "decision",
    "d": "decision",
    "assumption": "assumption",
    "assumptions": "assumption",
    "as": "assumption",
    "dependency": "dependency",
    "dependencies": "dependency",
    "dep": "dependency",
    "dp": "dependency",
}

# Where each concept lives per kind; absent means "keep it in extra".
_COMMON = (
    "title",
    "description",
    "owner",
    "raised_by",
    "raised_on",
    "status",
    "priority",
    "rag",
    "due",
    "next_review",
    "closed_on",
    "tags",
)
_ATTRIBUTES: dict[str, dict[str, str]] = {
    "risk": {
        **{k: k for k in _COMMON},
        **{
            k: k
            for k in (
                "cause",
                "event",
                "effect",
                "category",
                "proximity",
                "response",
                "response_category",
                "probability",
                "impact",
                "score",
                "cost_exposure",
            )
        },
        "actionee": "actionee",
        "type": "category",
    },
    "action": {
        **{k: k for k in _COMMON},
        "progress": "progress",
        "completed_on": "completed_on",
        "assignee": "assignee",
    },
    "issue": {
        **{k: k for k in _COMMON},
        "issue_type": "issue_type",
        "type": "issue_type",
        "severity": "severity",
        "resolution": "resolution",
        "decision": "resolution",
        "response": "resolution",
    },
    "decision": {
        **{k: k for k in _COMMON},
        "decision": "decision",
        "rationale": "rationale",
        "options_considered": "options_considered",
        "decided_by": "decided_by",
        "decided_on": "decided_on",
    },
    "assumption": {
        **{k: k for k in _COMMON},
        "validation": "validation",
        "validated_on": "validated_on",
    },
    "dependency": {
        **{k: k for k in _COMMON},
        "counterparty": "counterparty",
        "direction": "direction",
    },
}

_CUSTOM_FIELD = re.compile(r"^custom ?field\s*\((.+)\)$")
_HINT = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]")
_MONEY = re.compile(r"monetary|cost|[$£€]|financial|\bgbp\b|\busd\b|\beur\b")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^\w#%$£€]+")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalise(header: str) -> str:
    """A header as compared with synonyms: ``"Impact\\n(H/M/L)"`` -> ``"impact"``."""
    text = unicodedata.normalize("NFKC", header).replace("\u00a0", " ")
    text = _CAMEL.sub(" ", text.strip())
    lowered = text.casefold()
    custom = _CUSTOM_FIELD.match(lowered)
    if custom:  # Jira's "Custom field (Risk Probability)" is the field in brackets
        lowered = custom.group(1)
    money = "monetary" if _MONEY.search(lowered) and "impact" in lowered else ""
    lowered = _HINT.sub(" ", lowered)
    lowered = lowered.replace("_", " ").replace("&", " and ").replace("/", " ")
    lowered = _NON_WORD.sub(" ", lowered)
    lowered = _SPACES.sub(" ", lowered).strip()
    if lowered in ("#", "no", "no."):
        return lowered
    lowered = lowered.strip("# ").strip() or lowered
    return f"{lowered} {money}".strip() if money else lowered


_LOOKUP: dict[str, str] = {}
for _key, _words in SYNONYMS.items():
    for _word in _words:
        _LOOKUP.setdefault(_word, _key)
# Headers that mean one concept in every kind but are listed twice above.
_LOOKUP["severity"] = "impact"
_LOOKUP["impact monetary"] = "cost_exposure"


# Headers too generic to be sure of: they lose to a specific header for the same field.
_WEAK = frozenset(
    {
        "date",
        "when",
        "from",
        "source",
        "target",
        "key",
        "no",
        "number",
        "type",
        "approach",
        "area",
        "who",
        "lead",
        "stage",
        "label",
        "c",
        "i",
        "p",
        "l",
        "item",
        "colour",
        "color",
        "outcome",
        "options",
        "reason",
        "completed",
        "closed",
        "resolved",
        "created",
        "raised",
        "logged",
        "opened",
        "submitted",
        "identified",
        "reported",
        "state",
        "event",
    }
)


_ACTION_OWNERS = frozenset(
    {
        "action owner",
        "actioner",
        "owner of action",
        "mitigation owner",
        "mitigation lead",
        "response owner",
        "treatment owner",
        "control owner",
    }
)


def candidates(header: str) -> list[tuple[str, float]]:
    """Field keys ``header`` may mean, best first, with a confidence from 0 to 1."""
    norm = normalise(header)
    if not norm:
        return []
    found: list[tuple[str, float]] = []
    if "#" in header and _LOOKUP.get(f"{norm} no") == "ref":
        return [("ref", 1.0)]  # "Risk #", "Item #": the sign means "number"
    key = _LOOKUP.get(norm)
    if norm == "severity":
        # Severity is a risk's impact, but an issue's own field.
        return [("impact", 0.8), ("severity", 0.95)]
    if key is not None:
        found.append((key, 0.7 if norm in _WEAK else 1.0))
    words = norm.split(" ")
    for size in (2, 1):
        head = " ".join(words[:size])
        rest = " ".join(words[size:])
        if rest and head in LEVEL_PREFIXES:
            base = _LOOKUP.get(rest.removeprefix("risk ").strip())
            if base in ("probability", "impact", "score"):
                found.insert(0, (LEVEL_PREFIXES[head] + base, 1.0))
    if not found and len(words) > 1:
        # "Risk Owner", "Action Due Date", "Issue Resolution": a kind word, then a field.
        if words[0] in KIND_WORDS and len(words[0]) > 2:
            key = _LOOKUP.get(" ".join(words[1:]))
            if key is not None:
                found.append((key, 0.85))
        # "Owner (name)", "Due date dd/mm": the first words carry the meaning.
        for size in range(len(words) - 1, 0, -1):
            key = _LOOKUP.get(" ".join(words[:size]))
            if key is not None and key not in ("ref", "kind"):
                found.append((key, 0.6))
                break
    if norm in _ACTION_OWNERS:
        # A risk's action owner is its actionee when another column names the owner.
        return (
            [("owner", 0.96), ("actionee", 0.95)]
            if norm == "action owner"
            else [
                ("actionee", 0.95),
                ("owner", 0.6),
            ]
        )
    if norm in ("actionee", "assigned to", "assignee", "allocated to", "action by"):
        found.append(("actionee" if norm == "actionee" else "assignee", 0.95))
    if norm == "severity":
        found.append(("severity", 0.95))
    if norm in ("decision", "action", "issue", "risk", "assumption", "dependency"):
        found.append(("decision" if norm == "decision" else "response", 0.5))
    return found


def attribute(kind: str, key: str) -> str | None:
    """The model attribute of ``kind`` that concept ``key`` lands in (None: extra)."""
    for prefix in ("inherent_", "residual_", "target_"):
        if key.startswith(prefix):
            return key if kind == "risk" else None
    if key in ("ref", "kind", "links"):
        return key
    return _ATTRIBUTES.get(kind, {}).get(key)


def kind_of_word(value: str) -> str | None:
    """The kind a type-column value names (``"R"``, ``"Risks"``, ``"ACTION"``...)."""
    norm = normalise(value)
    return KIND_WORDS.get(norm)
