"""Policy files (YAML) to layers, through cattrs, with errors that name file, key and line.

Loading happens in two steps, so that a county's file may cite a document its province's
file declares:

1. :func:`parse_layer` reads one file: safe YAML, unknown keys refused, types checked.
2. :func:`build_layer` gives the parsed file meaning against the document bibliography,
   the rule catalogue and the national framework: rule ids, boundary words, bases, values,
   dates. Every problem in the file is collected before one :class:`PolicyFileError` is raised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ability2.converting import Structurer, did_you_mean, iter_problems, kind_of, quoted, said
from ability2.datafiles import read_source_text, to_document
from ability2.errors import PolicyFileError, Problem
from ability2.framework import Framework
from ability2.layer import Layer, NotEncoded, RuleEntry, Supersession
from ability2.messages import Message, msg
from ability2.model import Citation, Document, Level, Region
from ability2.rules.bounds import Bound, Direction
from ability2.rules.catalogue import Catalogue, RuleSpec, builtin_catalogue
from ability2.rules.values import Phase
from ability2.schema import RawEntry, RawLayerFile, RawSource
from ability2.yamlcache import read_cached
from ability2.yamldoc import PathPart, YamlDocument

if TYPE_CHECKING:
    from ability2.datafiles import SourceLike

__all__ = [
    "ParsedLayer",
    "SourceLike",
    "build_layer",
    "load_layer",
    "parse_layer",
    "read_source_text",
    "to_document",
]

#: structures policy data as the strict converter does (``STRUCTURER.converter``, made when first needed)
STRUCTURER = Structurer()
_REGION_ID = re.compile(r"^[a-z][a-z0-9_-]*(/[a-z][a-z0-9_-]*)*$")
_CODE = re.compile(r"^\d{6,12}$")
#: what a boundary word states, and what kind of rule a spec is (``None``: a plain rule)
_DIRECTION_WORDS: dict[Direction | None, Message] = {
    Direction.MIN: msg("direction.min"),
    Direction.MAX: msg("direction.max"),
    Direction.EXACT: msg("direction.exact"),
    Direction.APPROX: msg("direction.approx"),
    None: msg("direction.plain"),
}


@attrs.frozen
class ParsedLayer:
    """A policy file read and type-checked, not yet resolved against other files."""

    yaml: YamlDocument
    raw: RawLayerFile

    @property
    def name(self) -> str:
        """The file's name, as errors show it."""
        return self.yaml.name

    @property
    def region_id(self) -> str:
        """The id of the region the file declares."""
        return self.raw.region.id


def _structure(
    doc: YamlDocument, data: Any, cls: type[Any], path: tuple[PathPart, ...], problems: list[Problem]
) -> Any:
    try:
        return STRUCTURER.structure(data, cls)
    except Exception as exc:
        from cattrs.errors import BaseValidationError  # imported by now: only the converter raises

        if isinstance(exc, BaseValidationError):
            problems.extend(doc.problem(p, m) for p, m in iter_problems(exc, path))
        elif isinstance(exc, TypeError | ValueError):
            problems.append(doc.problem(path, said(exc)))
        else:
            raise
    return None


def __getattr__(name: str) -> Any:
    """``CONVERTER`` (the strict cattrs converter) and ``SourceLike``, made on first use."""
    if name == "CONVERTER":
        return STRUCTURER.converter
    if name == "SourceLike":
        from ability2 import datafiles

        return datafiles.SourceLike
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parse_layer(source: SourceLike) -> ParsedLayer:
    """Read one policy file: safe YAML, shape and types. Raises :class:`PolicyFileError`."""
    text, name = read_source_text(source)
    doc = read_cached(text, name)
    if not isinstance(doc.data, dict):
        raise PolicyFileError([Problem(name, "", msg("policy.file_not_mapping"))])
    problems: list[Problem] = []
    for key in ("rules", "supersedes"):
        if key in doc.data and not isinstance(doc.data[key], dict):
            raise PolicyFileError(
                [
                    doc.problem(
                        (key,),
                        msg("policy.rules_not_mapping", key=key, kind=kind_of(doc.data[key])),
                    )
                ]
            )
    raw = _structure(doc, doc.data, RawLayerFile, (), problems)
    if raw is not None and not isinstance(raw.rules, dict):
        problems.append(doc.problem(("rules",), msg("policy.rules_not_mapping", key="rules", kind=kind_of(raw.rules))))
    if problems:
        raise PolicyFileError(problems)
    return ParsedLayer(doc, raw)


