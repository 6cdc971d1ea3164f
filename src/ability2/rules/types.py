"""Value types: how a rule's value is read from YAML, checked, shown and written as JSON.

One table (:data:`VALUE_TYPES`) holds the built-in types, keyed by the
:class:`~ability2.rules.spec.Kind` names. A plugin adds its own by giving a spec a
:class:`ValueType` instead of a :class:`~ability2.rules.spec.Kind`::

    SHARE_BY_DATE = ability2.ValueType(
        name="share_by_date", parse=parse_share_by_date, describe=describe_share_by_date, bounded=True
    )
    spec = ability2.RuleSpec("zhejiang.certified_share_min", SHARE_BY_DATE, ability2.Scope.SCHOOL, ...)

``parse(data, context)`` returns the value or raises ``TypeError``/``ValueError`` with a
message (the loader adds the file, the key path and the line); it may also report problems
through ``context.problem`` and return ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from ability2.converting import exact_number, parse_share, quoted, shown_value
from ability2.messages import Message, msg
from ability2.rules.values import Phase, ReviewChain, ReviewStep, ScoringForm

if TYPE_CHECKING:
    from ability2.framework import Framework
    from ability2.rules.spec import Kind, RuleSpec
    from ability2.yamlio import PathPart

__all__ = ["VALUE_TYPES", "ParseContext", "ValueType", "number_text", "plain_json", "value_type_of"]


class ParseContext(Protocol):
    """What a value type's ``parse`` may use: the framework, the spec, cattrs, problem reporting."""

    @property
    def framework(self) -> Framework:
        """The national framework (environments and abilities by id)."""

    @property
    def spec(self) -> RuleSpec:
        """The spec of the rule being read."""

    @property
    def path(self) -> tuple[PathPart, ...]:
        """The value's key path inside the file."""

    def structure(self, data: Any, cls: type[Any], path: tuple[PathPart, ...]) -> Any:
        """``data`` as an attrs ``cls`` through the strict converter; ``None`` after reporting problems."""

    def problem(self, path: tuple[PathPart, ...], message: Message | str) -> None:
        """Report a problem at ``path`` (a key path inside the file)."""

    def knows_rule(self, rule_id: str) -> bool:
        """Whether the catalogue has ``rule_id`` (forms name the rules their items follow from)."""


def plain_json(value: Any) -> Any:
    """A rule value as JSON data: numbers stay numbers, dates become ISO strings, attrs become objects."""
    from ability2.rules.bounds import Bound

    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Bound):
        return value.word
    if isinstance(value, tuple | list):
        return [plain_json(v) for v in value]
    if attrs.has(type(value)):
        return {field.name: plain_json(getattr(value, field.name)) for field in attrs.fields(type(value))}
    raise TypeError(f"cannot serialise {value!r}")


