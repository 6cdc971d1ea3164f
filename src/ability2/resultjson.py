"""The JSON report (contract §3.1), written as a stream: a million teachers in seconds, in bounded memory.

The text is exactly what ``json.dumps(result.to_dict(lang), ensure_ascii=False, indent=...)``
gives, without building that dictionary: a rule's verdict on a teacher depends only on the
rule's per-entity fields (value, verdict, counts, exemption), and a rule takes few distinct
combinations of them over a roster (hours come in few values), so each distinct reason is
rendered once and every teacher's ``reasons`` is assembled from the rendered pieces, a slice
of teachers at a time. A rule kind's own ``formatter`` must therefore depend only on those
fields (:class:`~ability2.RuleColumn`), as the core's do.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import numpy as np

    from ability2.result import Result, RuleColumn

__all__ = ["JSONL_FORMAT", "iter_json", "iter_jsonl", "write_json", "write_jsonl"]

#: teachers rendered per slice: bounds the memory the text takes before it is written
SLICE = 20_000

_encode = json.encoder.encode_basestring  # what json.dumps(text, ensure_ascii=False) writes


class _Layout:
    """Where json.dumps puts line breaks and separators, for ``indent`` None (one line) or a number."""

    def __init__(self, indent: int | None) -> None:
        self.indent = indent

    def newline(self, level: int) -> str:
        """The break before an item at ``level`` (nothing on one line)."""
        return "" if self.indent is None else "\n" + " " * (self.indent * level)

    def separator(self, level: int) -> str:
        """Between two items at ``level``."""
        return ", " if self.indent is None else "," + self.newline(level)

    def value(self, obj: Any, level: int) -> str:
        """``obj`` as json.dumps writes it when nested at ``level``."""
        text = json.dumps(obj, ensure_ascii=False, indent=self.indent)
        return text if self.indent is None else text.replace("\n", self.newline(level))

    def flat_object(self, row: dict[str, Any], level: int) -> str:
        """A dict of text, numbers, booleans and nulls as json.dumps writes it at ``level`` (faster)."""
        if any(isinstance(value, dict | list | tuple) for value in row.values()):
            return self.value(row, level)
        items = [f"{_encode(key)}: {_scalar(value)}" for key, value in row.items()]
        return self.container(items, level, brackets="{}")

    def container(self, items: Sequence[str], level: int, brackets: str = "[]") -> str:
        """A list (or object) whose items are already rendered at ``level + 1``."""
        if not items:
            return brackets
        inner = self.separator(level + 1).join(items)
        return brackets[0] + self.newline(level + 1) + inner + self.newline(level) + brackets[1]


def _scalar(value: Any) -> str:
    """One JSON value as json.dumps writes it (``ensure_ascii=False``)."""
    if isinstance(value, str):
        return _encode(value)
    if type(value) not in (int, float):  # None, booleans, numpy scalars ...: as json.dumps writes them
        return json.dumps(value, ensure_ascii=False)
    if type(value) is float and not math.isfinite(value):
        return json.dumps(value)
    return repr(value)


def distinct_reasons(column: RuleColumn) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(codes, representatives)``: entity i's reason equals that of ``representatives[codes[i]]``.

    Entities are grouped by every per-entity field a reason is made from; values are told
    apart by type as well (``1``, ``1.0`` and ``True`` read differently in JSON).
    """
    import numpy as np
    import pandas as pd

    size = len(column.ok)
    parts: list[Any] = [column.value, column.ok]
    if column.counts is not None:
        parts += list(column.counts)
    parts += [
        part
        for part in (column.pending, column.excellent, column.exempt, column.exempt_reason, column.messages)
        if part is not None
    ]
    key = np.zeros(size, dtype=np.int64)
    for part in parts:
        array = np.asarray(part)
        if array.shape != (size,):
            return np.arange(size), np.arange(size)
        if array.dtype == object:
            kinds = pd.api.types.infer_dtype(array, skipna=False)
            if kinds not in ("string", "boolean", "integer"):
                array = np.asarray([f"{type(v).__name__}:{v!r}" for v in array.tolist()], dtype=object)
        codes, uniques = pd.factorize(array, use_na_sentinel=False)
        key = key * max(len(uniques), 1) + codes
        key = pd.factorize(key)[0].astype(np.int64)
    _, representatives, codes = np.unique(key, return_index=True, return_inverse=True)
    return codes.reshape(size), representatives


