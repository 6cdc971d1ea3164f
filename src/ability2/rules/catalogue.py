"""The rule catalogue: every rule id a policy may hold, with its kind, scope and direction.

A policy file may only set rules the catalogue knows; a misspelled id is an error, never a
silently ignored rule. Plugins extend the catalogue through the ``ability2_rule_specs`` hook.
The families ``timeline.*`` and ``form.*`` take any suffix (one phase or form each).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ability2.rules.bounds import Direction

__all__ = ["BUILTIN_SPECS", "Catalogue", "Kind", "RuleSpec", "Scope"]


class Kind(enum.Enum):
    """The type of a rule's value."""

    HOURS = "hours"  #: a number of 学时, ≥ 0, with a boundary word
    SHARE = "share"  #: a fraction between 0 and 1 (``30%`` or ``0.3``), with a boundary word
    COUNT = "count"  #: a whole number, with a boundary word
    YEARS = "years"  #: a period in whole years (a training cycle)
    FLAG = "flag"  #: a condition that holds or not (``true`` / ``false``)
    ENVIRONMENTS = "environments"  #: a list of environment ids
    ABILITIES = "abilities"  #: a list of micro-ability codes (A1 ... C7)
    PHASE = "phase"  #: a dated phase with a name, a start and an end
    FORM = "form"  #: a scoring form with sections and items
    STEPS = "steps"  #: an ordered review chain
    METHOD = "method"  #: the name of a built-in method (such as a grading rule)

    @property
    def bounded(self) -> bool:
        """Whether values of this kind are limits that need a boundary word."""
        return self in (Kind.HOURS, Kind.SHARE, Kind.COUNT)


class Scope(enum.Enum):
    """What a rule is checked against."""

    TEACHER = "teacher"  #: each teacher's row of a roster
    GROUP = "group"  #: each research group (教研组) of a school
    SCHOOL = "school"  #: each school of a roster
    REGION = "region"  #: the bureau's own process (sampling, credit): recorded, not checked on a roster
    TIMELINE = "timeline"  #: dated phases and deadlines
    FORM = "form"  #: scoring forms
    GRADING = "grading"  #: how evidence grades combine


