"""Domain values: citations, documents, regions, environments, dimensions, competencies.

All classes are frozen attrs classes: values, compared by content, safe to share between
policies and threads.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = [
    "Citation",
    "Competency",
    "Dimension",
    "Document",
    "Environment",
    "Level",
    "Region",
]


@attrs.frozen
class Document:
    """A policy document: a law, a notice, a plan, a rubric, a school's own plan.

    ``number`` is the 文号 (document number) such as ``教师〔2019〕1号`` when it has one;
    ``date`` is the date it was issued or took effect, when the sources give it.
    """

    key: str
    title: str
    number: str | None = None
    issuer: str | None = None
    date: dt.date | None = None
    date_note: str | None = None
    url: str | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        """The short name a reader knows the document by: its 文号, else its title."""
        return self.number or f"《{self.title}》"


@attrs.frozen
class Citation:
    """Where a rule comes from: a document and the clause inside it.

    ``quote`` holds the clause's own words when the data gives them, so that a verdict can
    show the text beside the rule (as Catala does).
    """

    document: Document
    clause: str
    quote: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        return f"{self.document.label} {self.clause}".strip()


class Level(enum.Enum):
    """The administrative level of a region, from the nation down to one school."""

    NATION = "nation"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    SCHOOL = "school"

    @property
    def rank(self) -> int:
        """0 for the nation, 4 for a school: a child's rank is always larger."""
        return list(Level).index(self)


@attrs.frozen
class Region:
    """A body that issues rules. ``id`` is a slash path of lowercase pinyin, parent first."""

    id: str
    name: str
    level: Level
    parent: str | None
    code: str | None = None
    name_en: str | None = None


@attrs.frozen
class Environment:
    """One of the three teaching environments (多媒体 / 混合 / 智慧)."""

    id: str
    letter: str
    name: str
    short_name: str
    name_en: str
    definition: str
    source: Citation


@attrs.frozen
class Dimension:
    """One of the four dimensions (学情分析 / 教学设计 / 学法指导 / 学业评价)."""

    id: str
    name: str
    name_en: str
    source: Citation


@attrs.frozen
class Competency:
    """One of the 30 micro-abilities (微能力点), such as ``A1 技术支持的学情分析``."""

    code: str
    name: str
    name_en: str
    aliases: tuple[str, ...]
    dimension: Dimension
    environment: Environment
    source: Citation
    note: str | None = None

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
