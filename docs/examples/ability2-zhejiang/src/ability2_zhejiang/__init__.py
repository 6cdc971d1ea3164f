"""ability2 plugin for 浙江省: a school rule kind, vectorised, with a value type of its own.

浙教办函〔2020〕178号 sets the first phase of 整校推进 (whole-school advancement): by
2021-08-15, at least 25% of teachers certified. The core has no rule "a share of a school's
teachers who did something by a date", so this plugin adds

* a value type, ``share_by_date``: ``{share: 25%, by: 2021-08-15}``, a limit with a date;
* a rule kind, :class:`CertifiedShareByDate`, that reads the roster's ``certified_on``
  (认证日期) column and checks every school at once, with numpy arrays, through the batch's
  per-school aggregation.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from importlib.resources.abc import Traversable
from typing import Any

import attrs

import ability2
from ability2.converting import parse_share
from ability2.rules.compare import compare_ratio


@attrs.frozen
class ShareByDate:
    """A share of teachers that must be reached by a date (both ends of the day included)."""

    share: Fraction
    by: dt.date


def parse_share_by_date(data: Any, context: Any) -> ShareByDate:
    """``{share: 25%, by: 2021-08-15}`` from a policy file; errors name what is wrong."""
    if not isinstance(data, dict) or set(data) != {"share", "by"}:
        raise TypeError(
            f"expected a mapping with keys share and by, such as {{share: 25%, by: 2021-08-15}}, got {data!r}"
        )
    by = data["by"]
    if isinstance(by, str):
        by = dt.date.fromisoformat(by)
    if not isinstance(by, dt.date) or isinstance(by, dt.datetime):
        raise TypeError(f"by: expected a date YYYY-MM-DD, got {data['by']!r}")
    return ShareByDate(parse_share(data["share"]), by)


def describe_share_by_date(value: ShareByDate, lang: str) -> str:
    """``25%（截至 2021-08-15）`` or ``25% by 2021-08-15``."""
    share = f"{float(value.share * 100):g}%"
    return f"{share}（截至 {value.by}）" if lang == "zh" else f"{share} by {value.by}"


SHARE_BY_DATE = ability2.ValueType(
    name="share_by_date",
    parse=parse_share_by_date,
    describe=describe_share_by_date,
    to_json=lambda value: {"share": float(value.share), "by": value.by.isoformat()},
    bounded=True,
    description="a share of teachers to reach by a date: {share: 25%, by: 2021-08-15}",
)

CERTIFIED_SHARE = ability2.RuleSpec(
    id="zhejiang.certified_share_min",
    kind=SHARE_BY_DATE,
    scope=ability2.Scope.SCHOOL,
    title="按期完成认证的教师比例下限",
    title_en="share of teachers certified by the date, floor",
    direction=ability2.Direction.MIN,
    description="Teachers whose certified_on (认证日期) is on or before the date, over the school's teachers.",
)

#: the roster column the rule reads: the day a teacher's certification was completed
CERTIFIED_ON = ability2.Column(
    "certified_on", "认证日期", False, "the day the certification was completed (YYYY-MM-DD)"
)


def message_by(by: dt.date) -> Any:
    """A formatter: the shared sentence, with the date the share is counted at."""

    def message(column: ability2.RuleColumn, index: int, lang: str) -> str:
        text = column.standard_message(index, lang)
        return f"{text}（截至 {by}）" if lang == "zh" else f"{text} (by {by})"

    return message


class CertifiedShareByDate(ability2.RuleKind):
    """Per school: teachers certified on or before the date, as a share of its teachers."""

    name = "zhejiang.certified_share_by_date"
    specs = (CERTIFIED_SHARE,)
    requires = (CERTIFIED_ON,)

    def evaluate(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn:
        """Every school at once: count, total and the exact comparison."""
        import numpy as np

        value: ShareByDate = rule.value
        certified_on = batch.column(CERTIFIED_ON, "date")  # NaT (not certified) compares False
        certified = certified_on <= np.datetime64(value.by, "D")
        count, total = batch.share(certified, by="school")
        assert rule.bound is not None  # a bounded type: the loader requires the word
        ok = compare_ratio(rule.bound, count, total, value.share)
        share = np.divide(count, total, out=np.zeros(len(total)), where=total > 0)
        return self.column(rule, share, ok, float(value.share), "share", (count, total), formatter=message_by(value.by))


@ability2.hookimpl
def ability2_rule_kinds() -> list[ability2.RuleKind]:
    """The kind this plugin adds (its spec joins the catalogue with it)."""
    return [CertifiedShareByDate()]


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of this plugin's regions."""
    return ability2.package_files(__name__, "policies")