@attrs.frozen
class RuleSpec:
    """What one rule id means: its kind, scope, direction and allowed bases.

    ``bases`` lists the readings a share rule can be counted on (per teacher, per ability
    certification ...); the first is the default, and a policy file picks one with ``basis``.

    ``check`` is for a plugin's own teacher rule written in plain Python:
    ``check(teacher, rule) -> (value, ok)``, called with a :class:`ability2.evaluate.TeacherRow`
    and the resolved rule; the evaluator runs it over every teacher of the batch.
    """

    id: str
    kind: Kind
    scope: Scope
    title: str
    title_en: str
    direction: Direction | None = None
    bases: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    family: bool = False
    description: str = ""
    check: Callable[[Any, Any], tuple[Any, bool]] | None = attrs.field(default=None, eq=False, repr=False)

    def matches(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is this spec's id (or, for a family, one of its members)."""
        if self.family:
            prefix = self.id + "."
            return rule_id.startswith(prefix) and len(rule_id) > len(prefix)
        return rule_id == self.id


def _spec(
    rule_id: str,
    kind: Kind,
    scope: Scope,
    title: str,
    title_en: str,
    direction: Direction | None = None,
    **extra: object,
) -> RuleSpec:
    return RuleSpec(rule_id, kind, scope, title, title_en, direction, **extra)  # type: ignore[arg-type]


_MIN, _MAX, _ANY = Direction.MIN, Direction.MAX, None
_ENV_NAMES = {
    "multimedia": ("多媒体教学环境", "multimedia"),
    "hybrid": ("混合学习环境", "hybrid"),
    "smart": ("智慧学习环境", "smart"),
}
_SHARE_BASES = ("teachers", "selections")


def _environment_share_specs() -> Iterator[RuleSpec]:
    for env, (zh, en) in _ENV_NAMES.items():
        for direction, word_zh, word_en in ((_MIN, "下限", "floor"), (_MAX, "上限", "cap")):
            yield _spec(
                f"school.{env}_share_{direction.value}",
                Kind.SHARE,
                Scope.SCHOOL,
                f"{zh}选课比例{word_zh}",
                f"share of {en} selections, {word_en}",
                direction,
                bases=_SHARE_BASES,
                description=(
                    "Share of the school's teachers who chose an ability of this environment "
                    "(basis 'teachers'), or share of all ability selections that are of this "
                    "environment (basis 'selections')."
                ),
            )


BUILTIN_SPECS: tuple[RuleSpec, ...] = (
    # --- teachers: hours -------------------------------------------------------------
    _spec("hours.total_min", Kind.HOURS, Scope.TEACHER, "总学时下限", "total hours, floor", _MIN),
    _spec("hours.online_min", Kind.HOURS, Scope.TEACHER, "线上学时下限", "online hours, floor", _MIN),
    _spec(
        "hours.offline_min",
        Kind.HOURS,
        Scope.TEACHER,
        "线下实践应用学时下限",
        "offline (practice) hours, floor",
        _MIN,
        description="线下实践应用学时 and 实践应用学时 both count here: the roster's offline_hours column.",
    ),
    _spec(
        "hours.practice_share_min",
        Kind.SHARE,
        Scope.TEACHER,
        "实践应用学时占比下限",
        "practice share of hours, floor",
        _MIN,
        bases=("done", "required"),
        description=(
            "Offline (practice) hours as a share of the hours the teacher did (basis 'done'), "
            "or of the total hours the policy requires (basis 'required', needs hours.total_min)."
        ),
    ),
    _spec("hours.cycle_years", Kind.YEARS, Scope.TEACHER, "学时周期(年)", "hours cycle, years"),
    _spec(
        "hours.offline_requires_peer_review",
        Kind.FLAG,
        Scope.TEACHER,
        "互评完成后方计线下学时",
        "offline hours count only after peer review",
        description="When true, a teacher's offline hours count as zero until the peer_reviews column says yes.",
    ),
    # --- teachers: ability selection -----------------------------------------------
    _spec("selection.count", Kind.COUNT, Scope.TEACHER, "每人选择能力点数", "abilities chosen per teacher", _ANY),
    _spec(
        "selection.dimensions_min",
        Kind.COUNT,
        Scope.TEACHER,
        "所选能力点覆盖维度数下限",
        "dimensions covered by a teacher's abilities, floor",
        _MIN,
    ),
    _spec(
        "selection.environments_allowed",
        Kind.ENVIRONMENTS,
        Scope.TEACHER,
        "可选环境",
        "environments a teacher may choose from",
    ),
    _spec(
        "selection.abilities_allowed",
        Kind.ABILITIES,
        Scope.TEACHER,
        "可选能力点范围",
        "abilities a teacher may choose from",
        description="A school's own scope (校本研修范围): teachers choose only among these codes.",
    ),
    _spec(
        "selection.default_by_admin",
        Kind.FLAG,
        Scope.REGION,
        "逾期未选由管理员代选",
        "the school admin selects for a teacher who did not select in time",
    ),
    # --- grading --------------------------------------------------------------------
    _spec(
        "grading.ability",
        Kind.METHOD,
        Scope.GRADING,
        "微能力测评等级规则",
        "how an ability's grade follows from its evidence",
        methods=("all_items",),
        description="'all_items': 优秀 iff every evidence item is 优秀; 不合格 if any item is 不合格; else 合格.",
    ),
    _spec(
        "grading.teacher",
        Kind.METHOD,
        Scope.TEACHER,
        "教师考核等级规则",
        "how a teacher's status follows from the ability grades",
        methods=("all_abilities",),
        description=(
            "'all_abilities': a teacher is excellent iff every chosen ability is 优秀 (and every pass rule holds), "
            "fails if any ability is 不合格, is pending while any ability is not graded, else passes."
        ),
    ),
    # --- groups ---------------------------------------------------------------------
    _spec(
        "group.excellent_video_share_min",
        Kind.SHARE,
        Scope.GROUP,
        "教研组优秀视频数占组内人数比例下限",
        "excellent videos as a share of a research group's teachers, floor",
        _MIN,
        bases=("teachers",),
    ),
    # --- schools --------------------------------------------------------------------
    _spec(
        "school.pass_rate_min",
        Kind.SHARE,
        Scope.SCHOOL,
        "合格率下限",
        "pass rate, floor",
        _MIN,
        bases=("teachers", "abilities"),
    ),
    _spec(
        "school.excellent_rate_max",
        Kind.SHARE,
        Scope.SCHOOL,
        "优秀率上限",
        "excellent rate, cap",
        _MAX,
        bases=("teachers", "abilities"),
    ),
    _spec(
        "school.excellent_rate_min",
        Kind.SHARE,
        Scope.SCHOOL,
        "优秀率下限",
        "excellent rate, floor",
        _MIN,
        bases=("teachers", "abilities"),
    ),
    *_environment_share_specs(),
    _spec(
        "school.scope_abilities_min",
        Kind.COUNT,
        Scope.SCHOOL,
        "学校研修能力点数下限",
        "distinct abilities in the school's scope, floor",
        _MIN,
    ),
    _spec(
        "school.scope_abilities_max",
        Kind.COUNT,
        Scope.SCHOOL,
        "学校研修能力点数上限",
        "distinct abilities in the school's scope, cap",
        _MAX,
    ),
    _spec(
        "school.scope_environments_min",
        Kind.COUNT,
        Scope.SCHOOL,
        "学校研修范围覆盖环境数下限",
        "environments covered by the school's scope, floor",
        _MIN,
    ),
    _spec(
        "school.scope_dimensions_min",
        Kind.COUNT,
        Scope.SCHOOL,
        "学校研修范围覆盖维度数下限",
        "dimensions covered by the school's scope, floor",
        _MIN,
    ),
    _spec(
        "school.excellent_video_share_min",
        Kind.SHARE,
        Scope.SCHOOL,
        "学校优秀视频数占专任教师比例下限",
        "excellent videos as a share of the school's teachers, floor",
        _MIN,
        bases=("teachers",),
    ),
    _spec(
        "school.excellent_video_every_subject",
        Kind.FLAG,
        Scope.SCHOOL,
        "优秀视频覆盖每门学科",
        "excellent videos cover every subject",
    ),
    _spec(
        "school.verification_sample_share",
        Kind.SHARE,
        Scope.REGION,
        "教师抽查验证比例",
        "share of teachers sampled to verify the school's grades",
        _ANY,
    ),
    _spec(
        "school.recommended_works_share_min",
        Kind.SHARE,
        Scope.REGION,
        "上报优秀作品占教师人数比例下限",
        "works sent up as a share of the school's teachers, floor",
        _MIN,
    ),
    # --- the bureau's own process ---------------------------------------------------
    _spec(
        "region.school_sample_share_min",
        Kind.SHARE,
        Scope.REGION,
        "抽查学校测评结果比例下限",
        "share of schools whose results the bureau re-checks, floor",
        _MIN,
    ),
    _spec("review.chain", Kind.STEPS, Scope.REGION, "校本应用考核流程", "review chain of school-based assessment"),
    _spec(
        "credit.continuing_education_hours",
        Kind.HOURS,
        Scope.REGION,
        "计入继续教育学时",
        "continuing-education hours credited for the programme",
        _ANY,
    ),
    # --- families ---------------------------------------------------------------------
    _spec("timeline", Kind.PHASE, Scope.TIMELINE, "时间安排", "timeline phase", family=True),
    _spec("form", Kind.FORM, Scope.FORM, "考核表", "scoring form", family=True),
)


@attrs.frozen
class Catalogue:
    """The rule specs known to a registry: the built-in ones plus those plugins add."""

    specs: tuple[RuleSpec, ...] = BUILTIN_SPECS

    def find(self, rule_id: str) -> RuleSpec | None:
        """The spec for ``rule_id``, or ``None`` when no spec matches."""
        for spec in self.specs:
            if spec.matches(rule_id):
                return spec
        return None

    def extended(self, extra: Iterable[RuleSpec]) -> Catalogue:
        """A catalogue with ``extra`` specs added; an id defined twice is an error."""
        specs = list(self.specs)
        seen = {s.id for s in specs}
        for spec in extra:
            if spec.id in seen:
                raise ValueError(f"rule spec {spec.id!r} is defined twice")
            seen.add(spec.id)
            specs.append(spec)
        return Catalogue(tuple(specs))

    def by_id(self) -> Mapping[str, RuleSpec]:
        """The specs keyed by id."""
        return {s.id: s for s in self.specs}

    def __iter__(self) -> Iterator[RuleSpec]:
        return iter(self.specs)
