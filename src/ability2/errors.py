"""Errors raised by ability2.

Every error a user can meet derives from :class:`Ability2Error`. Errors about input
(policy files, regions, dates, rosters) carry enough context to find the problem: the file,
the key path inside it and, where the YAML parser knows it, the line.

Every error speaks the reader's language (:mod:`ability2.messages`: Chinese by default,
English inside ``messages.language("en")``, on the command line with ``--lang en``) and
reads as data: ``error.to_dict()`` gives its ``code`` (one of
:data:`ability2.failures.CODES`), its ``message``, the ``message_code`` of the sentence and
its structured fields (a roster's problems each with ``file``, ``row``, ``column`` and the
column's ``alias``; a policy file's problems with ``file``, ``line`` and ``path``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import attrs

from ability2.messages import Message, msg, render

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
    "ProblemListError",
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


def _current() -> str:
    from ability2.messages import current_language

    return current_language()


def _clauses(parts: Sequence[str], lang: str | None) -> str:
    """Clauses of one sentence: joined by ``；`` in Chinese, ``; `` in English."""
    return ("；" if (lang or _current()) == "zh" else "; ").join(parts)


def _rebuilt(cls: type[Ability2Error], args: tuple[Any, ...], state: dict[str, Any]) -> Ability2Error:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class Ability2Error(Exception):
    """Base class of every error ability2 raises on purpose (bad input, bad usage).

    ``str(error)`` is the message in the current language (:func:`ability2.messages.language`);
    :meth:`text` takes the language; :meth:`to_dict` gives the error as data.
    """

    #: the stable code of this family of errors, one of :data:`ability2.failures.CODES`
    error_code: ClassVar[str] = "bad_input"

    @property
    def message(self) -> Message | str:
        """The error's sentence: a :class:`~ability2.messages.Message` (shown in any language) or plain text."""
        first = self.args[0] if self.args else ""
        return first if isinstance(first, Message | str) else str(first)

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the current language)."""
        return render(self.message, lang)

    def __str__(self) -> str:
        return self.text()

    def summary(self, lang: str | None = None) -> str:
        """The message without the list of problems an error about many problems carries (else :meth:`text`)."""
        return self.text(lang)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """The error's structured fields beyond code and message (subclasses add theirs)."""
        return {}

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The error as JSON-ready data: ``code``, ``message``, ``message_code`` and the fields of :meth:`fields`."""
        message = self.message
        return {
            "code": self.error_code,
            "message": self.summary(lang),
            "message_code": message.code if isinstance(message, Message) else None,
            **self.fields(lang),
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # errors cross process boundaries (the partitioned path, Dask workers): rebuild them
        # from their state, whatever their constructor's signature
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


@attrs.frozen
class Problem:
    """One problem found in an input file.

    ``path`` is the key path inside the file, written the way a reader finds it:
    ``rules["hours.total_min"].bound``. ``line`` is 1-based, or ``None`` when unknown.
    ``message`` is a :class:`~ability2.messages.Message` (shown in the current language) or
    plain text.
    """

    file: str
    path: str
    message: Message | str
    line: int | None = None

    @property
    def code(self) -> str | None:
        """The message's code (``None`` for plain text)."""
        return self.message.code if isinstance(self.message, Message) else None

    def text(self, lang: str | None = None) -> str:
        """``FILE:LINE: PATH: message`` in ``lang`` (default: the current language)."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        said = render(self.message, lang)
        return f"{where}: {self.path}: {said}" if self.path else f"{where}: {said}"

    def __str__(self) -> str:
        return self.text()

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The problem as JSON-ready data: ``code``, ``file``, ``line``, ``path``, ``message``."""
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": render(self.message, lang),
        }


class PolicyFileError(Ability2Error):
    """A policy, framework or plugin data file is malformed.

    ``problems`` lists every problem found, not only the first one.
    """

    error_code = "policy_file"
    #: the message heading the list of problems
    _heading = "policy.problems"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(msg(self._heading, count=len(self.problems)))

    def text(self, lang: str | None = None) -> str:
        """The heading and every problem, one a line, in ``lang``."""
        return render(self.message, lang) + "".join(f"\n  {p.text(lang)}" for p in self.problems)

    def summary(self, lang: str | None = None) -> str:
        """The heading alone (the problems are listed by :meth:`fields`)."""
        return render(self.message, lang)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``problems``: each problem as data."""
        return {"problems": [p.to_dict(lang) for p in self.problems]}


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

    def __init__(self, messages: Sequence[Message | str]) -> None:
        self.messages = tuple(messages)
        super().__init__(self.messages[0] if len(self.messages) == 1 else "")

    def text(self, lang: str | None = None) -> str:
        """Every message, one a line, in ``lang``."""
        return "\n".join(render(m, lang) for m in self.messages)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``messages``: every message in ``lang``."""
        return {"messages": [render(m, lang) for m in self.messages]}


