"""Errors raised by ability2.

Every error a user can meet derives from :class:`Ability2Error`. Errors about input
(policy files, regions, dates, rosters) carry enough context to find the problem: the file,
the key path inside it and, where the YAML parser knows it, the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "Ability2Error",
    "CaseFileError",
    "CatalogueError",
    "ChangeSetError",
    "EvaluationError",
    "PluginLoadWarning",
    "PluginProblem",
    "PolicyDateError",
    "PolicyFileError",
    "Problem",
    "RegionUnavailableError",
    "RegistryError",
    "ResultFormatError",
    "RosterError",
    "RosterProblem",
    "SchoolTableError",
    "SheetUnavailableError",
    "UnknownAbilityError",
    "UnknownRegionError",
    "UnknownRuleError",
]


class Ability2Error(Exception):
    """Base class of every error ability2 raises on purpose (bad input, bad usage)."""


@attrs.frozen
class Problem:
    """One problem found in an input file.

    ``path`` is the key path inside the file, written the way a reader finds it:
    ``rules["hours.total_min"].bound``. ``line`` is 1-based, or ``None`` when unknown.
    """

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class PolicyFileError(Ability2Error):
    """A policy, framework or plugin data file is malformed.

    ``problems`` lists every problem found, not only the first one.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in policy data"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class CaseFileError(PolicyFileError):
    """A plugin's YAML test-case file (``tests/test_*.yaml``, a top-level ``cases:``) is malformed.

    A :class:`PolicyFileError` whose message says it is a test-case file, and which one, so
    that a plugin author does not look for the mistake in the policy files.
    """

    def __init__(self, problems: Iterable[Problem], file: str) -> None:
        super().__init__(problems)
        #: the test-case file
        self.file = file
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the test-case file {file} (a plugin's YAML cases)"
        self.args = (head + ":\n" + "\n".join(f"  {p}" for p in self.problems),)


class RegistryError(Ability2Error):
    """The plugins disagree: duplicate regions, a missing parent, a cycle, a bad override."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("\n".join(self.messages))


class UnknownRegionError(Ability2Error, LookupError):
    """A region id or GB/T 2260 code that no installed plugin declares."""

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, broken: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        #: plugins that failed to load before their regions were known: one of them may declare it
        self.broken = tuple(broken)
        message = f"unknown region {name!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        message += " (run `ability2 regions` to list the known regions)"
        if self.broken:
            message += "; plugin " + ", ".join(repr(b) for b in self.broken) + " failed to load and may declare it"
        super().__init__(message)


#: what went wrong with a plugin (:attr:`PluginProblem.kind`)
PLUGIN_PROBLEM_KINDS = ("import", "hook", "catalogue", "sheets", "policy", "tree", "inherits")

_KIND_WORDS = {
    "import": ("无法导入", "failed to import"),
    "hook": ("钩子出错", "failed in a hook"),
    "catalogue": ("规则目录冲突", "conflicts in the rule catalogue"),
    "sheets": ("提交表有误", "has a bad submission sheet"),
    "policy": ("政策文件有误", "has a bad policy file"),
    "tree": ("地区树有误", "does not fit the region tree"),
    "inherits": ("上级不可用", "inherits from a region that is not served"),
}


@attrs.frozen
class PluginProblem:
    """Why a plugin (or some of its regions) was left out of a registry.

    :func:`ability2.load_registry` loads every plugin it can: a plugin that fails to import,
    whose hook raises, or whose policy file is malformed is left out, and each such problem
    is one ``PluginProblem`` in :attr:`Registry.problems <ability2.Registry.problems>` (and a
    :class:`PluginLoadWarning`). ``kind`` is one of ``import``, ``hook``, ``catalogue``,
    ``sheets``, ``policy``, ``tree`` (the plugin is left out) or ``inherits`` (the plugin is
    sound, but ``regions`` inherit from a region of the broken plugin ``cause``, so they are
    not served either). ``file``, ``line`` and ``path`` locate the problem where known;
    ``message`` is the loader's own sentence; ``regions`` are the region ids not served
    because of it.
    """

    plugin: str
    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    path: str = ""
    regions: tuple[str, ...] = ()
    #: for ``inherits``: the broken plugin the regions depend on
    cause: str | None = None

    def location(self) -> str:
        """``FILE:LINE: PATH`` as far as known (``""`` when nothing is)."""
        if self.file is None:
            return ""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}" if self.path else where

    def describe(self, lang: str = "zh") -> str:
        """One line for a person, in ``lang`` (``zh`` or ``en``); the loader's message is quoted as it is."""
        zh = lang != "en"
        what = _KIND_WORDS.get(self.kind, (self.kind, self.kind))[0 if zh else 1]
        where = self.location()
        detail = f"{where}: {self.message}" if where else self.message
        regions = "、".join(self.regions) if zh else ", ".join(self.regions)
        if self.kind == "inherits":
            if zh:
                return f"插件 {self.plugin}：地区 {regions} 不可用，其上级由出错的插件 {self.cause} 提供（{detail}）"
            return f"plugin {self.plugin}: regions {regions} are not served: they inherit from broken plugin {self.cause} ({detail})"
        if zh:
            served = f"；不可用的地区：{regions}" if self.regions else ""
            return f"插件 {self.plugin} {what}，已跳过{served}：{detail}"
        served = f"; regions not served: {regions}" if self.regions else ""
        return f"plugin {self.plugin} {what} and was left out{served}: {detail}"

    def to_dict(self) -> dict[str, object]:
        """The problem as JSON-ready data (every field)."""
        return {
            "plugin": self.plugin,
            "kind": self.kind,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "regions": list(self.regions),
            "cause": self.cause,
        }

    def __str__(self) -> str:
        return self.describe("en")


class PluginLoadWarning(UserWarning):
    """Issued by :func:`ability2.load_registry` for each plugin (or region) it had to leave out.

    ``problem`` is the :class:`PluginProblem`. Turn the warnings into errors with
    ``load_registry(strict=True)``, the environment variable ``ABILITY2_STRICT_PLUGINS=1``
    or ``warnings.simplefilter("error", PluginLoadWarning)``.
    """

    def __init__(self, problem: PluginProblem) -> None:
        self.problem = problem
        super().__init__(problem.describe("en"))


class UnknownRuleError(Ability2Error, LookupError):
    """A rule id that the policy (or the rule catalogue) does not have."""

    def __init__(self, rule_id: str, where: str) -> None:
        self.rule_id = rule_id
        super().__init__(f"rule {rule_id!r} is not in {where}")


class UnknownAbilityError(Ability2Error, KeyError):
    """A micro-ability code or name that is not one of the framework's 30 (A1–A13, B1–B10, C1–C7)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown micro-ability {code!r}; codes run A1–A13, B1–B10, C1–C7")

    def __str__(self) -> str:
        # KeyError would quote the message; this is a sentence for a person
        return str(self.args[0])


class ResultFormatError(Ability2Error, ValueError):
    """Text given to :meth:`ability2.Result.from_json` that is not an evaluation result's JSON."""


class RegionUnavailableError(UnknownRegionError):
    """A region an installed plugin declares, not served because that plugin (or an ancestor's) is broken.

    ``problems`` are the :class:`PluginProblem` entries that explain it.
    """

    def __init__(self, name: str, problems: Sequence[PluginProblem]) -> None:
        self.problems = tuple(problems)
        plugins = ", ".join(dict.fromkeys(repr(p.cause or p.plugin) for p in self.problems))
        Ability2Error.__init__(
            self,
            f"region {name!r} is not available: plugin {plugins} failed to load"
            + "".join(f"\n  {p.describe('en')}" for p in self.problems),
        )
        self.name = name
        self.suggestions = ()
        self.broken = ()

    def describe(self, lang: str = "zh") -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        if lang == "en":
            return str(self)
        plugins = "、".join(dict.fromkeys(p.cause or p.plugin for p in self.problems))
        return f"地区 {self.name!r} 不可用：插件 {plugins} 加载失败" + "".join(
            f"\n  {p.describe('zh')}" for p in self.problems
        )


class PolicyDateError(Ability2Error):
    """A policy was asked for on a date when the region's rules are not in force."""


@attrs.frozen
class RosterProblem:
    """One problem in a roster: ``FILE:ROW:COLUMN: message``.

    ``row`` is the row number a spreadsheet shows (the header is row 1 of a plain CSV);
    ``None`` for problems of the whole file (a missing column).
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row if self.row is not None else '-'}:{self.column or '-'}: {self.message}"


class RosterError(Ability2Error):
    """A roster was rejected; ``problems`` lists every problem found, in row order."""

    def __init__(self, problems: list[RosterProblem], limit: int = 50) -> None:
        self.problems = tuple(problems)
        shown = "\n".join(str(p) for p in self.problems[:limit])
        more = f"\n... and {len(self.problems) - limit} more" if len(self.problems) > limit else ""
        count = len(self.problems)
        super().__init__(f"roster rejected: {count} problem{'s' if count != 1 else ''}\n{shown}{more}")


class EvaluationError(Ability2Error):
    """The policy cannot be applied as it stands (a rule that needs another, a plugin's rule that fails)."""


class CatalogueError(Ability2Error, ValueError):
    """Specs and kinds that do not fit together; ``messages`` lists every problem."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("\n".join(self.messages))


class ChangeSetError(PolicyFileError):
    """A change set was rejected; ``problems`` lists every problem in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        count = len(self.problems)
        self.args = (
            f"change set rejected: {count} problem{'s' if count != 1 else ''}:\n"
            + "\n".join(f"  {p}" for p in self.problems),
        )

    def __str__(self) -> str:
        return str(self.args[0])


class SheetUnavailableError(Ability2Error):
    """The ability's submission sheet is not in the framework data (or has no items there)."""


class SchoolTableError(RosterError):
    """A school table was rejected; ``problems`` lists every problem found, in row order."""

    def __init__(self, problems: list[RosterProblem], limit: int = 50) -> None:
        super().__init__(problems, limit)
        count = len(self.problems)
        shown = "\n".join(str(p) for p in self.problems[:limit])
        more = f"\n... and {count - limit} more" if count > limit else ""
        self.args = (f"school table rejected: {count} problem{'s' if count != 1 else ''}\n{shown}{more}",)
