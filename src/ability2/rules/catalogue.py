"""The rule catalogue: every rule id a policy may hold, and the kind that evaluates it.

A policy file may only set rules the catalogue knows; a misspelled id is an error, never a
silently ignored rule. Specs come from the ``ability2_rule_specs`` hook and from the kinds of
the ``ability2_rule_kinds`` hook, the core's own first. Every spec has exactly one owner: the
kind that lists it, else (for a spec with a ``check``) a plain-Python kind around the check,
else (outside the checked scopes) the recording kind. A spec in a checked scope with no owner,
or with two, is refused when the registry loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import attrs

from ability2.errors import CatalogueError
from ability2.messages import Message, msg
from ability2.rules.spec import Kind, RuleSpec, Scope

if TYPE_CHECKING:
    from ability2.policy import Policy, ResolvedRule
    from ability2.rules.kind import RuleKind

__all__ = ["Catalogue", "CatalogueError", "Kind", "RuleSpec", "Scope", "builtin_catalogue"]


def _builtin_specs() -> tuple[RuleSpec, ...]:
    from ability2.rules.builtin import BUILTIN_SPECS

    return BUILTIN_SPECS


@attrs.frozen
class Catalogue:
    """The rule specs known to a registry, and the kinds that evaluate them (in evaluation order).

    ``owners`` maps each spec id to the kind that evaluates it; ``plugins`` each spec id and
    each kind's name to the plugin that supplied it.
    """

    specs: tuple[RuleSpec, ...] = attrs.field(factory=_builtin_specs)
    kinds: tuple[RuleKind, ...] = ()
    owners: Mapping[str, RuleKind] = attrs.field(factory=dict, repr=False)
    plugins: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    kind_plugins: tuple[str, ...] = attrs.field(default=(), repr=False)

    def plugin_of_kind(self, kind: RuleKind) -> str | None:
        """The plugin that registered ``kind``."""
        for position, known in enumerate(self.kinds):
            if known is kind:
                return self.kind_plugins[position] if position < len(self.kind_plugins) else None
        return None

    def find(self, rule_id: str) -> RuleSpec | None:
        """The spec for ``rule_id``, or ``None`` when no spec matches."""
        for spec in self.specs:
            if spec.matches(rule_id):
                return spec
        return None

    def extended(self, extra: Iterable[RuleSpec]) -> Catalogue:
        """A catalogue with ``extra`` specs added (kinds re-resolved); an id defined twice is an error."""
        specs = list(self.specs)
        seen = {s.id for s in specs}
        for spec in extra:
            if spec.id in seen:
                raise ValueError(
                    msg("catalogue.spec_twice", rule=spec.id, first=self.plugins.get(spec.id, "extra"), second="extra")
                )
            seen.add(spec.id)
            specs.append(spec)
        if not self.kinds:
            return Catalogue(tuple(specs))
        items = [(self.plugins.get(s.id, "extra"), s) for s in specs]
        kinds = [(self.plugin_of_kind(k) or "extra", k) for k in self.kinds if not isinstance(k, _adapter_type())]
        return assemble_catalogue(items, kinds)

    def by_id(self) -> Mapping[str, RuleSpec]:
        """The specs keyed by id."""
        return {s.id: s for s in self.specs}

    def kind_of(self, spec: RuleSpec | str) -> RuleKind | None:
        """The kind that evaluates ``spec`` (a spec or its id)."""
        return self.owners.get(spec if isinstance(spec, str) else spec.id)

    def plan(self, policy: Policy) -> list[tuple[RuleKind, ResolvedRule]]:
        """The policy's checked rules with their kinds, in evaluation order.

        Kinds in catalogue order (built-in first, then plugins by name); inside a kind, its
        specs in order; a family's rules in policy order. A flag rule whose value is ``false``
        is switched off: it is not planned, and needs no input.
        """
        from ability2.rules.kind import CHECKED_SCOPES

        by_kind: dict[int, list[ResolvedRule]] = {}
        for rule in policy:
            if rule.spec.scope not in CHECKED_SCOPES:
                continue
            if rule.spec.type_name == "flag" and rule.value is False:
                continue  # a condition switched off: nothing to check, nothing needed
            kind = self.owners.get(rule.spec.id)
            if kind is None or not kind.checks:
                from ability2.batch import EvaluationError

                raise EvaluationError(msg("catalogue.no_kind_evaluates", rule=rule.id, scope=rule.spec.scope.value))
            by_kind.setdefault(id(kind), []).append(rule)
        plan: list[tuple[RuleKind, ResolvedRule]] = []
        for kind in self.kinds:
            rules = by_kind.get(id(kind), [])
            order = {spec.id: i for i, spec in enumerate(kind.specs)}
            for rule in sorted(rules, key=lambda r: order.get(r.spec.id, len(order))):
                plan.append((kind, rule))
        return plan

    def __iter__(self) -> Iterator[RuleSpec]:
        return iter(self.specs)


def assemble_catalogue(
    spec_items: Iterable[tuple[str, RuleSpec]], kind_items: Iterable[tuple[str, RuleKind]]
) -> Catalogue:
    """Specs and kinds, each with the plugin that supplied it, checked and resolved.

    ``kind_items`` are in evaluation order (the caller puts the built-in plugin first and the
    others by name). Raises :class:`CatalogueError` naming every rule with no kind or two.
    """
    from ability2.rules.kind import CHECKED_SCOPES, PerEntity

    messages: list[Message] = []
    specs: dict[str, RuleSpec] = {}
    plugin_of: dict[str, str] = {}

    def add_spec(plugin: str, spec: RuleSpec) -> None:
        if not isinstance(spec, RuleSpec):
            messages.append(msg("catalogue.not_a_spec", plugin=plugin, value=repr(spec)[:80]))
            return
        known = specs.get(spec.id)
        if known is None:
            family = next((other for other in specs.values() if other.matches(spec.id) or spec.matches(other.id)), None)
            if family is not None:
                messages.append(
                    msg(
                        "catalogue.family_clash",
                        rule=spec.id,
                        plugin=plugin,
                        family=(family if family.family else spec).id + ".*",
                        other=plugin_of[family.id],
                    )
                )
                return
            specs[spec.id] = spec
            plugin_of[spec.id] = plugin
        elif (
            known != spec or plugin_of[spec.id] != plugin or (spec.check is not None and known.check is not spec.check)
        ):
            messages.append(msg("catalogue.spec_twice", rule=spec.id, first=plugin_of[spec.id], second=plugin))

    for plugin, spec in spec_items:
        add_spec(plugin, spec)
    kinds: list[tuple[str, RuleKind]] = []
    for plugin, kind in kind_items:
        if not all(hasattr(kind, name) for name in ("owns", "prepare", "evaluate", "exemptions", "specs")):
            messages.append(msg("catalogue.not_a_kind", plugin=plugin, value=repr(kind)[:80]))
            continue
        if kind.checks and not _implements(kind, "evaluate") and not _implements(kind, "prepare"):
            messages.append(msg("catalogue.kind_does_nothing", kind=kind.label, plugin=plugin))
            continue
        reach_problem = _reach_problem(kind, plugin)
        if reach_problem is not None:
            messages.append(reach_problem)
            continue
        kinds.append((plugin, kind))
        for spec in kind.specs:
            add_spec(plugin, spec)

    def who(kind: RuleKind) -> Message:
        plugin = next(p for p, k in kinds if k is kind)
        return msg("catalogue.kind_of_plugin", kind=kind.label, plugin=plugin)

    owners: dict[str, RuleKind] = {}
    explicit = [kind for _, kind in kinds if kind.specs]
    fallbacks = [kind for _, kind in kinds if not kind.specs]
    adapters: list[tuple[str, RuleKind]] = []
    for spec in specs.values():
        claimants = [kind for kind in explicit if kind.owns(spec)]
        if len(claimants) > 1:
            messages.append(
                msg(
                    "catalogue.claimed_twice",
                    rule=spec.id,
                    first=who(claimants[0]),
                    second=tuple(map(who, claimants[1:])),
                )
            )
            continue
        if claimants:
            owners[spec.id] = claimants[0]
            continue
        if spec.check is not None and spec.scope in CHECKED_SCOPES:
            adapter: RuleKind = PerEntity(spec, spec.check)
            owners[spec.id] = adapter
            adapters.append((plugin_of[spec.id], adapter))
            continue
        fallback = next((kind for kind in fallbacks if kind.owns(spec)), None)
        if fallback is not None and (fallback.checks or spec.scope not in CHECKED_SCOPES):
            owners[spec.id] = fallback
        elif spec.scope in CHECKED_SCOPES:
            messages.append(
                msg("catalogue.unevaluated", rule=spec.id, plugin=plugin_of[spec.id], scope=spec.scope.value)
            )
        else:
            messages.append(msg("catalogue.no_kind", rule=spec.id, plugin=plugin_of[spec.id]))
    if messages:
        raise CatalogueError(messages)
    # a spec's plain-Python check runs right after the kinds of the plugin that supplied the spec
    ordered = [(plugin, kind) for plugin, kind in kinds if kind.checks]
    for plugin, adapter in adapters:
        at = 0
        for i, (owner, _) in enumerate(ordered):
            if i == 0 or owner == ordered[0][0] or owner <= plugin:
                at = i + 1
        ordered.insert(at, (plugin, adapter))
    ordered.extend((plugin, kind) for plugin, kind in kinds if not kind.checks)
    return Catalogue(
        tuple(specs.values()),
        tuple(kind for _, kind in ordered),
        owners,
        plugin_of,
        tuple(plugin for plugin, _ in ordered),
    )


def _implements(kind: RuleKind, method: str) -> bool:
    """Whether ``kind`` has its own ``method`` (not the base class's)."""
    from ability2.rules.kind import RuleKind

    own = getattr(type(kind), method, None)
    return own is not None and own is not getattr(RuleKind, method)


def _reach_problem(kind: RuleKind, plugin: str) -> Message | None:
    """What is wrong with a kind's declared reach (:attr:`RuleKind.reach`), or ``None``."""
    from ability2.rules.kind import Reach

    reach = getattr(kind, "reach", Reach.SCHOOL)
    if not isinstance(reach, Reach):
        return msg("catalogue.reach_unknown", kind=kind.label, plugin=plugin, reach=repr(reach)[:80])
    own = [name for name in ("partial", "combine") if _implements(kind, name)]
    if len(own) == 1:
        lacking = "combine" if own == ["partial"] else "partial"
        return msg("catalogue.reach_half", kind=kind.label, plugin=plugin, has=own[0], lacks=lacking)
    if own and reach is not Reach.COHORT:
        return msg("catalogue.reach_school_combines", kind=kind.label, plugin=plugin)
    return None


def _adapter_type() -> type:
    from ability2.rules.kind import PerEntity

    return PerEntity


_BUILTIN: Catalogue | None = None


def builtin_catalogue() -> Catalogue:
    """The catalogue of the core alone: built-in specs and kinds (computed once)."""
    global _BUILTIN
    if _BUILTIN is None:
        from ability2.rules.builtin import BUILTIN_KINDS_PLUGIN, BUILTIN_SPECS, builtin_kinds

        _BUILTIN = assemble_catalogue(
            [(BUILTIN_KINDS_PLUGIN, spec) for spec in BUILTIN_SPECS],
            [(BUILTIN_KINDS_PLUGIN, kind) for kind in builtin_kinds()],
        )
    return _BUILTIN