def _reason_texts(
    column: RuleColumn, lang: str, layout: _Layout, level: int, *, compact: bool = False
) -> np.ndarray[Any, Any]:
    """Every entity's reason, rendered at ``level``, as an object array (one string per distinct reason).

    ``compact`` leaves out what is the same for every entity of the rule (``source`` and
    ``layer``): JSON Lines states it once, in its header.
    """
    import numpy as np

    codes, representatives = distinct_reasons(column)
    rendered = np.empty(len(representatives), dtype=object)
    for slot, index in enumerate(representatives.tolist()):
        reason = column.reason_at(int(index), lang).to_dict()
        if compact:
            del reason["source"], reason["layer"]
        rendered[slot] = layout.value(reason, level)
    texts: np.ndarray[Any, Any] = rendered[codes]
    return texts


def _texts(values: Any, start: int, stop: int, *, null_if_empty: bool = False) -> list[str]:
    texts = [str(value) for value in values[start:stop]]  # as to_dict writes them: str(v)
    if null_if_empty:
        return [_encode(text) if text else "null" for text in texts]
    return [_encode(text) for text in texts]


def _teacher_slices(result: Result, lang: str, layout: _Layout) -> Iterator[str]:
    """The ``teachers`` entries, rendered at level 2, a slice at a time."""
    for entries in _teacher_entries(result, lang, layout):
        yield layout.separator(2).join(entries)


def _teacher_entries(
    result: Result, lang: str, layout: _Layout, *, opening: str = "{", compact: bool = False
) -> Iterator[list[str]]:
    """Each slice's ``teachers`` entries, rendered at level 2; ``opening`` starts each entry."""
    from itertools import repeat

    info = result.teacher_info
    extra = info.get("columns", {})
    reasons = [_reason_texts(column, lang, layout, 4, compact=compact) for column in result.teacher_columns]
    between, inside = layout.separator(3), layout.separator(4)
    for start in range(0, len(result), SLICE):
        stop = min(start + SLICE, len(result))
        count = stop - start
        # every piece of every entry in order, as parallel sequences: one join per teacher
        pieces: list[Any] = [repeat(opening + layout.newline(3) + '"teacher_id": ', count)]
        pieces.append(_texts(result.teacher_ids, start, stop))
        if "name" in info:
            pieces += [repeat(between + '"name": ', count), _texts(info["name"], start, stop)]
        pieces += [repeat(between + '"school": ', count), _texts(result.teacher_schools, start, stop)]
        groups = (
            repeat("null", count)
            if result.teacher_groups is None
            else _texts(result.teacher_groups, start, stop, null_if_empty=True)
        )
        pieces += [repeat(between + '"group": ', count), groups]
        if "subject" in info:
            pieces += [repeat(between + '"subject": ', count), _texts(info["subject"], start, stop)]
        pieces += [repeat(between + '"status": ', count), _texts(result.status, start, stop)]
        if reasons:
            pieces.append(repeat(between + '"reasons": [' + layout.newline(4), count))
            for number, column in enumerate(reasons):
                if number:
                    pieces.append(repeat(inside, count))
                pieces.append(column[start:stop].tolist())
            pieces.append(repeat(layout.newline(3) + "]", count))
        else:
            pieces.append(repeat(between + '"reasons": []', count))
        if extra:
            pieces += [repeat(between + '"columns": ', count), _extra_columns(extra, start, stop, layout)]
        pieces.append(repeat(layout.newline(2) + "}", count))
        yield list(map("".join, zip(*pieces, strict=True)))


def _extra_columns(extra: dict[str, Sequence[Any]], start: int, stop: int, layout: _Layout) -> list[str]:
    """The roster's extra columns of each teacher in the slice, as the ``columns`` object at level 3."""
    names = list(extra)
    return [
        layout.container([f"{_encode(name)}: {layout.value(extra[name][i], 4)}" for name in names], 3, brackets="{}")
        for i in range(start, stop)
    ]


def _entity(row: dict[str, Any], checks: list[str], layout: _Layout) -> str:
    """A group or school entry at level 2: its fields, then its ``checks`` (already rendered at level 4)."""
    closing = layout.newline(2) + "}"
    text = layout.flat_object(row, 2)
    if not row or not text.endswith(closing):  # pragma: no cover - json.dumps always closes so
        raise AssertionError(f"unexpected rendering of {row!r}")
    return text[: -len(closing)] + layout.separator(3) + '"checks": ' + layout.container(checks, 3) + closing


def _entity_list(
    columns: list[RuleColumn], count: int, row_at: Callable[[int], dict[str, Any]], lang: str, layout: _Layout
) -> Iterator[str]:
    """A list of groups or schools at level 1, in pieces of at most ``SLICE`` entries (``[]`` when empty)."""
    if not count:
        yield "[]"
        return
    rendered = [_reason_texts(column, lang, layout, 4) for column in columns]
    yield "[" + layout.newline(2)
    for start in range(0, count, SLICE):
        stop = min(start + SLICE, count)
        entries = [_entity(row_at(i), [texts[i] for texts in rendered], layout) for i in range(start, stop)]
        yield (layout.separator(2) if start else "") + layout.separator(2).join(entries)
    yield layout.newline(1) + "]"


