"""Loading what can be loaded: the regions of sound plugins, when another plugin is broken.

:func:`ability2.load_registry` first assembles every plugin's policy files strictly
(:func:`ability2.registry.assemble`). Only when that fails, and strict mode is off,
:func:`assemble_tolerant` finds out which plugins are to blame, leaves them out and
assembles the rest: a file that does not parse or build, a document key declared
differently, a region declared twice, a parent no plugin declares, a level that does not go
down the tree, a code used twice, an override without ``replaces``. Each finding becomes a
:class:`~ability2.errors.PluginProblem` naming the plugin, the file and line where known.

A plugin is left out whole (its files are released together and cite each other); a region
of a sound plugin whose ancestor was left out is not served either, and one ``inherits``
problem per plugin and broken ancestor says so. The healthy path never runs this module.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from ability2.converting import quoted
from ability2.errors import PluginProblem, PolicyFileError, Problem
from ability2.messages import Message, msg

if TYPE_CHECKING:
    from ability2.datafiles import SourceLike
    from ability2.framework import Framework
    from ability2.layer import Layer
    from ability2.loading import ParsedLayer
    from ability2.rules.catalogue import Catalogue

__all__ = ["Kept", "assemble_tolerant", "from_problems", "peek_region"]


@attrs.frozen
class Kept:
    """What tolerant assembly keeps: the sound layers, their files, and the regions declared but not served."""

    layers: dict[str, Layer]
    sources: list[tuple[str, SourceLike]]
    #: region id -> (its code, the problems that keep it out)
    unavailable: dict[str, tuple[str | None, tuple[PluginProblem, ...]]]


def from_problems(plugin: str, kind: str, problems: Sequence[Problem]) -> list[PluginProblem]:
    """File problems (:class:`~ability2.errors.Problem`) as the plugin's problems."""
    return [PluginProblem(plugin, kind, p.message, p.file or None, p.line, p.path) for p in problems]


def peek_region(source: SourceLike) -> tuple[str | None, str | None]:
    """The region id and code a policy file declares, read loosely from its YAML (``None`` where unreadable)."""
    from ability2.datafiles import read_source_text
    from ability2.yamlio import read_yaml

    try:
        text, name = read_source_text(source)
        data = read_yaml(text, name).data
    except Exception:  # the file's own problem is reported already; this is a best guess
        return None, None
    region = data.get("region") if isinstance(data, dict) else None
    if not isinstance(region, dict):
        return None, None
    region_id, code = region.get("id"), region.get("code")
    return (
        region_id.strip().strip("/").lower() if isinstance(region_id, str) and region_id.strip() else None,
        str(code).strip() if isinstance(code, str | int) and not isinstance(code, bool) else None,
    )


