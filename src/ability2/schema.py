"""The shape of the YAML files, as written: the raw classes cattrs structures them into.

These classes mirror the files key for key (unknown keys are refused). Loading turns them
into the domain values of :mod:`ability2.model`, :mod:`ability2.framework` and
:mod:`ability2.layer`, resolving document keys and checking meaning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

__all__ = [
    "RawAbilitiesFile",
    "RawAbility",
    "RawCriteria",
    "RawDimension",
    "RawDocument",
    "RawDocumentsFile",
    "RawEntry",
    "RawEnvironment",
    "RawItem",
    "RawLayerFile",
    "RawNotEncoded",
    "RawRegion",
    "RawSheet",
    "RawSheetsFile",
    "RawSource",
    "RawSupersession",
    "RawTimeLimit",
]


@attrs.define
class RawDocument:
    """A document entry: ``documents: {key: {...}}``."""

    title: str
    number: str | None = None
    issuer: str | None = None
    date: dt.date | None = None
    date_note: str | None = None
    url: str | None = None
    note: str | None = None


@attrs.define
class RawSource:
    """A citation: ``source: {document: key, clause: ..., quote: ...}``."""

    document: str
    clause: str
    quote: str | None = None
    note: str | None = None


@attrs.define
class RawDocumentsFile:
    """``framework/data/documents.yaml``."""

    documents: dict[str, RawDocument]


@attrs.define
class RawEnvironment:
    """An environment entry of ``abilities.yaml``."""

    id: str
    letter: str
    name: str
    short_name: str
    name_en: str
    definition: str
    source: RawSource


@attrs.define
class RawDimension:
    """A dimension entry of ``abilities.yaml``."""

    id: str
    name: str
    name_en: str
    source: RawSource


@attrs.define
class RawAbility:
    """A micro-ability entry of ``abilities.yaml``."""

    code: str
    name: str
    name_en: str
    dimension: str
    environment: str
    source: RawSource
    aliases: list[str] = attrs.Factory(list)
    note: str | None = None


@attrs.define
class RawAbilitiesFile:
    """``framework/data/abilities.yaml``."""

    environments: list[RawEnvironment]
    dimensions: list[RawDimension]
    abilities: list[RawAbility]


@attrs.define
class RawTimeLimit:
    """``time_limit: {minutes: 10, bound: 不超过, in_principle: true}``."""

    minutes: int
    bound: str
    in_principle: bool = False


@attrs.define
class RawCriteria:
    """``criteria: {excellent: [...], pass: [...]}``."""

    excellent: list[str]
    pass_: list[str]


@attrs.define
class RawItem:
    """An evidence item of a submission sheet."""

    id: str
    number: int
    name: str
    task: str
    form: str | None = None
    copies: int = 1
    time_limit: RawTimeLimit | None = None
    teacher_on_screen: bool = False
    criteria: RawCriteria | None = None
    note: str | None = None
    alternatives: list[RawItem] = attrs.Factory(list)
    source: RawSource | None = None


@attrs.define
class RawSheet:
    """A submission sheet of ``sheets.yaml``."""

    ability: str
    complete: bool
    source: RawSource
    items: list[RawItem] = attrs.Factory(list)
    description: str | None = None
    note: str | None = None


@attrs.define
class RawSheetsFile:
    """``framework/data/sheets.yaml`` (or a plugin's sheet file)."""

    sheets: list[RawSheet]
    documents: dict[str, RawDocument] = attrs.Factory(dict)


@attrs.define
class RawRegion:
    """``region: {id, name, level, parent, code}`` of a policy file."""

    id: str
    name: str
    level: str
    parent: str | None = None
    code: Any = None
    name_en: str | None = None


@attrs.define
class RawEntry:
    """One dated value of one rule. ``value``'s shape depends on the rule's kind."""

    value: Any
    source: Any
    bound: str | None = None
    basis: str | None = None
    note: str | None = None
    decision: str | None = None
    from_: dt.date | None = None
    until: dt.date | None = None
    replaces: str | None = None


@attrs.define
class RawNotEncoded:
    """A clause deliberately left out, with the reason: ``not_encoded: [...]``."""

    source: RawSource
    reason: str
    label: str | None = None


@attrs.define
class RawSupersession:
    """An inherited rule the layer's document sets aside: ``supersedes: {rule id: {...}}``."""

    source: Any
    by: Any = attrs.Factory(list)
    decision: str | None = None
    from_: dt.date | None = None


@attrs.define
class RawLayerFile:
    """A policy file: one region's layer. ``rules`` is structured entry by entry."""

    region: RawRegion
    documents: dict[str, RawDocument] = attrs.Factory(dict)
    rules: dict[str, Any] = attrs.Factory(dict)
    not_encoded: list[RawNotEncoded] = attrs.Factory(list)
    supersedes: dict[str, RawSupersession] = attrs.Factory(dict)
