"""Hours (学时): floors on total, online and offline hours, the practice share, the peer-review gate.

Hours are compared exactly as integer hundredths of an hour. The peer-review gate is a
preparation step: when a policy says offline hours count only after peer review
(互评完成后方计线下学时), it sets the offline hours that count before any hours rule runs.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ability2.messages import msg
from ability2.roster import HOURS_SCALE
from ability2.rules.bounds import Direction
from ability2.rules.compare import compare_ratio, compare_scaled
from ability2.rules.kind import RuleKind
from ability2.rules.spec import Kind, Scope, spec

if TYPE_CHECKING:
    import numpy as np

    from ability2.batch import Batch
    from ability2.policy import ResolvedRule
    from ability2.result import RuleColumn

__all__ = ["SPECS", "HoursFloor", "PeerReviewGate", "PracticeShare"]

TOTAL = spec(
    "hours.total_min", Kind.HOURS, Scope.TEACHER, "总学时下限", "total hours, floor", Direction.MIN, tags=("hours",)
)
ONLINE = spec(
    "hours.online_min",
    Kind.HOURS,
    Scope.TEACHER,
    "线上学时下限",
    "online hours, floor",
    Direction.MIN,
    tags=("hours", "online"),
)
OFFLINE = spec(
    "hours.offline_min",
    Kind.HOURS,
    Scope.TEACHER,
    "线下实践应用学时下限",
    "offline (practice) hours, floor",
    Direction.MIN,
    description="线下实践应用学时 and 实践应用学时 both count here: the roster's offline_hours column.",
    tags=("hours", "practice"),
)
PRACTICE_SHARE = spec(
    "hours.practice_share_min",
    Kind.SHARE,
    Scope.TEACHER,
    "实践应用学时占比下限",
    "practice share of hours, floor",
    Direction.MIN,
    bases=("done", "required"),
    description=(
        "Offline (practice) hours as a share of the hours the teacher did (basis 'done'), "
        "or of the total hours the policy requires (basis 'required', needs hours.total_min)."
    ),
    tags=("hours",),
)
CYCLE_YEARS = spec(
    "hours.cycle_years",
    Kind.YEARS,
    Scope.TIMELINE,
    "学时周期(年)",
    "hours cycle, years",
    description=(
        "The period the hours are counted over. Recorded with the timeline: a roster gives each "
        "teacher's hours within the cycle, so there is nothing per teacher to check."
    ),
)
PEER_REVIEW = spec(
    "hours.offline_requires_peer_review",
    Kind.FLAG,
    Scope.TEACHER,
    "互评完成后方计线下学时",
    "offline hours count only after peer review",
    description="When true, a teacher's offline hours count as zero until the peer_reviews column says yes.",
    tags=("hours", "practice"),
)

#: the family's specs, in catalogue order
SPECS = (TOTAL, ONLINE, OFFLINE, PRACTICE_SHARE, CYCLE_YEARS, PEER_REVIEW)


def bound_of(rule: ResolvedRule) -> Any:
    """The rule's boundary word; a limit without one cannot be checked."""
    from ability2.batch import EvaluationError

    if rule.bound is None:
        raise EvaluationError(msg("kind.no_bound", rule=rule.id))
    return rule.bound


#: the peer-review gate's findings in words: (Chinese, English)
_REVIEW_WORDS = {
    "yes": ("已完成互评", "peer reviews done"),
    "no": ("未完成互评", "peer reviews not done"),
    "unknown": ("互评情况未填写", "peer reviews not given"),
    "no peer_reviews column": ("花名册没有互评列", "no peer_reviews column"),
}


def _review_message(column: RuleColumn, index: int, lang: str) -> str:
    """``互评完成后方计线下学时: 未完成互评, 线下学时不计`` in the reader's language."""
    title = column.title if lang == "zh" else column.title_en
    value = str(column.value[index])
    word = _REVIEW_WORDS.get(value, (value, value))[0 if lang == "zh" else 1]
    if bool(column.ok[index]):
        return f"{title}: {word}"
    return f"{title}: {word}，线下学时不计" if lang == "zh" else f"{title}: {word}, offline hours not counted"


