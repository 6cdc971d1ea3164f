"""Plugin discovery, the region tree and policy resolution.

:func:`load_registry` finds plugins through the ``ability2`` entry-point group (plus any
plugin objects passed in), registers them with pluggy, checks their hook implementations
(``check_pending``), loads every layer and builds the region tree. A :class:`Registry` then
answers :meth:`~Registry.policy` for any region and date.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ability2 import hookspecs
from ability2.errors import (
    Ability2Error,
    PluginProblem,
    PolicyDateError,
    PolicyFileError,
    Problem,
    RegionUnavailableError,
    RegistryError,
    UnknownRegionError,
)
from ability2.framework import Framework, load_framework
from ability2.layer import Layer, NotEncoded, RuleEntry, check_overrides, check_supersessions
from ability2.loading import ParsedLayer, build_layer, parse_layer, to_document
from ability2.messages import Message, msg
from ability2.model import Document, Region
from ability2.regioncache import NO_INSTALLED_ENV, PLUGINS_DIR_ENV, STRICT_ENV
from ability2.regioncache import strict_default as _strict_default
from ability2.rules.builtin import BUILTIN_KINDS_PLUGIN, BuiltinKinds
from ability2.rules.catalogue import Catalogue, CatalogueError, RuleSpec, assemble_catalogue
from ability2.rules.kind import RuleKind

if TYPE_CHECKING:
    from ability2.datafiles import SourceLike
    from ability2.policy import Policy, ResolvedRule

__all__ = [
    "NO_INSTALLED_ENV",
    "PLUGINS_DIR_ENV",
    "STRICT_ENV",
    "PluginInfo",
    "Registry",
    "default_registry",
    "load_registry",
    "reset_default_registry",
]

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
    #: the plugin project's folder, for a plugin loaded from a plugin folder (``--plugins-dir``); else ``None``
    folder: str | None = None


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
        problems: Sequence[PluginProblem] = (),
        unavailable: Mapping[str, tuple[str | None, tuple[PluginProblem, ...]]] | None = None,
    ) -> None:
        self.framework = framework
        #: what was left out while loading, and why (empty when every plugin loaded); see :class:`~ability2.errors.PluginProblem`
        self.problems: tuple[PluginProblem, ...] = tuple(problems)
        #: region id -> (its code, the problems that keep it out): regions declared but not served
        self._unavailable = dict(unavailable or {})
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
        for region_id, (code, problems) in self._unavailable.items():
            if key in (region_id, code):
                raise RegionUnavailableError(name, problems)
        import difflib

        candidates = list(self._layers)
        suggestions = difflib.get_close_matches(key, candidates, n=3, cutoff=0.5)
        suggestions += [c for c in candidates if c.endswith("/" + key) and c not in suggestions]
        # a plugin that failed before its regions were known (an import, a hook) may have declared it
        unknown = tuple(dict.fromkeys(p.plugin for p in self.problems if not p.regions and p.kind != "inherits"))
        raise UnknownRegionError(name, suggestions, broken=unknown)

    def unavailable(self) -> dict[str, tuple[PluginProblem, ...]]:
        """Regions that installed plugins declare but the registry does not serve, with the problems why."""
        return {region_id: problems for region_id, (_, problems) in self._unavailable.items()}

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
            from ability2.messages import msg

            said = (
                msg(
                    "policy_date.before", region=target.id, name=target.name, on=on.isoformat(), first=first.isoformat()
                )
                if first
                else msg("policy_date.undefined", region=target.id, name=target.name, on=on.isoformat())
            )
            raise PolicyDateError(said, region=target.id, on=on, effective_from=first)
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


class _HookFailed(Exception):
    """A plugin's hook raised: which plugin, the sentence naming it, and what it raised."""

    def __init__(self, plugin: str, message: Message, error: Exception) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.message = message
        self.error = error

    def strict(self) -> Exception:
        """What strict loading raises: a plugin's own ability2 error as it is, anything else as a RegistryError."""
        return self.error if isinstance(self.error, Ability2Error) else RegistryError([self.message])


