"""One micro-ability from its evidence: the sheet's task requirements and the national grading rule.

The national rubric (《中小学教师信息技术应用能力校本应用考核规范》, 使用说明):

- an evidence item earns a level only if it meets every criterion of that level; "若提交的
  证据材料不符合任务要求,或不满足合格的评价标准,则评价等级为不合格" (not meeting the task, such
  as a video over its time limit, makes the item 不合格);
- an ability is 优秀 only if all its evidence items are 优秀, 不合格 if any item is 不合格,
  otherwise 合格.

Reading decisions, written here because the rubric is silent on them; each is a switch of
the policy (rules of the national layer, changed by a regional layer or a what-if) when
:func:`assess_ability` is given one:

- Items the sheet gives no 优秀/合格 criteria for (C5's 情景描述, C4's 教学反思) are checked
  against their task only; they cannot be 优秀, so by default they do not stop the ability
  from being 优秀: the 优秀 rule is applied over the items that have criteria
  (``assess.items_without_criteria: not_blocking``; ``blocking`` is the other reading).
- A time limit stated 原则上 or 一般 ("in principle") is by default reported as a warning when
  exceeded, not as a failure (``assess.in_principle_limits: warn``; ``fail`` is the other
  reading); a plain limit (不超过) exceeded makes the item 不合格.
- An item with criteria but no level given is not graded yet: the ability is pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from ability2.converting import kind_of, quoted, said, shown_value
from ability2.errors import Ability2Error, SheetUnavailableError
from ability2.framework import EvidenceItem, Framework, SubmissionSheet, load_framework
from ability2.i18n import status_label
from ability2.messages import Both, Message, current_language, msg, render

if TYPE_CHECKING:
    from ability2.policy import Policy

__all__ = ["AbilityAssessment", "Evidence", "ItemAssessment", "SheetUnavailableError", "assess_ability"]

_LEVELS = {
    "优秀": "excellent",
    "excellent": "excellent",
    "合格": "pass",
    "pass": "pass",
    "不合格": "fail",
    "fail": "fail",
}


@attrs.frozen
class Evidence:
    """One submitted evidence item.

    ``item`` is the item's id (``case``) or name (``案例展示``); for an item with
    alternatives give the chosen alternative's id or name. ``level`` is the reviewer's level
    against the item's criteria (优秀/合格/不合格 or excellent/pass/fail); ``minutes`` the
    length of a recording; ``teacher_on_screen`` whether the teacher appears; ``copies``
    how many were submitted.
    """

    item: str
    level: str | None = None
    minutes: Fraction | float | int | None = None
    teacher_on_screen: bool | None = None
    copies: int | None = None


@attrs.frozen
class ItemAssessment:
    """The verdict on one evidence item of the sheet."""

    item: str
    name: str
    grade: str
    #: why (:class:`~ability2.messages.Message`, shown in the current language by ``str()``)
    reasons: tuple[Message | str, ...]
    warnings: tuple[Message | str, ...] = ()


@attrs.frozen
class AbilityAssessment:
    """An ability's grade with the verdict on each item and the reasons."""

    code: str
    name: str
    grade: str
    items: tuple[ItemAssessment, ...]
    #: why (:class:`~ability2.messages.Message`, shown in the current language by ``str()``)
    reasons: tuple[Message | str, ...]
    sheet_complete: bool
    source: str

    @property
    def grade_zh(self) -> str:
        """The grade in Chinese: 优秀, 合格, 不合格 or 待评."""
        return status_label(self.grade)

    def text(self, lang: str | None = None) -> str:
        """The grade, the reasons and each item's verdict, in ``lang`` (default: the current language)."""
        chosen = lang or current_language()
        lines = [f"{self.code} {self.name}: {status_label(self.grade, chosen)}"]
        lines += [f"  {render(reason, chosen)}" for reason in self.reasons]
        for item in self.items:
            lines.append(f"  - {item.name}: {status_label(item.grade, chosen)}")
            lines += [f"      {render(reason, chosen)}" for reason in item.reasons]
            lines += [f"      {render(msg('assessment.warning', text=w), chosen)}" for w in item.warnings]
        lines.append(f"  {render(msg('assessment.source', source=self.source), chosen)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


_FIELDS = ("item", "level", "minutes", "teacher_on_screen", "copies")
#: the words a level may be given in (the sheets' own Chinese, or English)
_LEVEL_WORDS = ("优秀", "合格", "不合格", "excellent", "pass", "fail")


def _evidence(raw: Evidence | Mapping[str, Any], number: int) -> Evidence:
    """One evidence entry, checked field by field: a platform's JSON is untrusted input."""
    where = msg("assess.entry", number=number)
    if isinstance(raw, Evidence):
        fields = {name: getattr(raw, name) for name in _FIELDS}
    elif isinstance(raw, Mapping):
        unknown = [str(key) for key in raw if key not in _FIELDS]
        if unknown:
            raise Ability2Error(
                msg(
                    "assess.unknown_fields",
                    where=where,
                    fields=tuple(quoted(k) for k in sorted(unknown)),
                    known=tuple(quoted(k) for k in _FIELDS),
                )
            )
        fields = dict(raw)
    else:
        raise Ability2Error(
            msg("assess.not_mapping", where=where, known=tuple(quoted(k) for k in _FIELDS), kind=kind_of(raw))
        )
    item = fields.get("item")
    if not isinstance(item, str) or not item.strip():
        raise Ability2Error(msg("assess.item_missing", where=where))
    level = fields.get("level")
    if level is not None and not isinstance(level, str):
        raise Ability2Error(msg("assess.level_not_text", where=where, value=shown_value(level), levels=_LEVEL_WORDS))
    minutes = fields.get("minutes")
    if minutes is not None:
        from ability2.converting import exact_number

        try:
            minutes = exact_number(minutes)
        except (TypeError, ValueError) as exc:
            raise Ability2Error(msg("assess.minutes", where=where, said=said(exc))) from None
        if minutes < 0:
            raise Ability2Error(msg("assess.minutes_negative", where=where))
    on_screen = fields.get("teacher_on_screen")
    if on_screen is not None and not isinstance(on_screen, bool):
        raise Ability2Error(msg("assess.on_screen", where=where, value=shown_value(on_screen)))
    copies = fields.get("copies")
    if copies is not None and (isinstance(copies, bool) or not isinstance(copies, int) or copies < 0):
        raise Ability2Error(msg("assess.copies", where=where, value=shown_value(copies)))
    return Evidence(item=item, level=level, minutes=minutes, teacher_on_screen=on_screen, copies=copies)


def _match(item: EvidenceItem, key: str) -> bool:
    return key in (item.id, item.name, str(item.number))


def _assess_item(
    item: EvidenceItem, given: Evidence | None, sheet: SubmissionSheet, *, strict_in_principle: bool = False
) -> ItemAssessment:
    if given is None:
        return ItemAssessment(item.id, item.name, "fail", (msg("assessment.not_submitted"),))
    reasons: list[Message | str] = []
    warnings: list[Message | str] = []
    failed = False
    if item.time_limit is not None and given.minutes is not None:
        minutes = Fraction(str(given.minutes))
        limit = item.time_limit
        within = limit.bound.holds(minutes, limit.minutes)
        if not within:
            word = Both(limit.bound.word, limit.bound.gloss)
            asked = {"minutes": f"{float(minutes):g}", "word": word, "limit": limit.minutes}
            if limit.in_principle and not strict_in_principle:
                warnings.append(msg("assessment.length_in_principle", **asked))
            elif limit.in_principle:
                reasons.append(msg("assessment.length_in_principle_fails", **asked))
                failed = True
            else:
                reasons.append(msg("assessment.length_over", **asked))
                failed = True
    elif item.time_limit is not None and given.minutes is None and not item.time_limit.in_principle:
        warnings.append(
            msg(
                "assessment.length_not_given",
                word=Both(item.time_limit.bound.word, item.time_limit.bound.gloss),
                limit=item.time_limit.minutes,
            )
        )
    if item.teacher_on_screen and given.teacher_on_screen is False:
        reasons.append(msg("assessment.teacher_not_on_screen"))
        failed = True
    if given.copies is not None and given.copies < item.copies:
        reasons.append(msg("assessment.too_few_copies", given=given.copies, asked=item.copies))
        failed = True
    level = None
    if given.level is not None:
        level = _LEVELS.get(str(given.level).strip().lower()) or _LEVELS.get(str(given.level).strip())
        if level is None:
            raise Ability2Error(
                msg(
                    "assess.unknown_level",
                    ability=sheet.ability,
                    item=item.name,
                    value=shown_value(given.level),
                    levels=_LEVEL_WORDS,
                )
            )
    if failed:
        return ItemAssessment(item.id, item.name, "fail", tuple(reasons), tuple(warnings))
    if item.criteria is None:
        if level == "fail":
            return ItemAssessment(item.id, item.name, "fail", (msg("assessment.rated_fail"),), tuple(warnings))
        return ItemAssessment(
            item.id,
            item.name,
            "pass",
            (msg("assessment.meets_task"),),
            tuple(warnings),
        )
    if level is None:
        return ItemAssessment(item.id, item.name, "pending", (msg("assessment.not_graded"),), tuple(warnings))
    count = len(item.criteria.excellent if level == "excellent" else item.criteria.passing)
    why = {
        "excellent": msg("assessment.meets_excellent", count=count),
        "pass": msg("assessment.meets_pass", count=count),
        "fail": msg("assessment.misses_pass"),
    }[level]
    return ItemAssessment(item.id, item.name, level, (why,), tuple(warnings))


def assess_ability(
    code: str,
    evidence: Iterable[Evidence | Mapping[str, Any]],
    *,
    framework: Framework | None = None,
    policy: Policy | None = None,
) -> AbilityAssessment:
    """Grade one micro-ability from the evidence a teacher submitted for it.

    ``policy`` gives the readings (``assess.items_without_criteria``,
    ``assess.in_principle_limits``) and its framework; without one the defaults apply.

    Raises :class:`SheetUnavailableError` when the framework data lacks the ability's sheet,
    :class:`~ability2.errors.UnknownAbilityError` for a code that is not one of the 30, and
    :class:`~ability2.errors.Ability2Error` naming the entry for evidence that is malformed
    (an unknown field, a level or number of the wrong type).
    """
    framework = framework or (policy.framework if policy is not None else None) or load_framework()
    blocking = policy is not None and policy.value("assess.items_without_criteria") == "blocking"
    strict = policy is not None and policy.value("assess.in_principle_limits") == "fail"
    ability = framework.ability(code)
    sheet = framework.sheet(ability.code)
    if sheet is None or not sheet.items:
        raise SheetUnavailableError(msg("assess.no_sheet", ability=ability.code, name=ability.name))
    if isinstance(evidence, str | bytes | Mapping) or not isinstance(evidence, Iterable):
        raise Ability2Error(msg("assess.not_list", kind=kind_of(evidence)))
    given = [_evidence(raw, number) for number, raw in enumerate(evidence, start=1)]
    used: set[int] = set()
    assessments: list[ItemAssessment] = []
    for item in sheet.items:
        if item.alternatives:
            chosen = [(i, g, alt) for i, g in enumerate(given) for alt in item.alternatives if _match(alt, g.item)]
            if len(chosen) > 1:
                raise Ability2Error(msg("assess.many_tasks", ability=ability.code, item=item.name, count=len(chosen)))
            if chosen:
                index, found, alternative = chosen[0]
                used.add(index)
                assessments.append(_assess_item(alternative, found, sheet, strict_in_principle=strict))
            else:
                assessments.append(
                    ItemAssessment(item.id, item.name, "fail", ("no task chosen: 提交的证据材料不符合任务要求",))
                )
            continue
        matches = [(i, g) for i, g in enumerate(given) if _match(item, g.item)]
        if len(matches) > 1:
            raise Ability2Error(msg("assess.submitted_twice", ability=ability.code, item=item.name, count=len(matches)))
        if matches:
            used.add(matches[0][0])
        assessments.append(_assess_item(item, matches[0][1] if matches else None, sheet, strict_in_principle=strict))
    extra = [g.item for i, g in enumerate(given) if i not in used]
    if extra:
        known = [item.id for item in sheet.items] + [alt.id for item in sheet.items for alt in item.alternatives]
        raise Ability2Error(
            msg(
                "assess.unknown_items",
                ability=ability.code,
                items=tuple(quoted(x) for x in extra),
                known=tuple(quoted(x) for x in known),
            )
        )
    grades = [a.grade for a in assessments]
    graded_with_criteria = [
        a.grade
        for a, item in zip(assessments, _effective_items(sheet, given), strict=True)
        if blocking or (item is not None and item.criteria is not None)
    ]
    reasons: list[Message | str] = []
    if "fail" in grades:
        grade = "fail"
        reasons.append(msg("assessment.ability_fails"))
    elif "pending" in grades:
        grade = "pending"
        reasons.append(msg("assessment.ability_pending"))
    elif graded_with_criteria and all(g == "excellent" for g in graded_with_criteria):
        grade = "excellent"
        reasons.append(msg("assessment.ability_excellent"))
    else:
        grade = "pass"
        reasons.append(msg("assessment.ability_passes"))
        criteria_items = [
            a.grade
            for a, item in zip(assessments, _effective_items(sheet, given), strict=True)
            if item is not None and item.criteria is not None
        ]
        if blocking and criteria_items and all(g == "excellent" for g in criteria_items):
            reasons.append(msg("assessment.blocking"))
    if not sheet.complete:
        reasons.append(msg("assessment.sheet_partial"))
    return AbilityAssessment(
        ability.code, ability.name, grade, tuple(assessments), tuple(reasons), sheet.complete, str(sheet.source)
    )


def _effective_items(sheet: SubmissionSheet, given: list[Evidence]) -> list[EvidenceItem | None]:
    """The item (or chosen alternative) behind each assessment, in sheet order."""
    out: list[EvidenceItem | None] = []
    for item in sheet.items:
        if item.alternatives:
            chosen = [alt for alt in item.alternatives for g in given if _match(alt, g.item)]
            out.append(chosen[0] if chosen else None)
        else:
            out.append(item)
    return out
