"""The evaluator: a roster under a policy, batch first, every verdict explained.

One implementation serves one teacher and a million. The roster arrives encoded once
(:class:`~ability2.roster.Roster`); each rule kind evaluates over whole columns (numpy) and
yields a :class:`~ability2.result.RuleColumn`: per teacher (or group, or school) the value,
the verdict and the rule it came from. A teacher's explanation is read from the same
columns. Comparisons are exact: hours are integer hundredths, shares compare as integer
cross-products, so 19 of 20 is exactly 95%.

A plugin's own teacher rule (a :class:`~ability2.RuleSpec` with ``check``) is written per
teacher in plain Python; the evaluator runs it over the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error
from ability2.roster import GRADE_EXCELLENT, GRADE_FAIL, GRADE_PASS, GRADE_UNGRADED, HOURS_SCALE, Roster
from ability2.rules.bounds import Bound
from ability2.rules.catalogue import Scope

if TYPE_CHECKING:
    import numpy as np

    from ability2.policy import Policy, ResolvedRule
    from ability2.result import Result, RuleColumn

__all__ = ["STATUSES", "TeacherRow", "evaluate"]

#: teacher statuses (contract §3.1)
STATUSES = ("excellent", "pass", "fail", "pending")

Progress = Callable[[str, int, int], None]


class EvaluationError(Ability2Error):
    """The policy cannot be applied as it stands (for example a rule that needs another)."""


@attrs.frozen
class TeacherRow:
    """One teacher as a plugin's per-teacher rule sees it (plain Python values)."""

    index: int
    teacher_id: str
    school: str
    group: str | None
    subject: str | None
    online_hours: Fraction
    offline_hours: Fraction
    abilities: tuple[str, ...]
    grades: tuple[str | None, ...]
    excellent_video: bool | None
    peer_reviews: bool | None
    extra: dict[str, Any]


# ----------------------------------------------------------------------------------------
# exact vectorised comparisons
# ----------------------------------------------------------------------------------------


def compare_scaled(bound: Bound, values: np.ndarray[Any, Any], limit: Fraction, scale: int) -> np.ndarray[Any, Any]:
    """``values / scale`` against ``limit`` by ``bound``, exactly (values are integers)."""
    import numpy as np

    lhs = values.astype(np.int64) * limit.denominator
    rhs = limit.numerator * scale
    result: np.ndarray[Any, Any] = _apply(bound, lhs, rhs)
    return result


def compare_ratio(
    bound: Bound, count: np.ndarray[Any, Any], total: np.ndarray[Any, Any], limit: Fraction
) -> np.ndarray[Any, Any]:
    """``count / total`` against ``limit``, exactly; an empty total holds only a zero floor."""
    import numpy as np

    count = count.astype(np.int64)
    total = total.astype(np.int64)
    lhs = count * limit.denominator
    rhs = total * limit.numerator
    ok = _apply(bound, lhs, rhs)
    result: np.ndarray[Any, Any] = np.where(
        total > 0, ok, _apply(bound, np.zeros_like(lhs), np.full_like(rhs, limit.numerator))
    )
    return result


def _apply(bound: Bound, lhs: Any, rhs: Any) -> Any:
    import numpy as np

    if not bound.comparable:
        raise EvaluationError(f"{bound.word} states an approximate target, not a limit")
    symbol = bound.symbol
    if symbol == "≥":
        return np.greater_equal(lhs, rhs)
    if symbol == ">":
        return np.greater(lhs, rhs)
    if symbol == "≤":
        return np.less_equal(lhs, rhs)
    if symbol == "<":
        return np.less(lhs, rhs)
    return np.equal(lhs, rhs)