def _collect(manager: pluggy.PluginManager, hook_name: str) -> list[tuple[str, Any]]:
    """Call one hook plugin by plugin, keeping who returned what (the order is irrelevant).

    Raises :class:`_HookFailed` naming the plugin whose hook raised.
    """
    out: list[tuple[str, Any]] = []
    hook = getattr(manager.hook, hook_name)
    for impl in hook.get_hookimpls():
        try:
            out.extend((impl.plugin_name, item) for item in impl.function() or ())
        except Exception as exc:  # a plugin's own bug: name the plugin
            message = msg(
                "plugin.hook_failed", plugin=impl.plugin_name, hook=hook_name, error=type(exc).__name__, detail=str(exc)
            )
            raise _HookFailed(impl.plugin_name, message, exc) from exc
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
    declared_in: dict[str, Message | str] = {key: msg("tree.national_framework") for key in framework.documents}
    for _, item in parsed:
        for key, raw in item.raw.documents.items():
            document = to_document(key, raw)
            if key in bibliography and bibliography[key] != document:
                problems.append(
                    item.yaml.problem(
                        ("documents", key),
                        msg("tree.document_twice", key=key, where=declared_in[key]),
                    )
                )
                continue
            bibliography[key] = document
            declared_in.setdefault(key, item.name)
    layers: dict[str, Layer] = {}
    files_of: dict[str, str] = {}
    messages: list[Message] = []
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
            messages.append(_declared_twice(region_id, other, layer))
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
                    msg(
                        "tree.code_twice",
                        code=code,
                        first=codes[code],
                        first_file=str(layers[codes[code]].file),
                        second=region_id,
                        second_file=str(layer.file),
                    )
                )
            codes[code] = region_id
    if messages:
        raise RegistryError(messages)
    problems.extend(check_overrides(layers))
    problems.extend(check_supersessions(layers))
    if problems:
        raise PolicyFileError(problems)
    return Registry(framework=framework, catalogue=catalogue, layers=layers, plugins=plugins, sources=source_list)


def _declared_twice(region_id: str, first: Layer, second: Layer) -> Message:
    """The message for a region two layers declare."""
    return msg(
        "tree.region_twice",
        region=region_id,
        first_file=str(first.file),
        first_plugin=first.plugin,
        second_file=str(second.file),
        second_plugin=second.plugin,
    )


def _check_tree(layers: Mapping[str, Layer]) -> list[Message]:
    messages: list[Message] = []
    if "cn" not in layers:
        messages.append(msg("tree.no_nation"))
    for region_id, layer in layers.items():
        parent = layer.region.parent
        if parent is None:
            continue
        if parent not in layers:
            messages.append(msg("tree.parent_unknown", region=region_id, file=str(layer.file), parent=parent, hint=""))
            continue
        parent_level = layers[parent].region.level
        if parent_level.rank >= layer.region.level.rank:
            messages.append(
                msg(
                    "tree.level_order",
                    region=region_id,
                    level=layer.region.level.value,
                    file=str(layer.file),
                    parent=parent,
                    parent_level=parent_level.value,
                    parent_file=str(layers[parent].file),
                )
            )
    for region_id in layers:  # cycles (possible only for hand-built layers)
        seen: list[str] = []
        current: str | None = region_id
        while current is not None and current in layers:
            if current in seen:
                messages.append(msg("tree.cycle", path=" → ".join([*seen[seen.index(current) :], current])))
                break
            seen.append(current)
            current = layers[current].region.parent
        if messages and messages[-1].code == "tree.cycle":
            break
    return messages