class UnknownRegionError(Ability2Error, LookupError):
    """A region id or GB/T 2260 code that no installed plugin declares."""

    error_code = "unknown_region"

    def __init__(self, name: str, suggestions: Sequence[str] = (), *, broken: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        #: plugins that failed to load before their regions were known: one of them may declare it
        self.broken = tuple(broken)
        super().__init__(msg("region.unknown", name=name))

    def text(self, lang: str | None = None) -> str:
        """The message, the suggestions and the broken plugins that may declare the region, in ``lang``."""
        parts = [render(self.message, lang)]
        if self.suggestions:
            parts.append(render(msg("region.did_you_mean", names=self.suggestions), lang))
        parts.append(render(msg("region.list_hint"), lang))
        if self.broken:
            parts.append(render(msg("region.maybe_broken", plugins=self.broken), lang))
        return _clauses(parts, lang)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``region``, ``suggestions`` and ``broken`` plugins."""
        return {"region": self.name, "suggestions": list(self.suggestions), "broken": list(self.broken)}


#: what went wrong with a plugin (:attr:`PluginProblem.kind`)
PLUGIN_PROBLEM_KINDS = ("import", "hook", "messages", "catalogue", "sheets", "policy", "tree", "inherits")

#: what each kind of problem did to the plugin, as a message (``plugin.kind.*``)
_KIND_WORDS = {
    "import": msg("plugin.kind.import"),
    "hook": msg("plugin.kind.hook"),
    "messages": msg("plugin.kind.messages"),
    "catalogue": msg("plugin.kind.catalogue"),
    "sheets": msg("plugin.kind.sheets"),
    "policy": msg("plugin.kind.policy"),
    "tree": msg("plugin.kind.tree"),
    "inherits": msg("plugin.kind.inherits"),
}


@attrs.frozen
class PluginProblem:
    """Why a plugin (or some of its regions) was left out of a registry.

    :func:`ability2.load_registry` loads every plugin it can: a plugin that fails to import,
    whose hook raises, or whose policy file is malformed is left out, and each such problem
    is one ``PluginProblem`` in :attr:`Registry.problems <ability2.Registry.problems>` (and a
    :class:`PluginLoadWarning`). ``kind`` is one of ``import``, ``hook``, ``messages`` (its
    message catalogue, :func:`~ability2.hookspecs.ability2_message_files`), ``catalogue``,
    ``sheets``, ``policy``, ``tree`` (the plugin is left out) or ``inherits`` (the plugin is
    sound, but ``regions`` inherit from a region of the broken plugin ``cause``, so they are
    not served either). ``file``, ``line`` and ``path`` locate the problem where known;
    ``message`` is the loader's own sentence; ``regions`` are the region ids not served
    because of it.
    """

    plugin: str
    kind: str
    message: Message | str
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

    def describe(self, lang: str | None = None) -> str:
        """One line for a person, in ``lang`` (``zh`` or ``en``; default: the current language)."""
        return render(self.description(), lang)

    def description(self) -> Message:
        """The line :meth:`describe` shows, as a message (``plugin.left_out``, ``plugin.inherits``)."""
        where = self.location()
        detail = msg("plugin.detail_at", where=where, detail=self.message) if where else self.message
        if self.kind == "inherits":
            return msg("plugin.inherits", plugin=self.plugin, regions=self.regions, cause=self.cause, detail=detail)
        served = msg("plugin.not_served", regions=self.regions) if self.regions else ""
        what = _KIND_WORDS.get(self.kind, self.kind)
        return msg("plugin.left_out", plugin=self.plugin, what=what, served=served, detail=detail)

    @property
    def code(self) -> str | None:
        """The loader's message's code (``None`` for plain text)."""
        return self.message.code if isinstance(self.message, Message) else None

    def to_dict(self, lang: str | None = None) -> dict[str, object]:
        """The problem as JSON-ready data (every field; the message in ``lang``)."""
        return {
            "plugin": self.plugin,
            "kind": self.kind,
            "code": self.code,
            "message": render(self.message, lang),
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "regions": list(self.regions),
            "cause": self.cause,
        }

    def __str__(self) -> str:
        return self.describe()


class PluginLoadWarning(UserWarning):
    """Issued by :func:`ability2.load_registry` for each plugin (or region) it had to leave out.

    ``problem`` is the :class:`PluginProblem`. Turn the warnings into errors with
    ``load_registry(strict=True)``, the environment variable ``ABILITY2_STRICT_PLUGINS=1``
    or ``warnings.simplefilter("error", PluginLoadWarning)``.
    """

    def __init__(self, problem: PluginProblem) -> None:
        self.problem = problem
        super().__init__(problem.describe())


class UnknownRuleError(Ability2Error, LookupError):
    """A rule id that the policy (or the rule catalogue) does not have."""

    def __init__(self, rule_id: str, where: Message | str) -> None:
        self.rule_id = rule_id
        super().__init__(msg("rule.unknown", rule=rule_id, where=where))

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``rule``: the rule id asked for."""
        return {"rule": self.rule_id}


class UnknownAbilityError(Ability2Error, KeyError):
    """A micro-ability code or name that is not one of the framework's 30 (A1–A13, B1–B10, C1–C7)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(msg("ability.unknown", code=code))

    def __str__(self) -> str:
        # KeyError would quote the message; this is a sentence for a person
        return self.text()

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``ability``: the code asked for."""
        return {"ability": self.code}


class ResultFormatError(Ability2Error, ValueError):
    """Text given to :meth:`ability2.Result.from_json` that is not an evaluation result's JSON."""


class RegionUnavailableError(UnknownRegionError):
    """A region an installed plugin declares, not served because that plugin (or an ancestor's) is broken.

    ``problems`` are the :class:`PluginProblem` entries that explain it.
    """

    error_code = "region_unavailable"

    def __init__(self, name: str, problems: Sequence[PluginProblem]) -> None:
        self.problems = tuple(problems)
        plugins = tuple(dict.fromkeys(p.cause or p.plugin for p in self.problems))
        Ability2Error.__init__(self, msg("region.unavailable", name=name, plugins=plugins))
        self.name = name
        self.suggestions = ()
        self.broken = ()

    def text(self, lang: str | None = None) -> str:
        """The message and each plugin's problem, one a line, in ``lang``."""
        chosen = lang or _current()
        return render(self.message, chosen) + "".join(f"\n  {p.describe(chosen)}" for p in self.problems)

    def describe(self, lang: str = "zh") -> str:
        """The message in ``lang`` (``zh`` or ``en``)."""
        return self.text(lang)

    def summary(self, lang: str | None = None) -> str:
        """The message without the plugins' problems (they name files of the machine that loaded them)."""
        return render(self.message, lang)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``region`` and the ``plugins`` that failed."""
        return {"region": self.name, "plugins": list(dict.fromkeys(p.cause or p.plugin for p in self.problems))}


class PolicyDateError(Ability2Error):
    """A policy was asked for on a date when the region's rules are not in force.

    ``region`` is the region id, ``on`` the date asked for and ``effective_from`` the first
    date the region's rules are in force (``None`` when it has none); :meth:`fields` gives them.
    """

    error_code = "policy_date"

    def __init__(
        self,
        message: Message | str,
        *,
        region: str | None = None,
        on: Any = None,
        effective_from: Any = None,
    ) -> None:
        super().__init__(message)
        self.region = region
        self.on = on
        self.effective_from = effective_from

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``region``, ``on`` and ``effective_from`` (ISO dates, or ``None``)."""
        return {
            "region": self.region,
            "on": None if self.on is None else str(self.on),
            "effective_from": None if self.effective_from is None else str(self.effective_from),
        }


@attrs.frozen
class RosterProblem:
    """One problem in a roster: ``FILE:ROW:COLUMN: message``.

    ``row`` is the row number a spreadsheet shows (the header is row 1 of a plain CSV);
    ``None`` for problems of the whole file (a missing column). ``column`` is the column's
    canonical name (``online_hours``) or, for a column the contract does not name, its header
    as written; ``alias`` the contract's Chinese alias (``线上学时``) where there is one.
    ``message`` is a :class:`~ability2.messages.Message` (shown in the current language) or
    plain text.
    """

    file: str
    row: int | None
    column: str | None
    message: Message | str
    alias: str | None = None

    @property
    def code(self) -> str | None:
        """The message's code (``None`` for plain text)."""
        return self.message.code if isinstance(self.message, Message) else None

    def column_text(self, lang: str | None = None) -> str | None:
        """The column as a reader of ``lang`` finds it: the alias in Chinese, the canonical name in English."""
        if self.column is None:
            return None
        if self.alias and (lang or _current()) == "zh":
            return self.alias
        return self.column

    def text(self, lang: str | None = None) -> str:
        """``FILE:ROW:COLUMN: message`` in ``lang`` (``-`` for no row or column)."""
        row = self.row if self.row is not None else "-"
        return f"{self.file}:{row}:{self.column_text(lang) or '-'}: {render(self.message, lang)}"

    def __str__(self) -> str:
        return self.text()

    def to_data(self) -> dict[str, Any]:
        """The problem itself as JSON-ready data (its message not yet shown), rebuilt by :meth:`from_data`."""
        message = self.message.to_data() if isinstance(self.message, Message) else self.message
        return {"file": self.file, "row": self.row, "column": self.column, "message": message, "alias": self.alias}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RosterProblem:
        """The problem :meth:`to_data` gave."""
        message = data["message"]
        said = Message.from_data(message) if isinstance(message, dict) else str(message)
        return cls(data["file"], data["row"], data["column"], said, data.get("alias"))

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The problem as JSON-ready data: ``code``, ``file``, ``row``, ``column``, ``alias``, ``message``."""
        return {
            "code": self.code,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "alias": self.alias,
            "message": render(self.message, lang),
        }


class RosterError(Ability2Error):
    """A roster was rejected; ``problems`` lists every problem found, in row order.

    ``str(error)`` shows the first ``limit`` problems; :meth:`to_dict` holds every one.
    """

    error_code = "roster_rejected"
    _heading = "roster.rejected"

    def __init__(self, problems: list[RosterProblem], limit: int = 50) -> None:
        self.problems = tuple(problems)
        self.limit = limit
        super().__init__(msg(self._heading, count=len(self.problems)))

    def text(self, lang: str | None = None) -> str:
        """The heading and the first ``limit`` problems, one a line, in ``lang``."""
        lines = [render(self.message, lang), *(p.text(lang) for p in self.problems[: self.limit])]
        if len(self.problems) > self.limit:
            lines.append(render(msg("problems.more", count=len(self.problems) - self.limit), lang))
        return "\n".join(lines)

    def summary(self, lang: str | None = None) -> str:
        """The heading alone (the problems are listed by :meth:`fields`)."""
        return render(self.message, lang)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``problems``: every problem as data."""
        return {"problems": [p.to_dict(lang) for p in self.problems]}


class EvaluationError(Ability2Error):
    """The policy cannot be applied as it stands (a rule that needs another, a plugin's rule that fails).

    Where known, ``rule`` is the rule id, ``kind`` the rule kind and ``plugin`` the plugin
    that provides it; :meth:`fields` gives them.
    """

    def __init__(
        self,
        message: Message | str,
        *,
        rule: str | None = None,
        kind: str | None = None,
        plugin: str | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.kind = kind
        self.plugin = plugin

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``rule``, ``kind`` and ``plugin`` (``None`` where not known)."""
        return {"rule": self.rule, "kind": self.kind, "plugin": self.plugin}


class CatalogueError(Ability2Error, ValueError):
    """Specs and kinds that do not fit together; ``messages`` lists every problem."""

    def __init__(self, messages: Sequence[Message | str]) -> None:
        self.messages = tuple(messages)
        super().__init__(self.messages[0] if len(self.messages) == 1 else "")

    def text(self, lang: str | None = None) -> str:
        """Every message, one a line, in ``lang``."""
        return "\n".join(render(m, lang) for m in self.messages)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``messages``: every message in ``lang``."""
        return {"messages": [render(m, lang) for m in self.messages]}


class ChangeSetError(PolicyFileError):
    """A change set was rejected; ``problems`` lists every problem in it."""

    error_code = "change_set_rejected"
    _heading = "whatif.rejected"


class SheetUnavailableError(Ability2Error):
    """The ability's submission sheet is not in the framework data (or has no items there)."""


class SchoolTableError(RosterError):
    """A school table was rejected; ``problems`` lists every problem found, in row order."""

    error_code = "school_table_rejected"
    _heading = "schools.rejected"


class ProblemListError(Ability2Error):
    """Bad input with several problems: a heading, then one problem a line.

    ``problems`` are messages, or errors (each shown whole, in the same language).
    """

    def __init__(self, heading: Message | str, problems: Sequence[Message | str | Ability2Error]) -> None:
        self.problems = tuple(problems)
        super().__init__(heading)

    def text(self, lang: str | None = None) -> str:
        """The heading and every problem, one a line, in ``lang``."""
        return render(self.message, lang) + "".join(f"\n  {_problem_text(p, lang)}" for p in self.problems)

    def summary(self, lang: str | None = None) -> str:
        """The heading alone (the problems are listed by :meth:`fields`)."""
        return render(self.message, lang)

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``problems``: every problem in ``lang``, with its code."""
        return {
            "problems": [
                p.to_dict(lang)
                if isinstance(p, Ability2Error)
                else {"code": p.code if isinstance(p, Message) else None, "message": render(p, lang)}
                for p in self.problems
            ]
        }


def _problem_text(problem: Message | str | Ability2Error, lang: str | None) -> str:
    return problem.text(lang) if isinstance(problem, Ability2Error) else render(problem, lang)
