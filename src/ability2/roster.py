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

from ability2.errors import RosterError, RosterProblem

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

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
        codes = np.asarray(self.codes, dtype=np.int64)
        codes = np.where(codes == blank, -1, codes - (codes > blank))
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

    ``frame`` keeps every column as read (canonical names, extra columns passed through),
    as text except ``online_hours`` and ``offline_hours``, which are numbers (``Float64``
    hours); the arrays below are the encoded forms the evaluator uses. Ability codes index
    ``framework.abilities`` (0 for A1 ... 29 for C7); teacher ``i``'s abilities are
    ``ability_codes[ability_offsets[i]:ability_offsets[i + 1]]`` with grades aligned.
    """

    source: str
    frame: pl.DataFrame
    teacher_id: np.ndarray[Any, Any]
    school: np.ndarray[Any, Any]
    online: np.ndarray[Any, Any]
    offline: np.ndarray[Any, Any]
    ability_offsets: np.ndarray[Any, Any]
    ability_codes: np.ndarray[Any, Any]
    grades: np.ndarray[Any, Any]
    name: np.ndarray[Any, Any] | None = None
    group: np.ndarray[Any, Any] | None = None
    subject: np.ndarray[Any, Any] | None = None
    excellent_video: np.ndarray[Any, Any] | None = None
    peer_reviews: np.ndarray[Any, Any] | None = None
    has_grades: bool = False
    extra_columns: tuple[str, ...] = ()
    headers: Mapping[str, str] = attrs.field(factory=dict)
    #: the row number a spreadsheet shows for each teacher (``None`` when unknown)
    rows: np.ndarray[Any, Any] | None = None
    #: school, group and subject as integer codes, when the reader made them (see :meth:`factorize`)
    factorized: Mapping[str, Factorized] = attrs.field(factory=dict)

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
        return len(self.teacher_id)

    def __repr__(self) -> str:
        return f"<Roster {self.source}: {len(self)} teachers>"
