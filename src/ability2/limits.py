"""Bounds on untrusted input: every roster, workbook, school table and YAML file.

Platforms put ability2 behind an upload form, so every file it reads is untrusted. Each
reader checks its input against the limits in force before doing the work the input asks
for: a 1.8 KB workbook whose one stray cell sits at XFD1048576, a 800-byte spreadsheet
that repeats a cell a billion times, a YAML "billion laughs" file, an 11-character number
of a hundred million digits. Past a limit the input is refused with a clear error naming
the file and the limit (exit 2 on the command line), within seconds and without the memory.

The defaults fit a province (a few million teachers in one file) and refuse what no roster
or policy needs. They change three ways:

* for one block of code (this thread or task only), with :func:`limited`::

      with ability2.limits.limited(max_rows=20_000_000):
          roster = read_roster("nation.csv")

* for the whole process, with :func:`configure` (a server sets its limits once at start);
* on the command line, with ``--limit NAME=VALUE`` (repeatable): ``--limit max_rows=20M``.

``ability2 limits`` prints every limit with its value and meaning. This module imports
nothing heavy.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from ability2.messages import Message, msg

__all__ = ["LIMIT_NAMES", "Limits", "configure", "current", "describe", "hint", "limited", "parse_limit", "shown"]

_BYTES = "bytes"
_COUNT = "count"


def _positive(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**62:
        raise ValueError(msg("limit.not_whole", name=attribute.name, value=repr(value)))


def _limit(default: int, unit: str, meaning: str, meaning_zh: str) -> Any:
    return attrs.field(
        default=default, validator=_positive, metadata={"unit": unit, "meaning": meaning, "meaning_zh": meaning_zh}
    )


@attrs.frozen
class Limits:
    """The limits in force for reading input (all positive whole numbers)."""

    #: bytes of one roster or school-table file (a CSV of a million teachers is about 120 MB)
    max_file_bytes: int = _limit(
        2 * 1024**3, _BYTES, "bytes of one roster or school-table file", "名册或学校表单个文件的字节数"
    )
    #: bytes a workbook's parts decompress to (its XML): a zip bomb is refused
    max_unpacked_bytes: int = _limit(
        2 * 1024**3,
        _BYTES,
        "bytes a workbook decompresses to (XLSX/ODS parts, XLS streams)",
        "工作簿解压后的字节数",
    )
    #: times a workbook may grow when unpacked, past 16 MB (rosters grow about ten times, zip bombs hundreds)
    max_unpacked_ratio: int = _limit(
        100,
        _COUNT,
        "times a workbook may grow when unpacked, once past 16 MB (rosters grow about tenfold)",
        "工作簿解压后相对文件大小的最大倍数（超过 16 MB 时检查）",
    )
    #: cells of the first sheet's extent (rows × columns up to its last cell with content)
    max_sheet_cells: int = _limit(
        15_000_000,
        _COUNT,
        "cells of a workbook's first sheet, rows × columns up to its last filled cell",
        "工作簿第一张表的单元格数（行数 × 列数，至最后一个有内容的单元格）",
    )
    #: data rows of one roster or school table (a province has at most a few million teachers)
    max_rows: int = _limit(5_000_000, _COUNT, "data rows of one roster or school table", "名册或学校表的数据行数")
    #: characters of one cell (a spreadsheet cell holds at most 32,767, so every report holds each cell whole)
    max_cell_chars: int = _limit(
        32_767, _COUNT, "characters of one roster or school-table cell", "名册或学校表单元格的字符数"
    )
    #: characters of one YAML file (a seed policy file is under 40,000)
    max_yaml_chars: int = _limit(
        5_000_000, _COUNT, "characters of one YAML file (policy, what-if, scores)", "YAML 文件的字符数"
    )
    #: nesting depth of mappings and lists in a YAML file
    max_yaml_depth: int = _limit(
        64, _COUNT, "nesting depth of mappings and lists in a YAML file", "YAML 文件的嵌套层数"
    )
    #: values (mapping entries, list items, scalars) of a YAML file once its aliases are expanded
    max_yaml_values: int = _limit(
        1_000_000,
        _COUNT,
        "values of a YAML file once its aliases (*name) are expanded",
        "YAML 文件展开别名后的值的个数",
    )
    #: significant digits of a number in policy data, what-ifs and scores
    max_number_digits: int = _limit(
        30, _COUNT, "significant digits of a number in YAML data", "YAML 数据中数字的有效位数"
    )
    #: digits before the point of such a number (hours, shares and counts are small numbers)
    max_number_exponent: int = _limit(
        15, _COUNT, "digits before the point of a number in YAML data", "YAML 数据中数字整数部分的位数"
    )


#: every limit's name, in the order ``ability2 limits`` lists them
LIMIT_NAMES: tuple[str, ...] = tuple(field.name for field in attrs.fields(Limits))

_process = Limits()
_scoped: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("ability2_limits", default=None)


def current() -> Limits:
    """The limits in force here: those of the innermost :func:`limited` block, else the process's."""
    scoped = _scoped.get()
    return _process if scoped is None else scoped


