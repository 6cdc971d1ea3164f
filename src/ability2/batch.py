"""The batch: a roster encoded for evaluation, with per-school and per-group aggregations.

Every rule kind evaluates one rule over a whole :class:`Batch` at once. The batch holds the
roster's encoded columns (numpy arrays, one entry per teacher or per ability selection), the
school and group each teacher belongs to, and helpers that aggregate a per-teacher array per
school or per group, the way OpenFisca's ``household.sum(household.members(...))`` does::

    certified = batch.column("certified_on", "date") <= by          # per teacher
    count, total = batch.count(certified, by="school"), batch.size("school")

Extra roster columns (those the contract does not define) are read by name, typed, with
errors that name the file, the row and the column (:meth:`Batch.column`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ability2.errors import EvaluationError
from ability2.messages import Message, msg
from ability2.roster import (
    COLUMNS,
    GRADE_EXCELLENT,
    GRADE_FAIL,
    GRADE_PASS,
    GRADE_UNGRADED,
    HOURS_SCALE,
    Column,
    Roster,
    RosterError,
    RosterProblem,
)

if TYPE_CHECKING:
    import numpy as np

    from ability2.policy import Policy
    from ability2.resolved import ResolvedRule
    from ability2.schools import SchoolTable

__all__ = ["Batch", "ColumnType", "EvaluationError", "Level", "TeacherRow"]

#: what an aggregation groups by: each school, or each research group of a school
Level = Literal["school", "group"]
#: how :meth:`Batch.column` reads an extra column
ColumnType = Literal["text", "number", "whole", "date", "flag"]

_YES = frozenset({"yes", "是", "1", "true", "y", "√", "✓"})
_NO = frozenset({"no", "否", "0", "false", "n", "×", "✗"})


@attrs.frozen
class TeacherRow:
    """One teacher as a plain-Python rule sees it (exact numbers, text, yes/no as ``bool``)."""

    index: int
    teacher_id: str
    school: str
    group: str | None
    subject: str | None
    online_hours: Fraction
    offline_hours: Fraction
    abilities: tuple[str, ...]
    grades: tuple[str | None, ...]
    excellent_video: bool | None
    peer_reviews: bool | None
    extra: dict[str, Any]


def factorize_integers(values: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Integer codes of ``values`` and the distinct values, in order of first appearance (numpy only)."""
    import numpy as np

    values = np.asarray(values, dtype=np.int64)
    size = len(values)
    top = int(values.max()) + 1 if size else 0
    if size and values.min() >= 0 and top <= 4 * size + 1024:
        # dense values (codes of codes): each value's first position by a table, no sort of the values
        first = np.full(top, size, dtype=np.int64)
        np.minimum.at(first, values, np.arange(size, dtype=np.int64))
        present = np.flatnonzero(first < size)
        ordered = present[np.argsort(first[present], kind="stable")]
        table = np.empty(top, dtype=np.int64)
        table[ordered] = np.arange(len(ordered), dtype=np.int64)
        dense: np.ndarray[Any, Any] = table[values]
        return dense, ordered
    distinct, first_index, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first_index, kind="stable")
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct), dtype=np.int64)
    codes: np.ndarray[Any, Any] = rank[inverse.reshape(-1)]
    return codes, distinct[order]


