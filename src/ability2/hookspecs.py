"""Hook specifications: what a regional plugin can implement.

A plugin is a module (or object) registered under the ``ability2`` entry-point group. It
implements any of the hooks below, decorated with :data:`ability2.hookimpl`; the function
names must match exactly (``check_pending`` refuses a misspelled hook at start-up).

Most regions need one hook, :func:`ability2_policy_files`, returning their YAML files::

    import ability2

    @ability2.hookimpl
    def ability2_policy_files():
        return ability2.package_files(__name__, "policies")

Precedence never comes from the order pluggy calls plugins in: the core stacks layers by the
region tree (``cn`` → province → city → county → school), whichever plugin supplied them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ability2.loading import SourceLike
    from ability2.rules.catalogue import RuleSpec
    from ability2.rules.kind import RuleKind

__all__ = [
    "ability2_message_files",
    "ability2_policy_files",
    "ability2_rule_kinds",
    "ability2_rule_specs",
    "ability2_sheet_files",
    "hookimpl",
    "hookspec",
]

PROJECT = "ability2"

#: Marker for hook specifications (used by this module only).
hookspec = pluggy.HookspecMarker(PROJECT)
#: Marker for hook implementations; also available as ``ability2.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def ability2_policy_files() -> Iterable[SourceLike]:
    """Return the policy files (YAML) this plugin supplies, one region's layer per file.

    **When called:** once, while :func:`ability2.load_registry` assembles the registry,
    after every plugin is registered.

    **Arguments:** none.

    **Returns:** an iterable of paths (``str``, :class:`os.PathLike`) or
    :class:`importlib.resources.abc.Traversable` objects, each a policy file as described in
    the policy-file guide. Return an empty list to supply none. Files are read with
    ``yaml.safe_load`` semantics only.

    **Results:** all plugins' results are collected (not first-result). Two files, from one
    plugin or from two, that declare the same region are an error naming both.
    """


@hookspec
def ability2_rule_specs() -> Iterable[RuleSpec]:
    """Return rule specifications this plugin adds to the rule catalogue.

    **When called:** once, before any policy file is loaded, so that files may use the
    new rule ids.

    **Arguments:** none.

    **Returns:** an iterable of :class:`ability2.RuleSpec`. Their ids must not clash with
    the built-in ids or with another plugin's; a clash is an error. A spec listed here and
    by one of the plugin's kinds (:func:`ability2_rule_kinds`) is the same spec, not a clash.

    **Evaluated by:** the kind that lists the spec; else, for a spec with ``check``, the
    check itself, run per teacher (or per school, or per group, by the spec's scope); else,
    outside the checked scopes (teacher, group, school), nothing: the rule is recorded. A
    teacher, group or school spec that nothing evaluates is refused at load, naming the
    rule and the plugin.

    **Results:** all plugins' results are collected (not first-result). The core's own specs
    come through this hook too, first; the order of the others does not depend on pluggy.
    """


@hookspec
def ability2_rule_kinds() -> Iterable[RuleKind]:
    """Return the rule kinds this plugin adds: the code that evaluates a kind of rule.

    **When called:** once, while :func:`ability2.load_registry` builds the rule catalogue,
    before any policy file is loaded.

    **Arguments:** none.

    **Returns:** an iterable of :class:`ability2.RuleKind` instances. Each kind's ``specs``
    join the catalogue (so policy files may use their ids); the kind evaluates every rule of
    those specs, over the whole batch, in the spec's scope (teacher, group or school).

    **Results:** all plugins' results are collected (not first-result). The core registers
    its own kinds through this hook first (plugin ``ability2.rules``), then the others are
    taken by plugin name, each plugin's kinds in the order it returns them: that order is
    the evaluation order, and the order reasons are listed in. Two kinds that claim one
    rule id are an error naming both.

    Example::

        @ability2.hookimpl
        def ability2_rule_kinds():
            return [CertifiedShareByDate()]
    """


@hookspec
def ability2_sheet_files() -> Iterable[SourceLike]:
    """Return submission-sheet files (YAML) for micro-abilities the framework lacks.

    **When called:** once, while the registry is assembled, before policy files.

    **Arguments:** none.

    **Returns:** an iterable of paths or traversables, each shaped like the bundled
    ``framework/data/sheets.yaml`` (``sheets:`` and optional ``documents:``). A sheet for
    an ability that already has one is an error: sheets are national and are added, never
    replaced.

    **Results:** all plugins' results are collected (not first-result).
    """


@hookspec
def ability2_message_files() -> Iterable[SourceLike]:
    """Return this plugin's message catalogue files (YAML): its own error messages, in Chinese and English.

    **When called:** once, while :func:`ability2.load_registry` assembles the registry,
    before the rule catalogue and the policy files.

    **Arguments:** none.

    **Returns:** an iterable of paths or traversables, each a YAML mapping of message codes
    to their two templates, as the core's own ``ability2/locale/*.yaml``::

        chongqing.missing_score:
          zh: "教师 {teacher} 没有考核分数"
          en: "teacher {teacher} has no assessment score"

    A plugin's rule kind then raises ``EvaluationError(msg("chongqing.missing_score",
    teacher=...))`` (``from ability2.messages import msg``), and the message is shown in the
    reader's language. Codes are dotted
    lower case, best prefixed with the plugin's name; each has exactly ``zh`` and ``en``,
    with the same placeholders. A code of the core, or one another plugin gives other text,
    is refused (the plugin is left out, as for a bad policy file).

    **Results:** all plugins' results are collected (not first-result).
    """
