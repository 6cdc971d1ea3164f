"""The official tables a region's documents define, as rules: a table is in a report only where they do.

兖教体发〔2022〕82号 attaches 附件2, the 参训人员情况汇总表 (summary of participants) that each
school sends to the bureau. Its columns are :data:`~ability2.reports.summary.SUMMARY_COLUMNS`;
its title is the document's. The rule ``summary.table`` states that a region's documents
define the table, with its official title (``name``, and ``name_en`` for ``lang="en"``)::

    summary.table:
      value:
        name: 兖州区中小学教师信息技术应用能力提升工程2.0参训人员情况汇总表
        name_en: Yanzhou District Teachers' IT Competency Programme 2.0, summary of participants
      source: {document: yanzhou-2022-82, clause: 附件2, quote: …}

Like every rule, a child region inherits it from its ancestors and a what-if can add or change
it. The xlsx report has a 汇总表 sheet, printed under this title, only when the policy has the
rule: a region whose documents define no such table (开原, 广西 …) gets no 兖州 form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from ability2.rules.spec import Scope, spec
from ability2.rules.types import ParseContext, ValueType

if TYPE_CHECKING:
    from ability2.policy import Policy

__all__ = ["SPECS", "SUMMARY_TABLE", "OfficialTable", "summary_table_title"]


@attrs.frozen
class OfficialTable:
    """An official table a document attaches: its title as the document writes it, and in English."""

    name: str
    name_en: str

    def title(self, lang: str = "zh") -> str:
        """The title in ``lang`` (``zh`` or ``en``)."""
        return self.name_en if lang == "en" else self.name


def _parse(data: Any, context: ParseContext) -> OfficialTable | None:
    table: OfficialTable | None = context.structure(data, OfficialTable, context.path)
    if table is None:
        return None
    for key in ("name", "name_en"):
        if not getattr(table, key).strip():
            context.problem((*context.path, key), "the table's title is empty")
            return None
    return table


def _describe(value: Any, lang: str) -> str:
    return str(value.title(lang))


#: the value type of a table rule: ``{name: 标题, name_en: title}``
TABLE = ValueType("table", _parse, _describe, description="an official table's title: name, name_en")

SUMMARY_TABLE = spec(
    "summary.table",
    TABLE,
    Scope.REGION,
    "参训人员情况汇总表（文件附表）",
    "the summary table of participants (a document's annex)",
    description=(
        "The region's documents define the 参训人员情况汇总表 (兖教体发〔2022〕82号 附件2): its official title. "
        "Reports include the table only where the policy has this rule."
    ),
)

#: the specs of this module, in catalogue order
SPECS = (SUMMARY_TABLE,)


def summary_table_title(policy: Policy | None, lang: str = "zh") -> str | None:
    """The official title of the policy's 汇总表 in ``lang``; ``None`` when no document of its chain defines one."""
    value = policy.value(SUMMARY_TABLE.id) if policy is not None else None
    return value.title(lang) if isinstance(value, OfficialTable) else None
