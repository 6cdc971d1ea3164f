"""ability2: China's teacher IT competency programme 2.0 (能力提升工程2.0) as code.

The public API. Importing ``ability2`` is light: no pandas, numpy, Excel or plotting
libraries are imported until a function needs them.

>>> import ability2
>>> registry = ability2.load_registry()
>>> policy = registry.policy("cn", on=datetime.date(2022, 1, 1))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib

#: ``typing.TYPE_CHECKING`` without importing typing (mypy reads any ``TYPE_CHECKING`` as true)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ability2.assess import AbilityAssessment, Evidence, assess_ability
    from ability2.batch import Batch, EvaluationError, TeacherRow
    from ability2.comparison import Comparison, compare
    from ability2.errors import (
        Ability2Error,
        PluginLoadWarning,
        PluginProblem,
        PolicyDateError,
        PolicyFileError,
        Problem,
        RegionUnavailableError,
        RegistryError,
        UnknownRegionError,
        UnknownRuleError,
    )
    from ability2.evaluation import evaluate
    from ability2.framework import Framework, load_framework
    from ability2.hookspecs import hookimpl
    from ability2.io.roster import read_roster
    from ability2.io.schools import read_schools
    from ability2.layer import Layer, NotEncoded, RuleEntry
    from ability2.loading import load_layer
    from ability2.model import Citation, Competency, Dimension, Document, Environment, Level, Region
    from ability2.national import RegionalResult, evaluate_regions
    from ability2.plugin import package_files
    from ability2.policy import Policy, ResolvedRule
    from ability2.registry import PluginInfo, Registry, default_registry, load_registry, reset_default_registry
    from ability2.result import Explanation, Reason, Result, RuleColumn
    from ability2.roster import Column, Roster, RosterError, RosterProblem
    from ability2.rules.bounds import Bound, Direction
    from ability2.rules.catalogue import Catalogue, Kind, RuleSpec, Scope
    from ability2.rules.compare import compare_ratio, compare_scaled
    from ability2.rules.kind import EntityView, Exemption, PerEntity, Reach, RuleKind
    from ability2.rules.types import ValueType
    from ability2.schools import SchoolTable

#: where each public name lives; imported on first use (PEP 562), so ``import ability2`` costs
#: next to nothing and a command pays only for what it uses
_LAZY: dict[str, str] = {
    "Ability2Error": "ability2.errors",
    "AbilityAssessment": "ability2.assess",
    "Batch": "ability2.batch",
    "Bound": "ability2.rules.bounds",
    "Catalogue": "ability2.rules.catalogue",
    "Citation": "ability2.model",
    "Column": "ability2.roster",
    "Comparison": "ability2.comparison",
    "Competency": "ability2.model",
    "Dimension": "ability2.model",
    "Direction": "ability2.rules.bounds",
    "Document": "ability2.model",
    "EntityView": "ability2.rules.kind",
    "Environment": "ability2.model",
    "EvaluationError": "ability2.batch",
    "Evidence": "ability2.assess",
    "Exemption": "ability2.rules.kind",
    "Explanation": "ability2.result",
    "Framework": "ability2.framework",
    "Kind": "ability2.rules.catalogue",
    "Layer": "ability2.layer",
    "Level": "ability2.model",
    "NotEncoded": "ability2.layer",
    "PerEntity": "ability2.rules.kind",
    "PluginInfo": "ability2.registry",
    "PluginLoadWarning": "ability2.errors",
    "PluginProblem": "ability2.errors",
    "Policy": "ability2.policy",
    "PolicyDateError": "ability2.errors",
    "PolicyFileError": "ability2.errors",
    "Problem": "ability2.errors",
    "Reach": "ability2.rules.kind",
    "Reason": "ability2.result",
    "Region": "ability2.model",
    "RegionUnavailableError": "ability2.errors",
    "Registry": "ability2.registry",
    "RegistryError": "ability2.errors",
    "ResolvedRule": "ability2.policy",
    "Result": "ability2.result",
    "Roster": "ability2.roster",
    "RosterError": "ability2.roster",
    "RosterProblem": "ability2.roster",
    "RuleColumn": "ability2.result",
    "RuleEntry": "ability2.layer",
    "RuleKind": "ability2.rules.kind",
    "RuleSpec": "ability2.rules.catalogue",
    "SchoolTable": "ability2.schools",
    "Scope": "ability2.rules.catalogue",
    "TeacherRow": "ability2.batch",
    "UnknownRegionError": "ability2.errors",
    "UnknownRuleError": "ability2.errors",
    "ValueType": "ability2.rules.types",
    "assess_ability": "ability2.assess",
    "compare": "ability2.comparison",
    "compare_ratio": "ability2.rules.compare",
    "compare_scaled": "ability2.rules.compare",
    "evaluate": "ability2.evaluation",
    "evaluate_regions": "ability2.national",
    "RegionalResult": "ability2.national",
    "hookimpl": "ability2.hookspecs",
    "load_framework": "ability2.framework",
    "load_layer": "ability2.loading",
    "load_registry": "ability2.registry",
    "default_registry": "ability2.registry",
    "reset_default_registry": "ability2.registry",
    "package_files": "ability2.plugin",
    "read_roster": "ability2.io.roster",
    "read_schools": "ability2.io.schools",
}

__all__ = [
    "Ability2Error",
    "AbilityAssessment",
    "Batch",
    "Bound",
    "Catalogue",
    "Citation",
    "Column",
    "Comparison",
    "Competency",
    "Dimension",
    "Direction",
    "Document",
    "EntityView",
    "Environment",
    "EvaluationError",
    "Evidence",
    "Exemption",
    "Explanation",
    "Framework",
    "Kind",
    "Layer",
    "Level",
    "NotEncoded",
    "PerEntity",
    "PluginInfo",
    "PluginLoadWarning",
    "PluginProblem",
    "Policy",
    "PolicyDateError",
    "PolicyFileError",
    "Problem",
    "Reach",
    "Reason",
    "Region",
    "RegionUnavailableError",
    "RegionalResult",
    "Registry",
    "RegistryError",
    "ResolvedRule",
    "Result",
    "Roster",
    "RosterError",
    "RosterProblem",
    "RuleColumn",
    "RuleEntry",
    "RuleKind",
    "RuleSpec",
    "SchoolTable",
    "Scope",
    "TeacherRow",
    "UnknownRegionError",
    "UnknownRuleError",
    "ValueType",
    "assess_ability",
    "compare",
    "compare_ratio",
    "compare_scaled",
    "default_registry",
    "evaluate",
    "evaluate_regions",
    "hookimpl",
    "load_framework",
    "load_layer",
    "load_registry",
    "package_files",
    "read_roster",
    "read_schools",
    "reset_default_registry",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ability2' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
