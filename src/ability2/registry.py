"""Plugin discovery, the region tree and policy resolution.

:func:`load_registry` finds plugins through the ``ability2`` entry-point group (plus any
plugin objects passed in), registers them with pluggy, checks their hook implementations
(``check_pending``), loads every layer and builds the region tree. A :class:`Registry` then
answers :meth:`~Registry.policy` for any region and date.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ability2 import hookspecs
from ability2.errors import (
    Ability2Error,
    PolicyDateError,
    PolicyFileError,
    Problem,
    RegistryError,
    UnknownRegionError,
)
from ability2.framework import Framework, load_framework
from ability2.layer import Layer, NotEncoded, RuleEntry
from ability2.loading import ParsedLayer, build_layer, parse_layer, to_document
from ability2.model import Document, Region
from ability2.rules.builtin import BUILTIN_KINDS_PLUGIN, BuiltinKinds
from ability2.rules.catalogue import Catalogue, CatalogueError, RuleSpec, assemble_catalogue
from ability2.rules.kind import RuleKind

if TYPE_CHECKING:
    from ability2.datafiles import SourceLike
    from ability2.policy import Policy, ResolvedRule

__all__ = ["PluginInfo", "Registry", "load_registry"]

ENTRY_POINT_GROUP = "ability2"
BUILTIN_PLUGIN = "ability2.national"


@attrs.frozen
class PluginInfo:
    """What ``ability2 plugins`` shows of one plugin."""

    name: str
    version: str | None
    distribution: str | None
    regions: tuple[str, ...]
    hooks: tuple[str, ...]


class _National:
    """The core's own plugin: the national layer (``cn``)."""

    @hookspecs.hookimpl
    def ability2_policy_files(self) -> list[SourceLike]:
        from ability2.datafiles import package_folder

        return [package_folder("ability2.framework") / "data" / "national.yaml"]


