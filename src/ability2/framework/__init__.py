"""The national framework as data: environments, dimensions, the 30 micro-abilities, sheets.

The data lives in YAML beside this module (``data/``), each fact with its source. Load it
with :func:`load_framework`; the result is cached and immutable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

import attrs

from ability2.framework.sheets import Criteria, EvidenceItem, SubmissionSheet, TimeLimit
from ability2.model import Competency, Dimension, Document, Environment

__all__ = [
    "Criteria",
    "EvidenceItem",
    "Framework",
    "SubmissionSheet",
    "TimeLimit",
    "load_framework",
]


@attrs.frozen
class Framework:
    """The national framework: 3 environments, 4 dimensions, 30 micro-abilities and sheets."""

    documents: Mapping[str, Document]
    environments: tuple[Environment, ...]
    dimensions: tuple[Dimension, ...]
    abilities: tuple[Competency, ...]
    sheets: Mapping[str, SubmissionSheet]

    def ability(self, code_or_name: str) -> Competency:
        """Find an ability by code (``A1``, case-insensitive), name or alias.

        Raises :class:`~ability2.errors.UnknownAbilityError` (a ``KeyError``) for any other text.
        """
        from ability2.errors import UnknownAbilityError

        if not isinstance(code_or_name, str):
            raise TypeError(f"a micro-ability is named by its code or name as text, not {type(code_or_name).__name__}")
        wanted = code_or_name.strip()
        for ability in self.abilities:
            if wanted.upper() == ability.code or wanted == ability.name or wanted in ability.aliases:
                return ability
        raise UnknownAbilityError(code_or_name)

    def has_ability(self, code: str) -> bool:
        """Whether ``code`` names one of the 30 abilities."""
        try:
            self.ability(code)
        except KeyError:
            return False
        return True

    def environment(self, env_id: str) -> Environment:
        """The environment with id, letter, name or short name ``env_id``."""
        for env in self.environments:
            if env_id in (env.id, env.letter, env.name, env.short_name):
                return env
        raise KeyError(f"unknown environment {env_id!r}; use one of {[e.id for e in self.environments]}")

    def dimension(self, dim_id: str) -> Dimension:
        """The dimension with id or name ``dim_id``."""
        for dim in self.dimensions:
            if dim_id in (dim.id, dim.name):
                return dim
        raise KeyError(f"unknown dimension {dim_id!r}; use one of {[d.id for d in self.dimensions]}")

    def sheet(self, code: str) -> SubmissionSheet | None:
        """The submission sheet of ability ``code``, or ``None`` when our sources lack it."""
        return self.sheets.get(self.ability(code).code)

    def __iter__(self) -> Iterator[Competency]:
        return iter(self.abilities)


@functools.cache
def load_framework() -> Framework:
    """Load the bundled national framework data (cached)."""
    from ability2.framework.loading import load_bundled_framework

    return load_bundled_framework()