def _by_plugin(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Hook results in the core's order: the built-in kinds' plugin first, the others by name.

    pluggy's call order (last registered first) never decides anything.
    """
    return sorted(items, key=lambda item: (item[0] != BUILTIN_KINDS_PLUGIN, item[0]))


def _catalogue(manager: pluggy.PluginManager, loading: _Loading) -> Catalogue:
    """Every plugin's specs and kinds, checked together: each rule has exactly one kind.

    Tolerant loading leaves out a plugin whose specs or kinds do not fit with those before it
    (the built-in kinds first, then plugins by name).
    """
    spec_items: list[tuple[str, RuleSpec]] = _by_plugin(_collect(manager, "ability2_rule_specs"))
    kind_items: list[tuple[str, RuleKind]] = _by_plugin(_collect(manager, "ability2_rule_kinds"))
    try:
        return assemble_catalogue(spec_items, kind_items)
    except CatalogueError as exc:
        if loading.strict:
            raise RegistryError(exc.messages) from None
        error = exc
    # the plugins asked for first, then the installed ones by name: each kept if it fits with those kept
    kept: set[str] = set()
    names = {p for p, _ in spec_items} | {p for p, _ in kind_items}
    for name in sorted(names, key=lambda n: (loading.tolerates(n), n)):
        trial = kept | {name}
        try:
            assemble_catalogue([i for i in spec_items if i[0] in trial], [i for i in kind_items if i[0] in trial])
        except CatalogueError as exc:
            if not loading.tolerates(name):
                raise RegistryError(error.messages) from None
            loading.leave_out(manager, name, "catalogue", msg("plugin.catalogue_conflicts", problems=exc.messages))
            continue
        kept = trial
    try:
        return assemble_catalogue([i for i in spec_items if i[0] in kept], [i for i in kind_items if i[0] in kept])
    except CatalogueError as exc:  # the built-in kinds alone: a bug in ability2 itself
        raise RegistryError(exc.messages) from None


def _entry_point_plugins(manager: pluggy.PluginManager, loading: _Loading) -> dict[str, Any]:
    """Load and register every ``ability2`` entry point; returns name -> entry point."""
    from ability2.discovery import entry_points

    found: dict[str, Any] = {}
    errors: list[Message] = []
    for entry_point in entry_points(ENTRY_POINT_GROUP):
        if manager.get_plugin(entry_point.name) is not None or manager.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:
            message = msg(
                "plugin.import_failed",
                plugin=entry_point.name,
                value=entry_point.value,
                error=type(exc).__name__,
                detail=str(exc),
            )
            errors.append(message)
            loading.problems.append(PluginProblem(entry_point.name, "import", message))
            continue
        if manager.is_registered(plugin):
            continue  # the same module, already registered from a plugin folder under another name
        manager.register(plugin, name=entry_point.name)
        found[entry_point.name] = entry_point
    if errors and loading.strict:
        raise RegistryError(errors)
    return found


def _folder_plugins(manager: pluggy.PluginManager, loading: _Loading, dirs: Sequence[str]) -> dict[str, Any]:
    """Load and register the plugins of the plugin folders (:mod:`ability2.plugindirs`); returns name -> entry point.

    A folder that is missing or holds no plugin project raises :class:`RegistryError` in
    every mode. A project that cannot be read or imported is a problem like an installed
    plugin's import (left out; strict loading raises). Folders come first: an installed
    plugin of the same name is then not loaded (the folder's copy replaces it).
    """
    from ability2.plugindirs import find_folder_plugins

    points, unreadable = find_folder_plugins(dirs)
    errors: list[Message] = []
    for problem in unreadable:
        message = msg("folders.problem", name=problem.name, message=problem.message)
        errors.append(message)
        loading.problems.append(PluginProblem(problem.name, "import", message))
    found: dict[str, Any] = {}
    for point in points:
        if point.name in found:
            message = msg(
                "folders.declared_twice", name=point.name, first=str(found[point.name].folder), second=str(point.folder)
            )
            errors.append(message)
            loading.problems.append(PluginProblem(point.name, "import", message))
            continue
        try:
            plugin = point.load()
        except Exception as exc:
            message = msg(
                "folders.import_failed",
                name=point.name,
                value=point.value,
                folder=str(point.folder),
                error=type(exc).__name__,
                detail=exc.args[0] if exc.args and isinstance(exc.args[0], Message) else str(exc),
            )
            errors.append(message)
            loading.problems.append(PluginProblem(point.name, "import", message))
            continue
        if manager.is_registered(plugin) or manager.get_plugin(point.name) is not None:
            message = msg("folders.already_registered", name=point.name, folder=str(point.folder))
            errors.append(message)
            loading.problems.append(PluginProblem(point.name, "import", message))
            continue
        manager.register(plugin, name=point.name)
        found[point.name] = point
    if errors and loading.strict:
        raise RegistryError(errors)
    return found


def _installed_default() -> bool:
    """Whether installed plugins load by default: not when :envvar:`ABILITY2_NO_INSTALLED_PLUGINS` is set."""
    return os.environ.get(NO_INSTALLED_ENV, "").strip().lower() not in ("1", "true", "yes", "on")


def _dirs_default() -> tuple[str, ...]:
    """The plugin folders :envvar:`ABILITY2_PLUGINS_DIR` names."""
    value = os.environ.get(PLUGINS_DIR_ENV, "")
    return tuple(part for part in value.split(os.pathsep) if part.strip())


class _Loading:
    """How a registry is being loaded (strict or not) and what was left out so far."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.problems: list[PluginProblem] = []
        #: plugins the caller passed in (``plugins=``, ``extra_files=``): asked for by name, never left out
        self.explicit: set[str] = {BUILTIN_PLUGIN, BUILTIN_KINDS_PLUGIN}

    def tolerates(self, name: str) -> bool:
        """Whether a problem of plugin ``name`` leaves it out (an installed plugin, not strict) rather than raising."""
        return not self.strict and name not in self.explicit

    def leave_out(self, manager: pluggy.PluginManager, name: str, kind: str, message: Message | str) -> None:
        """Unregister plugin ``name`` and record why (the caller checked :meth:`tolerates`)."""
        plugin = manager.get_plugin(name)
        if plugin is not None:
            manager.unregister(plugin, name=name)
        manager.set_blocked(name)
        self.problems.append(PluginProblem(name, kind, message))


def load_registry(
    *,
    plugins: Iterable[object] = (),
    entry_points: bool = True,
    extra_files: Iterable[SourceLike] = (),
    strict: bool | None = None,
    warn: bool = True,
    plugins_dirs: Iterable[str | os.PathLike[str]] | None = None,
    installed: bool | None = None,
) -> Registry:
    """Discover plugins and assemble the registry of regions and their layers.

    ``plugins`` registers extra plugin objects in-process (tests, notebooks); each needs a
    ``__name__`` or is named after its class. ``extra_files`` adds policy files directly, as
    if a plugin named ``"extra"`` returned them.

    ``plugins_dirs`` loads plugins from plugin folders without installing them (see
    :mod:`ability2.plugindirs` for what a folder may hold): a plugin project as
    ``ability2 new-plugin`` writes it, or a folder of such projects. Loading a folder imports
    its plugin's module, so its Python code runs, exactly as installing it would: name only
    folders you trust. The default (``None``) reads the folders from the environment variable
    ``ABILITY2_PLUGINS_DIR`` (separated by :data:`os.pathsep`); a sequence, even empty,
    replaces it. A folder that is missing or holds no plugin project raises
    :class:`RegistryError`, whatever ``strict`` says. A folder plugin is otherwise like an
    installed one: layered by the region tree, left out when broken (strict: an error); one
    of the same name as an installed plugin replaces it (the folder is the copy asked for);
    one that declares a region an installed plugin of another name also declares is the
    "declared twice" problem (both are left out; strict: an error).

    ``installed=False`` loads no installed plugin (no ``ability2`` entry point of an
    installed distribution): only the core, the plugin folders, ``plugins`` and
    ``extra_files``, so that the result does not depend on what happens to be installed
    (a reproducible build). The default (``None``) is ``False`` when the environment variable
    ``ABILITY2_NO_INSTALLED_PLUGINS`` is ``1``, else ``True``. ``entry_points=False`` is the
    older spelling of ``installed=False`` (it wins over ``installed``).

    A broken plugin does not take the others down: a plugin that fails to import, whose hook
    raises, or whose policy files are malformed is left out (with the regions that inherit
    from its regions), each problem is issued as a :class:`~ability2.errors.PluginLoadWarning`
    and kept in :attr:`Registry.problems`, and every other region is served. Asking for a
    region left out raises :class:`~ability2.errors.RegionUnavailableError`, naming the
    plugin. ``strict=True`` raises the first problems instead (:class:`PolicyFileError` or
    :class:`RegistryError`), as ``ability2 validate`` and CI want; the default (``None``)
    is strict when the environment variable ``ABILITY2_STRICT_PLUGINS`` is ``1``.
    ``warn=False`` keeps the problems in :attr:`Registry.problems` without warnings (worker
    processes, whose parent has told them already).
    """
    import warnings

    from ability2.errors import PluginLoadWarning
    from ability2.gcpause import paused_gc

    loading = _Loading(_strict_default() if strict is None else strict)
    from_installed = entry_points and (_installed_default() if installed is None else installed)
    dirs = _dirs_default() if plugins_dirs is None else tuple(os.fspath(d) for d in plugins_dirs)
    with paused_gc():  # loading builds many small objects and no reference cycles worth a collection
        registry = _load_registry(plugins, from_installed, extra_files, loading, dirs)
    for problem in registry.problems if warn else ():
        warnings.warn(PluginLoadWarning(problem), stacklevel=2)
    return registry


#: the default registries, by strict mode and the plugin environment (built once each, see :func:`default_registry`)
_DEFAULT: dict[tuple[bool, bool, tuple[str, ...]], Registry] = {}
_DEFAULT_LOCK = threading.Lock()


def default_registry(*, strict: bool | None = None) -> Registry:
    """The registry of the installed plugins, loaded once per process and shared.

    The functions that take ``registry=`` (:func:`ability2.compare`,
    :func:`ability2.read_national_roster`, the roll-ups, the partitioned reports ...) use
    it when none is given, so a notebook or a service that calls them repeatedly loads the
    plugins once, not on every call. It reflects the plugins installed (and the
    environment) when it was first loaded: after installing or changing a plugin in a
    running process, call :func:`reset_default_registry`, or pass a fresh
    :func:`load_registry` as ``registry=``. ``strict`` is as for :func:`load_registry`
    (one registry is kept per mode, and per value of the environment variables
    ``ABILITY2_PLUGINS_DIR`` and ``ABILITY2_NO_INSTALLED_PLUGINS``). The first load is made
    under a lock: threads that ask at once wait for it and share one registry. A broken
    plugin's warnings are issued on that first load only.
    """
    mode = _strict_default() if strict is None else strict
    key = (mode, _installed_default(), _dirs_default())
    found = _DEFAULT.get(key)
    if found is not None:
        return found
    with _DEFAULT_LOCK:
        found = _DEFAULT.get(key)
        if found is None:
            found = _DEFAULT[key] = load_registry(strict=mode)
        return found


def reset_default_registry() -> None:
    """Forget the registry :func:`default_registry` keeps: the next call loads the plugins again."""
    with _DEFAULT_LOCK:
        _DEFAULT.clear()


def _check_hooks(manager: pluggy.PluginManager, loading: _Loading) -> None:
    """Every registered plugin's hooks are ability2's; tolerant loading leaves out a plugin that misspells one."""
    for _ in range(len(manager.get_plugins()) + 1):
        try:
            manager.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = manager.get_name(exc.plugin) or repr(exc.plugin)
            unknown = sorted(
                impl.name
                for impl in manager.get_hookcallers(exc.plugin) or ()
                if isinstance(impl, pluggy.HookCaller) and not impl.has_spec()
            )
            if not unknown:
                unknown = sorted(
                    caller.name
                    for caller in manager.hook.__dict__.values()
                    if isinstance(caller, pluggy.HookCaller) and not caller.has_spec() and caller.get_hookimpls()
                )
            message = msg("plugin.unknown_hook", plugin=name, hooks=tuple(unknown) or None)
            if not loading.tolerates(name):
                raise RegistryError([message]) from None
            loading.leave_out(manager, name, "hook", message)


def _load_registry(
    plugins: Iterable[object],
    entry_points: bool,
    extra_files: Iterable[SourceLike],
    loading: _Loading,
    dirs: Sequence[str] = (),
) -> Registry:
    manager = _plugin_manager()
    manager.register(BuiltinKinds(), name=BUILTIN_KINDS_PLUGIN)
    manager.register(_National(), name=BUILTIN_PLUGIN)
    loaded: dict[str, Any] = {}
    if dirs:
        loaded = _folder_plugins(manager, loading, dirs)
    if entry_points:
        loaded.update(_entry_point_plugins(manager, loading))
    for plugin in plugins:
        if manager.is_registered(plugin):
            continue  # already registered through its entry point
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        manager.register(plugin, name=name)
        loading.explicit.add(name)
    extra = list(extra_files)
    if extra:
        loading.explicit.add("extra")
    _check_hooks(manager, loading)
    framework = load_framework()
    for _ in range(len(manager.get_plugins()) + 1):
        # one pass over the plugins' hooks; a plugin left out on the way, the pass is made again without it
        left_out = len(loading.problems)
        try:
            _messages(manager, loading)
            catalogue = _catalogue(manager, loading)
            with_sheets = _sheets(manager, framework, loading)
            sources = _collect(manager, "ability2_policy_files")
            if len(loading.problems) == left_out:
                break
        except _HookFailed as failed:
            if not loading.tolerates(failed.plugin):
                raise failed.strict() from failed.error
            loading.leave_out(manager, failed.plugin, "hook", failed.message)
    else:  # pragma: no cover - each pass leaves one plugin out
        raise RegistryError([msg("plugin.keep_failing")])
    sources.extend(("extra", source) for source in extra)
    try:
        registry = assemble(sources=sources, framework=with_sheets, catalogue=catalogue)
        registry.problems = tuple(loading.problems)
    except (PolicyFileError, RegistryError) as error:
        if loading.strict:
            raise
        from ability2.tolerant import assemble_tolerant

        kept = assemble_tolerant(
            sources=sources,
            framework=with_sheets,
            catalogue=catalogue,
            problems=loading.problems,
            keep=loading.explicit,
        )
        registry = Registry(
            framework=with_sheets,
            catalogue=catalogue,
            layers=kept.layers,
            sources=kept.sources,
            problems=loading.problems,
            unavailable=kept.unavailable,
        )
        if any(p.plugin in loading.explicit and p.kind != "inherits" for p in registry.problems):
            raise error  # a plugin or file asked for by name is never left out: its error, as strict loading gives it
    rows = []
    for name, plugin in manager.list_name_plugin():
        if plugin is None:
            continue  # blocked: left out
        hooks = tuple(sorted(caller.name for caller in manager.get_hookcallers(plugin) or ()))
        regions = tuple(layer.region.id for layer in registry.layers() if layer.plugin == name)
        rows.append((name, regions, hooks))
    registry._pending_plugins = lambda: _plugin_infos(rows, loaded)
    return registry


def _messages(manager: pluggy.PluginManager, loading: _Loading) -> None:
    """Add each plugin's message catalogue (``ability2_message_files``); tolerant loading leaves out a plugin whose catalogue is bad."""
    from ability2.messages import add_messages

    for plugin_name, files in _by_plugin(_grouped(_collect(manager, "ability2_message_files"))):
        problems: list[Problem] = []
        entries: dict[str, Any] = {}
        for source in files:
            try:
                entries.update(_message_file(source))
            except PolicyFileError as exc:
                problems.extend(exc.problems)
        if not problems:
            problems = [Problem(_source_name(files), code, said) for code, said in add_messages(entries)]
        if not problems:
            continue
        if loading.tolerates(plugin_name):
            _leave_out_for(manager, loading, plugin_name, "messages", problems)
            continue
        raise PolicyFileError(problems)


def _grouped(items: list[tuple[str, Any]]) -> list[tuple[str, list[Any]]]:
    """Hook results grouped by plugin, in the order the plugins first appear."""
    out: dict[str, list[Any]] = {}
    for plugin, item in items:
        out.setdefault(plugin, []).append(item)
    return list(out.items())


def _source_name(files: Sequence[Any]) -> str:
    return ", ".join(str(f) for f in files)


def _message_file(source: SourceLike) -> dict[str, Any]:
    """A plugin's message file: a YAML mapping of codes to ``{zh, en}`` (read strictly: no repeated code)."""
    from ability2.datafiles import read_source_text
    from ability2.yamlio import read_yaml

    text, name = read_source_text(source)
    data = read_yaml(text, name).data
    if not isinstance(data, dict):
        raise PolicyFileError([Problem(name, "", msg("messages.file_not_mapping"))])
    return data


def _sheets(manager: pluggy.PluginManager, framework: Framework, loading: _Loading) -> Framework:
    """The framework with the plugins' submission sheets added; tolerant loading leaves out a plugin whose sheets are bad."""
    sheet_sources = _collect(manager, "ability2_sheet_files")
    if not sheet_sources:
        return framework
    from ability2.framework.loading import load_sheets

    sheets = dict(framework.sheets)
    problems: list[Problem] = []
    for plugin_name, source in sheet_sources:
        try:
            added = load_sheets(source, dict(framework.documents), {a.code for a in framework.abilities})
        except PolicyFileError as exc:
            if loading.tolerates(plugin_name):
                _leave_out_for(manager, loading, plugin_name, "sheets", exc.problems)
                continue
            problems.extend(exc.problems)
            continue
        clashes = [
            Problem(
                str(source),
                "sheets",
                msg("plugin.sheet_replaced", ability=code, plugin=plugin_name),
            )
            for code in added
            if code in sheets
        ]
        if clashes and loading.tolerates(plugin_name):
            _leave_out_for(manager, loading, plugin_name, "sheets", clashes)
            continue
        problems.extend(clashes)
        sheets.update(added)
    if problems:
        raise PolicyFileError(problems)
    return attrs.evolve(framework, sheets=sheets)


def _leave_out_for(
    manager: pluggy.PluginManager, loading: _Loading, name: str, kind: str, problems: Sequence[Problem]
) -> None:
    """Leave out plugin ``name`` for file problems: one :class:`PluginProblem` per problem, located."""
    from ability2.tolerant import from_problems

    loading.leave_out(manager, name, kind, problems[0].message)
    loading.problems[-1:] = from_problems(name, kind, problems)


def _plugin_infos(rows: list[tuple[str, tuple[str, ...], tuple[str, ...]]], loaded: dict[str, Any]) -> list[PluginInfo]:
    """Each plugin's :class:`PluginInfo`, with its distribution's name and version read from its metadata."""
    infos = []
    for name, regions, hooks in rows:
        point = loaded.get(name)
        folder = getattr(point, "folder", None)
        if point is not None and folder is not None:  # a plugin folder: its pyproject.toml's name and version
            distribution, version = point.distribution, point.version
        else:
            dist = point.dist if point is not None else None
            distribution, version = (dist.name, dist.version) if dist else (None, None)
        if name in (BUILTIN_PLUGIN, BUILTIN_KINDS_PLUGIN):
            distribution, version = "ability2", _version()
        infos.append(PluginInfo(name, version, distribution, regions, hooks, None if folder is None else str(folder)))
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