class Registry:
    """Every installed region and its layer; resolves effective policies.

    Build one with :func:`load_registry`. A registry is immutable after loading.
    """

    def __init__(
        self,
        *,
        framework: Framework,
        catalogue: Catalogue,
        layers: Mapping[str, Layer],
        plugins: Sequence[PluginInfo] = (),
        sources: Sequence[tuple[str, SourceLike]] = (),
    ) -> None:
        self.framework = framework
        self.catalogue = catalogue
        self._layers = dict(layers)
        self._plugins = tuple(plugins)
        #: computes ``_plugins`` when first asked (reading distributions' metadata costs start-up time)
        self._pending_plugins: Callable[[], Sequence[PluginInfo]] | None = None
        self._sources = tuple(sources)
        self._children: dict[str, list[str]] = {}
        #: document key -> the region whose file declares it
        self._declared_by: dict[str, str] = {}
        for region_id, layer in self._layers.items():
            if layer.region.parent is not None:
                self._children.setdefault(layer.region.parent, []).append(region_id)
            for document in layer.documents:
                self._declared_by.setdefault(document.key, region_id)

    # -- regions ------------------------------------------------------------------------
    def regions(self) -> list[Region]:
        """Every region, parents before children, siblings by id (``cn`` first)."""
        out: list[Region] = []

        def walk(region_id: str) -> None:
            out.append(self._layers[region_id].region)
            for child in sorted(self._children.get(region_id, ())):
                walk(child)

        if "cn" in self._layers:
            walk("cn")
        return out

    def region(self, name: str | int | Region) -> Region:
        """The region named by id (``shandong/jining/yanzhou``) or GB/T 2260 code (``370812``)."""
        if isinstance(name, Region):
            name = name.id
        if isinstance(name, int) and not isinstance(name, bool):
            name = str(name)  # a GB/T 2260 code given as a number
        if not isinstance(name, str):
            raise TypeError(f"a region is named by its id or code as text, not {type(name).__name__} {name!r}")
        key = name.strip().strip("/").lower()
        if key in self._layers:
            return self._layers[key].region
        for layer in self._layers.values():
            if layer.region.code is not None and layer.region.code == key:
                return layer.region
        import difflib

        candidates = list(self._layers)
        suggestions = difflib.get_close_matches(key, candidates, n=3, cutoff=0.5)
        suggestions += [c for c in candidates if c.endswith("/" + key) and c not in suggestions]
        raise UnknownRegionError(name, suggestions)

    def layer(self, region: str | Region) -> Layer:
        """The layer (own rules) of one region."""
        return self._layers[self.region(region).id]

    def layers(self) -> list[Layer]:
        """Every layer, in :meth:`regions` order."""
        return [self._layers[r.id] for r in self.regions()]

    def chain(self, region: str | int | Region) -> tuple[Region, ...]:
        """The region's ancestors and itself: ``cn`` first, the region last."""
        current: Region | None = self.region(region)
        out: list[Region] = []
        while current is not None:
            out.append(current)
            current = self._layers[current.parent].region if current.parent is not None else None
        return tuple(reversed(out))

    def effective_from(self, region: str | int | Region) -> dt.date | None:
        """The first day the region's own rules (or, if it has none, its nearest ruled ancestor's) hold.

        A rule known only through a lower region's document (山东省's completion date, which only
        兖州区's notice reports) is not the region's own: a province or city known only that way
        falls back, like one with no rules, to its nearest ancestor with rules of its own (in
        the end the national layer). Before that rule's own date the policy simply does not
        have it.
        """
        for ancestor in reversed(self.chain(region)):
            layer = self._layers[ancestor.id]
            first = layer.own_effective_from(functools.partial(self.reported_only, ancestor.id))
            if first is not None:
                return first
        return None

    def reported_only(self, region_id: str, entry: RuleEntry) -> bool:
        """Whether every source of ``entry`` is a document declared by a region below ``region_id``.

        Such a rule is known only through a lower region's document: the region's own text is
        not in our sources.
        """
        prefix = region_id + "/" if region_id != "cn" else ""
        for citation in entry.sources:
            holder = self._declared_by.get(citation.document.key)
            if holder is None or holder == region_id or not holder.startswith(prefix):
                return False
        return bool(entry.sources)

    def plugins(self) -> list[PluginInfo]:
        """The plugins that supplied regions or hooks, as ``ability2 plugins`` lists them."""
        pending = self._pending_plugins
        if pending is not None:
            self._plugins = tuple(pending())
            self._pending_plugins = None
        return list(self._plugins)

    def sources(self) -> list[tuple[str, SourceLike]]:
        """Every policy file loaded, with the plugin that supplied it."""
        return list(self._sources)

    # -- policies -----------------------------------------------------------------------
    def policy(self, region: str | int | Region, on: dt.date | None = None) -> Policy:
        """The effective policy of ``region`` on ``on`` (default: today).

        Raises :class:`UnknownRegionError` for an unknown region and
        :class:`PolicyDateError` for a date before the region's rules take effect.
        """
        from ability2.policy import InactiveRule, Policy, ResolvedRule, SupersededRule

        on = on or dt.date.today()
        if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
            raise TypeError(f"on must be a datetime.date, got {on!r}")
        target = self.region(region)
        chain = self.chain(target)
        first = self.effective_from(target)
        if first is None or on < first:
            when = f"take effect on {first}" if first else "are not defined"
            raise PolicyDateError(
                f"no policy for {target.id} ({target.name}) on {on}: its rules {when}; ask for a date on or after it"
            )
        resolved: dict[str, ResolvedRule] = {}
        inactive: list[InactiveRule] = []
        superseded: dict[str, SupersededRule] = {}
        not_encoded: list[tuple[str, NotEncoded]] = []
        for region_in_chain in chain:
            layer = self._layers[region_in_chain.id]
            not_encoded.extend((layer.region.id, item) for item in layer.not_encoded)
            for supersession in layer.supersedes:
                if not supersession.holds_on(on):
                    continue
                gone = resolved.pop(supersession.rule_id, None)
                if gone is not None:
                    superseded[gone.id] = SupersededRule(gone, layer.region.id, supersession)
            for rule_id in layer.rule_ids():
                entries = layer.entries_for(rule_id)
                current = next((e for e in entries if e.holds_on(on)), None)
                if current is None:
                    inactive.extend(InactiveRule(rule_id, layer.region.id, e) for e in entries)
                    continue
                previous = resolved.get(rule_id)
                overridden: tuple[tuple[str, Any], ...] = ()
                if previous is not None:
                    overridden = ((previous.layer, previous.entry), *previous.overridden)
                spec = self.catalogue.find(rule_id)
                assert spec is not None  # checked at load
                resolved[rule_id] = ResolvedRule(rule_id, spec, current, layer.region.id, overridden)
                superseded.pop(rule_id, None)  # a lower layer states it again
        order = {spec.id: index for index, spec in enumerate(self.catalogue)}

        def sort_key(rule: ResolvedRule) -> tuple[int, str]:
            return (order.get(rule.spec.id, len(order)), rule.id)

        rules = {rule.id: rule for rule in sorted(resolved.values(), key=sort_key)}
        return Policy(
            target,
            on,
            chain,
            rules,
            self.framework,
            tuple(inactive),
            tuple(not_encoded),
            catalogue=self.catalogue,
            superseded=tuple(superseded.values()),
        )