def _masks_of(ability_mask: np.ndarray[Any, Any], part_of_ability: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Per teacher, bit ``p`` set when their ``ability_mask`` holds an ability of part ``p`` (an environment, a dimension)."""
    import numpy as np

    parts = int(part_of_ability.max()) + 1 if len(part_of_ability) else 0
    masks = np.zeros(len(ability_mask), dtype=_parts_dtype(part_of_ability))
    for part in range(parts):
        members = int(np.bitwise_or.reduce(np.left_shift(np.int64(1), np.flatnonzero(part_of_ability == part))))
        masks |= ((ability_mask & members) != 0).astype(masks.dtype) << part
    return masks


def _parts_dtype(part_of_ability: np.ndarray[Any, Any]) -> np.dtype[Any]:
    """The type of the per-teacher masks over the parts (environments, dimensions) the abilities are of."""
    return mask_dtype(int(part_of_ability.max()) + 1 if len(part_of_ability) else 0)


def mask_dtype(bits: int) -> np.dtype[Any]:
    """The integer type of per-teacher bit masks over ``bits`` items: int32 when they fit (the framework's 30 abilities do), else int64."""
    import numpy as np

    return np.dtype(np.int32 if bits <= 31 else np.int64)


def _shared(values: Any) -> np.ndarray[Any, Any]:
    """The roster's int64 array itself, read-only (a rule never writes into the roster's data), not a copy."""
    import numpy as np

    shared: np.ndarray[Any, Any] = np.asarray(values, dtype=np.int64).view()
    shared.flags.writeable = False
    return shared


def _objects(texts: Sequence[str]) -> np.ndarray[Any, Any]:
    """A numpy object array of ``texts`` (for gathering by integer codes)."""
    import numpy as np

    table = np.empty(len(texts), dtype=object)
    table[:] = list(texts)
    return table


def factorize_pairs(
    school_idx: np.ndarray[Any, Any], group_codes: np.ndarray[Any, Any], width: int, dtype: Any = None
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Each teacher's (school, name) pair, numbered in order of first appearance: ``(pair_idx, pairs, sizes)``.

    A research group is such a pair (the videos' every-subject check pairs schools and
    subjects). A pair is coded ``school * width + name``; ``pairs`` holds each numbered
    pair's code and ``sizes`` its teachers, and a teacher whose name code is ``-1`` (a blank
    cell) is in none (``pair_idx`` -1). When the codes are few (schools times names within a
    few per teacher) they index small tables directly, in int32 where they fit: about a third
    of the memory of factorizing a million int64 pair codes; else they are factorized (the
    memory of the teachers, whatever the number of names). ``pair_idx`` is of ``dtype``
    (int64 when not given).
    """
    import numpy as np

    n = len(school_idx)
    codes = np.asarray(group_codes)
    top = (int(school_idx.max()) + 1 if n else 0) * width
    if not n or top > 4 * n + 1024 or max(top, n) >= 2**31 - 1:
        in_group = codes >= 0
        pair_codes, pairs = factorize_integers(np.asarray(school_idx)[in_group] * width + codes[in_group])
        grouped = np.full(n, -1, dtype=dtype or np.int64)
        grouped[in_group] = pair_codes
        sizes = np.bincount(pair_codes, minlength=len(pairs)).astype(np.int64)
        return grouped, pairs, sizes
    paired = school_idx.astype(np.int32)
    np.multiply(paired, width, out=paired)
    np.add(paired, codes, out=paired, casting="same_kind")
    paired[codes < 0] = top  # no group: the tables' last entry
    # int32 throughout (n < 2**31 here): a ufunc.at whose operands differ in type takes numpy's
    # slow path (20 times slower at a million teachers)
    order = np.arange(n, dtype=np.int32)
    first = np.full(top + 1, n, dtype=np.int32)
    np.minimum.at(first, paired, order)
    # the pairs in order of first appearance: the pair of each teacher who is its pair's first
    # (no sort: sorting the pairs by first appearance took 0.19 s at 10M)
    pairs = paired[first[paired] == order]
    del order
    pairs = pairs[pairs != top].astype(np.int64)
    table = np.full(top + 1, -1, dtype=dtype or np.int64)
    table[pairs] = np.arange(len(pairs))
    sizes = np.bincount(paired, minlength=top + 1)[pairs].astype(np.int64)
    group_idx: np.ndarray[Any, Any] = table[paired]
    return group_idx, pairs, sizes


#: teachers whose selections are counted at a time (:meth:`Batch.per_teacher_kinds` and
#: :meth:`Batch.per_teacher_selections`)
_TEACHER_SLICE = 1 << 18


def sum_per(index: np.ndarray[Any, Any], values: np.ndarray[Any, Any], size: int) -> np.ndarray[Any, Any]:
    """Exact int64 sums of integer (or boolean) ``values`` per entity ``index`` (``0 <= index < size``).

    Summed in int32 when no sum can reach 2**31 (the rows times the largest value): half
    the memory traffic, and twice as fast as int64 or ``bincount``'s float weights where the
    entities are many (500,000 schools at 10M teachers). The ``ufunc.at`` operands share
    one type: numpy's fast path (mixed types are 50 times slower).
    """
    import numpy as np

    values = np.asarray(values)
    n = len(values)
    if values.ndim != 1 or np.ndim(index) != 1 or len(index) != n:  # ufunc.at would broadcast a short ``values``
        raise ValueError(f"sum_per: {np.shape(index)} indices for values of shape {values.shape}")
    if values.dtype.kind == "b" or (values.dtype == np.int8 and n < 2**24):  # |int8| <= 128
        fits = n < 2**31
    else:
        largest = max(abs(int(values.min(initial=0))), abs(int(values.max(initial=0))))
        fits = n * largest < 2**31
    if fits:
        small: np.ndarray[Any, Any] = np.zeros(size, dtype=np.int32)
        np.add.at(small, index, values.astype(np.int32, copy=False))
        return small.astype(np.int64)
    out: np.ndarray[Any, Any] = np.zeros(size, dtype=np.int64)
    np.add.at(out, index, values.astype(np.int64, copy=False))
    return out


def _group_keys(
    school_names: Sequence[str], group_names: Sequence[str], pairs: np.ndarray[Any, Any], width: int
) -> list[tuple[str, str]]:
    """The ``(school, group)`` names of the groups coded ``school * width + group`` in ``pairs``."""
    return list(
        zip(_objects(school_names)[pairs // width].tolist(), _objects(group_names)[pairs % width].tolist(), strict=True)
    )


class Batch:
    """A roster encoded once for every rule: per-teacher arrays, schools, groups, aggregations.

    Per teacher (length :attr:`n`, roster order): :attr:`online`, :attr:`offline` and
    :attr:`offline_credited` (int64 hundredths of an hour, see :data:`HOURS_SCALE`),
    :attr:`k` (abilities chosen), :attr:`ability_mask`, :attr:`env_mask`, :attr:`dim_mask`
    (bit ``i`` set when the teacher chose an ability of code, environment or dimension ``i``),
    :attr:`n_fail`, :attr:`n_pass`, :attr:`n_excellent`, :attr:`n_ungraded` (grades counted),
    :attr:`school_idx` and :attr:`group_idx` (``-1``: in no group; both int64). The counts and
    masks are int32 (a mask over more than 31 items, int64): exact, and half the memory of
    int64 for a province's roster.

    Per ability selection (flat, teacher by teacher): :attr:`ability_codes`, :attr:`grades`,
    :attr:`teacher_of_selection`.

    Per school (first-appearance order): :attr:`school_names`, :attr:`school_size`. Per
    group: :attr:`group_keys` (school, group), :attr:`group_size`.

    After the teacher rules, :attr:`status` holds each teacher's status code
    (the position in :data:`ability2.i18n.STATUS_ORDER`: 0 fail ... 3 excellent) for group and school rules to count.
    """

    def __init__(self, roster: Roster, policy: Policy, schools: SchoolTable | None = None) -> None:
        import numpy as np

        framework = policy.framework
        self.roster = roster
        self.policy = policy
        #: the school table, when one was given (facts about schools and research groups)
        self.schools = schools
        self.n = len(roster)
        env_index = {env.id: i for i, env in enumerate(framework.environments)}
        dim_index = {dim.id: i for i, dim in enumerate(framework.dimensions)}
        self.env_of_ability = np.array([env_index[a.environment.id] for a in framework.abilities], dtype=np.int64)
        self.dim_of_ability = np.array([dim_index[a.dimension.id] for a in framework.abilities], dtype=np.int64)
        offsets = _shared(roster.ability_offsets)
        # the roster's small codes as they are (the int64 copies are made when a rule asks)
        codes = roster.ability_codes
        # counts per teacher are int32: exact for any count, half the memory of int64
        self.k = np.diff(offsets).astype(np.int32)
        starts = offsets[:-1]
        one = mask_dtype(len(framework.abilities)).type(1)
        self._offsets = offsets
        if self.n and (self.k > 0).all():
            self.ability_mask = np.empty(self.n, dtype=one.dtype)
            self.env_mask = np.empty(self.n, dtype=_parts_dtype(self.env_of_ability))
            self.dim_mask = np.empty(self.n, dtype=_parts_dtype(self.dim_of_ability))
            # a slice of teachers at a time: at 10M the whole-roster temporaries (a shifted bit
            # per selection, a mask per part) were fresh memory, each pass several times slower
            for first, last, begin, end in self._teacher_slices():
                chosen = np.bitwise_or.reduceat(np.left_shift(one, codes[begin:end]), starts[first:last] - begin)
                self.ability_mask[first:last] = chosen
                # a teacher chose an ability of environment (dimension) e when their abilities meet e's
                self.env_mask[first:last] = _masks_of(chosen, self.env_of_ability)
                self.dim_mask[first:last] = _masks_of(chosen, self.dim_of_ability)
        else:
            self.ability_mask = np.zeros(self.n, dtype=one.dtype)
            self.env_mask = np.zeros(self.n, dtype=mask_dtype(len(framework.environments)))
            self.dim_mask = np.zeros(self.n, dtype=mask_dtype(len(framework.dimensions)))
            if self.n:
                np.bitwise_or.at(self.ability_mask, self.teacher_of_selection, np.left_shift(one, codes))
                np.bitwise_or.at(
                    self.env_mask,
                    self.teacher_of_selection,
                    np.left_shift(1, self.env_of_ability[codes]).astype(self.env_mask.dtype),
                )
                np.bitwise_or.at(
                    self.dim_mask,
                    self.teacher_of_selection,
                    np.left_shift(1, self.dim_of_ability[codes]).astype(self.dim_mask.dtype),
                )
        grades = roster.grades
        self.n_fail, self.n_ungraded, self.n_excellent, self.n_pass = self.per_teacher_kinds(
            grades, (GRADE_FAIL, GRADE_UNGRADED, GRADE_EXCELLENT, GRADE_PASS)
        )
        self.online = _shared(roster.online)
        self.offline = _shared(roster.offline)
        #: offline hours that count; a preparation step (the peer-review gate) may lower them
        self.offline_credited = self.offline
        schools_of = roster.factorize("school")
        assert schools_of is not None  # a required column
        self.school_idx = np.asarray(schools_of.codes, dtype=np.int64)
        self.school_names = list(schools_of.values)
        self.n_schools = len(self.school_names)
        self.school_size = np.bincount(self.school_idx, minlength=self.n_schools).astype(np.int64)
        self.group_idx: np.ndarray[Any, Any] | None
        groups_of = roster.factorize("group")
        if groups_of is not None:
            # a blank group cell means "in no group": such teachers are in no group's check
            groups_of = groups_of.without_blank()
            group_list = groups_of.values
            width = max(1, len(group_list))
            self.group_idx, pairs, self.group_size = factorize_pairs(self.school_idx, groups_of.codes, width)
            #: makes :attr:`group_keys`: the (school, group) names are made when first asked for (a tuple per group)
            self.group_keys_made: Callable[[], list[tuple[str, str]]] = functools.partial(
                _group_keys, self.school_names, group_list, pairs, width
            )
        else:
            self.group_idx = None
            self.group_keys_made = list
            self.group_size = np.zeros(0, dtype=np.int64)
        self.n_groups = len(self.group_size)
        #: each teacher's status code, set by the evaluator after the teacher rules
        self.status: np.ndarray[Any, Any] | None = None
        #: rule id -> teachers exempt from it (set before any preparation step runs)
        self.exempt_rows: dict[str, np.ndarray[Any, Any]] = {}
        self._columns: dict[tuple[str, str], Any] = {}
        #: rule id -> the whole cohort's figure of a cohort rule (set by the evaluator, :mod:`ability2.cohort`)
        self.cohort_figures: dict[str, Any] = {}
        self._certifications: dict[str, np.ndarray[Any, Any]] | None = None
        self._coverage: dict[str, np.ndarray[Any, Any]] = {}

    def cohort(self, rule: ResolvedRule | str) -> Any:
        """The whole cohort's figure of a cohort rule (:attr:`ability2.Reach.COHORT`): its kind's ``combine``.

        On a cohort evaluated whole it is ``combine([partial(batch)])``; on one part of a
        cohort, the combination of every part's partial. Raises ``LookupError`` for a rule
        without one (a kind of reach SCHOOL, or one without ``partial`` and ``combine``).
        """
        rule_id = rule if isinstance(rule, str) else rule.id
        if rule_id not in self.cohort_figures:
            raise LookupError(msg("cohort.no_figure", rule=rule_id))
        return self.cohort_figures[rule_id]

    @functools.cached_property
    def group_keys(self) -> list[tuple[str, str]]:
        """Per research group, its ``(school, group)`` names (made when first asked for)."""
        return self.group_keys_made()

    @functools.cached_property
    def ability_codes(self) -> np.ndarray[Any, Any]:
        """Per ability selection, its ability's index in the framework (int64; made when first asked)."""
        import numpy as np

        codes: np.ndarray[Any, Any] = self.roster.ability_codes.astype(np.int64)
        return codes

    @functools.cached_property
    def grades(self) -> np.ndarray[Any, Any]:
        """Per ability selection, its grade code (int64: ``GRADE_UNGRADED`` ... ``GRADE_EXCELLENT``; made when first asked)."""
        import numpy as np

        grades: np.ndarray[Any, Any] = self.roster.grades.astype(np.int64)
        return grades

    @functools.cached_property
    def teacher_of_selection(self) -> np.ndarray[Any, Any]:
        """Per ability selection, the teacher it belongs to (made when first asked: most policies never ask)."""
        import numpy as np

        of: np.ndarray[Any, Any] = np.repeat(np.arange(self.n), self.k)
        return of

    def exempt_from(self, rule_id: str) -> np.ndarray[Any, Any]:
        """Teachers exempt from ``rule_id`` (a preparation step leaves them as they are)."""
        import numpy as np

        rows = self.exempt_rows.get(rule_id)
        return np.zeros(self.n, dtype=bool) if rows is None else rows

    # -- aggregations ---------------------------------------------------------------------
    def _index(self, by: Level) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None, int]:
        """Per-teacher entity codes, a mask of teachers that belong to one, and the entity count."""
        if by == "school":
            return self.school_idx, None, self.n_schools
        if by == "group":
            if self.group_idx is None:
                return self.school_idx[:0], self.school_idx[:0] >= 0, 0
            inside = self.group_idx >= 0
            return self.group_idx, inside, self.n_groups
        raise ValueError(msg("batch.aggregate_by", by=by))

    def size(self, by: Level = "school") -> np.ndarray[Any, Any]:
        """Teachers per school (or per group)."""
        return self.school_size if by == "school" else self.group_size

    def sum(self, values: Any, by: Level = "school") -> np.ndarray[Any, Any]:
        """Sum a per-teacher array (integers or booleans) per school or group; exact (int64)."""
        import numpy as np

        index, inside, size = self._index(by)
        values = np.asarray(values)
        if inside is not None:
            if self.group_idx is None:
                return np.zeros(0, dtype=np.int64)
            index, values = index[inside], values[inside]
        if values.dtype.kind in "iub":
            return sum_per(index, values, size)
        summed: np.ndarray[Any, Any] = np.bincount(index, weights=values, minlength=size)
        return summed

    def count(self, mask: Any, by: Level = "school") -> np.ndarray[Any, Any]:
        """How many teachers of each school (or group) ``mask`` holds for."""
        import numpy as np

        return self.sum(np.asarray(mask, dtype=bool), by)

    def any(self, mask: Any, by: Level = "school") -> np.ndarray[Any, Any]:
        """Whether ``mask`` holds for at least one teacher of each school (or group)."""
        result: np.ndarray[Any, Any] = self.count(mask, by) > 0
        return result

    def all(self, mask: Any, by: Level = "school") -> np.ndarray[Any, Any]:
        """Whether ``mask`` holds for every teacher of each school (or group)."""
        result: np.ndarray[Any, Any] = self.count(mask, by) == self.size(by)
        return result

    def share(self, mask: Any, by: Level = "school") -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """``(count, total)`` per school or group: compare them exactly with :func:`compare_ratio`."""
        return self.count(mask, by), self.size(by)

    def bit_or(self, masks: Any, by: Level = "school") -> np.ndarray[Any, Any]:
        """Bitwise-or per-teacher bit masks per school or group (abilities covered ...)."""
        import numpy as np

        index, inside, size = self._index(by)
        masks = np.asarray(masks)
        # int32 masks (30 abilities) are or-ed as they are: no int64 copy, and one type for
        # ufunc.at (numpy's fast path)
        kind = np.int32 if masks.dtype in (np.int8, np.int16, np.int32, np.uint8, np.uint16) else np.int64
        masks = masks.astype(kind, copy=False)
        if inside is not None:
            index, masks = index[inside], masks[inside]
        out: np.ndarray[Any, Any] = np.zeros(size, dtype=kind)
        np.bitwise_or.at(out, index, masks)
        return out.astype(np.int64, copy=False)

    def distinct_count(self, codes: Any, by: Level = "school") -> np.ndarray[Any, Any]:
        """Distinct non-negative codes per school or group (``-1`` or blank codes are skipped)."""
        import numpy as np

        index, inside, size = self._index(by)
        codes = np.asarray(codes, dtype=np.int64)
        if inside is not None and len(inside) != len(codes):  # no group column: no groups
            return np.zeros(0, dtype=np.int64)
        keep = codes >= 0 if inside is None else (codes >= 0) & inside
        pairs = np.unique(np.stack([index[keep], codes[keep]]), axis=1) if keep.any() else np.zeros((2, 0), np.int64)
        counted: np.ndarray[Any, Any] = np.bincount(pairs[0], minlength=size).astype(np.int64)
        return counted

    def per_teacher_selections(self, flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Count per teacher a per-selection array (one entry per chosen ability: graded, in an environment ...).

        Selections are stored teacher by teacher, so each teacher's count is a difference of
        running totals: one sequential pass, however many teachers.
        """
        import numpy as np

        flags = np.asarray(flags)
        counted: np.ndarray[Any, Any] = np.empty(len(self._offsets) - 1, dtype=np.int32)
        for first, last, begin, end in self._teacher_slices():
            part = flags[begin:end]
            width: Any = np.int32 if len(part) < 2**31 - 1 else np.int64  # half the memory traffic of int64
            running: np.ndarray[Any, Any] = np.zeros(len(part) + 1, dtype=width)
            np.cumsum(part, dtype=width, out=running[1:])
            bounds = self._offsets[first : last + 1] - begin
            counted[first:last] = running[bounds[1:]] - running[bounds[:-1]]
        return counted

    def _teacher_slices(self) -> Iterator[tuple[int, int, int, int]]:
        """``(first, last, begin, end)``: teachers ``first:last`` and their selections ``begin:end``, a slice at a time.

        Per-selection work done a slice of teachers at a time keeps its temporaries small: at
        10M teachers a whole-roster running total was fresh memory (120 MB) and took 0.37 s.
        """
        teachers = len(self._offsets) - 1
        for first in range(0, teachers, _TEACHER_SLICE):
            last = min(first + _TEACHER_SLICE, teachers)
            yield first, last, int(self._offsets[first]), int(self._offsets[last])

    def per_teacher_kinds(self, kinds: np.ndarray[Any, Any], wanted: Sequence[int]) -> list[np.ndarray[Any, Any]]:
        """Count per teacher the selections of each of up to four ``wanted`` values of ``kinds`` (small integers), in one pass.

        Each selection adds 1 to one of four 8-bit fields of a uint32 (its value's field);
        a running total of those is taken once. A teacher's counts are the difference of two
        running totals: exact, since no field of a teacher's own sum reaches 256 (a teacher
        chooses a few abilities), whatever the totals' wrap-around before. Returns int32 arrays.
        """
        import numpy as np

        kinds = np.asarray(kinds)
        most = int(self.k.max(initial=0)) if len(self.k) == len(self._offsets) - 1 else 1 << 8
        low = min(min(wanted, default=0), int(kinds.min(initial=0))) if kinds.dtype.kind in "iu" else 0
        high = max(max(wanted, default=0), int(kinds.max(initial=0))) if kinds.dtype.kind in "iu" else 0
        if (
            len(wanted) > 4
            or len(set(wanted)) != len(wanted)  # two fields for one value: each counted alone
            or most >= 1 << 8
            or kinds.dtype.kind not in "iu"
            or high - low > 1024  # the table of fields stays small
            or not np.little_endian
        ):
            return [self.per_teacher_selections(kinds == value) for value in wanted]
        field = np.zeros(high - low + 1, dtype=np.uint32)  # per value of kinds: its packed 1
        for position, value in enumerate(wanted):
            field[value - low] = np.uint32(1) << np.uint32(8 * position)
        # small codes index the table as they are (int8 arithmetic cannot overflow in this range)
        small = kinds.dtype == np.int8 and low >= -64 and high < 64
        counts = [np.empty(len(self._offsets) - 1, dtype=np.int32) for _ in wanted]
        for first, last, begin, end in self._teacher_slices():
            part = kinds[begin:end]
            index = part - np.int8(low) if small else part.astype(np.int64) - low
            running = np.zeros(len(part) + 1, dtype=np.uint32)
            np.cumsum(field[index], dtype=np.uint32, out=running[1:])
            bounds = self._offsets[first : last + 1] - begin
            packed = running[bounds[1:]] - running[bounds[:-1]]
            fields = packed.view(np.uint8).reshape(-1, 4)  # little-endian: field p is byte p
            for position, count in enumerate(counts):
                count[first:last] = fields[:, position]
        return counts

    def per_school_selections(self, flags: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Count per school a per-selection array (one entry per chosen ability: graded, in an environment ...)."""
        return sum_per(self.school_idx, self.per_teacher_selections(flags), self.n_schools)

    def certifications(self) -> dict[str, np.ndarray[Any, Any]]:
        """Per school: ability certifications ``graded`` (a grade given), ``passed`` (合格 or better), ``excellent``.

        An ability not graded yet is not a certification.
        """
        found = self._certifications
        if found is None:
            # from the teachers' own grade counts: no second pass over every selection
            found = self._certifications = {
                "graded": self.per_school(self.k - self.n_ungraded),
                "passed": self.per_school(self.n_pass + self.n_excellent),
                "excellent": self.per_school(self.n_excellent),
            }
        return {name: counts.copy() for name, counts in found.items()}

    def per_school(self, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Sum a per-teacher array per school (the same as ``sum(values, by="school")``)."""
        import numpy as np

        values = np.asarray(values)
        if values.dtype.kind in "iub":
            return sum_per(self.school_idx, values, self.n_schools)
        return np.bincount(self.school_idx, weights=values, minlength=self.n_schools).astype(np.int64)

    def school_coverage(self, of: Literal["abilities", "environments", "dimensions"]) -> np.ndarray[Any, Any]:
        """Per school, the bit mask of the abilities (environments, dimensions) its teachers chose.

        Made once per batch and kind (a floor and a cap on the same count share it); a new
        array each call.
        """
        found = self._coverage.get(of)
        if found is None:
            masks = {"abilities": self.ability_mask, "environments": self.env_mask, "dimensions": self.dim_mask}[of]
            found = self._coverage[of] = self.bit_or(masks, "school")
        return found.copy()

    def per_school_or(self, masks: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Bitwise-or a per-teacher mask per school (the same as ``bit_or(masks)``)."""
        return self.bit_or(masks, "school")

    # -- roster columns -------------------------------------------------------------------
    def find_column(self, column: str | Column) -> str | None:
        """The roster's name of ``column`` (canonical name or Chinese alias), or ``None``.

        A roster that has the column under both names is refused: which one holds the facts
        would be a guess.
        """
        names = (column.name, column.alias) if isinstance(column, Column) else (column,)
        found = [name for name in names if name in self.roster.headers or name in self.roster.extra_columns]
        if len(found) > 1:
            raise RosterError(
                [
                    RosterProblem(
                        self.roster.source,
                        None,
                        column.name if isinstance(column, Column) else found[0],
                        msg("batch.column_twice", first=found[0], second=found[1]),
                        alias=column.alias if isinstance(column, Column) else None,
                    )
                ]
            )
        return found[0] if found else None

    def has_column(self, column: str | Column) -> bool:
        """Whether the roster has ``column`` (by canonical name or Chinese alias)."""
        return self.find_column(column) is not None

    def column(self, column: str | Column, type: ColumnType = "text") -> np.ndarray[Any, Any]:
        """An extra roster column by name (or a :class:`~ability2.roster.Column`), typed.

        ``text``: strings (``""`` when blank). ``number``: float64, NaN when blank; ``whole``:
        the same, refusing a number that is negative or not whole.
        ``date``: ``datetime64[D]``, NaT when blank (``YYYY-MM-DD`` or ``YYYY/MM/DD``).
        ``flag``: int8, 1 yes, 0 no, -1 blank (是/否, yes/no, 1/0, true/false).
        A missing column or a cell that is not of the type raises
        :class:`~ability2.roster.RosterError` naming the file, the rows and the column.
        """
        canonical = column.name if isinstance(column, Column) else column
        alias = column.alias if isinstance(column, Column) else None
        name = self.find_column(column)
        if name is None:
            needed = (
                msg("batch.missing_column_alias", name=canonical, alias=alias)
                if alias
                else msg("batch.missing_column", name=canonical)
            )
            raise RosterError([RosterProblem(self.roster.source, None, canonical, needed, alias=alias)])
        key = (name, type)
        if key in self._columns:
            cached: np.ndarray[Any, Any] = self._columns[key]
            return cached
        if name in self.roster.headers and name not in self.roster.extra_columns:
            found = self.roster.column(_canonical_name(name, self.roster))
            assert found is not None  # a column the roster names
            texts = [str(v) for v in found.to_list()]
        else:
            found = self.roster.column(name)
            assert found is not None  # find_column found it
            texts = ["" if v is None else str(v) for v in found.to_list()]
        values: np.ndarray[Any, Any]
        values, bad = _parse_texts(texts, type)
        if bad:
            problems = [
                RosterProblem(
                    self.roster.source,
                    self.roster.row_number(i),
                    canonical if alias else name,
                    message,
                    alias=alias,
                )
                for i, message in bad[:50]
            ]
            raise RosterError(problems)
        self._columns[key] = values
        return values

    # -- the school table ----------------------------------------------------------------
    def has_fact(self, column: Column | str) -> bool:
        """Whether a school table was given and has ``column`` (canonical name or Chinese alias)."""
        return self.schools is not None and self.schools.find(column) is not None

    def school_fact(self, column: Column | str, type: ColumnType = "flag") -> np.ndarray[Any, Any]:
        """A school-table column per school of the roster (aligned with :attr:`school_names`).

        A school without its own row in the table gets the blank value (flag ``-1``, number
        NaN, date NaT, text ``""``). Raises :class:`~ability2.errors.SchoolTableError` naming
        the row and column of a cell that is not of the type, and ``LookupError`` when there
        is no school table or no such column (check :meth:`has_fact` first).
        """
        return self._fact(column, type, [(name, "") for name in self.school_names])

    def group_fact(self, column: Column | str, type: ColumnType = "flag") -> np.ndarray[Any, Any]:
        """A school-table column per research group (aligned with :attr:`group_keys`), from the group rows."""
        return self._fact(column, type, self.group_keys)

    def _fact(self, column: Column | str, type: ColumnType, keys: Sequence[tuple[str, str]]) -> np.ndarray[Any, Any]:
        import numpy as np

        table = self.schools
        name = None if table is None else table.find(column)
        if table is None or name is None:
            raise LookupError(msg("batch.no_school_column", column=getattr(column, "name", column)))
        values = table.typed(name, type)
        position: dict[tuple[str, str], int] = {}
        twice: dict[tuple[str, str], tuple[int, int]] = {}
        for i, key in enumerate(table.keys):
            if key in position:  # a table with a region column names a school once per region
                twice.setdefault(key, (position[key], i))
            position[key] = i
        used = [key for key in keys if key in twice]
        if used:
            from ability2.errors import RosterProblem, SchoolTableError

            a, b = twice[used[0]]
            raise SchoolTableError(
                [
                    RosterProblem(
                        table.source,
                        int(table.rows[b]),
                        "school (学校)",
                        f"school {used[0][0]!r} is given twice, rows {int(table.rows[a])} and {int(table.rows[b])} "
                        "(under two regions): one policy judges this roster, so keep the rows of its region, or "
                        "evaluate a roster of several regions region by region (ability2.evaluate_regions; on the "
                        "command line, without --region)",
                    )
                ]
            )
        blank: Any = {"flag": -1, "number": np.nan, "whole": np.nan, "date": np.datetime64("NaT"), "text": ""}[type]
        out = np.full(len(keys), blank, dtype=values.dtype)
        for i, key in enumerate(keys):
            at = position.get(key)
            if at is not None:
                out[i] = values[at]
        return out

    def teacher(self, index: int) -> TeacherRow:
        """Teacher ``index`` as plain Python values (for rules written per teacher)."""
        roster = self.roster
        framework = self.policy.framework
        codes = [a.code for a in framework.abilities]
        names = {GRADE_EXCELLENT: "优秀", GRADE_PASS: "合格", GRADE_FAIL: "不合格", GRADE_UNGRADED: None}
        lo, hi = int(roster.ability_offsets[index]), int(roster.ability_offsets[index + 1])
        extra = {name: column[index] for name in roster.extra_columns if (column := roster.column(name)) is not None}
        return TeacherRow(
            index=index,
            teacher_id=str(roster.teacher_id[index]),
            school=str(roster.school[index]),
            group=None if roster.group is None else str(roster.group[index]),
            subject=None if roster.subject is None else str(roster.subject[index]),
            online_hours=Fraction(int(roster.online[index]), HOURS_SCALE),
            offline_hours=Fraction(int(roster.offline[index]), HOURS_SCALE),
            abilities=tuple(codes[c] for c in roster.ability_codes[lo:hi]),
            grades=tuple(names[int(g)] for g in roster.grades[lo:hi]),
            excellent_video=_flag(roster.excellent_video, index),
            peer_reviews=_flag(roster.peer_reviews, index),
            extra=extra,
        )

    def teachers_of(self, index: int, by: Level = "school") -> Sequence[int]:
        """The roster positions of the teachers in school (or group) ``index``."""
        import numpy as np

        codes = self.school_idx if by == "school" else self.group_idx
        if codes is None:
            return []
        positions: list[int] = np.flatnonzero(codes == index).tolist()
        return positions


def _flag(values: Any, index: int) -> bool | None:
    if values is None or values[index] < 0:
        return None
    return bool(values[index])


def _canonical_name(name: str, roster: Roster) -> str:
    for canonical, written in roster.headers.items():
        if name in (canonical, written):
            return canonical
    return name


def _parse_texts(texts: list[str], type: ColumnType) -> tuple[Any, list[tuple[int, Message]]]:
    """Typed values of ``texts`` and the ``(index, message)`` of each cell that is not of the type."""
    import numpy as np

    from ability2.converting import exact_number

    bad: list[tuple[int, Message]] = []
    if type == "text":
        return np.array(texts, dtype=object), bad
    if type == "number":
        numbers = np.full(len(texts), np.nan)
        for i, text in enumerate(texts):
            cell = text.strip()
            if not cell:
                continue
            try:
                if len(cell) > 40:
                    raise ValueError
                # "1/2" is a fraction; anything else goes through the bounded reader ("1e99999999" is not built)
                number = float(Fraction(cell) if "/" in cell else exact_number(cell))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                bad.append((i, msg("cell.not_number", text=cell[:40])))
                continue
            numbers[i] = number
        return numbers, bad
    if type == "whole":
        numbers, bad = _parse_texts(texts, "number")
        for i, text in enumerate(texts):
            value = numbers[i]
            if not np.isnan(value) and (value < 0 or not float(value).is_integer()):
                bad.append((i, msg("cell.not_whole", text=text.strip()[:40])))
        bad.sort()
        return numbers, bad
    if type == "date":
        dates = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[D]")
        for i, text in enumerate(texts):
            cell = text.strip()
            if not cell:
                continue
            day = _date(cell)
            if day is None:
                bad.append((i, msg("cell.not_date", text=cell[:40])))
                continue
            dates[i] = np.datetime64(day, "D")
        return dates, bad
    if type == "flag":
        flags = np.full(len(texts), -1, dtype=np.int8)
        for i, text in enumerate(texts):
            cell = text.strip().lower()
            if not cell:
                continue
            if cell in _YES:
                flags[i] = 1
            elif cell in _NO:
                flags[i] = 0
            else:
                bad.append((i, msg("cell.not_flag", text=text[:40])))
        return flags, bad
    raise ValueError(msg("batch.column_type", type=type))


def _date(cell: str) -> dt.date | None:
    text = cell.replace("/", "-").replace(".", "-")
    if " " in text:
        text = text.split(" ", 1)[0]
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                return None
        return None


#: the roster columns of contract §2, by canonical name (for kinds that declare what they need)
ROSTER_COLUMNS = {column.name: column for column in COLUMNS}
