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
    "CatalogueError",
    "ChangeSetError",
    "EvaluationError",
    "PolicyDateError",
    "PolicyFileError",
    "Problem",
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


class RegistryError(Ability2Error):
    """The plugins disagree: duplicate regions, a missing parent, a cycle, a bad override."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = tuple(messages)
        super().__init__("\n".join(self.messages))


class UnknownRegionError(Ability2Error, LookupError):
    """A region id or GB/T 2260 code that no installed plugin declares."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        message = f"unknown region {name!r}"
        if self.suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?"
        message += " (run `ability2 regions` to list the known regions)"
        super().__init__(message)


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
