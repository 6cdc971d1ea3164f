"""Reports of an evaluation: JSON (contract §3.1), JSON Lines, Excel, printable HTML and terminal tables.

:func:`write_report` writes one report file atomically: it checks the target folder before
any work, writes a temporary file next to the target and renames it into place only when
the report is complete, so an error never leaves a partial file behind (and never touches
an existing file at the target). :func:`stream_report` writes any format into a binary file
object (an HTTP response, a ZIP entry), and :func:`report_bytes` returns it as bytes;
:func:`render_report` returns the text formats as text.

The writers import pandas, xlsxwriter and rich only when called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ability2.errors import Ability2Error
from ability2.messages import msg

if TYPE_CHECKING:
    from ability2.result import Result

__all__ = ["FORMATS", "render_report", "report_bytes", "stream_report", "write_report"]

#: the file formats :func:`write_report` writes
FORMATS = ("json", "jsonl", "xlsx", "html")

_LANGS = ("zh", "en")


def _check_args(fmt: str, lang: str, max_teachers: int | None = None, max_schools: int | None = None) -> None:
    from ability2.reports.html import check_caps

    check_caps(max_teachers, max_schools)
    if fmt not in FORMATS:
        raise Ability2Error(msg("reports.unknown_format", fmt=str(fmt), formats=tuple(FORMATS)))
    if lang not in _LANGS:
        raise Ability2Error(msg("lang.unknown", lang=str(lang), langs=tuple(_LANGS)))


def render_report(
    result: Result,
    fmt: str,
    *,
    lang: str = "zh",
    max_teachers: int | None = None,
    max_schools: int | None = None,
) -> str:
    """The ``json``, ``jsonl`` or ``html`` report as text (for standard output); ``xlsx`` is binary: use :func:`write_report`.

    ``max_teachers`` and ``max_schools`` cap the rows the ``html`` report lists (defaults
    :data:`~ability2.reports.html.MAX_TEACHERS` and :data:`~ability2.reports.html.MAX_SCHOOLS`;
    past a cap it lists those to act on and says what it leaves out, see
    :mod:`ability2.reports.html`). The other formats hold every row and ignore them.
    """
    _check_args(fmt, lang, max_teachers, max_schools)
    if fmt == "json":
        from ability2.resultjson import iter_json

        return "".join(iter_json(result, lang)) + "\n"
    if fmt == "jsonl":
        from ability2.resultjson import iter_jsonl

        return "".join(iter_jsonl(result, lang))
    if fmt == "html":
        from ability2.reports.html import render_html

        return render_html(result, lang, max_teachers=max_teachers, max_schools=max_schools)
    raise Ability2Error(msg("reports.xlsx_binary"))


def stream_report(
    result: Result,
    handle: BinaryIO,
    fmt: str,
    *,
    lang: str = "zh",
    max_teachers: int | None = None,
    max_schools: int | None = None,
) -> None:
    """Write ``result`` as a ``json``, ``jsonl``, ``xlsx`` or ``html`` report into the binary file object ``handle``.

    Text formats are UTF-8 and written as they are rendered (the handle sees the report in
    pieces); the ``xlsx`` workbook is built in a temporary file and copied in. The handle is
    left open. Arguments are checked before anything is written, as in :func:`write_report`.
    """
    import io

    _check_args(fmt, lang, max_teachers, max_schools)
    if fmt == "json":
        from ability2.resultjson import write_json

        write_json(result, handle, lang)
    elif fmt == "jsonl":
        from ability2.resultjson import write_jsonl

        write_jsonl(result, handle, lang)
    elif fmt == "html":
        from ability2.reports.html import write_html

        text = io.TextIOWrapper(handle, encoding="utf-8", newline="\n", write_through=True)
        try:
            write_html(result, text, lang, max_teachers=max_teachers, max_schools=max_schools)
            text.flush()
        finally:
            text.detach()  # the caller's handle stays open
    else:
        import shutil
        import tempfile

        from ability2.reports.xlsx import write_xlsx

        with tempfile.TemporaryDirectory(prefix="ability2-xlsx-") as folder:
            path = Path(folder) / "report.xlsx"
            write_xlsx(result, path, lang)
            with open(path, "rb") as built:
                shutil.copyfileobj(built, handle, 1 << 20)


def report_bytes(
    result: Result,
    fmt: str,
    *,
    lang: str = "zh",
    max_teachers: int | None = None,
    max_schools: int | None = None,
) -> bytes:
    """The ``json``, ``jsonl``, ``xlsx`` or ``html`` report as bytes (UTF-8 for the text formats)."""
    import io

    buffer = io.BytesIO()
    stream_report(result, buffer, fmt, lang=lang, max_teachers=max_teachers, max_schools=max_schools)
    return buffer.getvalue()


def write_report(
    result: Result,
    path: str | os.PathLike[str],
    fmt: str,
    *,
    lang: str = "zh",
    max_teachers: int | None = None,
    max_schools: int | None = None,
) -> Path:
    """Write ``result`` as a ``json``, ``jsonl``, ``xlsx`` or ``html`` report at ``path``; return the path.

    ``max_teachers`` and ``max_schools`` cap the rows the ``html`` report lists, as in
    :func:`render_report` (:func:`ability2.reports.html.plan_html` tells what it leaves out).
    Raises :class:`~ability2.errors.Ability2Error` before any work when the format or
    language is unknown, a cap is not a whole number 0 or more, or the folder of ``path``
    is missing or not writable. Nothing is left at ``path`` (and an existing file there is
    kept) when writing fails.
    """
    from ability2.files import check_writable, open_temporary, write_atomic

    _check_args(fmt, lang, max_teachers, max_schools)
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

            with open_temporary(temporary) as handle:  # UTF-8 bytes, written as they are rendered
                write_json(result, handle, lang)
        elif fmt == "jsonl":
            from ability2.resultjson import write_jsonl

            with open_temporary(temporary) as handle:  # UTF-8 bytes, written as they are rendered
                write_jsonl(result, handle, lang)
        else:  # html, streamed as well
            from ability2.reports.html import write_html

            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                write_html(result, handle, lang, max_teachers=max_teachers, max_schools=max_schools)

    return write_atomic(path, write)
