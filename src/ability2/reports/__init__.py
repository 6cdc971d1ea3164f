"""Reports of an evaluation: JSON (contract §3.1), JSON Lines, Excel, printable HTML and terminal tables.

:func:`write_report` writes one report file atomically: it checks the target folder before
any work, writes a temporary file next to the target and renames it into place only when
the report is complete, so an error never leaves a partial file behind (and never touches
an existing file at the target).

The writers import pandas, xlsxwriter and rich only when called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    from ability2.result import Result

__all__ = ["FORMATS", "render_report", "write_report"]

#: the file formats :func:`write_report` writes
FORMATS = ("json", "jsonl", "xlsx", "html")

_LANGS = ("zh", "en")


def _check_args(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise Ability2Error(f"unknown report format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    if lang not in _LANGS:
        raise Ability2Error(f"unknown language {lang!r}; expected one of: {', '.join(_LANGS)}")


def render_report(result: Result, fmt: str, *, lang: str = "zh") -> str:
    """The ``json``, ``jsonl`` or ``html`` report as text (for standard output); ``xlsx`` is binary: use :func:`write_report`."""
    _check_args(fmt, lang)
    if fmt == "json":
        from ability2.resultjson import iter_json

        return "".join(iter_json(result, lang)) + "\n"
    if fmt == "jsonl":
        from ability2.resultjson import iter_jsonl

        return "".join(iter_jsonl(result, lang))
    if fmt == "html":
        from ability2.reports.html import render_html

        return render_html(result, lang)
    raise Ability2Error("the xlsx report is binary: write it to a file with -o FILE")


def write_report(result: Result, path: str | os.PathLike[str], fmt: str, *, lang: str = "zh") -> Path:
    """Write ``result`` as a ``json``, ``jsonl``, ``xlsx`` or ``html`` report at ``path``; return the path.

    Raises :class:`~ability2.errors.Ability2Error` before any work when the format or
    language is unknown, or the folder of ``path`` is missing or not writable. Nothing is
    left at ``path`` (and an existing file there is kept) when writing fails.
    """
    from ability2.files import check_writable, write_atomic

    _check_args(fmt, lang)
    check_writable(path)
    if fmt == "xlsx":
        # loaded (compiled, where no bytecode is cached) before the temporary file exists: CPython
        # can drop an exception that a signal handler raises while it compiles, and a report that
        # has begun its file must stop on SIGTERM
        from ability2.reports.xlsx import write_xlsx

    def write(temporary: Path) -> None:
        if fmt == "xlsx":
            write_xlsx(result, temporary, lang)
        elif fmt == "json":  # streamed: the document is never whole in memory
            from ability2.resultjson import write_json

            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                write_json(result, handle, lang)
        elif fmt == "jsonl":
            from ability2.resultjson import write_jsonl

            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                write_jsonl(result, handle, lang)
        else:
            temporary.write_bytes(render_report(result, fmt, lang=lang).encode("utf-8"))

    return write_atomic(path, write)
