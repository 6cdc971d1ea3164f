"""A request's roster (and school table, and what-if): an upload, a CSV or XLSX body, or JSON rows.

:func:`receive` takes the body off the wire (bounded by :class:`~ability2.service.limits.BodyLimit`)
into a private temporary folder; :class:`Inputs` then reads it with the library's own
bounded readers (:func:`ability2.read_roster`, :func:`ability2.read_schools`,
:func:`ability2.yamlio.read_yaml`; JSON by :meth:`Inputs.parsed`), in the worker thread, under the request's limits. A
problem names the file as the client sent it (the upload's name), never the server's path.

The bodies accepted:

* ``multipart/form-data``: a file part ``roster`` (CSV, XLSX or any format the reader
  knows), optionally a file part ``schools`` (a school table) and, for ``/compare``, a part
  ``what_if`` (a YAML or JSON change set);
* ``text/csv`` (or ``text/plain``): the roster as CSV; an Excel type or
  ``application/octet-stream``: the roster as a workbook (recognised by its content);
* ``application/json``: ``{"rows": [{column: value, ...}, ...]}`` (and, for ``/compare``,
  ``"what_if": {rule: value}``). A value is text, a number, ``true``/``false`` (``yes``/``no``)
  or ``null``; a list stands for its items separated by ``;`` (``["A1", "B2"]``). A problem's
  ROW is the row's 1-based position in ``rows`` and its FILE is ``rows``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import attrs

from ability2.errors import Ability2Error, RosterError, RosterProblem
from ability2.messages import msg
from ability2.service.negotiation import XLSX
from ability2.service.problems import RequestProblem

__all__ = ["JSON_ROWS_FILE", "REQUEST_TYPES", "Inputs", "receive"]

#: the FILE of a problem in JSON rows
JSON_ROWS_FILE = "rows"
#: the request body types ``/evaluate`` and ``/compare`` take
REQUEST_TYPES = ("multipart/form-data", "text/csv", XLSX, "application/json")
_CSV_TYPES = ("text/csv", "text/plain", "application/csv")
_WORKBOOK_TYPES = (XLSX, "application/vnd.ms-excel", "application/octet-stream")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _safe_name(filename: str | None, fallback: str) -> str:
    """The upload's file name, without folders or characters a file system refuses; ``fallback`` if none."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")[-120:]
    return name or fallback


@attrs.frozen
class _File:
    """A file received: where it lies on the server, and the name the client gave it."""

    path: Path
    name: str


@attrs.frozen
class Inputs:
    """What a request sent: a roster (a file or JSON rows), maybe a school table and a change set."""

    roster_file: _File | None = None
    rows: Any = None
    schools_file: _File | None = None
    what_if_text: str | None = None
    what_if_name: str = "what_if"
    #: a JSON body not parsed yet (:meth:`parsed` reads it, in the worker thread) and whether it may hold a what-if
    json_body: bytes | None = attrs.field(default=None, repr=False)
    json_what_if: bool = False

    def parsed(self) -> Inputs:
        """These inputs with a JSON body parsed into rows (and a change set); run it in the gated work.

        A JSON body is parsed here, not when received, so that parsing up to ``max_body_bytes``
        of JSON runs in the :class:`~ability2.service.limits.WorkGate`, under its time limit.
        """
        if self.json_body is None:
            return self
        return _json_inputs(self.json_body, self.json_what_if)

    def roster(self, framework: Any) -> Any:
        """The roster, read and validated (:class:`~ability2.roster.RosterError` names the client's file)."""
        from ability2.io.roster import read_roster

        if self.roster_file is None:
            return _read_rows(self.rows, framework)
        return _renamed(lambda: read_roster(self.roster_file.path, framework=framework), self.roster_file)

    def schools(self) -> Any:
        """The school table, read and validated, or ``None`` when none was sent."""
        if self.schools_file is None:
            return None
        from ability2.io.schools import read_schools

        return _renamed(lambda: read_schools(self.schools_file.path), self.schools_file)

    def what_if(self) -> dict[str, Any] | None:
        """The change set, read as YAML within the YAML limits, or ``None`` when none was sent."""
        if self.what_if_text is None:
            return None
        from ability2.yamlio import read_yaml

        changes = read_yaml(self.what_if_text, self.what_if_name).data
        if not isinstance(changes, dict):
            raise Ability2Error(msg("cli.change_set_not_mapping", file=self.what_if_name))
        return changes