def number_text(value: Fraction | int) -> str:
    """An exact number as a reader writes it: ``50``, ``0.5``, ``33.3333``."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):g}"


@attrs.frozen
class ValueType:
    """One type of rule value: its name, reader, display and JSON form.

    ``bounded`` types are limits: their rules need the document's boundary word.
    """

    name: str
    parse: Callable[[Any, ParseContext], Any] = attrs.field(eq=False, repr=False)
    describe: Callable[[Any, str], str] = attrs.field(eq=False, repr=False)
    to_json: Callable[[Any], Any] = attrs.field(default=plain_json, eq=False, repr=False)
    bounded: bool = False
    description: str = ""


# -- readers -------------------------------------------------------------------------------


def _hours(data: Any, context: ParseContext) -> Fraction:
    number = exact_number(data)
    if number < 0:
        raise ValueError(msg("value.hours_negative", value=shown_value(data)))
    return number


def _share(data: Any, context: ParseContext) -> Fraction:
    return parse_share(data)


def _whole(minimum: int, word: Callable[[str], Message]) -> Callable[[Any, ParseContext], int]:
    def parse(data: Any, context: ParseContext) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise TypeError(msg("value.expected_whole", value=shown_value(data)))
        if data < minimum:
            raise ValueError(word(shown_value(data)))
        return data

    return parse


def _flag(data: Any, context: ParseContext) -> bool:
    if not isinstance(data, bool):
        raise TypeError(msg("value.expected_flag", value=shown_value(data)))
    return data


def _method(data: Any, context: ParseContext) -> str:
    if data not in context.spec.methods:
        raise ValueError(
            msg(
                "value.unknown_method", method=shown_value(data), methods=tuple(quoted(m) for m in context.spec.methods)
            )
        )
    return str(data)


def _environments(data: Any, context: ParseContext) -> tuple[str, ...]:
    if not isinstance(data, list) or not data:
        raise TypeError(msg("value.expected_environments"))
    return tuple(context.framework.environment(str(item)).id for item in data)


def _abilities(data: Any, context: ParseContext) -> tuple[str, ...]:
    if not isinstance(data, list) or not data:
        raise TypeError(msg("value.expected_abilities"))
    return tuple(context.framework.ability(str(item)).code for item in data)


def _phase(data: Any, context: ParseContext) -> Phase | None:
    stated = True
    if isinstance(data, Mapping):
        if "start_stated" in data:
            context.problem(
                (*context.path, "start_stated"),
                msg("value.phase_start_stated"),
            )
            return None
        if "start" in data and data["start"] is None:
            # no document states the start: the loader gives it the rule's first day
            stated = False
            data = {**data, "start": data.get("end")}
    phase: Phase | None = context.structure(data, Phase, context.path)
    if phase is not None and not stated:
        return attrs.evolve(phase, start_stated=False)
    if phase is not None and phase.end < phase.start:
        context.problem(
            (*context.path, "end"),
            msg("value.phase_backwards", end=phase.end.isoformat(), start=phase.start.isoformat()),
        )
        return None
    return phase


def _form(data: Any, context: ParseContext) -> ScoringForm | None:
    path = context.path
    form: ScoringForm | None = context.structure(data, ScoringForm, path)
    if form is None:
        return None
    ok = True
    for s_index, section in enumerate(form.sections):
        item_sum = sum(item.points for item in section.items)
        if item_sum != section.points:
            context.problem(
                (*path, "sections", s_index, "points"),
                msg("value.section_sum", section=section.name, points=section.points, total=item_sum),
            )
            ok = False
        for i_index, item in enumerate(section.items):
            for r_index, rule_id in enumerate(item.rules):
                if not context.knows_rule(rule_id):
                    context.problem(
                        (*path, "sections", s_index, "items", i_index, "rules", r_index),
                        msg("policy.unknown_rule", rule=rule_id, hint=""),
                    )
                    ok = False
    section_sum = sum(section.points for section in form.sections)
    if section_sum != form.total:
        context.problem((*path, "total"), msg("value.form_sum", points=form.total, total=section_sum))
        ok = False
    if form.pass_min is not None:
        if form.pass_bound is None:
            context.problem((*path, "pass_bound"), msg("value.pass_bound_missing", word="以上"))
            ok = False
        if not 0 <= form.pass_min <= form.total:
            context.problem((*path, "pass_min"), msg("value.pass_outside", line=form.pass_min, total=form.total))
            ok = False
    if form.excellent_cap is not None and form.excellent_cap_bound is None:
        context.problem((*path, "excellent_cap_bound"), msg("value.cap_bound_missing", word="以内"))
        ok = False
    return form if ok else None


def _steps(data: Any, context: ParseContext) -> ReviewChain | None:
    if not isinstance(data, list) or not data:
        raise TypeError(msg("value.expected_steps"))
    steps: list[ReviewStep] = []
    for index, item in enumerate(data):
        if isinstance(item, str):
            steps.append(ReviewStep(item))
            continue
        step = context.structure(item, ReviewStep, (*context.path, index))
        if step is not None:
            steps.append(step)
    return ReviewChain(tuple(steps)) if len(steps) == len(data) else None


# -- displays ------------------------------------------------------------------------------


def _show_share(value: Any, lang: str) -> str:
    return f"{number_text(Fraction(value) * 100)}%"


def _show_number(value: Any, lang: str) -> str:
    return number_text(value)


def _show_years(value: Any, lang: str) -> str:
    return f"{value} 年" if lang == "zh" else f"{value} years"


def _show_flag(value: Any, lang: str) -> str:
    return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")


def _show_list(value: Any, lang: str) -> str:
    return ", ".join(value)


def _show_phase(value: Any, lang: str) -> str:
    name = value.name if lang == "zh" or not value.name_en else value.name_en
    if not value.start_stated:
        start = "开始日期未载明" if lang == "zh" else "start not stated"
        return f"{name}: ({start}) – {value.end}"
    return f"{name}: {value.start} – {value.end}"


def _show_form(value: Any, lang: str) -> str:
    zh = lang == "zh"
    text = f"{value.name}: {value.total} 分" if zh else f"{value.name}: {value.total} points"
    if value.pass_min is not None:
        text += f", {'合格' if zh else 'pass'} {value.pass_min} ({value.pass_bound})"
    if value.excellent_cap is not None:
        cap = number_text(value.excellent_cap * 100)
        text += f", 优秀学校 ≤ {cap}%" if zh else f", excellent ≤ {cap}% of schools"
    return text


def _show_steps(value: Any, lang: str) -> str:
    return " → ".join(step.name if lang == "zh" or not step.name_en else step.name_en for step in value.steps)


def _show_text(value: Any, lang: str) -> str:
    return str(value)


#: the built-in methods in words: (Chinese, English)
METHOD_WORDS: dict[str, tuple[str, str]] = {
    "all_items": (
        "按全部考核项目：各项均优秀为优秀，任一项不合格为不合格",
        "by every evidence item: all excellent is excellent, any failed item fails",
    ),
    "all_abilities": (
        "按全部能力点：均优秀为优秀，任一不合格为不合格",
        "by every chosen ability: all excellent is excellent, any failed ability fails",
    ),
    "every_hours_rule": (
        "全部学时规则（线上、线下、总学时、实践占比、互评）均达到",
        "every hours rule holds (online, offline, total, practice share, peer review)",
    ),
    "online": ("线上课程学时达到", "the online course hours hold"),
    "not_blocking": (
        "无优秀标准的证据项不影响优秀：按有标准的证据项判定",
        "items without excellent criteria do not stop excellence: the rule is applied over the items with criteria",
    ),
    "blocking": (
        "无优秀标准的证据项不能为优秀，能力点因而不能为优秀",
        "an item without excellent criteria cannot be excellent, so neither can the ability",
    ),
    "warn": ("超出时提示，不判不合格", "exceeding it is a warning, not a failure"),
    "top_ranked": ("合格学校按总分排名，在比例内评为优秀", "the top-ranked passing schools, within the cap"),
    "cap_only": (
        "只规定比例上限，不由本工具评定优秀",
        "the form states only the cap; no school is rated excellent here",
    ),
    "all_or_nothing": ("各部分均达到得满分，否则 0 分", "full points when every part holds, else 0"),
    "by_part": ("每达到一部分得相应比例的分数", "an equal share of the points for each part that holds"),
    "batch": ("本次参评的学校数", "the schools scored together"),
    "district": ("全区学校总数", "the district's number of schools"),
    "fail": ("超出时该证据项不合格", "exceeding it makes the item fail"),
}


def _show_method(value: Any, lang: str) -> str:
    words = METHOD_WORDS.get(str(value))
    if words is None:  # a plugin's method: its name
        return str(value)
    return words[0] if lang == "zh" else words[1]


#: the built-in value types, by name (the names of :class:`~ability2.rules.spec.Kind`)
VALUE_TYPES: Mapping[str, ValueType] = {
    vt.name: vt
    for vt in (
        ValueType("hours", _hours, _show_number, bounded=True, description="a number of 学时, ≥ 0"),
        ValueType("share", _share, _show_share, bounded=True, description="a fraction 0–1: 30% or 0.3"),
        ValueType(
            "count",
            _whole(0, lambda v: msg("value.expected_non_negative", value=v)),
            _show_number,
            bounded=True,
            description="a whole number",
        ),
        ValueType(
            "years",
            _whole(1, lambda v: msg("value.expected_positive", value=v)),
            _show_years,
            description="whole years",
        ),
        ValueType("flag", _flag, _show_flag, description="true or false"),
        ValueType("environments", _environments, _show_list, description="environment ids"),
        ValueType("abilities", _abilities, _show_list, description="ability codes A1 ... C7"),
        ValueType("phase", _phase, _show_phase, description="a dated phase: name, start, end"),
        ValueType("form", _form, _show_form, description="a scoring form"),
        ValueType("steps", _steps, _show_steps, description="an ordered review chain"),
        ValueType("method", _method, _show_method, description="the name of a built-in method"),
    )
}


def value_type_of(kind: Kind | ValueType) -> ValueType:
    """The value type a spec's ``kind`` names (a built-in :class:`Kind` or a plugin's type)."""
    if isinstance(kind, ValueType):
        return kind
    return VALUE_TYPES[kind.value]