# --------------------------------------------------------------------------------------
# assembling a registry
# --------------------------------------------------------------------------------------


def _plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def _collect(manager: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Call one hook plugin by plugin, keeping who returned what (the order is irrelevant)."""
    out: list[tuple[str, Any]] = []
    hook = getattr(manager.hook, hook_name)
    for impl in hook.get_hookimpls():
        try:
            result = impl.function()
        except Ability2Error:
            raise
        except Exception as exc:  # a plugin's own bug: name the plugin
            raise RegistryError(
                [f"plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"]
            ) from exc
        for item in result or ():
            out.append((impl.plugin_name, item))
    return out


def assemble(
    *,
    sources: Iterable[tuple[str, SourceLike]],
    framework: Framework,
    catalogue: Catalogue,
    plugins: Sequence[PluginInfo] = (),
) -> Registry:
    """Load policy files and check them together: documents, region tree, overrides."""
    problems: list[Problem] = []
    parsed: list[tuple[str, ParsedLayer]] = []
    source_list = list(sources)
    for plugin, source in source_list:
        try:
            parsed.append((plugin, parse_layer(source)))
        except PolicyFileError as exc:
            problems.extend(exc.problems)
    # one bibliography: the framework's documents and every file's
    bibliography: dict[str, Document] = dict(framework.documents)
    declared_in: dict[str, str] = {key: "the national framework" for key in framework.documents}
    for _, item in parsed:
        for key, raw in item.raw.documents.items():
            document = to_document(key, raw)
            if key in bibliography and bibliography[key] != document:
                problems.append(
                    item.yaml.problem(
                        ("documents", key),
                        f"document key {key!r} is also declared, differently, in {declared_in[key]}; use another key or the same entry",
                    )
                )
                continue
            bibliography[key] = document
            declared_in.setdefault(key, item.name)
    layers: dict[str, Layer] = {}
    files_of: dict[str, str] = {}
    messages: list[str] = []
    for plugin, item in parsed:
        try:
            layer = build_layer(
                item, bibliography=bibliography, catalogue=catalogue, framework=framework, plugin=plugin
            )
        except PolicyFileError as exc:
            problems.extend(exc.problems)
            continue
        region_id = layer.region.id
        if region_id in layers:
            other = layers[region_id]
            messages.append(
                f"region {region_id!r} is declared twice: in {other.file} (plugin {other.plugin}) and in {layer.file} (plugin {layer.plugin})"
            )
            continue
        layers[region_id] = layer
        files_of[region_id] = item.name
    if problems:
        raise PolicyFileError(problems)
    messages.extend(_check_tree(layers))
    codes: dict[str, str] = {}
    for region_id, layer in layers.items():
        code = layer.region.code
        if code is not None:
            if code in codes:
                messages.append(
                    f"code {code} is declared by both {codes[code]!r} ({layers[codes[code]].file}) and {region_id!r} ({layer.file})"
                )
            codes[code] = region_id
    if messages:
        raise RegistryError(messages)
    problems.extend(_check_overrides(layers))
    problems.extend(_check_supersessions(layers))
    if problems:
        raise PolicyFileError(problems)
    return Registry(framework=framework, catalogue=catalogue, layers=layers, plugins=plugins, sources=source_list)


def _check_tree(layers: Mapping[str, Layer]) -> list[str]:
    messages: list[str] = []
    if "cn" not in layers:
        messages.append("no layer declares the nation 'cn' (the core's national.yaml is missing)")
    for region_id, layer in layers.items():
        parent = layer.region.parent
        if parent is None:
            continue
        if parent not in layers:
            messages.append(f"region {region_id!r} ({layer.file}) names parent {parent!r}, which no plugin declares")
            continue
        parent_level = layers[parent].region.level
        if parent_level.rank >= layer.region.level.rank:
            messages.append(
                f"region {region_id!r} ({layer.region.level.value}, {layer.file}) cannot sit under {parent!r} ({parent_level.value}, {layers[parent].file})"
            )
    for region_id in layers:  # cycles (possible only for hand-built layers)
        seen: list[str] = []
        current: str | None = region_id
        while current is not None and current in layers:
            if current in seen:
                messages.append("the region tree has a cycle: " + " → ".join([*seen[seen.index(current) :], current]))
                break
            seen.append(current)
            current = layers[current].region.parent
        if messages and messages[-1].startswith("the region tree has a cycle"):
            break
    return messages


def _check_overrides(layers: Mapping[str, Layer]) -> list[Problem]:
    """A layer that replaces an inherited rule must name the layer it replaces."""
    problems: list[Problem] = []

    def ancestors(region_id: str) -> list[str]:
        out = []
        parent = layers[region_id].region.parent
        while parent is not None and parent in layers and parent not in out:
            out.append(parent)
            parent = layers[parent].region.parent
        return out

    for region_id, layer in layers.items():
        chain = ancestors(region_id)
        for entry in layer.entries:
            holder = next((a for a in chain if entry.rule_id in layers[a].rule_ids()), None)
            where = Problem(entry.file or str(layer.file), f'rules["{entry.rule_id}"]', "", entry.line)
            if holder is not None and entry.replaces != holder:
                if entry.replaces is None:
                    message = f"overrides the value inherited from {holder!r} ({layers[holder].file}); say so with `replaces: {holder}`"
                else:
                    message = f"replaces: {entry.replaces!r} is wrong: the nearest layer with this rule is {holder!r}"
                problems.append(attrs.evolve(where, message=message))
            elif holder is None and entry.replaces is not None:
                problems.append(
                    attrs.evolve(
                        where,
                        message=f"replaces: {entry.replaces!r}, but no ancestor layer has this rule; remove `replaces`",
                    )
                )
    return problems


def _check_supersessions(layers: Mapping[str, Layer]) -> list[Problem]:
    """A layer may set aside only a rule that an ancestor layer states."""
    problems: list[Problem] = []
    for region_id, layer in layers.items():
        ancestors = []
        parent = layer.region.parent
        while parent is not None and parent in layers and parent not in ancestors:
            ancestors.append(parent)
            parent = layers[parent].region.parent
        for item in layer.supersedes:
            if not any(item.rule_id in layers[a].rule_ids() for a in ancestors):
                problems.append(
                    Problem(
                        item.file or str(layer.file),
                        f'supersedes["{item.rule_id}"]',
                        f"no ancestor layer of {region_id!r} states {item.rule_id}: there is nothing to set aside",
                        item.line,
                    )
                )
    return problems


def _by_plugin(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Hook results in the core's order: the built-in kinds' plugin first, the others by name.

    pluggy's call order (last registered first) never decides anything.
    """
    return sorted(items, key=lambda item: (item[0] != BUILTIN_KINDS_PLUGIN, item[0]))


def _catalogue(manager: pluggy.PluginManager) -> Catalogue:
    """Every plugin's specs and kinds, checked together: each rule has exactly one kind."""
    spec_items: list[tuple[str, RuleSpec]] = _by_plugin(_collect(manager, "ability2_rule_specs"))
    kind_items: list[tuple[str, RuleKind]] = _by_plugin(_collect(manager, "ability2_rule_kinds"))
    try:
        return assemble_catalogue(spec_items, kind_items)
    except CatalogueError as exc:
        raise RegistryError(exc.messages) from None


def _entry_point_plugins(manager: pluggy.PluginManager) -> dict[str, Any]:
    """Load and register every ``ability2`` entry point; returns name -> entry point."""
    from ability2.discovery import entry_points

    found: dict[str, Any] = {}
    errors: list[str] = []
    for entry_point in entry_points(ENTRY_POINT_GROUP):
        if manager.get_plugin(entry_point.name) is not None or manager.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:
            errors.append(
                f"plugin {entry_point.name!r} ({entry_point.value}) failed to import: {type(exc).__name__}: {exc}"
            )
            continue
        manager.register(plugin, name=entry_point.name)
        found[entry_point.name] = entry_point
    if errors:
        raise RegistryError(errors)
    return found


def load_registry(
    *, plugins: Iterable[object] = (), entry_points: bool = True, extra_files: Iterable[SourceLike] = ()
) -> Registry:
    """Discover plugins and assemble the registry of regions and their layers.

    ``plugins`` registers extra plugin objects in-process (tests, notebooks); each needs a
    ``__name__`` or is named after its class. ``entry_points=False`` skips installed plugins.
    ``extra_files`` adds policy files directly, as if a plugin named ``"extra"`` returned them.
    """
    from ability2.gcpause import paused_gc

    with paused_gc():  # loading builds many small objects and no reference cycles worth a collection
        return _load_registry(plugins, entry_points, extra_files)


def _load_registry(plugins: Iterable[object], entry_points: bool, extra_files: Iterable[SourceLike]) -> Registry:
    manager = _plugin_manager()
    manager.register(BuiltinKinds(), name=BUILTIN_KINDS_PLUGIN)
    manager.register(_National(), name=BUILTIN_PLUGIN)
    loaded: dict[str, Any] = {}
    if entry_points:
        loaded = _entry_point_plugins(manager)
    for plugin in plugins:
        if manager.is_registered(plugin):
            continue  # already registered through its entry point
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        manager.register(plugin, name=name)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        name = manager.get_name(exc.plugin) or repr(exc.plugin)
        unknown = sorted(
            impl.name
            for impl, impls in ((caller, caller.get_hookimpls()) for caller in manager.hook.__dict__.values())
            if isinstance(impl, pluggy.HookCaller) and not impl.has_spec()
            for _ in impls
        )
        detail = f" ({', '.join(unknown)})" if unknown else ""
        raise RegistryError(
            [
                f"plugin {name!r} implements a hook that ability2 does not define{detail}; hook names must match ability2.hookspecs exactly"
            ]
        ) from None
    framework = load_framework()
    catalogue = _catalogue(manager)
    sheet_sources = _collect(manager, "ability2_sheet_files")
    if sheet_sources:
        from ability2.framework.loading import load_sheets

        sheets = dict(framework.sheets)
        problems: list[Problem] = []
        for plugin_name, source in sheet_sources:
            try:
                added = load_sheets(source, dict(framework.documents), {a.code for a in framework.abilities})
            except PolicyFileError as exc:
                problems.extend(exc.problems)
                continue
            for code in added:
                if code in sheets:
                    problems.append(
                        Problem(
                            str(source),
                            "sheets",
                            f"{code} already has a sheet; plugin {plugin_name!r} may add sheets, not replace them",
                        )
                    )
            sheets.update(added)
        if problems:
            raise PolicyFileError(problems)
        framework = attrs.evolve(framework, sheets=sheets)
    sources = _collect(manager, "ability2_policy_files")
    sources.extend(("extra", source) for source in extra_files)
    registry = assemble(sources=sources, framework=framework, catalogue=catalogue)
    rows = []
    for name, plugin in manager.list_name_plugin():
        hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(plugin) or ()))
        regions = tuple(layer.region.id for layer in registry.layers() if layer.plugin == name)
        rows.append((name, regions, hooks))
    registry._pending_plugins = lambda: _plugin_infos(rows, loaded)
    return registry


def _plugin_infos(rows: list[tuple[str, tuple[str, ...], tuple[str, ...]]], loaded: dict[str, Any]) -> list[PluginInfo]:
    """Each plugin's :class:`PluginInfo`, with its distribution's name and version read from its metadata."""
    infos = []
    for name, regions, hooks in rows:
        dist = loaded[name].dist if name in loaded else None
        distribution, version = (dist.name, dist.version) if dist else (None, None)
        if name in (BUILTIN_PLUGIN, BUILTIN_KINDS_PLUGIN):
            distribution, version = "ability2", _version()
        infos.append(PluginInfo(name, version, distribution, regions, hooks))
    return infos


def _version() -> str | None:
    import importlib.metadata as metadata

    try:
        return metadata.version("ability2")
    except metadata.PackageNotFoundError:
        return None


def files_in(path: Path) -> list[Path]:
    """Policy files under ``path``: the file itself, or every ``*.yaml`` with a ``region:`` key."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.y*ml") if ".venv" not in p.parts and "_build" not in p.parts)