def _renamed(read: Any, file: _File) -> Any:
    """``read()``, its problems naming the client's file instead of the server's path."""
    try:
        return read()
    except RosterError as exc:
        server = str(file.path)
        problems = [attrs.evolve(p, file=file.name) if p.file == server else p for p in exc.problems]
        raise type(exc)(problems) from None


# --------------------------------------------------------------------------- receiving


async def receive(request: Any, folder: Path, *, what_if: bool = False) -> Inputs:
    """The inputs of ``request``, its files saved in ``folder``; :class:`RequestProblem` for a body of another type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        return await _multipart(request, folder, what_if)
    if media == "application/json":  # parsed by Inputs.parsed(), in the gated work
        return Inputs(json_body=await request.body(), json_what_if=what_if)
    if media in _CSV_TYPES or media in _WORKBOOK_TYPES:
        body = await request.body()
        name = "roster.csv" if media in _CSV_TYPES else ("roster.xlsx" if media == XLSX else "roster")
        path = folder / name
        path.write_bytes(body)
        return Inputs(roster_file=_File(path, name))
    raise RequestProblem(
        "unsupported_media_type",
        msg("serve.media_type", xlsx=XLSX, media=media) if media else msg("serve.no_media_type", xlsx=XLSX),
    )


async def _multipart(request: Any, folder: Path, what_if: bool) -> Inputs:
    from starlette.datastructures import UploadFile

    try:
        form = await request.form(max_files=3, max_fields=8)
    except RequestProblem:
        raise
    except Exception as exc:  # the multipart parser's own errors: a malformed body
        raise Ability2Error(msg("serve.multipart", detail=str(exc))) from None
    try:
        known = {"roster", "schools", "what_if"} if what_if else {"roster", "schools"}
        unknown = sorted(set(form.keys()) - known)
        if unknown:
            raise Ability2Error(msg("serve.unknown_part", part=unknown[0], parts=sorted(known)))
        files: dict[str, _File] = {}
        for part in ("roster", "schools"):
            value = form.get(part)
            if value is None:
                continue
            if not isinstance(value, UploadFile):
                raise Ability2Error(msg("serve.part_not_file", part=part))
            name = _safe_name(value.filename, f"{part}.csv")
            target = folder / part
            target.mkdir()
            path = target / name
            with open(path, "wb") as handle:
                while chunk := await value.read(1 << 20):
                    handle.write(chunk)
            files[part] = _File(path, name)
        if "roster" not in files:
            raise Ability2Error(msg("serve.no_roster"))
        text, name = None, "what_if"
        change = form.get("what_if")
        if change is not None:
            if isinstance(change, UploadFile):
                name = _safe_name(change.filename, "what_if.yaml")
                raw = await change.read()
            else:
                raw = change.encode("utf-8", "surrogatepass")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Ability2Error(msg("serve.not_utf8", file=name)) from None
        return Inputs(
            roster_file=files["roster"], schools_file=files.get("schools"), what_if_text=text, what_if_name=name
        )
    finally:
        await form.close()


def _json_inputs(body: bytes, what_if: bool) -> Inputs:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise Ability2Error(msg("serve.not_json", detail=str(exc))) from None
    known = {"rows", "what_if"} if what_if else {"rows"}
    if not isinstance(data, dict) or "rows" not in data:
        raise Ability2Error(msg("serve.json_shape"))
    unknown = sorted(set(data) - known)
    if unknown:
        raise Ability2Error(msg("serve.unknown_key", key=unknown[0], keys=sorted(known)))
    if not isinstance(data["rows"], list):
        raise Ability2Error(msg("serve.rows_not_list"))
    text = None
    if data.get("what_if") is not None:
        if not isinstance(data["what_if"], dict):
            raise Ability2Error(msg("serve.what_if_not_object"))
        # JSON is YAML: the change set is read as the CLI reads a --what-if file, within the YAML limits
        text = json.dumps(data["what_if"], ensure_ascii=False)
    return Inputs(rows=data["rows"], what_if_text=text)


# --------------------------------------------------------------------------- JSON rows


def _cell(value: Any) -> str | None:
    """A JSON value as the text of a roster cell (``ValueError`` for an object or a nested list)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(msg("serve.number_too_large"))
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, list):
        return ";".join(text for item in value if not isinstance(item, list) and (text := _cell(item)) is not None)
    raise ValueError(msg("serve.cell_one_value"))


