"""Labels in the reader's language: Chinese by default, English on request (``--lang en``)."""

from __future__ import annotations

__all__ = ["LANGUAGES", "label"]

LANGUAGES = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    "id": ("编号", "id"),
    "name": ("名称", "name"),
    "level": ("级别", "level"),
    "parent": ("上级", "parent"),
    "code": ("区划代码", "code"),
    "rule": ("规则", "rule"),
    "title": ("含义", "meaning"),
    "value": ("取值", "value"),
    "layer": ("层级", "layer"),
    "source": ("依据", "source"),
    "policy_of": ("有效政策", "effective policy of"),
    "on": ("日期", "on"),
    "chain": ("层级链", "layers"),
    "replaces": ("取代", "replaces"),
    "not_in_force": ("当日未生效", "not in force on this date"),
    "not_encoded": ("未编码条款", "clauses not encoded"),
    "reason": ("原因", "reason"),
    "plugin": ("插件", "plugin"),
    "version": ("版本", "version"),
    "regions": ("地区", "regions"),
    "hooks": ("钩子", "hooks"),
    "kind": ("类型", "kind"),
    "scope": ("对象", "scope"),
    "nation": ("国家", "nation"),
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
    "school": ("学校", "school"),
    "rules_count": ("条规则", "rules"),
    "evaluated_by": ("评估方式", "evaluated by"),
    "recorded": ("仅记录", "recorded"),
}


def label(key: str, lang: str = "zh") -> str:
    """The label for ``key`` in ``lang`` (``zh`` or ``en``); unknown keys come back as is."""
    pair = _LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