def iter_json(result: Result, lang: str = "zh", indent: int | None = None) -> Iterator[str]:
    """The JSON document of ``result`` in pieces; joined, they equal ``json.dumps(result.to_dict(lang), ...)``."""
    layout = _Layout(indent)
    yield "{" + layout.newline(1) + '"region": ' + layout.value(result.region, 1)
    yield layout.separator(1) + '"on": ' + layout.value(result.on, 1)
    yield layout.separator(1) + '"teachers": '
    if len(result) == 0:
        yield "[]"
    else:
        yield "[" + layout.newline(2)
        for number, piece in enumerate(_teacher_slices(result, lang, layout)):
            yield (layout.separator(2) if number else "") + piece
        yield layout.newline(1) + "]"
    yield layout.separator(1) + '"groups": '
    yield from _entity_list(result.group_columns, len(result.group_keys), result._group_base, lang, layout)
    yield layout.separator(1) + '"schools": '
    yield from _entity_list(result.school_columns, len(result.school_names), result._school_base, lang, layout)
    if result.unchecked:
        yield layout.separator(1) + '"unchecked": ' + layout.value(result.unchecked_dicts(lang), 1)
    yield layout.newline(0) + "}"


def write_json(result: Result, handle: TextIO, lang: str = "zh", indent: int | None = None) -> None:
    """Write the JSON document of ``result`` to ``handle`` as it is rendered (a newline after it)."""
    for piece in iter_json(result, lang, indent):
        handle.write(piece)
    handle.write("\n")


#: the ``format`` of the first line of :func:`iter_jsonl`'s output; its number changes when the shape does
JSONL_FORMAT = "ability2-jsonl/1"


def iter_jsonl(result: Result, lang: str = "zh") -> Iterator[str]:
    """The result as JSON Lines: one JSON object per line, each rule's source stated once.

    The first line describes the result: ``{"record": "result", "format", "region", "on",
    "rules": [{"rule", "scope", "title", "source", "layer"}, ...]}``, every rule the
    policy checked, in the order of the reasons. Then one line per teacher (roster order),
    group and school (first appearance): ``{"record": "teacher" | "group" | "school", ...}``
    with the fields of contract §3.1's entries, whose ``reasons`` and ``checks`` leave out
    ``source`` and ``layer`` (the first line has them). Last, one ``{"record":
    "unchecked", ...}`` line per rule that could not be checked. Each piece yielded is
    whole lines, each ending in a line feed.
    """
    layout = _Layout(None)
    title = "title_en" if lang == "en" else "title"
    rules = [
        {"rule": c.rule, "scope": scope, "title": getattr(c, title), "source": c.source, "layer": c.layer}
        for scope, columns in (
            ("teacher", result.teacher_columns),
            ("group", result.group_columns),
            ("school", result.school_columns),
        )
        for c in columns
    ]
    head = {"record": "result", "format": JSONL_FORMAT, "region": result.region, "on": result.on, "rules": rules}
    yield json.dumps(head, ensure_ascii=False) + "\n"
    for entries in _teacher_entries(result, lang, layout, opening='{"record": "teacher", ', compact=True):
        yield "\n".join(entries) + "\n"
    yield from _jsonl_entities("group", result.group_columns, len(result.group_keys), result._group_base, lang)
    yield from _jsonl_entities("school", result.school_columns, len(result.school_names), result._school_base, lang)
    for item in result.unchecked_dicts(lang) if result.unchecked else []:
        yield json.dumps({"record": "unchecked", **item}, ensure_ascii=False) + "\n"


def _jsonl_entities(
    record: str, columns: list[RuleColumn], count: int, row_at: Callable[[int], dict[str, Any]], lang: str
) -> Iterator[str]:
    """Groups or schools as JSON Lines, ``SLICE`` lines at a time."""
    layout = _Layout(None)
    rendered = [_reason_texts(column, lang, layout, 4, compact=True) for column in columns]
    for start in range(0, count, SLICE):
        stop = min(start + SLICE, count)
        lines = [
            _entity({"record": record, **row_at(i)}, [texts[i] for texts in rendered], layout)
            for i in range(start, stop)
        ]
        yield "\n".join(lines) + "\n"


def write_jsonl(result: Result, handle: TextIO, lang: str = "zh") -> None:
    """Write :func:`iter_jsonl`'s lines to ``handle`` as they are rendered."""
    for piece in iter_jsonl(result, lang):
        handle.write(piece)