def _cell_problem(row: int, key: str, message: Any) -> RosterProblem:
    """A problem of a JSON cell: its column by canonical name and alias when the key names a contract column."""
    from ability2.io.roster import _BY_NAME, _canonical

    column = _BY_NAME.get(_canonical(key) or "")
    if column is None:
        return RosterProblem(JSON_ROWS_FILE, row, key, message)
    return RosterProblem(JSON_ROWS_FILE, row, column.name, message, alias=column.alias)


def _rows_frame(rows: list[Any]) -> Any:
    """JSON rows as a polars DataFrame of text, for :func:`ability2.read_roster`.

    Raises :class:`~ability2.roster.RosterError` for rows that are not objects, cells that are
    objects, text that is not Unicode, or more cells than ``max_sheet_cells``.
    """
    import polars as pl

    from ability2.limits import current, hint

    problems: list[RosterProblem] = []
    header: dict[str, None] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(RosterProblem(JSON_ROWS_FILE, index + 1, None, msg("serve.row_not_object")))
            if len(problems) >= 50:
                break
            continue
        for key in row:
            header.setdefault(key, None)
    cells = len(rows) * len(header)
    limit = current().max_sheet_cells
    if cells > limit:
        message = msg(
            "serve.too_many_cells", rows=len(rows), columns=len(header), limit=limit, hint=hint("max_sheet_cells")
        )
        raise RosterError([RosterProblem(JSON_ROWS_FILE, None, None, message)])
    for key in header:
        if _SURROGATE.search(key):
            problems.append(RosterProblem(JSON_ROWS_FILE, None, None, msg("serve.column_not_unicode")))
    columns: dict[str, list[str | None]] = {key: [] for key in header}
    for index, row in enumerate(rows):
        for key, values in columns.items():
            value = row.get(key) if isinstance(row, dict) else None
            try:
                text = _cell(value)
            except ValueError as exc:
                problems.append(_cell_problem(index + 1, key, exc.args[0]))
                text = None
            if text is not None and _SURROGATE.search(text):
                problems.append(_cell_problem(index + 1, key, msg("roster.not_unicode")))
                text = None
            values.append(text)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise RosterError(problems[:50])
    return pl.DataFrame([pl.Series(key, values, dtype=pl.String) for key, values in columns.items()])


def _read_rows(rows: list[Any], framework: Any) -> Any:
    """JSON rows read as a roster; a problem's FILE is ``rows`` and its ROW the row's 1-based position."""
    from ability2.io.roster import DATAFRAME_SOURCE, read_roster

    try:
        return read_roster(_rows_frame(rows), framework=framework)
    except RosterError as exc:
        problems = [
            attrs.evolve(p, file=JSON_ROWS_FILE, row=p.row - 1 if p.row is not None and p.row > 1 else None)
            if p.file == DATAFRAME_SOURCE
            else p
            for p in exc.problems
        ]
        raise RosterError(problems) from None
