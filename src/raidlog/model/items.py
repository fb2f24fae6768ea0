"""The items of a RAID register: one governance core shared by every kind.

Items are frozen attrs classes. They validate what they can know on their own at
construction (text rules, ranges, dates in order); what depends on the register's
profile (vocabularies, the scoring matrix, lifecycles) is checked by the register.
Change an item with :func:`attrs.evolve` or, in a register, ``Register.update``.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, ClassVar, TypeAlias

import attrs

from raidlog.errors import ValidationError
from raidlog.model.values import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    ExtraValue,
    Rag,
    Relation,
    as_date,
    canonical_text,
    clean_extra,
    clean_names,
    optional_text,
    utc,
)

__all__ = [
    "BUILTIN_KINDS",
    "LEVELS",
    "Action",
    "Assumption",
    "Decision",
    "Dependency",
    "Issue",
    "Item",
    "ItemMaker",
    "Link",
    "Risk",
    "writable_twin",
]

#: Risk assessment levels. The current level uses the unprefixed names
#: (``probability``, ``impact``, ``score``).
LEVELS = ("inherent", "current", "residual", "target")


def _set(item: object, name: str, value: object) -> None:
    # Normalising in __attrs_post_init__ of a frozen class: the only sanctioned write.
    object.__setattr__(item, name, value)


#: One check of an item, as ``__attrs_post_init__`` runs them in order: ``(field,
#: normalise)`` sets the field to what ``normalise`` makes of its value (or raises
#: :class:`~raidlog.errors.ValidationError`); ``(None, check)`` checks the item as a whole.
Step: TypeAlias = tuple[str | None, Callable[[Any], Any]]


def _text(name: str, limit: int = DESCRIPTION_MAX) -> Step:
    return name, lambda value: canonical_text(value, field=name, limit=limit)


def _short(name: str) -> Step:
    return name, lambda value: optional_text(value, field=name)


def _names(name: str) -> Step:
    return name, lambda value: clean_names(value, field=name)


def _day(name: str) -> Step:
    return name, lambda value: as_date(value, field=name)


def _whole(name: str, *, low: int = 1, high: int | None = None) -> Step:
    def check(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be a whole number", field=name)
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"{low} or more"
            raise ValidationError(f"{name} is {value}; it must be {bound}", field=name)
        return value

    return name, check


def _title(value: Any) -> str:
    title = canonical_text(value, field="title", limit=TITLE_MAX).strip()
    if not title:
        raise ValidationError("title must not be empty", field="title")
    return title


def _rag(value: Any) -> Rag | None:
    if value is None:
        return None
    try:
        return Rag(value)
    except ValueError:
        raise ValidationError(
            f"rag must be red, amber or green, not {value!r}", field="rag"
        ) from None


def _links(value: Any) -> tuple[Link, ...]:
    return tuple(dict.fromkeys(_link(link) for link in value))


def _version(value: Any) -> Any:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError("version must be a whole number, 0 or more", field="version")
    return value


def _dates_in_order(item: Any) -> None:
    start = item.raised_on
    for name in ("due", "closed_on"):
        value = getattr(item, name)
        if start is not None and value is not None and value < start:
            raise ValidationError(
                f"{name} ({value.isoformat()}) is before raised_on ({start.isoformat()})",
                field=name,
            )


@attrs.frozen(kw_only=True)
class Link:
    """A typed link from the item that holds it to ``target`` (a ref)."""

    relation: Relation
    target: str

    def __attrs_post_init__(self) -> None:
        try:
            _set(self, "relation", Relation(self.relation))
        except ValueError:
            options = ", ".join(r.value for r in Relation)
            raise ValidationError(
                f"unknown link relation {self.relation!r}; use one of {options}", field="links"
            ) from None
        target = optional_text(self.target, field="link target")
        if target is None:
            raise ValidationError("a link needs a target ref", field="links")
        _set(self, "target", target)


@attrs.frozen(kw_only=True)
class Item:
    """The governance core every kind shares.

    ``ref`` is allocated by the register on ``add`` (``R-0001``...); ``version`` is
    0 until stored, then grows by one with every change. ``rag`` is derived from the
    profile's appetite bands unless ``rag_manual`` is true (set by passing ``rag`` to
    ``Register.update``). ``extra`` keeps custom and unmapped fields as typed.
    """

    kind: ClassVar[str] = ""
    ref_prefix: ClassVar[str] = ""
    label: ClassVar[str] = ""

    title: str
    ref: str | None = None
    description: str = ""
    owner: str | None = None
    raised_by: str | None = None
    raised_on: date | None = None
    node: str | None = None
    body: str | None = None
    escalated_to: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    status: str | None = None
    priority: str | None = None
    rag: Rag | None = None
    rag_manual: bool = False
    due: date | None = None
    next_review: date | None = None
    closed_on: date | None = None
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    extra: dict[str, ExtraValue] = attrs.field(factory=dict)
    version: int = 0
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    #: What ``__attrs_post_init__`` checks and normalises, in order: Item's steps, then
    #: each kind's own (see :data:`Step`). :class:`ItemMaker` runs the same steps.
    _steps: ClassVar[tuple[Step, ...]] = (
        ("title", _title),
        _text("description"),
        *(_short(n) for n in ("ref", "owner", "raised_by", "node", "body", "status", "priority")),
        *(_short(n) for n in ("created_by", "updated_by")),
        *(_names(n) for n in ("escalated_to", "objectives", "tags")),
        *(_day(n) for n in ("raised_on", "due", "next_review", "closed_on")),
        ("created_at", utc),
        ("updated_at", utc),
        ("rag", _rag),
        ("links", _links),
        ("extra", clean_extra),
        ("version", _version),
        (None, _dates_in_order),
    )

    def __attrs_post_init__(self) -> None:
        cls = type(self)
        if not cls.kind:
            raise TypeError("Item is abstract: create a Risk, Action, Issue, Decision, ...")
        for name, step in cls._steps:
            if name is None:
                step(self)
            else:
                _set(self, name, step(getattr(self, name)))

    def _check_dates(self) -> None:
        _dates_in_order(self)

    def _check_text(self, *names: str, limit: int = DESCRIPTION_MAX) -> None:
        for name in names:
            _set(self, name, canonical_text(getattr(self, name), field=name, limit=limit))

    def _check_short(self, *names: str) -> None:
        for name in names:
            _set(self, name, optional_text(getattr(self, name), field=name))

    def _check_whole(self, *names: str, low: int = 1, high: int | None = None) -> None:
        for name in names:
            _whole(name, low=low, high=high)[1](getattr(self, name))


def _link(value: Link | Any) -> Link:
    if isinstance(value, Link):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return Link(relation=value[0], target=value[1])
    raise ValidationError(f"links holds {value!r}, not a Link", field="links")


#: The prefixes of a risk's four assessment levels (the current level has none).
_PREFIXES = ("inherent_", "", "residual_", "target_")


def _cost(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValidationError("cost_exposure must be a number", field="cost_exposure")
    if value in (float("inf"), float("-inf")):
        raise ValidationError("cost_exposure must be finite", field="cost_exposure")
    return float(value)


@attrs.frozen(kw_only=True)
class Risk(Item):
    """An uncertain event that would affect objectives if it happened.

    Probability, impact and score exist at four levels: inherent (before any response),
    current (the unprefixed names), residual (after the planned response) and target.
    Scores are derived from the profile's matrix when probability and impact are set.
    """

    kind: ClassVar[str] = "risk"
    ref_prefix: ClassVar[str] = "R"
    label: ClassVar[str] = "Risk"

    cause: str = ""
    event: str = ""
    effect: str = ""
    category: str | None = None
    inherent_probability: int | None = None
    inherent_impact: int | None = None
    inherent_score: int | None = None
    probability: int | None = None
    impact: int | None = None
    score: int | None = None
    residual_probability: int | None = None
    residual_impact: int | None = None
    residual_score: int | None = None
    target_probability: int | None = None
    target_impact: int | None = None
    target_score: int | None = None
    proximity: str | None = None
    response_category: str | None = None
    response: str = ""
    actionee: str | None = None
    cost_exposure: float | None = None

    _steps: ClassVar[tuple[Step, ...]] = (
        *Item._steps,
        *(_text(n) for n in ("cause", "event", "effect", "response")),
        *(_short(n) for n in ("category", "proximity", "response_category", "actionee")),
        *(_whole(p + n) for p in _PREFIXES for n in ("probability", "impact")),
        *(_whole(p + "score", low=0) for p in _PREFIXES),
        ("cost_exposure", _cost),
    )


def _completed_in_order(item: Any) -> None:
    completed, raised = item.completed_on, item.raised_on
    if completed is not None and raised is not None and completed < raised:
        raise ValidationError("completed_on is before raised_on", field="completed_on")


@attrs.frozen(kw_only=True)
class Action(Item):
    """A piece of work someone has to do, with an assignee and progress (0 to 100)."""

    kind: ClassVar[str] = "action"
    ref_prefix: ClassVar[str] = "A"
    label: ClassVar[str] = "Action"

    assignee: str | None = None
    progress: int = 0
    completed_on: date | None = None

    _steps: ClassVar[tuple[Step, ...]] = (
        *Item._steps,
        _short("assignee"),
        _whole("progress", low=0, high=100),
        _day("completed_on"),
        (None, _completed_in_order),
    )


@attrs.frozen(kw_only=True)
class Issue(Item):
    """Something that has happened and needs handling: a request for change, an
    off-specification, or a problem or concern (``issue_type`` from the profile)."""

    kind: ClassVar[str] = "issue"
    ref_prefix: ClassVar[str] = "I"
    label: ClassVar[str] = "Issue"

    issue_type: str | None = None
    severity: str | None = None
    resolution: str = ""

    _steps: ClassVar[tuple[Step, ...]] = (
        *Item._steps,
        _short("issue_type"),
        _short("severity"),
        _text("resolution"),
    )


@attrs.frozen(kw_only=True)
class Decision(Item):
    """A decision with its rationale. Accepted decisions are immutable: a correction is
    a new decision that supersedes this one (``Register.supersede``)."""

    kind: ClassVar[str] = "decision"
    ref_prefix: ClassVar[str] = "D"
    label: ClassVar[str] = "Decision"

    decision: str = ""
    rationale: str = ""
    options_considered: tuple[str, ...] = ()
    decided_by: str | None = None
    decided_on: date | None = None
    superseded_by: str | None = None

    _steps: ClassVar[tuple[Step, ...]] = (
        *Item._steps,
        _text("decision"),
        _text("rationale"),
        _short("decided_by"),
        _short("superseded_by"),
        (
            "options_considered",
            lambda value: tuple(canonical_text(o, field="options_considered") for o in value),
        ),
        _day("decided_on"),
    )


@attrs.frozen(kw_only=True)
class Assumption(Item):
    """Something taken to be true for planning, until it is validated or proved false."""

    kind: ClassVar[str] = "assumption"
    ref_prefix: ClassVar[str] = "AS"
    label: ClassVar[str] = "Assumption"

    validation: str = ""
    validated_on: date | None = None

    _steps: ClassVar[tuple[Step, ...]] = (
        *Item._steps,
        _text("validation"),
        _day("validated_on"),
    )


def _direction_known(item: Any) -> None:
    if item.direction is not None and item.direction not in ("inbound", "outbound"):
        raise ValidationError(
            f"direction must be inbound or outbound, not {item.direction!r}", field="direction"
        )


@attrs.frozen(kw_only=True)
class Dependency(Item):
    """Something this work needs from, or owes to, another party (``direction`` is
    ``inbound`` or ``outbound``)."""

    kind: ClassVar[str] = "dependency"
    ref_prefix: ClassVar[str] = "DP"
    label: ClassVar[str] = "Dependency"

    counterparty: str | None = None
    direction: str | None = None

    _steps: ClassVar[tuple[Step, ...]] = (
        *Item._steps,
        _short("counterparty"),
        _short("direction"),
        (None, _direction_known),
    )


#: The kinds raidlog ships; plugins add more through the ``register_kinds`` hook.
BUILTIN_KINDS: tuple[type[Item], ...] = (Risk, Action, Issue, Decision, Assumption, Dependency)


_UNSET: Any = object()

#: Distinct text values of one field whose checked form an :class:`ItemMaker` remembers;
#: past this a field is one of titles or free text, checked value by value.
_REMEMBERED = 4096
#: Sets of given fields an :class:`ItemMaker` generates a function for; past this they
#: vary row by row, and items are made the general way.
_BUILDERS = 64


class ItemMaker:
    """Makes many items of one class from field values: ``make(fields, extra)`` gives what
    ``cls(**fields, extra=extra)`` gives, or raises the error it raises.

    A class whose checks are its :data:`Step` s alone (no ``__attrs_post_init__`` of its
    own, no attrs validators or converters, attrs' own ``__init__``) is made without
    calling it: each field's step runs on the value given (once per distinct text value
    of a field, for the first :data:`_REMEMBERED` of them; a step is a function of the
    value alone), the defaults' steps ran once, the whole-item steps run on each item.
    When any step refuses a value, the item is made by calling the class, so the error
    is the one the class gives, found in its order. Other classes (a plugin's kind that
    checks more) are always made by calling them."""

    def __init__(self, cls: type[Item]) -> None:
        self.cls = cls
        self._fast = _made_by_steps(cls)
        self._steps: dict[str, Callable[[Any], Any]] = {}
        self._whole: list[Callable[[Any], Any]] = []
        self._defaults: dict[str, Any] = {}
        self._factories: list[tuple[str, Callable[[], Any]]] = []
        self._required: frozenset[str] = frozenset()
        self._names: frozenset[str] = frozenset()
        self._seen: dict[str, dict[str, Any]] = {}
        self._twin: type | None = None
        #: Per tuple of given field names (in order), the function making such items.
        self._builders: dict[tuple[str, ...], Callable[..., Item] | None] = {}
        if not self._fast:
            return
        for name, step in cls._steps:
            if name is None:
                self._whole.append(step)
            else:
                self._steps[name] = step
        fields = attrs.fields(cls)
        self._names = frozenset(f.name for f in fields)
        required = []
        try:
            for f in fields:
                default = f.default
                if default is attrs.NOTHING:
                    required.append(f.name)
                elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # attrs.Factory is a class at run time
                    if default.takes_self:
                        raise TypeError(f"{f.name}'s default is made from the item")
                    self._factories.append((f.name, default.factory))
                else:
                    normalise = self._steps.get(f.name)
                    self._defaults[f.name] = (
                        normalise(default) if normalise is not None else default
                    )
        except Exception:  # a default its own step refuses: leave it to the class
            self._fast = False
            return
        self._required = frozenset(required)
        self._seen = {name: {} for name in self._steps}
        self._twin = writable_twin(cls)

    def make(self, fields: Mapping[str, Any], extra: dict[str, ExtraValue]) -> Item:
        """An item of the class holding ``fields`` and ``extra``."""
        cls = self.cls
        keys = tuple(fields)
        build = self._builders.get(keys, _UNSET)
        if build is _UNSET:
            build = self._builder(keys)
        if build is None:
            return cls(**fields, extra=extra)
        try:
            made: Item = build(*fields.values(), extra)
        except Exception:  # a value a step refuses: the class raises the error it gives
            return cls(**fields, extra=extra)
        return made

    def _builder(self, keys: tuple[str, ...]) -> Callable[..., Item] | None:
        """The function making an item from the values of ``keys`` (in that order) and
        ``extra``; ``None`` when such fields are given to the class itself."""
        build: Callable[..., Item] | None
        if (
            not self._fast
            or "extra" in keys
            or not self._names.issuperset(keys)
            or not self._required.issubset(keys)
        ):
            build = None
        elif self._twin is None or len(self._builders) >= _BUILDERS:
            # No twin to fill, or fields given in too many different sets: one general way.
            def build(*values: Any) -> Item:
                given = dict(zip(keys, values[:-1], strict=True))
                given["extra"] = values[-1]
                return self._made(given)

        else:
            build = self._generated(keys)
        self._builders[keys] = build
        return build

    def _generated(self, keys: tuple[str, ...]) -> Callable[..., Item]:
        """What :meth:`_made` does for the fields ``keys``, as one generated function:
        the same steps in the same order (those of the factories' fields not given, then
        the given fields', then the whole-item checks), each text value's step once."""
        namespace: dict[str, Any] = {
            "_new": object.__new__,
            "_twin": self._twin,
            "_cls": self.cls,
            "_UNSET": _UNSET,
            "_REMEMBERED": _REMEMBERED,
            "_str": str,
            "_len": len,
        }
        given = (*keys, "extra")
        args = ", ".join(f"v{n}" for n in range(len(given)))
        lines = [f"def build({args}):", "    item = _new(_twin)"]
        for n, (name, factory) in enumerate(self._factories):
            if name in given:
                continue
            namespace[f"_factory{n}"] = factory
            if name in self._steps:
                namespace[f"_fstep{n}"] = self._steps[name]
                lines.append(f"    item.{name} = _fstep{n}(_factory{n}())")
            else:
                lines.append(f"    item.{name} = _factory{n}()")
        for n, name in enumerate(given):
            step = self._steps.get(name)
            if step is None:
                lines.append(f"    item.{name} = v{n}")
                continue
            namespace[f"_step{n}"] = step
            namespace[f"_seen{n}"] = self._seen[name]
            lines += [
                f"    if type(v{n}) is _str:",
                f"        c = _seen{n}.get(v{n}, _UNSET)",
                "        if c is _UNSET:",
                f"            c = _step{n}(v{n})",
                f"            if _len(_seen{n}) < _REMEMBERED:",
                f"                _seen{n}[v{n}] = c",
                "    else:",
                f"        c = _step{n}(v{n})",
                f"    item.{name} = c",
            ]
        for n, (name, default) in enumerate(self._defaults.items()):
            if name not in given:
                namespace[f"_default{n}"] = default
                lines.append(f"    item.{name} = _default{n}")
        lines.append("    item.__class__ = _cls")
        for n, check in enumerate(self._whole):
            namespace[f"_whole{n}"] = check
            lines.append(f"    _whole{n}(item)")
        lines.append("    return item")
        source = "\n".join(lines) + "\n"
        # The model imports nothing of raidlog's bulk tools (raidlog.bulk.generated).
        filename = f"<generated: ItemMaker {self.cls.__name__} {len(self._builders)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)  # code built from the class's own steps
        build: Callable[..., Item] = namespace["build"]
        return build

    def _made(self, given: Mapping[str, Any]) -> Item:
        values = dict(self._defaults)
        steps, seen = self._steps, self._seen
        for name, factory in self._factories:
            if name not in given:
                step = steps.get(name)
                values[name] = step(factory()) if step is not None else factory()
        for name, value in given.items():
            step = steps.get(name)
            if step is None:
                values[name] = value
            elif type(value) is str:
                known = seen[name]
                checked = known.get(value, _UNSET)
                if checked is _UNSET:
                    checked = step(value)
                    if len(known) < _REMEMBERED:
                        known[value] = checked
                values[name] = checked
            else:
                values[name] = step(value)
        twin = self._twin
        item: Any
        if twin is None:
            item = object.__new__(self.cls)
            for name, value in values.items():
                _set(item, name, value)
        else:
            item = object.__new__(twin)
            for name, value in values.items():
                setattr(item, name, value)
            item.__class__ = self.cls
        for check in self._whole:
            check(item)
        made: Item = item
        return made


def writable_twin(cls: type[Item]) -> type | None:
    """A writable twin of the slotted class ``cls``, or ``None`` when it has none.

    Setting a slot of a frozen class takes a call of its descriptor; an ordinary
    attribute store into a slot of a class with the default ``__setattr__`` is a
    specialised instruction, several times faster. The twin has the same base and the
    same slots as ``cls``, so an object filled as a twin becomes a ``cls`` by assigning
    ``__class__`` (which Python allows between classes of the same layout, and checks).
    Whoever fills a twin (:class:`ItemMaker`, the stored-row readers and the add plan of
    :mod:`raidlog.convert`) turns it into ``cls`` before anyone else sees it."""
    own = cls.__dict__.get("__slots__")
    if own is None or len(cls.__bases__) != 1:
        return None
    twin = type(
        f"_Writable{cls.__name__}",
        cls.__bases__,
        {
            "__slots__": tuple(own),
            # Both: one type slot serves setting and deleting attributes, and it is the
            # default (and fast) only when neither is overridden.
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
            "__module__": __name__,
        },
    )
    try:
        probe: Any = object.__new__(twin)
        probe.__class__ = cls
    except TypeError:  # a layout Python will not convert: set slots one call each
        return None
    return twin


def _made_by_steps(cls: type[Item]) -> bool:
    """Whether what ``cls(...)`` checks is its :data:`Step` s alone."""
    if not cls.kind or cls.__attrs_post_init__ is not Item.__attrs_post_init__:
        return False
    if getattr(cls, "__attrs_pre_init__", None) is not None:
        return False
    code = getattr(cls.__init__, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    return all(
        f.init and f.validator is None and f.converter is None and f.alias == f.name
        for f in attrs.fields(cls)
    )
