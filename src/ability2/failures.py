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

from typing import Any

import attrs

from ability2.errors import RosterProblem
from ability2.messages import Message, current_language, msg, render

__all__ = ["CODES", "HTTP_STATUS", "OS_REASONS", "Failure", "classify", "os_reason"]

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

#: the errno names an :class:`OSError` is told by in the reader's language, with their messages;
#: any other errno is shown by its name (``os.other``: ``ENOMEM``)
OS_REASONS: dict[str, Message] = {
    "ENOENT": msg("os.enoent"),
    "EACCES": msg("os.eacces"),
    "EPERM": msg("os.eperm"),
    "ENOSPC": msg("os.enospc"),
    "EDQUOT": msg("os.edquot"),
    "EISDIR": msg("os.eisdir"),
    "ENOTDIR": msg("os.enotdir"),
    "EEXIST": msg("os.eexist"),
    "EROFS": msg("os.erofs"),
    "EADDRINUSE": msg("os.eaddrinuse"),
    "EADDRNOTAVAIL": msg("os.eaddrnotavail"),
    "EMFILE": msg("os.emfile"),
    "ENAMETOOLONG": msg("os.enametoolong"),
    "ELOOP": msg("os.eloop"),
    "EFBIG": msg("os.efbig"),
    "EIO": msg("os.eio"),
    "ENOTEMPTY": msg("os.enotempty"),
    "EBUSY": msg("os.ebusy"),
    "EXDEV": msg("os.exdev"),
}


def os_reason(exc: OSError) -> Message:
    """Why the operating system refused, as a message by its errno: ``os.enoent`` (没有这个文件或文件夹 / no such file or folder).

    An errno outside :data:`OS_REASONS` is named by its symbol (``os.other``, e.g. ``ENOMEM``),
    an OSError without one (a library's own) by its text, never by the C library's English sentence.
    """
    import errno

    name = errno.errorcode.get(exc.errno) if isinstance(exc.errno, int) else None
    if name in OS_REASONS:
        return OS_REASONS[name]
    if name is not None:
        return msg("os.other", name=name)
    return msg("os.unexplained", detail=exc.strerror or str(exc) or type(exc).__name__)


@attrs.frozen
class Failure:
    """An exception as the command line reports it: code, exit code, message and problems.

    ``message`` is the text after ``ability2: error:`` (or ``ability2: internal error:``), in
    the language :func:`classify` was given; ``problems`` the roster's or school table's
    problems, each printed on its own line after the message (empty for other errors);
    ``data`` the error as JSON-ready data (:meth:`ability2.errors.Ability2Error.to_dict`), what
    ``--format json`` prints and the service answers.
    """

    code: str
    exit_code: int
    message: str
    problems: tuple[RosterProblem, ...] = ()
    lang: str = "zh"
    data: dict[str, Any] = attrs.field(factory=dict, eq=False)

    @property
    def internal(self) -> bool:
        """Whether this is a bug (exit code 1), not bad input."""
        return self.exit_code == EXIT_INTERNAL

    def lines(self) -> list[str]:
        """What the command line prints on stderr, one string a line."""
        if self.internal:
            return [
                f"ability2: {render(msg('cli.internal_error'), self.lang)}: {self.message}",
                render(msg("cli.internal_hint"), self.lang),
            ]
        head = f"ability2: {render(msg('cli.error'), self.lang)}: {self.message}"
        return [head, *(problem.text(self.lang) for problem in self.problems)]

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "exit_code", "message", ...}``: the failure as data (every problem included)."""
        return {**self.data, "code": self.code, "exit_code": self.exit_code, "message": self.message}


def classify(exc: BaseException, lang: str | None = None) -> Failure:
    """The :class:`Failure` an exception stands for (a bug, unless ability2 raised it on purpose).

    Its message is in ``lang`` (default: the current language, :mod:`ability2.messages`).
    """
    from ability2.errors import Ability2Error, RegionUnavailableError, RosterError

    chosen = lang or current_language()
    if isinstance(exc, RosterError):
        # every problem, not only the first ones the exception's text shows
        return Failure(
            exc.error_code, EXIT_USAGE, exc.summary(chosen), tuple(exc.problems), chosen, exc.to_dict(chosen)
        )
    if isinstance(exc, RegionUnavailableError):
        # the region and the plugins only: the plugins' problems name files of the server
        # (the command line prints them in full, from exc.describe)
        return Failure(exc.error_code, EXIT_USAGE, exc.summary(chosen), (), chosen, exc.to_dict(chosen))
    if isinstance(exc, Ability2Error):
        return Failure(exc.error_code, EXIT_USAGE, exc.text(chosen), (), chosen, exc.to_dict(chosen))
    if isinstance(exc, OSError):  # the environment refused: a full disk, a permission, a missing path
        reason = os_reason(exc)
        file = getattr(exc, "filename", None) or "-"
        said = render(msg("os.refused", file=file, reason=reason), chosen)
        data = {"message_code": "os.refused", "reason_code": reason.code, "file": file, "errno": exc.errno}
        return Failure("environment", EXIT_USAGE, said, (), chosen, data)
    said = f"{type(exc).__name__}: {exc}"
    return Failure("internal", EXIT_INTERNAL, said, (), chosen, {"message_code": None})