def _review_words(reviews: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Each teacher's peer-review cell as the gate's value: ``unknown``, ``no`` or ``yes``."""
    import numpy as np

    words: np.ndarray[Any, Any] = np.array(["unknown", "no", "yes"], dtype=object)[
        np.asarray(reviews, dtype=np.int64) + 1
    ]
    return words


def _in_hours(*parts: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The sum of integer hundredths of an hour ``parts``, in hours."""
    total = parts[0] if len(parts) == 1 else sum(parts[1:], parts[0])
    hours: np.ndarray[Any, Any] = total / HOURS_SCALE
    return hours


def _share(offline: np.ndarray[Any, Any], online: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Offline hours as a share of all hours done (0 where none are)."""
    import numpy as np

    total = online + offline
    share: np.ndarray[Any, Any] = np.divide(offline, total, out=np.zeros(len(total)), where=total > 0)
    return share


class PeerReviewGate(RuleKind):
    """互评完成后方计线下学时: offline hours count only for teachers whose peer reviews are done."""

    name = "hours.peer_review_gate"
    specs = (PEER_REVIEW,)

    def prepare(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """Zero the credited offline hours of teachers without completed peer reviews."""
        import numpy as np

        if not rule.value:
            return None
        reviews = batch.roster.peer_reviews
        n = batch.n
        # the words are made when a report reads them
        if reviews is None:
            done = np.zeros(n, dtype=bool)
            value: Any = functools.partial(np.full, n, "no peer_reviews column", dtype=object)
        else:
            done = reviews == 1
            value = functools.partial(_review_words, reviews)
        # an exempt teacher holds the gate: their offline hours count as they stand
        batch.offline_credited = np.where(done | batch.exempt_from(rule.id), batch.offline, 0)
        return self.column(rule, value, done, "yes", formatter=_review_message)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn | None:
        """The gate's verdict is its preparation's column."""
        return None


class HoursFloor(RuleKind):
    """Floors on a teacher's total, online and (credited) offline hours."""

    name = "hours.floor"
    specs = (TOTAL, ONLINE, OFFLINE)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Each teacher's hours against the floor, exactly."""
        online, offline = batch.online, batch.offline_credited
        parts = {TOTAL.id: (online, offline), ONLINE.id: (online,), OFFLINE.id: (offline,)}[rule.spec.id]
        ok = compare_scaled(bound_of(rule), parts[0] if len(parts) == 1 else online + offline, rule.value, HOURS_SCALE)
        # the hours as numbers are made when a report reads them (the batch's own arrays held meanwhile)
        return self.column(rule, functools.partial(_in_hours, *parts), ok, float(rule.value), "h")


class PracticeShare(RuleKind):
    """实践应用学时占比: offline hours as a share of hours done, or of the hours required."""

    name = "hours.practice_share"
    specs = (PRACTICE_SHARE,)

    def evaluate(self, batch: Batch, rule: ResolvedRule) -> RuleColumn:
        """Per teacher, by the rule's basis."""
        from ability2.batch import EvaluationError

        bound = bound_of(rule)
        online, offline = batch.online, batch.offline_credited
        total = online + offline
        if rule.basis == "required":
            required = batch.policy.get(TOTAL.id)
            if required is None:
                raise EvaluationError(msg("kind.needs_total", rule=PRACTICE_SHARE.id, total=TOTAL.id))
            needed = rule.value * required.value
            ok = compare_scaled(bound, offline, needed, HOURS_SCALE)
            return self.column(rule, functools.partial(_in_hours, offline), ok, float(needed), "h")
        ok = compare_ratio(bound, offline, total, rule.value)
        return self.column(rule, functools.partial(_share, offline, online), ok, float(rule.value), "share")