def _changed(base: Limits, changes: dict[str, int]) -> Limits:
    unknown = sorted(set(changes) - set(LIMIT_NAMES))
    if unknown:
        raise ValueError(msg("limit.unknown", name=unknown[0], names=LIMIT_NAMES))
    return attrs.evolve(base, **changes)


def configure(**changes: int) -> Limits:
    """Change the process-wide limits (outside :func:`limited` blocks); returns the new limits.

    Raises :class:`ValueError` for an unknown name or a value that is not a positive whole number.
    """
    global _process
    _process = _changed(_process, changes)
    return _process


@contextmanager
def limited(**changes: int) -> Iterator[Limits]:
    """Run a block under changed limits (this thread or asyncio task only); yields them.

    Raises :class:`ValueError` for an unknown name or a value that is not a positive whole number.
    """
    token = _scoped.set(_changed(current(), changes))
    try:
        yield current()
    finally:
        _scoped.reset(token)


_SUFFIXES = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_-]+)\s*=\s*([0-9][0-9_,]*)\s*([kmgtKMGT]?)\s*$")


def parse_limit(text: str) -> tuple[str, int]:
    """Read ``NAME=VALUE`` as the command line's ``--limit`` gives it: ``max_rows=20M``, ``max-file-bytes=4G``.

    The value is a whole number, with ``_`` or ``,`` between digits if wished, and an
    optional suffix K, M, G or T: powers of 1024 for limits in bytes, of 1000 for counts.
    The ``max_`` prefix may be left out. Raises :class:`ValueError` with the reason.
    """
    match = _ASSIGNMENT.match(text)
    if match is None:
        raise ValueError(msg("limit.not_assignment", text=text, names=LIMIT_NAMES))
    written, digits, suffix = match.groups()
    name = written.lower().replace("-", "_")
    if not name.startswith("max_"):
        name = "max_" + name
    if name not in LIMIT_NAMES:
        raise ValueError(msg("limit.unknown", name=written, names=LIMIT_NAMES))
    field = attrs.fields_dict(Limits)[name]
    base = 1024 if field.metadata["unit"] == _BYTES else 1000
    value = int(digits.replace("_", "").replace(",", "")) * base ** _SUFFIXES[suffix.lower()]
    if not 0 < value <= 2**62:
        raise ValueError(msg("limit.not_whole", name=name, value=text.split("=", 1)[1].strip()))
    return name, value


def describe(limits: Limits | None = None, *, lang: str = "zh") -> list[tuple[str, int, str, str]]:
    """Every limit as ``(name, value, unit, meaning)``: unit is ``"bytes"`` or ``"count"``, meaning in ``lang``."""
    chosen = current() if limits is None else limits
    key = "meaning_zh" if lang == "zh" else "meaning"
    return [
        (field.name, getattr(chosen, field.name), field.metadata["unit"], field.metadata[key])
        for field in attrs.fields(Limits)
    ]


def shown(name: str, value: int) -> Message | str:
    """A limit's value as messages show it: ``2,048 MB`` for bytes (a message: ``字节``/``bytes`` below 1 MB), ``15,000,000`` for counts."""
    if attrs.fields_dict(Limits)[name].metadata["unit"] == _BYTES:
        return f"{value / 1024**2:,.0f} MB" if value >= 1024**2 else msg("limit.bytes", count=f"{value:,}")
    return f"{value:,}"


def hint(name: str) -> Message:
    """How to raise a limit, for messages: ``(limit max_rows; --limit max_rows=N raises it)``, in the reader's language."""
    return msg("limit.hint", name=name)
