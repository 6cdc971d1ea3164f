"""What an error means to whoever asked: one mapping for the command line and the HTTP service.

:func:`classify` turns an exception into a :class:`Failure`: a stable ``code``, the exit code
the command line returns (contract §3: 2 for bad usage or bad input, 1 for an internal
error), the message it prints after ``ability2: error:`` and, for a rejected roster or
school table, every ``FILE:ROW:COLUMN`` problem. ``ability2`` (the CLI) prints it;
``ability2 serve`` answers it as RFC 9457 problem details with the HTTP status of its code
(:data:`HTTP_STATUS`). Both read the same :class:`Failure`, so they cannot drift apart.

Not classified here, because they concern only a process: a broken pipe, Ctrl-C and
SIGTERM (the command line handles them itself).
"""

from __future__ import annotations

import attrs

from ability2.errors import RosterProblem

__all__ = ["CODES", "HTTP_STATUS", "Failure", "classify"]

#: every ``code`` :func:`classify` gives, with its meaning
CODES: dict[str, str] = {
    "roster_rejected": "a roster with problems (every FILE:ROW:COLUMN problem listed)",
    "school_table_rejected": "a school table with problems (every FILE:ROW:COLUMN problem listed)",
    "change_set_rejected": "a what-if change set naming unknown rules or values of the wrong type",
    "policy_file": "a policy or other YAML file that is malformed or past a YAML limit",
    "unknown_region": "a region id or GB/T 2260 code that no installed plugin declares",
    "region_unavailable": "a region an installed plugin declares, left out because that plugin is broken",
    "policy_date": "a date before the region's rules take effect",
    "bad_input": "any other bad usage or bad input (the message says what)",
    "environment": "the environment refused: a full disk, a permission, a missing path",
    "internal": "a bug in ability2 or a plugin",
}

#: the HTTP status ``ability2 serve`` answers for each code: 4xx for the client's input, 5xx for the server's fault
HTTP_STATUS: dict[str, int] = {
    "roster_rejected": 422,
    "school_table_rejected": 422,
    "change_set_rejected": 422,
    "policy_file": 422,
    "unknown_region": 404,
    "region_unavailable": 503,
    "policy_date": 422,
    "bad_input": 400,
    "environment": 503,
    "internal": 500,
}

EXIT_INTERNAL, EXIT_USAGE = 1, 2


@attrs.frozen
class Failure:
    """An exception as the command line reports it: code, exit code, message and problems.

    ``message`` is the text after ``ability2: error:`` (or ``ability2: internal error:``);
    ``problems`` the roster's or school table's problems, each printed on its own line
    after the message (empty for other errors).
    """

    code: str
    exit_code: int
    message: str
    problems: tuple[RosterProblem, ...] = ()

    @property
    def internal(self) -> bool:
        """Whether this is a bug (exit code 1), not bad input."""
        return self.exit_code == EXIT_INTERNAL

    def lines(self) -> list[str]:
        """What the command line prints on stderr, one string a line."""
        if self.internal:
            return [
                f"ability2: internal error: {self.message}",
                "This is a bug in ability2 or a plugin; rerun with ABILITY2_DEBUG=1 for the traceback.",
            ]
        return [f"ability2: error: {self.message}", *(str(problem) for problem in self.problems)]


def classify(exc: BaseException) -> Failure:
    """The :class:`Failure` an exception stands for (a bug, unless ability2 raised it on purpose)."""
    from ability2.errors import (
        Ability2Error,
        ChangeSetError,
        PolicyDateError,
        PolicyFileError,
        RegionUnavailableError,
        RosterError,
        SchoolTableError,
        UnknownRegionError,
    )

    if isinstance(exc, RosterError):
        # every problem, not only the first ones the exception's text shows
        school = isinstance(exc, SchoolTableError)
        what = "school table" if school else "roster"
        return Failure(
            "school_table_rejected" if school else "roster_rejected",
            EXIT_USAGE,
            f"{what} rejected: {len(exc.problems)} problem(s)",
            tuple(exc.problems),
        )
    if isinstance(exc, RegionUnavailableError):
        # the region and the plugins only: the plugins' problems name files of the server
        # (the command line prints them in full, from exc.describe)
        plugins = ", ".join(dict.fromkeys(repr(p.cause or p.plugin) for p in exc.problems))
        return Failure(
            "region_unavailable",
            EXIT_USAGE,
            f"region {exc.name!r} is not available: plugin {plugins} failed to load on the server",
        )
    if isinstance(exc, Ability2Error):
        if isinstance(exc, ChangeSetError):
            code = "change_set_rejected"
        elif isinstance(exc, PolicyFileError):
            code = "policy_file"
        elif isinstance(exc, UnknownRegionError):
            code = "unknown_region"
        elif isinstance(exc, PolicyDateError):
            code = "policy_date"
        else:
            code = "bad_input"
        return Failure(code, EXIT_USAGE, str(exc))
    if isinstance(exc, OSError):  # the environment refused: a full disk, a permission, a missing path
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return Failure("environment", EXIT_USAGE, f"cannot complete:{where}: {exc.strerror or exc}")
    return Failure("internal", EXIT_INTERNAL, f"{type(exc).__name__}: {exc}")
