"""Read the national framework's YAML data into :class:`~ability2.framework.Framework`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.converting import Structurer, said
from ability2.datafiles import package_folder, read_source_text, to_document
from ability2.errors import PolicyFileError, Problem
from ability2.framework import Framework
from ability2.framework.sheets import Criteria, EvidenceItem, SubmissionSheet, TimeLimit
from ability2.messages import msg
from ability2.model import Citation, Competency, Dimension, Document, Environment
from ability2.rules.bounds import Bound
from ability2.schema import RawAbilitiesFile, RawDocumentsFile, RawItem, RawSheetsFile, RawSource
from ability2.yamlcache import read_cached
from ability2.yamldoc import YamlDocument

if TYPE_CHECKING:
    from ability2.datafiles import SourceLike

__all__ = ["load_bundled_framework", "load_sheets"]

_DATA = package_folder("ability2.framework") / "data"

#: structures framework data as the strict converter does (``STRUCTURER.converter``, made when first needed)
STRUCTURER = Structurer()


def __getattr__(name: str) -> Any:
    """``CONVERTER``: the strict cattrs converter, made on first use."""
    if name == "CONVERTER":
        return STRUCTURER.converter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _read(source: SourceLike, cls: type[Any]) -> tuple[YamlDocument, Any]:
    text, name = read_source_text(source)
    doc = read_cached(text, name)
    try:
        return doc, STRUCTURER.structure(doc.data, cls)
    except Exception as exc:
        from cattrs.errors import BaseValidationError  # imported by now: only the converter raises

        from ability2.converting import iter_problems

        if isinstance(exc, BaseValidationError):
            raise PolicyFileError(doc.problem(p, m) for p, m in iter_problems(exc)) from None
        if isinstance(exc, TypeError | ValueError | AttributeError):
            raise PolicyFileError([Problem(name, "", msg("framework.bad_shape", detail=said(exc)))]) from None
        raise


class _Cite:
    def __init__(self, doc: YamlDocument, documents: dict[str, Document]) -> None:
        self.doc = doc
        self.documents = documents
        self.problems: list[Problem] = []

    def __call__(self, raw: RawSource, path: tuple[str | int, ...]) -> Citation:
        document = self.documents.get(raw.document)
        if document is None:
            self.problems.append(
                self.doc.problem((*path, "document"), msg("policy.unknown_document", document=raw.document, hint=""))
            )
            document = Document(raw.document, raw.document)
        return Citation(document, raw.clause, raw.quote, raw.note)


def _item(raw: RawItem) -> EvidenceItem:
    limit = None
    if raw.time_limit is not None:
        limit = TimeLimit(raw.time_limit.minutes, Bound(raw.time_limit.bound), raw.time_limit.in_principle)
    criteria = None
    if raw.criteria is not None:
        criteria = Criteria(tuple(raw.criteria.excellent), tuple(raw.criteria.pass_))
    return EvidenceItem(
        id=raw.id,
        number=raw.number,
        name=raw.name,
        task=raw.task,
        form=raw.form,
        copies=raw.copies,
        time_limit=limit,
        teacher_on_screen=raw.teacher_on_screen,
        criteria=criteria,
        alternatives=tuple(_item(alt) for alt in raw.alternatives),
        note=raw.note,
    )


def load_sheets(
    source: SourceLike, documents: dict[str, Document], ability_codes: set[str]
) -> dict[str, SubmissionSheet]:
    """Read a sheets file; ``documents`` resolves citations, ``ability_codes`` checks codes."""
    doc, raw_file = _read(source, RawSheetsFile)
    raw_file_typed: RawSheetsFile = raw_file
    known = {**documents, **{k: to_document(k, v) for k, v in raw_file_typed.documents.items()}}
    cite = _Cite(doc, known)
    sheets: dict[str, SubmissionSheet] = {}
    for index, raw in enumerate(raw_file_typed.sheets):
        path = ("sheets", index)
        if raw.ability not in ability_codes:
            cite.problems.append(doc.problem((*path, "ability"), msg("ability.unknown", code=raw.ability)))
            continue
        if raw.ability in sheets:
            cite.problems.append(doc.problem((*path, "ability"), msg("framework.second_sheet", ability=raw.ability)))
            continue
        for i_index, item in enumerate(raw.items):
            if item.time_limit is not None:
                try:
                    Bound(item.time_limit.bound)
                except ValueError as exc:
                    cite.problems.append(doc.problem((*path, "items", i_index, "time_limit", "bound"), said(exc)))
        if cite.problems:
            continue
        sheets[raw.ability] = SubmissionSheet(
            ability=raw.ability,
            complete=raw.complete,
            items=tuple(_item(item) for item in raw.items),
            source=cite(raw.source, (*path, "source")),
            description=raw.description,
            note=raw.note,
        )
    if cite.problems:
        raise PolicyFileError(cite.problems)
    return sheets


def load_bundled_framework() -> Framework:
    """Load ``documents.yaml``, ``abilities.yaml`` and ``sheets.yaml`` shipped with ability2."""
    _, raw_docs = _read(_DATA / "documents.yaml", RawDocumentsFile)
    documents = {key: to_document(key, raw) for key, raw in raw_docs.documents.items()}
    doc, raw_abilities = _read(_DATA / "abilities.yaml", RawAbilitiesFile)
    abilities_file: RawAbilitiesFile = raw_abilities
    cite = _Cite(doc, documents)
    environments = tuple(
        Environment(
            e.id, e.letter, e.name, e.short_name, e.name_en, e.definition, cite(e.source, ("environments", i, "source"))
        )
        for i, e in enumerate(abilities_file.environments)
    )
    dimensions = tuple(
        Dimension(d.id, d.name, d.name_en, cite(d.source, ("dimensions", i, "source")))
        for i, d in enumerate(abilities_file.dimensions)
    )
    env_by_id = {e.id: e for e in environments}
    dim_by_id = {d.id: d for d in dimensions}
    abilities = []
    for i, a in enumerate(abilities_file.abilities):
        env = env_by_id.get(a.environment)
        dim = dim_by_id.get(a.dimension)
        if env is None or dim is None:
            cite.problems.append(doc.problem(("abilities", i), msg("framework.unknown_place", ability=a.code)))
            continue
        abilities.append(
            Competency(
                a.code,
                a.name,
                a.name_en,
                tuple(a.aliases),
                dim,
                env,
                cite(a.source, ("abilities", i, "source")),
                a.note,
            )
        )
    if cite.problems:
        raise PolicyFileError(cite.problems)
    sheets = load_sheets(_DATA / "sheets.yaml", documents, {a.code for a in abilities})
    return Framework(documents, environments, dimensions, tuple(abilities), sheets)