class _Round:
    """One pass over the files still in: what is wrong, by plugin, and which layers lost their parent."""

    def __init__(
        self,
        items: Sequence[tuple[str, ParsedLayer]],
        gone: Mapping[str, str],
        early: Sequence[str] = (),
        others: Sequence[ParsedLayer] = (),
        keep: frozenset[str] = frozenset(),
    ) -> None:
        self.items = items
        self.keep = keep  # plugins never left out (the core's, those asked for by name): a clash is the other's
        self.others = others  # files that parsed but are out (left out, or under a region gone): cited, not built
        self.gone = gone  # region id -> the broken plugin it is gone because of
        self.early = early  # plugins left out before their regions were known (an import, a hook)
        self.bad: dict[str, list[PluginProblem]] = {}
        self.orphans: dict[str, tuple[str, str, str]] = {}  # file -> (plugin, region id, cause)
        self.layers: dict[str, Layer] = {}
        self.twice: set[str] = set()
        self.plugin_of: dict[str, str] = {}  # region id -> plugin

    def _not_kept(self, sides: tuple[str, ...]) -> str | None:
        """Of two plugins that clash, the one to blame alone when the other is never left out (else ``None``)."""
        if len(sides) == 2 and (sides[0] in self.keep) != (sides[1] in self.keep):
            return sides[1] if sides[0] in self.keep else sides[0]
        return None

    def blame(self, plugin: str, kind: str, message: Message | str, problem: Problem | None = None) -> None:
        found = (
            PluginProblem(plugin, kind, message)
            if problem is None
            else PluginProblem(plugin, kind, problem.message, problem.file or None, problem.line, problem.path)
        )
        self.bad.setdefault(plugin, []).append(found)

    def run(self, framework: Framework, catalogue: Catalogue) -> None:
        from ability2.loading import build_layer, to_document
        from ability2.model import Document

        bibliography: dict[str, Document] = dict(framework.documents)
        declared_in: dict[str, Message | str] = {key: msg("tree.national_framework") for key in framework.documents}
        for plugin, item in self.items:
            for key, raw in item.raw.documents.items():
                document = to_document(key, raw)
                if key in bibliography and bibliography[key] != document:
                    where = item.yaml.problem(("documents", key), "")
                    message = msg("tree.document_twice", key=key, where=declared_in[key])
                    self.blame(plugin, "policy", message, Problem(where.file, where.path, message, where.line))
                    continue
                bibliography[key] = document
                declared_in.setdefault(key, item.name)
        for dropped in self.others:  # a file still in may cite a document of a file that is out (its parent's)
            for key, raw in dropped.raw.documents.items():
                bibliography.setdefault(key, to_document(key, raw))
        for plugin, item in self.items:
            try:
                layer = build_layer(
                    item, bibliography=bibliography, catalogue=catalogue, framework=framework, plugin=plugin
                )
            except PolicyFileError as exc:
                self.bad.setdefault(plugin, []).extend(from_problems(plugin, "policy", exc.problems))
                continue
            region_id = layer.region.id
            other = self.layers.get(region_id)
            if other is not None:
                message = msg(
                    "tree.region_twice",
                    region=region_id,
                    first_file=str(other.file),
                    first_plugin=other.plugin,
                    second_file=str(layer.file),
                    second_plugin=layer.plugin,
                )
                sides = tuple(dict.fromkeys((self.plugin_of[region_id], plugin)))
                wrong = self._not_kept(sides)
                if wrong is not None:  # the kept plugin's region stands; the other plugin is out
                    self.blame(wrong, "tree", message)
                    if wrong != plugin:
                        self.layers[region_id], self.plugin_of[region_id] = layer, plugin
                    continue
                for who in sides:
                    self.blame(who, "tree", message)
                self.twice.add(region_id)
                continue
            self.layers[region_id] = layer
            self.plugin_of[region_id] = plugin
        for region_id in self.twice:
            self.layers.pop(region_id, None)
        self._tree()

    def _tree(self) -> None:
        from ability2.layer import check_overrides, check_supersessions

        layers = self.layers
        codes: dict[str, str] = {}
        # regions out this round already (a file that did not build, a region declared twice): their
        # children are judged next round, when it is known that the parent is gone
        out = self.twice | {item.raw.region.id for plugin, item in self.items if plugin in self.bad}
        for region_id, layer in layers.items():
            plugin = self.plugin_of[region_id]
            parent = layer.region.parent
            if parent is not None and parent not in layers:
                if parent in out:
                    continue
                if parent in self.gone:
                    self.orphans[str(layer.file)] = (plugin, region_id, self.gone[parent])
                else:
                    hint = (
                        msg("tree.parent_maybe_broken", plugins=tuple(quoted(p) for p in self.early))
                        if self.early
                        else ""
                    )
                    self.blame(
                        plugin,
                        "tree",
                        msg("tree.parent_unknown", region=region_id, file=str(layer.file), parent=parent, hint=hint),
                        Problem(
                            str(layer.file), "region.parent", msg("tree.names_parent_unknown", parent=parent, hint=hint)
                        ),
                    )
            elif parent is not None and layers[parent].region.level.rank >= layer.region.level.rank:
                self.blame(
                    plugin,
                    "tree",
                    msg(
                        "tree.level_order",
                        region=region_id,
                        level=layer.region.level.value,
                        file=str(layer.file),
                        parent=parent,
                        parent_level=layers[parent].region.level.value,
                        parent_file=str(layers[parent].file),
                    ),
                )
            code = layer.region.code
            if code is not None:
                if code in codes:
                    message = msg(
                        "tree.code_twice",
                        code=code,
                        first=codes[code],
                        first_file=str(layers[codes[code]].file),
                        second=region_id,
                        second_file=str(layer.file),
                    )
                    sides = tuple(dict.fromkeys((self.plugin_of[codes[code]], plugin)))
                    wrong = self._not_kept(sides)
                    for who in sides if wrong is None else (wrong,):
                        self.blame(who, "tree", message)
                codes[code] = region_id
        if self.bad or self.orphans:
            return  # overrides are checked on a sound tree
        file_plugin: dict[str, str] = {}
        for region_id, layer in layers.items():
            file_plugin[str(layer.file)] = self.plugin_of[region_id]
            file_plugin.update((entry.file, self.plugin_of[region_id]) for entry in layer.entries if entry.file)
        for problem in [*check_overrides(layers), *check_supersessions(layers)]:
            owner = file_plugin.get(problem.file)
            if owner is not None:  # every problem names one of these files
                self.blame(owner, "policy", problem.message, problem)


