"""The controlled vocabulary of ``not_encoded`` labels: one label for one kind of clause.

A policy file lists the clauses it deliberately leaves out, each with a free-text reason. The
reason says what is particular to the clause; the ``label`` says which kind of clause it is,
from the fixed list below, so that the same kind of duty (a bureau's own team, an
encouragement to appoint a CIO, a funding duty) is labelled alike in every plugin, and the
inventories can be counted and compared across regions. A label outside the list is an
error naming the file, the key path and the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["LABELS", "label_text"]

#: label -> (Chinese, English): what kind of clause it is, and why such a clause is not a rule
LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "aim": (
            "目标、原则或号召：没有可核查的要求",
            "an aim, principle or exhortation: nothing checkable",
        ),
        "approach": (
            "实施路径或方法：未规定数量、日期或条件",
            "how the programme is run (approach, methods, content): no number, date or condition",
        ),
        "authority-duty": (
            "发文机关或其他主管方自身的组织与工作（教育行政部门、项目办、培训机构、学校的领导小组）",
            "the own organisation and work of the issuing body or other authorities (bureaus, "
            "offices, training providers, a school's leading group)",
        ),
        "unrecorded-duty": (
            "学校、教研组或教师的职责，但 ability2 收到的数据不记载，文件也未规定数量或日期",
            "a duty of schools, groups or teachers that no input ability2 receives records, with no number or date",
        ),
        "no-measure": (
            "要求未给出可核查的数量、频次、日期或标准",
            "a requirement with no number, frequency, date or criterion to check against",
        ),
        "encouragement": (
            "鼓励、倡导或可选做法：不是要求",
            "an encouragement or an option, not a requirement",
        ),
        "funding": ("经费与协议", "funding and contracts"),
        "consequence": (
            "结果在本工程之外的用途（职称、评优、考核）",
            "a use of the results outside the programme (titles, awards, appraisal)",
        ),
        "population": (
            "参训范围：以名册所列人员为准",
            "who takes part: whoever the roster lists",
        ),
        "covered": (
            "已由已编码的规则体现",
            "already carried by encoded rules",
        ),
        "source-missing": (
            "所依据的文件原文不在资料中",
            "the text it depends on is not in our sources",
        ),
        "report": (
            "对已发生事项或事实的陈述，不是规则",
            "a report of what was done, or a fact, not a rule",
        ),
        "framework": (
            "属于国家框架（能力点提交指南与评价标准）",
            "belongs to the national framework (submission sheets and criteria)",
        ),
        "layout": (
            "表格版式：由报告生成",
            "the layout of a form or table, produced by the reports",
        ),
        "advice": (
            "操作或后勤建议",
            "practical advice or logistics",
        ),
    }
)


def label_text(label: str, lang: str = "zh") -> str:
    """What ``label`` means, in one language (``zh`` or ``en``)."""
    zh, en = LABELS[label]
    return zh if lang == "zh" else en