def _suggest(word: str, candidates: Iterable[str]) -> Message | str:
    return did_you_mean(word, candidates)


class _LayerBuilder:
    def __init__(
        self,
        parsed: ParsedLayer,
        bibliography: Mapping[str, Document],
        catalogue: Catalogue,
        framework: Framework,
    ) -> None:
        self.doc = parsed.yaml
        self.raw = parsed.raw
        self.catalogue = catalogue
        self.framework = framework
        self.problems: list[Problem] = []
        self.own_documents = {key: to_document(key, raw) for key, raw in self.raw.documents.items()}
        self.documents = {**bibliography, **self.own_documents}

    def problem(self, path: tuple[PathPart, ...], message: Message | str) -> None:
        self.problems.append(self.doc.problem(path, message))

    # -- region ---------------------------------------------------------------------
    def region(self) -> Region | None:
        raw = self.raw.region
        ok = True
        if not _REGION_ID.match(raw.id):
            self.problem(
                ("region", "id"),
                msg("policy.bad_region_id", id=raw.id),
            )
            ok = False
        try:
            level = Level(raw.level)
        except ValueError:
            self.problem(
                ("region", "level"),
                msg("policy.unknown_level", level=raw.level, levels=tuple(quoted(lv.value) for lv in Level)),
            )
            ok = False
            level = Level.SCHOOL
        if raw.id == "cn":
            if raw.parent is not None:
                self.problem(("region", "parent"), msg("policy.nation_has_no_parent"))
        elif raw.parent is None:
            self.problem(("region", "parent"), msg("policy.parent_missing"))
            ok = False
        else:
            expected = raw.id.rsplit("/", 1)[0] if "/" in raw.id else "cn"
            if raw.parent != expected:
                self.problem(
                    ("region", "parent"),
                    msg("policy.parent_mismatch", parent=raw.parent, id=raw.id, expected=expected),
                )
                ok = False
        code = raw.code
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if code is not None and not (isinstance(code, str) and _CODE.match(code)):
            self.problem(("region", "code"), msg("policy.bad_region_code", code=str(raw.code)))
            code = None
        if not ok:
            return None
        return Region(raw.id, raw.name, level, raw.parent, code, raw.name_en)

    # -- citations -------------------------------------------------------------------
    def citation(self, raw: RawSource, path: tuple[PathPart, ...]) -> Citation | None:
        document = self.documents.get(raw.document)
        if document is None:
            self.problem(
                (*path, "document"),
                msg("policy.unknown_document", document=raw.document, hint=_suggest(raw.document, self.documents)),
            )
            return None
        if not raw.clause.strip():
            self.problem((*path, "clause"), msg("policy.clause_missing"))
            return None
        return Citation(document, raw.clause, raw.quote, raw.note)

    def sources(self, data: Any, path: tuple[PathPart, ...]) -> tuple[Citation, ...]:
        if data is None:
            self.problem(path, msg("policy.source_missing"))
            return ()
        items = data if isinstance(data, list) else [data]
        if not items:
            self.problem(path, msg("policy.sources_empty"))
            return ()
        out: list[Citation] = []
        for index, item in enumerate(items):
            item_path = (*path, index) if isinstance(data, list) else path
            raw = _structure(self.doc, item, RawSource, item_path, self.problems)
            if raw is not None:
                citation = self.citation(raw, item_path)
                if citation is not None:
                    out.append(citation)
        return tuple(out)

    # -- rules -----------------------------------------------------------------------
    def entries(self) -> list[RuleEntry]:
        out: list[RuleEntry] = []
        for rule_id, data in self.raw.rules.items():
            path: tuple[PathPart, ...] = ("rules", rule_id)
            if not isinstance(rule_id, str):
                self.problem(path, msg("policy.rule_id_not_text"))
                continue
            spec = self.catalogue.find(rule_id)
            if spec is None:
                known = [s.id for s in self.catalogue if not s.family]
                self.problem(
                    path,
                    msg("policy.unknown_rule", rule=rule_id, hint=_suggest(rule_id, known)),
                )
                continue
            raws = data if isinstance(data, list) else [data]
            built: list[RuleEntry] = []
            for index, raw_entry in enumerate(raws):
                entry_path = (*path, index) if isinstance(data, list) else path
                entry = self.entry(spec, rule_id, raw_entry, entry_path)
                if entry is not None:
                    built.append(entry)
            self.check_overlaps(rule_id, built, path)
            out.extend(built)
        return out

    def check_overlaps(self, rule_id: str, entries: list[RuleEntry], path: tuple[PathPart, ...]) -> None:
        ordered = sorted(entries, key=lambda e: e.valid_from)
        for before, after in itertools.pairwise(ordered):
            if before.valid_until is None or before.valid_until >= after.valid_from:
                self.problem(
                    path,
                    msg("policy.overlap", rule=rule_id, date=after.valid_from.isoformat()),
                )

    def entry(self, spec: RuleSpec, rule_id: str, data: Any, path: tuple[PathPart, ...]) -> RuleEntry | None:
        if not isinstance(data, dict):
            self.problem(path, msg("policy.entry_not_mapping"))
            return None
        before = len(self.problems)
        raw: RawEntry | None = _structure(self.doc, data, RawEntry, path, self.problems)
        if raw is None:
            return None
        sources = self.sources(raw.source, (*path, "source"))
        bound = self.bound(spec, raw.bound, path)
        basis = self.basis(spec, raw.basis, path)
        value = self.value(spec, raw.value, (*path, "value"))
        valid_from = raw.from_
        if valid_from is None and sources:
            valid_from = sources[0].document.date
            if valid_from is None:
                self.problem(path, msg("policy.document_undated", document=sources[0].document.key))
        if raw.until is not None and valid_from is not None and raw.until < valid_from:
            self.problem(
                (*path, "until"),
                msg("policy.until_before_from", until=raw.until.isoformat(), start=valid_from.isoformat()),
            )
        if isinstance(value, Phase) and not value.start_stated and valid_from is not None:
            # a start no document states: the phase can hold from the day the rule takes effect
            if value.end < valid_from:
                self.problem(
                    (*path, "value", "end"),
                    msg("policy.phase_ends_early", end=value.end.isoformat(), start=valid_from.isoformat()),
                )
            value = attrs.evolve(value, start=valid_from)
        if len(self.problems) > before or valid_from is None:
            return None
        return RuleEntry(
            rule_id=rule_id,
            value=value,
            sources=sources,
            valid_from=valid_from,
            valid_until=raw.until,
            bound=bound,
            basis=basis,
            note=raw.note,
            decision=raw.decision,
            replaces=raw.replaces,
            file=self.doc.name,
            line=self.doc.line_of(path),
        )

    def bound(self, spec: RuleSpec, word: str | None, path: tuple[PathPart, ...]) -> Bound | None:
        if not spec.value_type.bounded:
            if word is not None:
                self.problem((*path, "bound"), msg("policy.bound_not_taken", rule=spec.id, type=spec.type_name))
            return None
        if word is None:
            self.problem(
                (*path, "bound"),
                msg("policy.bound_missing", words=("不少于", "以上", "不超过", "以内")),
            )
            return None
        try:
            bound = Bound(word)
        except ValueError as exc:
            self.problem((*path, "bound"), said(exc))
            return None
        direction = bound.direction
        allowed = {Direction.EXACT, Direction.APPROX} if spec.direction is None else {spec.direction, Direction.EXACT}
        if spec.direction is None and direction in (Direction.MIN, Direction.MAX):
            allowed.add(direction)
        if direction not in allowed:
            self.problem(
                (*path, "bound"),
                msg(
                    "policy.bound_direction",
                    word=word,
                    stated=_DIRECTION_WORDS[direction],
                    rule=spec.id,
                    wanted=_DIRECTION_WORDS[spec.direction],
                ),
            )
            return None
        return bound

    def basis(self, spec: RuleSpec, basis: str | None, path: tuple[PathPart, ...]) -> str | None:
        if not spec.bases:
            if basis is not None:
                self.problem((*path, "basis"), msg("policy.no_bases", rule=spec.id))
            return None
        if basis is None:
            return spec.bases[0]
        if basis not in spec.bases:
            self.problem(
                (*path, "basis"),
                msg("policy.unknown_basis", basis=basis, rule=spec.id, bases=tuple(quoted(b) for b in spec.bases)),
            )
            return None
        return basis

    def value(self, spec: RuleSpec, data: Any, path: tuple[PathPart, ...]) -> Any:
        """The value read by the spec's value type (:mod:`ability2.rules.types`)."""
        context = _ParseContext(self, spec, path)
        try:
            return spec.value_type.parse(data, context)
        except KeyError as exc:
            self.problem(path, said(exc))
        except (TypeError, ValueError, ArithmeticError) as exc:
            self.problem(path, said(exc))
        return None

    def not_encoded(self) -> list[NotEncoded]:
        from ability2.notencoded import LABELS

        out = []
        for index, item in enumerate(self.raw.not_encoded):
            citation = self.citation(item.source, ("not_encoded", index, "source"))
            if item.label is not None and item.label not in LABELS:
                self.problem(
                    ("not_encoded", index, "label"),
                    msg(
                        "policy.unknown_label",
                        label=item.label,
                        hint=_suggest(item.label, LABELS),
                        labels=tuple(quoted(label) for label in LABELS),
                    ),
                )
                continue
            if citation is not None:
                out.append(NotEncoded(citation, item.reason, item.label))
        return out

    def supersedes(self, stated: Iterable[str]) -> list[Supersession]:
        """The inherited rules this layer's documents set aside (checked against ancestors at assembly)."""
        own = set(stated)
        out = []
        for rule_id, raw in self.raw.supersedes.items():
            path: tuple[PathPart, ...] = ("supersedes", rule_id)
            if self.catalogue.find(rule_id) is None:
                self.problem(path, msg("policy.unknown_rule", rule=rule_id, hint=""))
                continue
            if rule_id in own:
                self.problem(
                    path,
                    msg("policy.supersedes_own", rule=rule_id),
                )
                continue
            sources = self.sources(raw.source, (*path, "source"))
            by = raw.by if isinstance(raw.by, list) else None
            if by is None or not all(isinstance(other, str) for other in by):
                self.problem((*path, "by"), msg("policy.by_not_list"))
                continue
            for index, other in enumerate(by):
                if other not in own:
                    self.problem(
                        (*path, "by", index),
                        msg("policy.by_not_own", other=other, rule=rule_id),
                    )
            valid_from = raw.from_
            if valid_from is None and sources:
                valid_from = sources[0].document.date
                if valid_from is None:
                    self.problem(path, msg("policy.document_undated", document=sources[0].document.key))
            if not sources or valid_from is None:
                continue
            out.append(
                Supersession(
                    rule_id,
                    sources,
                    valid_from,
                    tuple(by),
                    raw.decision,
                    file=self.doc.name,
                    line=self.doc.line_of(path),
                )
            )
        return out


