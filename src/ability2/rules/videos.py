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
    # the entities of the teachers with a video, counted (a few teachers, not a weight per teacher)
    with_video = videos == 1
    if by == "group":
        assert batch.group_idx is not None
        entities = batch.group_idx[with_video]
        entities = entities[entities >= 0]
    else:
        entities = batch.school_idx[with_video]
    counted: np.ndarray[Any, Any] = np.bincount(entities, minlength=size).astype(np.int64)
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
        # the subjects as codes (roster.subject would make and keep a Python string per teacher)
        subjects_of = roster.factorize("subject")
        if subjects_of is None or roster.excellent_video is None:
            missing = "subject" if subjects_of is None else "excellent_video"
            value = np.full(batch.n_schools, f"no {missing} column", dtype=object)
            return self.column(rule, value, np.zeros(batch.n_schools, dtype=bool), "every subject")
        subjects_of = subjects_of.without_blank()
        subjects = subjects_of.values
        width = max(len(subjects), 1)
        first_seen = _pairs_without_video(batch.school_idx, subjects_of.codes, roster.excellent_video == 1, width)
        # per school, its subjects without a video in order of first appearance, joined: the
        # pairs grouped by school (a stable sort keeps that order within each school)
        school, subject = np.divmod(first_seen, width)
        order = np.argsort(school, kind="stable")
        school, subject = school[order], subject[order]
        starts = np.flatnonzero(np.r_[True, school[1:] != school[:-1]]) if len(school) else np.zeros(0, dtype=np.int64)
        names = [str(name) for name in subjects]
        codes = subject.tolist()
        ends = [*starts[1:].tolist(), len(codes)] if codes else []
        value = np.full(batch.n_schools, "all covered", dtype=object)
        ok = np.ones(batch.n_schools, dtype=bool)
        lacking = school[starts]
        value[lacking] = [
            "missing: " + "、".join(names[code] for code in codes[start:end])
            for start, end in zip(starts.tolist(), ends, strict=True)
        ]
        ok[lacking] = False
        return self.column(rule, value, ok, "every subject")


def _pairs_without_video(
    school_idx: np.ndarray[Any, Any], subject_codes: np.ndarray[Any, Any], video: np.ndarray[Any, Any], width: int
) -> np.ndarray[Any, Any]:
    """The (school, subject) pairs no teacher with a video is in, coded ``school * width + subject``, first seen first.

    A teacher whose subject code is ``-1`` (a blank cell) is in no pair. When the pairs are
    few (schools times subjects within a few per teacher) they are counted in small tables
    and only the teachers of the pairs without a video are looked at again: a third of the
    memory of numbering every teacher's pair. Else (many schools times many free-text
    subjects) every pair is numbered (:func:`~ability2.batch.factorize_pairs`).
    """
    import numpy as np

    n = len(school_idx)
    codes = np.asarray(subject_codes)
    top = (int(school_idx.max()) + 1 if n else 0) * width
    if not n or top > 4 * n + 1024 or max(top, n) >= 2**31 - 1:
        from ability2.batch import factorize_pairs

        pair_of, pairs, _ = factorize_pairs(school_idx, codes, width, np.int32)
        with_video = pair_of[video]
        covered = np.bincount(with_video[with_video >= 0], minlength=len(pairs)) > 0
        lacking_pairs: np.ndarray[Any, Any] = pairs[~covered]
        return lacking_pairs
    paired = school_idx.astype(np.int32)
    np.multiply(paired, width, out=paired)
    np.add(paired, codes, out=paired, casting="same_kind")
    paired[codes < 0] = top  # in no pair: the tables' last entry
    lacking = np.bincount(paired, minlength=top + 1) > 0
    lacking[np.bincount(paired[video], minlength=top + 1) > 0] = False
    lacking[top] = False
    # the teachers of the pairs without a video, in roster order: each pair's first is where it was first seen
    seen = paired[lacking[paired]]
    first = np.full(top + 1, len(seen), dtype=np.int32)  # int32 throughout: numpy's fast ufunc.at
    np.minimum.at(first, seen, np.arange(len(seen), dtype=np.int32))
    pairs = np.flatnonzero(first < len(seen))
    ordered: np.ndarray[Any, Any] = pairs[np.argsort(first[pairs], kind="stable")]
    return ordered
