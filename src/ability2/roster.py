"""A teacher roster, validated and encoded once into columns the evaluator reads directly.

Reading (CSV, XLSX, pandas or polars DataFrames) lives in :mod:`ability2.io.roster`; this
module holds the result. Text columns are parsed and encoded once: hours become integer
hundredths of an hour (exact comparisons), ability codes become small integers in a flat
array with per-teacher offsets, grades become small integers aligned with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error, RosterError, RosterProblem

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from ability2.io.encoding import Distinct

__all__ = [
    "COLUMNS",
    "GRADE_EXCELLENT",
    "GRADE_FAIL",
    "GRADE_PASS",
    "GRADE_UNGRADED",
    "HOURS_SCALE",
    "Column",
    "Factorized",
    "Roster",
    "RosterError",
    "RosterProblem",
]

#: hours are stored as integer hundredths of an hour: 24.5 h is 2450
HOURS_SCALE = 100

GRADE_UNGRADED, GRADE_FAIL, GRADE_PASS, GRADE_EXCELLENT = -1, 0, 1, 2


@attrs.frozen
class Column:
    """A roster column of contract §2: canonical name, Chinese alias, whether required."""

    name: str
    alias: str
    required: bool
    meaning: str

    @property
    def label(self) -> str:
        """Both names, as error messages show them: ``online_hours (线上学时)``."""
        return f"{self.name} ({self.alias})"


COLUMNS: tuple[Column, ...] = (
    Column("teacher_id", "教师编号", True, "unique within the file"),
    Column("name", "姓名", False, "the teacher's name"),
    Column("school", "学校", True, "school name or id"),
    Column("group", "教研组", False, "research group inside the school"),
    Column("subject", "学科", False, "subject taught"),
    Column("online_hours", "线上学时", True, "number ≥ 0"),
    Column("offline_hours", "线下学时", True, "number ≥ 0 (线下实践应用学时)"),
    Column("abilities", "能力点", True, "ability codes such as A1;B2;C4"),
    Column("grades", "考核结果", False, "one grade per ability: 优秀/合格/不合格 or excellent/pass/fail"),
    Column("excellent_video", "优秀视频", False, "yes/no: the practice video was rated excellent"),
    Column("peer_reviews", "互评", False, "yes/no: the teacher completed the required reviews of others' work"),
)


#: the roster's text fields (numpy object arrays, made on first access when the reader left them)
_TEXT_FIELDS = ("teacher_id", "name", "school", "group", "subject")


@attrs.frozen(eq=False)
class Factorized:
    """A text column as integer codes: ``values[codes[i]]`` is teacher ``i``'s text.

    ``values`` are the distinct texts in order of first appearance, so code 0 is the first
    row's text. Schools, research groups and subjects are held this way.
    """

    codes: np.ndarray[Any, Any]
    values: tuple[str, ...]

    def decoded(self) -> np.ndarray[Any, Any]:
        """The column as a numpy object array, one ``str`` per teacher (repeated texts share one object)."""
        import numpy as np

        table = np.empty(len(self.values), dtype=object)
        table[:] = self.values
        decoded: np.ndarray[Any, Any] = table[self.codes]
        return decoded

    def without_blank(self) -> Factorized:
        """The same codes with a blank text (``""``) coded ``-1`` and left out of :attr:`values`."""
        import numpy as np

        if "" not in self.values:
            return self
        blank = self.values.index("")
        codes = np.asarray(self.codes)  # int32 or int64, as given (signed: -1 fits)
        codes = np.where(codes == blank, codes.dtype.type(-1), codes - (codes > blank))
        return Factorized(codes, self.values[:blank] + self.values[blank + 1 :])

    @classmethod
    def of(cls, texts: Any) -> Factorized:
        """Factorize an array of texts, in order of first appearance."""
        import numpy as np
        import pandas as pd

        codes, values = pd.factorize(pd.Series(np.asarray(texts, dtype=object), dtype=object), sort=False)
        return cls(np.asarray(codes, dtype=np.int64), tuple(str(v) for v in values.tolist()))


@attrs.frozen(eq=False)
class Roster:
    """A validated roster: one row per teacher, in file order, encoded for evaluation.

    :attr:`frame` keeps every column as read (canonical names, extra columns passed through),
    as text except ``online_hours`` and ``offline_hours``, which are numbers (``Float64``
    hours); the arrays below are the encoded forms the evaluator uses. Ability codes index
    ``framework.abilities`` (0 for A1 ... 29 for C7); teacher ``i``'s abilities are
    ``ability_codes[ability_offsets[i]:ability_offsets[i + 1]]`` with grades aligned.

    A reader may hold some text columns as their distinct texts and each teacher's position
    among them (:attr:`coded_texts`, in :attr:`column_order`), and pass ``frame`` with the
    other columns only: :attr:`frame` is then made whole on first access, and
    :meth:`column` reads one column without making it. A roster of a million teachers holds
    its repeated texts (hours, abilities, grades, schools ...) in a few megabytes that way.

    ``teacher_id``, ``name``, ``school``, ``group`` and ``subject`` are numpy object arrays
    of ``str``. A reader may pass ``None`` for them: they are then made on first access, from
    ``frame`` (ids, names) or from :attr:`factorized` (schools, groups, subjects), so that an
    evaluation that never reads them never holds a Python string per teacher.
    :meth:`text_column` gives any of them as a polars ``String`` Series without Python objects.
    """

    source: str
    _frame: pl.DataFrame = attrs.field(alias="frame")
    _teacher_id: np.ndarray[Any, Any] | None = attrs.field(alias="teacher_id")
    _school: np.ndarray[Any, Any] | None = attrs.field(alias="school")
    online: np.ndarray[Any, Any]
    offline: np.ndarray[Any, Any]
    ability_offsets: np.ndarray[Any, Any]
    ability_codes: np.ndarray[Any, Any]
    grades: np.ndarray[Any, Any]
    _name: np.ndarray[Any, Any] | None = attrs.field(default=None, alias="name")
    _group: np.ndarray[Any, Any] | None = attrs.field(default=None, alias="group")
    _subject: np.ndarray[Any, Any] | None = attrs.field(default=None, alias="subject")
    excellent_video: np.ndarray[Any, Any] | None = None
    peer_reviews: np.ndarray[Any, Any] | None = None
    has_grades: bool = False
    extra_columns: tuple[str, ...] = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    #: the row number a spreadsheet shows for each teacher (``None`` when unknown)
    rows: np.ndarray[Any, Any] | None = None
    #: school, group and subject as integer codes, when the reader made them (see :meth:`factorize`)
    factorized: Mapping[str, Factorized] = attrs.field(factory=dict)
    #: text columns held as distinct texts, not in the ``frame`` passed (see :attr:`frame`)
    coded_texts: Mapping[str, Distinct] = attrs.field(factory=dict)
    #: the whole frame's columns in order, when some are in :attr:`coded_texts` or are the hours
    column_order: tuple[str, ...] = ()
    #: the whole frame once made (a cache: one slot, set once, so threads never see half of it)
    _whole: pl.DataFrame | None = attrs.field(default=None, init=False, repr=False)

    @property
    def frame(self) -> pl.DataFrame:
        """Every column as read, in file order (made on first access when the reader held some columns coded)."""
        if not self.column_order:
            return self._frame
        whole = self._whole
        if whole is None:
            import polars as pl

            whole = pl.DataFrame([self._whole_column(name) for name in self.column_order])
            object.__setattr__(self, "_whole", whole)  # the roster's value does not change
        return whole

    def column(self, name: str) -> pl.Series | None:
        """One column of :attr:`frame` (``None``: no such column), without making the whole frame."""
        if name in self._frame.columns:
            return self._frame.get_column(name)
        if name not in self.column_order:
            return None
        whole = self._whole
        return whole.get_column(name) if whole is not None else self._whole_column(name)

    @property
    def extras(self) -> dict[str, pl.Series]:
        """The extra columns (those contract §2 does not define), by name, in file order."""
        return {name: self._frame.get_column(name) for name in self.extra_columns}

    def _whole_column(self, name: str) -> pl.Series:
        import polars as pl

        if name in self._frame.columns:
            return self._frame.get_column(name)
        coded = self.coded_texts.get(name)
        if coded is not None:
            return coded.values.gather(coded.index).alias(name)
        hours = {"online_hours": self.online, "offline_hours": self.offline}[name]
        return pl.Series(name, hours / HOURS_SCALE, dtype=pl.Float64)

    @property
    def teacher_id(self) -> np.ndarray[Any, Any]:
        """Each teacher's id (contract §2 ``teacher_id``), as ``str``."""
        found = self._texts("teacher_id")
        assert found is not None  # the reader always has ids
        return found

    @property
    def school(self) -> np.ndarray[Any, Any]:
        """Each teacher's school, as ``str``."""
        found = self._texts("school")
        assert found is not None  # the reader always has schools
        return found

    @property
    def name(self) -> np.ndarray[Any, Any] | None:
        """Each teacher's name (``None``: the roster has no name column)."""
        return self._texts("name")

    @property
    def group(self) -> np.ndarray[Any, Any] | None:
        """Each teacher's research group (``None``: no group column)."""
        return self._texts("group")

    @property
    def subject(self) -> np.ndarray[Any, Any] | None:
        """Each teacher's subject (``None``: no subject column)."""
        return self._texts("subject")

    def _texts(self, column: str) -> np.ndarray[Any, Any] | None:
        """A text field, made and kept on first access when the reader left it to be made."""
        slot = f"_{column}"
        held: np.ndarray[Any, Any] | None = getattr(self, slot)
        if held is not None:
            return held
        coded = self.factorized.get(column)
        if coded is not None:
            held = coded.decoded()
        elif column in ("teacher_id", "name") and column in self._frame.columns:
            held = self._frame.get_column(column).to_numpy().astype(object, copy=False)
        else:
            return None
        object.__setattr__(self, slot, held)  # a cache: the roster's value does not change
        return held

    def text_column(self, column: str) -> pl.Series | None:
        """``teacher_id``, ``name``, ``school``, ``group`` or ``subject`` as a polars ``String`` Series.

        No Python string is made per teacher when the reader kept the column as text or codes;
        ``None`` when the roster has no such column.
        """
        import polars as pl

        if column not in _TEXT_FIELDS:
            from ability2.messages import msg

            raise Ability2Error(msg("roster.not_text_column", column=column, columns=", ".join(_TEXT_FIELDS)))
        held: np.ndarray[Any, Any] | None = getattr(self, f"_{column}")
        coded = self.factorized.get(column)
        if held is None and coded is not None:
            values = pl.Series(column, list(coded.values), dtype=pl.String)
            return values.gather(coded.codes)
        if held is None and column in ("teacher_id", "name") and column in self._frame.columns:
            return self._frame.get_column(column).alias(column)
        if held is None:
            return None
        return pl.Series(column, held, dtype=pl.String, strict=False)

    def factorize(self, column: str) -> Factorized | None:
        """``school``, ``group`` or ``subject`` as integer codes in order of first appearance (``None``: no such column)."""
        found = self.factorized.get(column)
        if found is not None:
            return found
        texts = getattr(self, column)
        return None if texts is None else Factorized.of(texts)

    def row_number(self, index: int) -> int | None:
        """The row number of teacher ``index`` as the source file shows it, if known."""
        return None if self.rows is None else int(self.rows[index])

    def __len__(self) -> int:
        if self._teacher_id is not None:
            return len(self._teacher_id)
        if self._frame.width:
            return self._frame.height
        return len(self.online)

    def __repr__(self) -> str:
        return f"<Roster {self.source}: {len(self)} teachers>"