@attrs.define
class _ParseContext:
    """What a value type's reader sees of the file being loaded (see ``rules.types.ParseContext``)."""

    builder: _LayerBuilder
    spec: RuleSpec
    path: tuple[PathPart, ...]

    @property
    def framework(self) -> Framework:
        return self.builder.framework

    def structure(self, data: Any, cls: type[Any], path: tuple[PathPart, ...]) -> Any:
        return _structure(self.builder.doc, data, cls, path, self.builder.problems)

    def problem(self, path: tuple[PathPart, ...], message: Message | str) -> None:
        self.builder.problem(path, message)

    def knows_rule(self, rule_id: str) -> bool:
        return self.builder.catalogue.find(rule_id) is not None


def build_layer(
    parsed: ParsedLayer,
    *,
    bibliography: Mapping[str, Document],
    catalogue: Catalogue,
    framework: Framework,
    plugin: str | None = None,
) -> Layer:
    """Give a parsed file meaning; raises :class:`PolicyFileError` listing every problem."""
    builder = _LayerBuilder(parsed, bibliography, catalogue, framework)
    region = builder.region()
    entries = builder.entries()
    not_encoded = builder.not_encoded()
    supersedes = builder.supersedes(str(key) for key in builder.raw.rules)
    if builder.problems or region is None:
        raise PolicyFileError(builder.problems)
    return Layer(
        region=region,
        entries=tuple(entries),
        documents=tuple(builder.own_documents.values()),
        not_encoded=tuple(not_encoded),
        file=parsed.name,
        plugin=plugin,
        supersedes=tuple(supersedes),
    )


def load_layer(
    source: SourceLike,
    *,
    catalogue: Catalogue | None = None,
    framework: Framework | None = None,
    bibliography: Mapping[str, Document] | None = None,
) -> Layer:
    """Parse and build one policy file on its own (the framework's documents are known)."""
    from ability2.framework import load_framework

    framework = framework or load_framework()
    parsed = parse_layer(source)
    return build_layer(
        parsed,
        bibliography={**framework.documents, **(bibliography or {})},
        catalogue=catalogue or builtin_catalogue(),
        framework=framework,
    )
