"""ability2 plugin for 安徽省: an exemption (免测), written as a rule kind.

In Anhui a teacher may apply for 免测 (exemption from the ability assessment). An exempt
teacher holds the assessment rule (``grading.teacher``): ungraded or 不合格 abilities neither
fail nor hold them pending, and the explanation says 免测 with the reason the roster gives.
Every other rule (hours, selection) still applies. The roster says who is exempt in a
``exempt`` (免测) column, yes or no, and why in an optional ``exempt_reason`` (免测理由) column.
"""

from __future__ import annotations

from importlib.resources.abc import Traversable

import ability2

EXEMPTION = ability2.RuleSpec(
    id="anhui.assessment_exemption",
    kind=ability2.Kind.FLAG,
    scope=ability2.Scope.TEACHER,
    title="免测",
    title_en="exemption from the ability assessment",
    description="When true, a teacher marked yes in the exempt (免测) column holds the assessment rule grading.teacher.",
)

#: who is exempt (yes/no), and why (free text)
EXEMPT = ability2.Column("exempt", "免测", False, "yes/no: the teacher's 免测 application was granted")
EXEMPT_REASON = ability2.Column("exempt_reason", "免测理由", False, "why the teacher is exempt")

#: the rules an exempt teacher holds
EXEMPTED_RULES = ("grading.teacher",)


def _message(column: ability2.RuleColumn, index: int, lang: str) -> str:
    title = column.title if lang == "zh" else column.title_en
    if column.value[index] == "yes":
        return f"{title}: 已获准免测" if lang == "zh" else f"{title}: granted"
    return f"{title}: 未免测" if lang == "zh" else f"{title}: not exempt"


class AssessmentExemption(ability2.RuleKind):
    """免测: exempt teachers hold ``grading.teacher``; the exemption itself never fails."""

    name = "anhui.assessment_exemption"
    specs = (EXEMPTION,)
    requires = (EXEMPT,)

    def _exempt(self, batch: ability2.Batch) -> object:
        return batch.column(EXEMPT, "flag") == 1

    def evaluate(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.RuleColumn | None:
        """Per teacher: exempt or not (shown in every explanation; it holds either way)."""
        import numpy as np

        if not rule.value:
            return None
        exempt = self._exempt(batch)
        value = np.where(exempt, "yes", "no").astype(object)
        return self.column(rule, value, np.ones(batch.n, dtype=bool), "yes/no", formatter=_message)

    def exemptions(self, batch: ability2.Batch, rule: ability2.ResolvedRule) -> ability2.Exemption | None:
        """Exempt teachers hold grading.teacher, with the roster's reason."""
        if not rule.value:
            return None
        reason = batch.column(EXEMPT_REASON, "text") if batch.has_column(EXEMPT_REASON) else ""
        return ability2.Exemption(self._exempt(batch), EXEMPTED_RULES, reason, ("免测", "exempt from assessment"))


@ability2.hookimpl
def ability2_rule_kinds() -> list[ability2.RuleKind]:
    """The kind this plugin adds."""
    return [AssessmentExemption()]


@ability2.hookimpl
def ability2_policy_files() -> list[Traversable]:
    """The policy files of this plugin's regions."""
    return ability2.package_files(__name__, "policies")
