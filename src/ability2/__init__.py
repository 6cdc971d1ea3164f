"""ability2: China's teacher IT competency programme 2.0 (能力提升工程2.0) as code.

The public API. Importing ``ability2`` is light: no pandas, numpy, Excel or plotting
libraries are imported until a function needs them.

>>> import ability2
>>> registry = ability2.load_registry()
>>> policy = registry.policy("cn", on=datetime.date(2022, 1, 1))  # doctest: +SKIP
"""

from __future__ import annotations

from ability2.assess import AbilityAssessment, Evidence, assess_ability
from ability2.batch import Batch, EvaluationError, TeacherRow
from ability2.compare import Comparison, compare
from ability2.errors import (
    Ability2Error,
    PolicyDateError,
    PolicyFileError,
    Problem,
    RegistryError,
    UnknownRegionError,
    UnknownRuleError,
)
from ability2.evaluate import evaluate
from ability2.framework import Framework, load_framework
from ability2.hookspecs import hookimpl
from ability2.io.roster import read_roster
from ability2.io.schools import read_schools
from ability2.layer import Layer, NotEncoded, RuleEntry
from ability2.loading import load_layer
from ability2.model import Citation, Competency, Dimension, Document, Environment, Level, Region
from ability2.plugin import package_files
from ability2.policy import Policy, ResolvedRule
from ability2.registry import PluginInfo, Registry, load_registry
from ability2.result import Explanation, Reason, Result, RuleColumn
from ability2.roster import Column, Roster, RosterError, RosterProblem
from ability2.rules.bounds import Bound, Direction
from ability2.rules.catalogue import Catalogue, Kind, RuleSpec, Scope
from ability2.rules.compare import compare_ratio, compare_scaled
from ability2.rules.kind import EntityView, Exemption, PerEntity, RuleKind
from ability2.rules.types import ValueType
from ability2.schools import SchoolTable

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
    "Policy",
    "PolicyDateError",
    "PolicyFileError",
    "Problem",
    "Reason",
    "Region",
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
    "evaluate",
    "hookimpl",
    "load_framework",
    "load_layer",
    "load_registry",
    "package_files",
    "read_roster",
    "read_schools",
]

__version__ = "0.1.0"