def assemble_tolerant(
    *,
    sources: Sequence[tuple[str, SourceLike]],
    framework: Framework,
    catalogue: Catalogue,
    problems: list[PluginProblem],
    keep: Collection[str] = (),
) -> Kept:
    """Every sound plugin's layers; appends to ``problems`` what was left out and why.

    ``keep``: plugins never left out (the core's, and those asked for by name); where one of
    them clashes with another plugin (a region or a code declared by both), the other is blamed.
    """
    from ability2.loading import parse_layer

    early = tuple(dict.fromkeys(p.plugin for p in problems))

    parsed: list[tuple[str, ParsedLayer]] = []
    broken: dict[str, list[PluginProblem]] = {}
    declared: dict[str, list[tuple[str, str | None]]] = {}  # plugin -> its regions (id, code)
    for plugin, source in sources:
        try:
            item = parse_layer(source)
        except PolicyFileError as exc:
            broken.setdefault(plugin, []).extend(from_problems(plugin, "policy", exc.problems))
            region_id, code = peek_region(source)
            if region_id is not None:
                declared.setdefault(plugin, []).append((region_id, code))
            continue
        parsed.append((plugin, item))
        declared.setdefault(plugin, []).append((item.raw.region.id, item.raw.region.code))
    gone: dict[str, str] = {}  # region id -> the broken plugin it is gone because of
    orphans: dict[tuple[str, str], list[str]] = {}  # (plugin, cause) -> regions
    dropped: set[str] = set()  # files of regions whose ancestor is gone
    layers: dict[str, Layer] = {}
    for _ in range(len(parsed) + 1):
        for plugin in broken:
            for region_id, _code in declared.get(plugin, ()):
                gone.setdefault(region_id, plugin)
        items = [(p, item) for p, item in parsed if p not in broken and item.name not in dropped]
        others = [item for p, item in parsed if p in broken or item.name in dropped]
        round_ = _Round(items, gone, early, others, frozenset(keep))
        round_.run(framework, catalogue)
        for plugin, found in round_.bad.items():
            broken.setdefault(plugin, []).extend(found)
        if not round_.bad:
            for file, (plugin, region_id, cause) in round_.orphans.items():
                dropped.add(file)
                gone[region_id] = cause
                orphans.setdefault((plugin, cause), []).append(region_id)
        if not round_.bad and not round_.orphans:
            layers = round_.layers
            break
    unavailable: dict[str, tuple[str | None, tuple[PluginProblem, ...]]] = {}
    codes = {region_id: code for found in declared.values() for region_id, code in found}
    for plugin, found in broken.items():
        regions = tuple(dict.fromkeys(r for r, _ in declared.get(plugin, ()) if r not in layers))
        own = tuple(_with_regions(p, regions=regions) for p in found)
        problems.extend(own)
        for region_id in regions:
            unavailable[region_id] = (codes.get(region_id), own)
    for (plugin, cause), orphaned in orphans.items():
        ids = tuple(orphaned)
        inherits = PluginProblem(
            plugin,
            "inherits",
            msg("plugin.inherits_broken", regions=ids, cause=cause),
            regions=ids,
            cause=cause,
        )
        problems.append(inherits)
        for region_id in ids:
            unavailable[region_id] = (codes.get(region_id), (inherits, *_cause_problems(problems, cause)))
    kept = {item.name for plugin, item in parsed if plugin not in broken and item.name not in dropped}
    return Kept(layers, [(plugin, source) for plugin, source in sources if str(source) in kept], unavailable)


def _cause_problems(problems: Sequence[PluginProblem], cause: str) -> tuple[PluginProblem, ...]:
    """The problems of plugin ``cause`` (the broken plugin behind an ``inherits``)."""
    return tuple(p for p in problems if p.plugin == cause and p.kind != "inherits")


def _with_regions(problem: PluginProblem, regions: tuple[str, ...]) -> PluginProblem:
    """The problem, naming the regions not served because of it."""
    import attrs

    evolved: PluginProblem = attrs.evolve(problem, regions=regions)
    return evolved
