"""Reports of an evaluation: JSON (contract §3.1), Excel, printable HTML and terminal tables.

:func:`write_report` writes one report file atomically: it checks the target folder before
any work, writes a temporary file next to the target and renames it into place only when
the report is complete, so an error never leaves a partial file behind (and never touches
an existing file at the target).

The writers import pandas, xlsxwriter and rich only when called.
"""

from __future__ import annotations

import json
import os
import secrets
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    from ability2.result import Result

__all__ = ["FORMATS", "render_report", "write_report"]

#: the file formats :func:`write_report` writes
FORMATS = ("json", "xlsx", "html")

_LANGS = ("zh", "en")


def _check_args(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise Ability2Error(f"unknown report format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    if lang not in _LANGS:
        raise Ability2Error(f"unknown language {lang!r}; expected one of: {', '.join(_LANGS)}")


def render_report(result: Result, fmt: str, *, lang: str = "zh") -> str:
    """The ``json`` or ``html`` report as text (for standard output); ``xlsx`` is binary: use :func:`write_report`."""
    _check_args(fmt, lang)
    if fmt == "json":
        return json.dumps(result.to_dict(lang), ensure_ascii=False) + "\n"
    if fmt == "html":
        from ability2.reports.html import render_html

        return render_html(result, lang)
    raise Ability2Error("the xlsx report is binary: write it to a file with -o FILE")


def _writable_target(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    folder = target.parent
    if not folder.exists():
        raise Ability2Error(f"cannot write {target}: folder {folder} does not exist")
    if not folder.is_dir():
        raise Ability2Error(f"cannot write {target}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Ability2Error(f"cannot write {target}: folder {folder} is not writable")
    if target.is_dir():
        raise Ability2Error(f"cannot write {target}: it is a folder")
    return target


def _temporary(target: Path) -> tuple[Path, int]:
    """A new, empty file next to ``target`` (mode from the umask, like a plain ``open``)."""
    for _ in range(100):
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise Ability2Error(f"cannot write {target}: {exc.strerror or exc}") from exc
        return candidate, fd
    raise Ability2Error(f"cannot write {target}: no free temporary name in {target.parent}")  # pragma: no cover


def write_report(result: Result, path: str | os.PathLike[str], fmt: str, *, lang: str = "zh") -> Path:
    """Write ``result`` as a ``json``, ``xlsx`` or ``html`` report at ``path``; return the path.

    Raises :class:`~ability2.errors.Ability2Error` before any work when the format or
    language is unknown, or the folder of ``path`` is missing or not writable. Nothing is
    left at ``path`` (and an existing file there is kept) when writing fails.
    """
    _check_args(fmt, lang)
    target = _writable_target(path)
    temporary, fd = _temporary(target)
    try:
        if fmt == "xlsx":
            os.close(fd)
            fd = -1
            from ability2.reports.xlsx import write_xlsx

            write_xlsx(result, temporary, lang)
        else:
            content = render_report(result, fmt, lang=lang).encode("utf-8")
            with os.fdopen(fd, "wb") as handle:
                fd = -1
                handle.write(content)
        os.replace(temporary, target)
    except BaseException as exc:
        if fd >= 0:
            with suppress(OSError):
                os.close(fd)
        with suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, Ability2Error):
            raise Ability2Error(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    return target
