"""Excellent videos (优秀课例视频): shares of a group's or a school's teachers, and every subject covered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.rules.bounds import Direction
from ability2.rules.compare import compare_ratio
from ability2.rules.hours import bound_of
from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, Scope, spec

if TYPE_CHECKING:
    import numpy as np

    from ability2.batch import Batch, Level
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = ["EverySubjectVideo", "VideoShare"]

GROUP_SHARE = spec(
    "group.excellent_video_share_min",
    Kind.SHARE,
    Scope.GROUP,
    "教研组优秀视频数占组内人数比例下限",
    "excellent videos as a share of a research group's teachers, floor",
    Direction.MIN,
    bases=("teachers",),
)
SCHOOL_SHARE = spec(
    "school.excellent_video_share_min",
    Kind.SHARE,
    Scope.SCHOOL,
    "学校优秀视频数占专任教师比例下限",
    "excellent videos as a share of the school's teachers, floor",
    Direction.MIN,
    bases=("teachers",),
)
EVERY_SUBJECT = spec(
    "school.excellent_video_every_subject",
    Kind.FLAG,
    Scope.SCHOOL,
    "优秀视频覆盖每门学科",
    "excellent videos cover every subject",
)


def _video_counts(batch: Batch, by: Level) -> np.ndarray[Any, Any]:
    import numpy as np

    videos = batch.roster.excellent_video
    size = batch.n_groups if by == "group" else batch.n_schools
    if videos is None:
        return np.zeros(size, dtype=np.int64)
    if by == "group":
        assert batch.group_idx is not None
        grouped = batch.group_idx >= 0
        counted: np.ndarray[Any, Any] = np.bincount(
            batch.group_idx[grouped], weights=videos[grouped] == 1, minlength=size
        ).astype(np.int64)
        return counted
    counted = np.bincount(batch.school_idx, weights=videos == 1, minlength=size).astype(np.int64)
    return counted


class VideoShare(RuleKind):
    """Teachers with an excellent video, as a share of a group's or a school's teachers.

    Without an ``excellent_video`` column, no group or school can show the share: the check fails.
    """

    name = "videos.share"
    specs = (GROUP_SHARE, SCHOOL_SHARE)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Per group or school: videos / teachers against the floor."""
        import numpy as np

        by: Level = "group" if rule.spec.scope is Scope.GROUP else "school"
        if by == "group" and batch.group_idx is None:
            return None
        bound = bound_of(rule)
        size = batch.size(by)
        videos = _video_counts(batch, by)
        ok = compare_ratio(bound, videos, size, rule.value)
        if batch.roster.excellent_video is None:
            ok = np.zeros(len(size), dtype=bool)
        share = np.divide(videos, size, out=np.zeros(len(size)), where=size > 0)
        return self.column(rule, share, ok, float(rule.value), "share", counts=(videos, size))


class EverySubjectVideo(RuleKind):
    """每门学科都有优秀视频: every subject taught in a school has at least one excellent video."""

    name = "videos.every_subject"
    specs = (EVERY_SUBJECT,)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Per school: the subjects without an excellent video, if any."""
        import numpy as np

        if not rule.value:
            return None
        roster = batch.roster
        if roster.subject is None or roster.excellent_video is None:
            missing = "subject" if roster.subject is None else "excellent_video"
            value = np.full(batch.n_schools, f"no {missing} column", dtype=object)
            return self.column(rule, value, np.zeros(batch.n_schools, dtype=bool), "every subject")
        from ability2.batch import factorize_integers

        # (school, subject) pairs in order of first appearance, with whether any has a video
        subjects_of = roster.factorize("subject")
        assert subjects_of is not None
        subjects_of = subjects_of.without_blank()  # a blank subject is no subject
        subjects = subjects_of.values
        given = subjects_of.codes >= 0
        subject_codes = np.asarray(subjects_of.codes, dtype=np.int64)[given]
        width = max(len(subjects), 1)
        pairs = np.asarray(batch.school_idx, dtype=np.int64)[given] * width + subject_codes
        pair_codes, first_seen = factorize_integers(pairs)
        covered = np.bincount(pair_codes, weights=(roster.excellent_video == 1)[given], minlength=len(first_seen)) > 0
        import polars as pl

        # per school, its subjects without a video in order of first appearance, joined
        school, subject = np.divmod(first_seen[~covered], width)
        uncovered = (
            pl.DataFrame({"school": school, "subject": pl.Series(list(subjects), dtype=pl.String).gather(subject)})
            .group_by("school", maintain_order=True)
            .agg(pl.format("missing: {}", pl.col("subject").str.join("、")).alias("value"))
        )
        value = np.full(batch.n_schools, "all covered", dtype=object)
        ok = np.ones(batch.n_schools, dtype=bool)
        lacking = uncovered.get_column("school").to_numpy()
        value[lacking] = uncovered.get_column("value").to_numpy()
        ok[lacking] = False
        return self.column(rule, value, ok, "every subject")