def _popcount(masks: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    import numpy as np

    counts: np.ndarray[Any, Any] = np.bitwise_count(masks.astype(np.uint64)).astype(np.int64)
    return counts


# ----------------------------------------------------------------------------------------
# the batch
# ----------------------------------------------------------------------------------------


class _Batch:
    """Derived per-teacher and per-selection arrays, computed once for every rule."""

    def __init__(self, roster: Roster, policy: Policy) -> None:
        import numpy as np
        import pandas as pd

        framework = policy.framework
        self.roster = roster
        self.policy = policy
        self.n = len(roster)
        env_index = {env.id: i for i, env in enumerate(framework.environments)}
        dim_index = {dim.id: i for i, dim in enumerate(framework.dimensions)}
        self.env_of_ability = np.array([env_index[a.environment.id] for a in framework.abilities], dtype=np.int64)
        self.dim_of_ability = np.array([dim_index[a.dimension.id] for a in framework.abilities], dtype=np.int64)
        offsets = roster.ability_offsets.astype(np.int64)
        codes = roster.ability_codes.astype(np.int64)
        self.k = np.diff(offsets)
        starts = offsets[:-1]
        self.teacher_of_selection = np.repeat(np.arange(self.n), self.k)
        if self.n and (self.k > 0).all():
            self.ability_mask = np.bitwise_or.reduceat(np.left_shift(np.int64(1), codes), starts)
            self.env_mask = np.bitwise_or.reduceat(np.left_shift(np.int64(1), self.env_of_ability[codes]), starts)
            self.dim_mask = np.bitwise_or.reduceat(np.left_shift(np.int64(1), self.dim_of_ability[codes]), starts)
        else:
            self.ability_mask = np.zeros(self.n, dtype=np.int64)
            self.env_mask = np.zeros(self.n, dtype=np.int64)
            self.dim_mask = np.zeros(self.n, dtype=np.int64)
            if self.n:
                np.bitwise_or.at(self.ability_mask, self.teacher_of_selection, np.left_shift(np.int64(1), codes))
                np.bitwise_or.at(
                    self.env_mask, self.teacher_of_selection, np.left_shift(np.int64(1), self.env_of_ability[codes])
                )
                np.bitwise_or.at(
                    self.dim_mask, self.teacher_of_selection, np.left_shift(np.int64(1), self.dim_of_ability[codes])
                )
        grades = roster.grades.astype(np.int64)
        self.n_fail = np.bincount(self.teacher_of_selection, weights=grades == GRADE_FAIL, minlength=self.n).astype(
            np.int64
        )
        self.n_ungraded = np.bincount(
            self.teacher_of_selection, weights=grades == GRADE_UNGRADED, minlength=self.n
        ).astype(np.int64)
        self.n_excellent = np.bincount(
            self.teacher_of_selection, weights=grades == GRADE_EXCELLENT, minlength=self.n
        ).astype(np.int64)
        self.online = roster.online.astype(np.int64)
        self.offline = roster.offline.astype(np.int64)
        self.offline_credited = self.offline
        school_codes, school_names = pd.factorize(pd.Series(roster.school, dtype=object), sort=False)
        self.school_idx = np.asarray(school_codes, dtype=np.int64)
        self.school_names = [str(s) for s in school_names.tolist()]
        self.n_schools = len(self.school_names)
        self.school_size = np.bincount(self.school_idx, minlength=self.n_schools).astype(np.int64)
        if roster.group is not None:
            # a blank group cell means "in no group": such teachers are in no group's check
            groups = pd.Series(roster.group, dtype=object).replace("", None)
            group_codes, group_names = pd.factorize(groups, sort=False)
            group_codes = np.asarray(group_codes, dtype=np.int64)
            width = max(1, len(group_names))
            in_group = group_codes >= 0
            combined = self.school_idx * width + group_codes
            pair_codes, pairs = pd.factorize(combined[in_group], sort=False)
            self.group_idx: np.ndarray[Any, Any] | None = np.full(self.n, -1, dtype=np.int64)
            self.group_idx[in_group] = pair_codes
            group_list = [str(g) for g in group_names.tolist()]
            self.group_keys: list[tuple[str, str]] = [
                (self.school_names[p // width], group_list[p % width]) for p in pairs.tolist()
            ]
            self.group_size = np.bincount(self.group_idx[in_group], minlength=len(self.group_keys)).astype(np.int64)
        else:
            self.group_idx = None
            self.group_keys = []
            self.group_size = np.zeros(0, dtype=np.int64)

    def per_school(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Sum a per-teacher array per school."""
        import numpy as np

        return np.bincount(self.school_idx, weights=values, minlength=self.n_schools).astype(np.int64)

    def per_school_or(self, masks: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Bitwise-or a per-teacher mask per school."""
        import numpy as np

        out = np.zeros(self.n_schools, dtype=np.int64)
        np.bitwise_or.at(out, self.school_idx, masks.astype(np.int64))
        return out


# ----------------------------------------------------------------------------------------
# teacher rules
# ----------------------------------------------------------------------------------------


def _hours(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return values / HOURS_SCALE


def _teacher_columns(batch: _Batch, progress: Progress | None) -> list[RuleColumn]:
    import numpy as np

    from ability2.result import RuleColumn

    policy = batch.policy
    roster = batch.roster
    columns: list[RuleColumn] = []

    def column(rule: ResolvedRule, value: Any, ok: Any, limit: Any, unit: str = "") -> None:
        columns.append(RuleColumn.from_rule(rule, value, ok, limit, unit))

    peer_rule = policy.get("hours.offline_requires_peer_review")
    if peer_rule is not None and peer_rule.value:
        if roster.peer_reviews is None:
            done = np.zeros(batch.n, dtype=bool)
            value: Any = np.full(batch.n, "no peer_reviews column", dtype=object)
        else:
            done = roster.peer_reviews == 1
            value = np.where(done, "yes", np.where(roster.peer_reviews == 0, "no", "unknown")).astype(object)
        batch.offline_credited = np.where(done, batch.offline, 0)
        column(peer_rule, value, done, "yes")
    online, offline = batch.online, batch.offline_credited
    total = online + offline
    for rule_id, values in (("hours.total_min", total), ("hours.online_min", online), ("hours.offline_min", offline)):
        rule = policy.get(rule_id)
        if rule is not None and rule.bound is not None:
            column(
                rule,
                _hours(values),
                compare_scaled(rule.bound, values, rule.value, HOURS_SCALE),
                float(rule.value),
                "h",
            )
    share = policy.get("hours.practice_share_min")
    if share is not None and share.bound is not None:
        if share.basis == "required":
            required = policy.get("hours.total_min")
            if required is None:
                raise EvaluationError(
                    "hours.practice_share_min with basis 'required' needs hours.total_min in the policy"
                )
            needed = share.value * required.value
            ok = compare_scaled(share.bound, offline, needed, HOURS_SCALE)
            column(share, _hours(offline), ok, float(needed), "h")
        else:
            ok = compare_ratio(share.bound, offline, total, share.value)
            ratio = np.divide(offline, total, out=np.zeros(batch.n), where=total > 0)
            column(share, ratio, ok, float(share.value), "share")
    count = policy.get("selection.count")
    if count is not None and count.bound is not None:
        column(count, batch.k, compare_scaled(count.bound, batch.k, Fraction(count.value), 1), count.value)
    dims = policy.get("selection.dimensions_min")
    if dims is not None and dims.bound is not None:
        covered = _popcount(batch.dim_mask)
        column(dims, covered, compare_scaled(dims.bound, covered, Fraction(dims.value), 1), dims.value)
    # allowed environments / abilities: a teacher's choices must lie inside the allowed set
    for rule_id, names, masks in (
        ("selection.environments_allowed", [env.id for env in policy.framework.environments], batch.env_mask),
        ("selection.abilities_allowed", [a.code for a in policy.framework.abilities], batch.ability_mask),
    ):
        allowed_rule = policy.get(rule_id)
        if allowed_rule is not None:
            allowed = sum(1 << names.index(name) for name in allowed_rule.value)
            ok = (masks & ~allowed) == 0
            column(allowed_rule, np.where(ok, "within", "outside").astype(object), ok, ", ".join(allowed_rule.value))
    grading = policy.get("grading.teacher")
    if grading is not None:
        columns.append(
            RuleColumn.from_rule(grading, batch.n_fail, batch.n_fail == 0, 0, "fails", counts=(batch.n_fail, batch.k))
        )
    custom = [rule for rule in policy if rule.spec.check is not None and rule.spec.scope is Scope.TEACHER]
    for rule in custom:
        columns.append(_custom_column(batch, rule, progress))
    return columns


def _custom_column(batch: _Batch, rule: ResolvedRule, progress: Progress | None) -> RuleColumn:
    import numpy as np

    from ability2.result import RuleColumn

    roster = batch.roster
    framework = batch.policy.framework
    codes = [a.code for a in framework.abilities]
    names = {GRADE_EXCELLENT: "优秀", GRADE_PASS: "合格", GRADE_FAIL: "不合格", GRADE_UNGRADED: None}
    extra_frame = roster.frame.select(list(roster.extra_columns)) if roster.extra_columns else None
    values: list[Any] = []
    oks = np.zeros(batch.n, dtype=bool)
    check = rule.spec.check
    assert check is not None
    offsets = roster.ability_offsets
    step = max(1, batch.n // 100)
    for i in range(batch.n):
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        row = TeacherRow(
            index=i,
            teacher_id=str(roster.teacher_id[i]),
            school=str(roster.school[i]),
            group=None if roster.group is None else str(roster.group[i]),
            subject=None if roster.subject is None else str(roster.subject[i]),
            online_hours=Fraction(int(roster.online[i]), HOURS_SCALE),
            offline_hours=Fraction(int(roster.offline[i]), HOURS_SCALE),
            abilities=tuple(codes[c] for c in roster.ability_codes[lo:hi]),
            grades=tuple(names[int(g)] for g in roster.grades[lo:hi]),
            excellent_video=None
            if roster.excellent_video is None or roster.excellent_video[i] < 0
            else bool(roster.excellent_video[i]),
            peer_reviews=None
            if roster.peer_reviews is None or roster.peer_reviews[i] < 0
            else bool(roster.peer_reviews[i]),
            extra={} if extra_frame is None else extra_frame.row(i, named=True),
        )
        try:
            value, ok = check(row, rule)
        except Exception as exc:
            raise EvaluationError(
                f"plugin rule {rule.id} failed on teacher {row.teacher_id}: {type(exc).__name__}: {exc}"
            ) from exc
        values.append(value)
        oks[i] = bool(ok)
        if progress is not None and i % step == 0:
            progress(f"rule {rule.id}", i, batch.n)
    return RuleColumn.from_rule(rule, np.array(values, dtype=object), oks, rule.describe_value(), "")


#: status codes used inside the evaluator, worst first
_STATUS_CODES = ("fail", "pending", "pass", "excellent")


def _statuses(batch: _Batch, columns: list[RuleColumn]) -> np.ndarray[Any, Any]:
    """Each teacher's status as a code: 0 fail, 1 pending, 2 pass, 3 excellent."""
    import numpy as np

    failed = np.zeros(batch.n, dtype=bool)
    for column in columns:
        failed |= ~column.ok
    failed |= batch.n_fail > 0
    pending = ~failed & (batch.n_ungraded > 0)
    excellent = ~failed & ~pending & (batch.n_excellent == batch.k) & (batch.k > 0)
    codes = np.full(batch.n, 2, dtype=np.int8)
    codes[excellent] = 3
    codes[pending] = 1
    codes[failed] = 0
    return codes


# ----------------------------------------------------------------------------------------
# groups and schools
# ----------------------------------------------------------------------------------------


def _flag_counts(
    batch: _Batch, flags: np.ndarray[Any, Any] | None, index: np.ndarray[Any, Any], size: int
) -> np.ndarray[Any, Any]:
    import numpy as np

    if flags is None:
        return np.zeros(size, dtype=np.int64)
    return np.bincount(index, weights=flags == 1, minlength=size).astype(np.int64)


def _group_columns(batch: _Batch) -> list[RuleColumn]:
    import numpy as np

    from ability2.result import RuleColumn

    if batch.group_idx is None:
        return []
    columns = []
    rule = batch.policy.get("group.excellent_video_share_min")
    if rule is not None and rule.bound is not None:
        size = len(batch.group_keys)
        grouped = batch.group_idx >= 0
        flags = None if batch.roster.excellent_video is None else batch.roster.excellent_video[grouped]
        videos = _flag_counts(batch, flags, batch.group_idx[grouped], size)
        ok = compare_ratio(rule.bound, videos, batch.group_size, rule.value)
        if batch.roster.excellent_video is None:
            ok = np.zeros(size, dtype=bool)
        share = np.divide(videos, batch.group_size, out=np.zeros(size), where=batch.group_size > 0)
        columns.append(
            RuleColumn.from_rule(rule, share, ok, float(rule.value), "share", counts=(videos, batch.group_size))
        )
    return columns


def _school_columns(batch: _Batch, codes: np.ndarray[Any, Any]) -> tuple[list[RuleColumn], dict[str, Any]]:
    import numpy as np

    from ability2.result import RuleColumn

    policy = batch.policy
    roster = batch.roster
    size = batch.school_size
    passed = batch.per_school(codes >= 2)
    excellent = batch.per_school(codes == 3)
    selections = batch.per_school(batch.k)
    grades = roster.grades.astype(np.int64)
    school_of_selection = batch.school_idx[batch.teacher_of_selection]
    certs_passed = np.bincount(school_of_selection, weights=grades >= GRADE_PASS, minlength=batch.n_schools).astype(
        np.int64
    )
    certs_excellent = np.bincount(
        school_of_selection, weights=grades == GRADE_EXCELLENT, minlength=batch.n_schools
    ).astype(np.int64)
    # ability-basis rates count certifications made: ungraded selections are not yet
    # certifications, so a cap such as 微能力点认证优秀率不超过60% cannot pass on missing grades
    graded = np.bincount(school_of_selection, weights=grades != GRADE_UNGRADED, minlength=batch.n_schools).astype(
        np.int64
    )
    stats: dict[str, Any] = {
        "teachers": size,
        "certifications": graded,
        "passed": passed,
        "excellent": excellent,
        "selections": selections,
        "certifications_passed": certs_passed,
        "certifications_excellent": certs_excellent,
    }
    columns: list[RuleColumn] = []

    def ratio_column(
        rule: ResolvedRule, count: np.ndarray[Any, Any], total: np.ndarray[Any, Any], available: bool = True
    ) -> None:
        assert rule.bound is not None
        ok = compare_ratio(rule.bound, count, total, rule.value)
        if not available:
            ok = np.zeros(batch.n_schools, dtype=bool)
        share = np.divide(count, total, out=np.zeros(batch.n_schools), where=total > 0)
        columns.append(RuleColumn.from_rule(rule, share, ok, float(rule.value), "share", counts=(count, total)))

    for rule_id, teacher_count, cert_count in (
        ("school.pass_rate_min", passed, certs_passed),
        ("school.excellent_rate_max", excellent, certs_excellent),
        ("school.excellent_rate_min", excellent, certs_excellent),
    ):
        rule = policy.get(rule_id)
        if rule is not None and rule.bound is not None:
            if rule.basis == "abilities":
                ratio_column(rule, cert_count, graded)
            else:
                ratio_column(rule, teacher_count, size)
    env_ids = [env.id for env in policy.framework.environments]
    for env_position, env_id in enumerate(env_ids):
        for direction in ("min", "max"):
            rule = policy.get(f"school.{env_id}_share_{direction}")
            if rule is None or rule.bound is None:
                continue
            if rule.basis == "selections":
                in_env = batch.env_of_ability[roster.ability_codes.astype(np.int64)] == env_position
                count = np.bincount(school_of_selection, weights=in_env, minlength=batch.n_schools).astype(np.int64)
                ratio_column(rule, count, selections)
            else:
                has_env = (batch.env_mask >> env_position) & 1
                ratio_column(rule, batch.per_school(has_env), size)
    school_abilities = batch.per_school_or(batch.ability_mask)
    school_envs = batch.per_school_or(batch.env_mask)
    school_dims = batch.per_school_or(batch.dim_mask)
    for rule_id, masks in (
        ("school.scope_abilities_min", school_abilities),
        ("school.scope_abilities_max", school_abilities),
        ("school.scope_environments_min", school_envs),
        ("school.scope_dimensions_min", school_dims),
    ):
        rule = policy.get(rule_id)
        if rule is not None and rule.bound is not None:
            covered = _popcount(masks)
            columns.append(
                RuleColumn.from_rule(
                    rule, covered, compare_scaled(rule.bound, covered, Fraction(rule.value), 1), rule.value, ""
                )
            )
    video_rule = policy.get("school.excellent_video_share_min")
    if video_rule is not None and video_rule.bound is not None:
        videos = _flag_counts(batch, roster.excellent_video, batch.school_idx, batch.n_schools)
        ratio_column(video_rule, videos, size, available=roster.excellent_video is not None)
    subjects_rule = policy.get("school.excellent_video_every_subject")
    if subjects_rule is not None and subjects_rule.value:
        columns.append(_subject_column(batch, subjects_rule))
    stats["ability_scope"] = _popcount(school_abilities)
    return columns, stats


def _subject_column(batch: _Batch, rule: ResolvedRule) -> RuleColumn:
    import numpy as np
    import pandas as pd

    from ability2.result import RuleColumn

    roster = batch.roster
    if roster.subject is None or roster.excellent_video is None:
        missing = "subject" if roster.subject is None else "excellent_video"
        value = np.full(batch.n_schools, f"no {missing} column", dtype=object)
        return RuleColumn.from_rule(rule, value, np.zeros(batch.n_schools, dtype=bool), "every subject", "")
    frame = pd.DataFrame({"school": batch.school_idx, "subject": roster.subject, "video": roster.excellent_video == 1})
    frame = frame[frame["subject"] != ""]
    covered = frame.groupby(["school", "subject"], sort=False)["video"].any().reset_index()
    uncovered = covered[~covered["video"]].groupby("school")["subject"].agg(lambda s: "、".join(map(str, s)))
    value = np.full(batch.n_schools, "", dtype=object)
    ok = np.ones(batch.n_schools, dtype=bool)
    for school, subjects in uncovered.items():
        value[int(school)] = f"missing: {subjects}"
        ok[int(school)] = False
    value[ok] = "all covered"
    return RuleColumn.from_rule(rule, value, ok, "every subject", "")


# ----------------------------------------------------------------------------------------
# entry point
# ----------------------------------------------------------------------------------------


def evaluate(roster: Roster | Any, policy: Policy, *, progress: Progress | None = None) -> Result:
    """Evaluate every teacher, group and school of ``roster`` under ``policy``.

    ``roster`` is a :class:`~ability2.roster.Roster` or anything :func:`ability2.read_roster`
    reads (a path, a pandas or polars DataFrame). ``progress(stage, done, total)`` is called
    on long work. Returns a :class:`~ability2.result.Result`.
    """
    if not isinstance(roster, Roster):
        from ability2.io.roster import read_roster

        roster = read_roster(roster, framework=policy.framework)
    from ability2.gcpause import paused_gc

    with paused_gc():
        return _evaluate(roster, policy, progress)


def _evaluate(roster: Roster, policy: Policy, progress: Progress | None) -> Result:
    from ability2.result import Result

    batch = _Batch(roster, policy)
    teacher_columns = _teacher_columns(batch, progress)
    import numpy as np

    codes = _statuses(batch, teacher_columns)
    status = np.array(_STATUS_CODES, dtype=object)[codes]
    group_columns = _group_columns(batch)
    school_columns, stats = _school_columns(batch, codes)
    return Result.from_batch(
        policy=policy,
        roster=roster,
        status=status,
        teacher_columns=teacher_columns,
        group_keys=batch.group_keys,
        group_sizes=batch.group_size,
        group_columns=group_columns,
        school_names=batch.school_names,
        school_stats=stats,
        school_columns=school_columns,
    )
