"""Evaluation results: verdicts per teacher, group and school, each rule with value and source.

A :class:`Result` stores, per rule, one column of values and verdicts (a
:class:`RuleColumn`), so that a million teachers cost a few arrays, not a million objects.
Everything a reader sees is derived from those columns: the pandas tables
(``result.teachers``, ``result.groups``, ``result.schools``), a teacher's explanation
(``result.explain(teacher_id)``) and the JSON of contract §3.1, which converts back to an
equal result (:meth:`Result.from_dict`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ability2.errors import Ability2Error
from ability2.i18n import STATUS_ORDER, STATUSES, status_label
from ability2.messages import msg

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import polars as pl

    from ability2.policy import Policy, ResolvedRule
    from ability2.roster import Roster

__all__ = ["Explanation", "Reason", "Result", "RuleColumn"]


def _plain(value: Any) -> Any:
    """A numpy scalar or number as a plain JSON value (integral floats become ints)."""
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _format(value: Any, unit: str) -> str:
    value = _plain(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if unit == "share":
            return f"{value * 100:g}%"
        return f"{value:g}"
    return str(value)


def _gloss(word: str | None) -> str:
    """A boundary word's English reading (``不少于`` → ``at least``); an unknown word as it is."""
    from ability2.rules.bounds import BOUND_WORDS

    found = BOUND_WORDS.get(str(word))
    return found[2] if found else str(word)


def verdict_sentence(column: RuleColumn, index: int, lang: str, value: str, ask: str) -> str:
    """``title: value, 符合/未达到/超过/不符合 ask``: the verdict word from the column's sign, said once.

    ``ask`` is what the rule asks, already written in ``lang`` (sign, limit and word); this
    adds no sign or word of its own, so each appears once.
    """
    zh = lang == "zh"
    title = column.title if zh else column.title_en
    if bool(column.ok[index]):
        return f"{title}: {value}, {'符合' if zh else 'meets'} {ask}"
    if column.symbol in ("≤", "<"):
        verdict = "超过" if zh else "exceeds"
    elif column.symbol == "=":
        verdict = "不符合" if zh else "differs from"
    else:
        verdict = "未达到" if zh else "below"
    return f"{title}: {value}, {verdict} {ask}"


@attrs.frozen
class Reason:
    """One rule applied to one teacher, group or school (contract §3.1 ``reasons``/``checks``)."""

    rule: str
    ok: bool
    value: Any
    limit: Any
    message: str
    source: str
    layer: str
    #: the rule is not decided yet for this entity (its status is pending on it)
    pending: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The contract's shape: rule, ok, value, limit, message, source (plus layer, and ``pending: true`` when so)."""
        out = {
            "rule": self.rule,
            "ok": self.ok,
            "value": self.value,
            "limit": self.limit,
            "message": self.message,
            "source": self.source,
            "layer": self.layer,
        }
        if self.pending:
            out["pending"] = True
        return out


@attrs.define(eq=False)
class RuleColumn:
    """One rule's values and verdicts over every teacher (or group, or school)."""

    rule: str
    title: str
    title_en: str
    source: str
    layer: str
    bound: str | None
    symbol: str | None
    limit: Any
    unit: str
    #: per entity: what was found (see :attr:`value`)
    _value: Any = attrs.field(alias="value")
    ok: Any
    counts: tuple[Any, Any] | None = None
    messages: list[str] | None = None
    #: a kind's own sentence writer ``formatter(column, index, lang)``, else the shared one; its sentence must
    #: follow from the per-entity fields below and ``value``/``ok``/``counts`` (the JSON report renders each
    #: distinct combination once)
    formatter: Callable[[RuleColumn, int, str], str] | None = None
    #: per entity: the rule is not yet decided (a teacher rule: the status becomes pending)
    pending: Any = None
    #: per entity: text the kind's formatter adds to its sentence (see :attr:`detail`)
    _detail: Any = attrs.field(default=None, alias="detail")
    #: per entity: the rule grants excellence (the grading rule: every ability 优秀)
    excellent: Any = None
    #: per entity: exempt from this rule (it holds), with the reason and the exemption's name
    exempt: Any = None
    exempt_reason: Any = None
    exempt_label: tuple[str, str] = ("免", "exempt")

    @property
    def value(self) -> Any:
        """Per entity, the value the rule found (an array, or a list in a result read from JSON).

        A kind may pass a function of no arguments instead of the array: the array is then
        made when first read (a report, a table), not while a large roster is evaluated.
        """
        held = self._value  # read once: another thread may make it meanwhile
        if callable(held):
            held = self._value = self._made(held)
        return held

    @value.setter
    def value(self, values: Any) -> None:
        self._value = values

    @property
    def detail(self) -> Any:
        """Per entity, text the kind's formatter adds to its sentence (the grading rule: the abilities not graded yet), or ``None``.

        Part of what makes two entities' reasons the same. As with :attr:`value`, a kind may
        pass a function of no arguments: the texts are made when first read.
        """
        held = self._detail  # read once: another thread may make it meanwhile
        if callable(held):
            held = self._detail = self._made(held)
        return held

    @detail.setter
    def detail(self, values: Any) -> None:
        self._detail = values

    def _made(self, make: Callable[[], Any]) -> Any:
        """What a kind's function for per-entity values makes, checked: one entry per entity."""
        made = make()
        if len(made) != len(self.ok):
            from ability2.errors import EvaluationError

            said = msg("eval.lazy_wrong_length", rule=self.rule, length=len(made), size=len(self.ok))
            raise EvaluationError(said, rule=self.rule)
        return made

    @classmethod
    def from_rule(
        cls,
        rule: ResolvedRule,
        value: Any,
        ok: Any,
        limit: Any,
        unit: str,
        counts: tuple[Any, Any] | None = None,
        *,
        formatter: Callable[[RuleColumn, int, str], str] | None = None,
    ) -> RuleColumn:
        """A column for ``rule`` from a kind's arrays: per entity the value and the verdict.

        ``limit`` is what the rule asks (a number, or text), ``unit`` how values read
        (``h`` hours, ``share`` a fraction shown as a percentage, ``""`` plain), ``counts``
        the ``(count, total)`` behind a share. ``formatter(column, index, lang)`` replaces
        the shared sentence ("found, meets / below / exceeds the limit").
        """
        import numpy as np

        return cls(
            rule=rule.id,
            title=rule.spec.title,
            title_en=rule.spec.title_en,
            source=rule.source,
            layer=rule.layer,
            bound=rule.bound.word if rule.bound else None,
            symbol=rule.bound.symbol if rule.bound else None,
            limit=_plain(limit),
            unit=unit,
            value=value,
            ok=np.asarray(ok, dtype=bool),
            counts=counts,
            formatter=formatter,
        )

    def value_at(self, index: int) -> Any:
        """The value for entity ``index``, as a plain JSON value."""
        return _plain(self.value[index])

    def message_at(self, index: int, lang: str = "zh") -> str:
        """A readable sentence: what was found against what the rule asks."""
        if self.messages is not None:
            return self.messages[index]
        title = self.title if lang == "zh" else self.title_en
        if self.exempt is not None and bool(self.exempt[index]):
            name = self.exempt_label[0] if lang == "zh" else self.exempt_label[1]
            reason = "" if self.exempt_reason is None else str(self.exempt_reason[index] or "")
            if not reason:
                return f"{title}: {name}"
            return f"{title}: {name}（{reason}）" if lang == "zh" else f"{title}: {name} ({reason})"
        if self.formatter is not None:
            return self.formatter(self, index, lang)
        return self.standard_message(index, lang)

    def standard_message(self, index: int, lang: str = "zh") -> str:
        """The shared sentence: the title, the value found, and whether it meets the limit by its word.

        ``总学时下限: 48 学时, 未达到 ≥ 50（不少于）``. A kind's own formatter may start from it.
        """
        limit = _format(self.limit, self.unit)
        zh = lang == "zh"
        if self.symbol:  # the document's word; in English, what it means
            ask = f"{self.symbol} {limit}（{self.bound}）" if zh else f"{self.symbol} {limit} ({_gloss(self.bound)})"
        else:
            ask = limit
        return verdict_sentence(self, index, lang, self.display_value(index, lang), ask)

    def display_value(self, index: int, lang: str = "zh") -> str:
        """The value for entity ``index`` as a message shows it (``48 学时``, ``3/4 = 75%``)."""
        value = _format(self.value[index], self.unit)
        if self.counts is not None:
            value = f"{int(self.counts[0][index])}/{int(self.counts[1][index])} = {value}"
        if self.unit == "h":
            value += " 学时" if lang == "zh" else " h"
        return value

    def reason_at(self, index: int, lang: str = "zh") -> Reason:
        """The :class:`Reason` for entity ``index``."""
        return Reason(
            self.rule,
            bool(self.ok[index]),
            self.value_at(index),
            self.limit,
            self.message_at(index, lang),
            self.source,
            self.layer,
            self.pending is not None and bool(self.pending[index]),
        )


@attrs.frozen
class Explanation:
    """Why one teacher got their status: every rule with value, limit, verdict and source."""

    teacher_id: str
    school: str
    group: str | None
    status: str
    reasons: tuple[Reason, ...]
    region: str
    on: str
    #: the language of the reasons' messages, and of the display
    lang: str = "zh"

    def __repr__(self) -> str:
        failed = sum(1 for reason in self.reasons if not reason.ok)
        return f"<Explanation {self.teacher_id}: {self.status}, {len(self.reasons)} rules, {failed} failed>"

    def __str__(self) -> str:
        where = self.school + (" · " + self.group if self.group else "")
        status = status_label(self.status, self.lang) if self.status in STATUSES else self.status
        lines = [f"{self.teacher_id} ({where}): {status}", f"  {self.region} · {self.on}"]
        for reason in self.reasons:
            mark = "✓" if reason.ok else "✗"
            lines.append(f"  {mark} {reason.message}")
            lines.append(f"      {reason.rule} · {reason.source} · [{reason.layer}]")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ability2.display import explanation_html

        return explanation_html(self)


class Result:
    """The verdicts of one evaluation (one roster under one policy).

    Build one with :func:`ability2.evaluate`, or from its JSON with :meth:`from_dict`.

    The tables (:meth:`teachers`, :meth:`schools`, :meth:`reasons_table` ...) and
    :meth:`to_dict` are the way to read a result. The arrays behind them are attributes too,
    stable and **read-only** (change one and the tables and the JSON disagree with it):

    * ``region``, ``on``: the region id and the policy date (ISO text);
    * ``teacher_ids``, ``teacher_schools``, ``teacher_groups`` (``None`` without a group
      column), ``status``: one entry per teacher, in roster order; ``status`` holds
      ``pass``, ``fail``, ``excellent`` or ``pending``;
    * ``school_names`` and ``school_stats``: per school, in order of first appearance;
      ``school_stats`` maps ``teachers``, ``passed``, ``excellent``, ``selections``,
      ``certifications``, ``certifications_passed``, ``certifications_excellent`` to
      one count per school;
    * ``group_keys`` (``(school, group)``), ``group_sizes``, ``group_status``;
    * ``teacher_info``: per-teacher columns passed through from the roster (``name``,
      ``subject``, and the roster's extra columns under ``columns``);
    * ``teacher_columns``, ``group_columns``, ``school_columns``: the
      :class:`RuleColumn` of each rule applied; ``unchecked``: rules the input could not check;
    * ``policy`` and ``roster``: what was evaluated (``None`` in a result read from JSON).

    Names starting with ``_`` are internal. A result is not changed by reading it: threads
    may read one result at once (its lazily built indexes are built the same by each).
    """

    def __init__(
        self,
        *,
        region: str,
        on: str,
        teacher_ids: Any,
        teacher_schools: Any,
        teacher_groups: Any,
        status: Any,
        teacher_columns: list[RuleColumn],
        group_keys: list[tuple[str, str]] | Callable[[], list[tuple[str, str]]],
        group_sizes: Sequence[int],
        group_status: Sequence[str],
        group_columns: list[RuleColumn],
        school_names: list[str],
        school_stats: dict[str, Any],
        school_columns: list[RuleColumn],
        policy: Policy | None = None,
        roster: Roster | None = None,
        teacher_info: dict[str, Any] | None = None,
        unchecked: list[dict[str, Any]] | None = None,
    ) -> None:
        self.region = region
        self.on = on
        # None with a roster: the roster's own column, read from it when first asked for
        self._teacher_ids = teacher_ids
        self._teacher_schools = teacher_schools
        self._teacher_groups = teacher_groups
        # the status as given (None: made from the evaluator's codes when first asked for)
        self._status = status
        self._status_made: Any = None
        self.teacher_columns = teacher_columns
        # a list, or a function making it when first asked for (see group_keys)
        self._group_keys: Any = group_keys
        self.group_sizes = group_sizes
        self.group_status = group_status
        self.group_columns = group_columns
        self.school_names = school_names
        self.school_stats = school_stats
        self.school_columns = school_columns
        self.policy = policy
        self.roster = roster
        # None with a roster: the roster's name, subject and extra columns, gathered when first asked for
        self._teacher_info: dict[str, Any] | None = teacher_info if teacher_info is not None or roster is None else None
        #: rules of the policy this input could not check (an optional input absent): each
        #: ``{rule, scope, reason, reason_en, source, layer}``; they passed or failed no one
        self.unchecked: list[dict[str, Any]] = list(unchecked or [])
        self._index: dict[str, int] | None = None
        self._stored_school_rows: list[dict[str, Any]] | None = None
        self._school_status: list[str] | None = None
        # the status as the evaluator coded it: indices into STATUS_ORDER (the status unless one is set)
        self._coded_status: Any = None
        # per teacher: abilities chosen, not graded, 不合格, 合格, 优秀 (from the evaluator's batch)
        self._grade_counts: tuple[Any, ...] | None = None

    @property
    def group_keys(self) -> list[tuple[str, str]]:
        """Per research group, its ``(school, group)`` names."""
        keys = self._group_keys
        if callable(keys):
            keys = self._group_keys = keys()
        return keys  # type: ignore[no-any-return]

    @group_keys.setter
    def group_keys(self, keys: list[tuple[str, str]]) -> None:
        self._group_keys = keys

    @property
    def status(self) -> Any:
        """Each teacher's status word (``STATUSES``), in roster order."""
        if self._status is not None or self._coded_status is None:
            return self._status
        made = self._status_made
        if made is None:
            import numpy as np

            made = np.array(STATUS_ORDER, dtype=object)[self._coded_status]
            # read-only: the summaries and reports count the codes, which an edit here would not change
            made.flags.writeable = False
            self._status_made = made
        return made

    @status.setter
    def status(self, values: Any) -> None:
        self._status = values

    # -- the per-teacher texts: the roster's own columns until set ---------------------------
    @property
    def teacher_ids(self) -> Any:
        """Each teacher's id, in roster order."""
        if self._teacher_ids is None and self.roster is not None:
            return self.roster.teacher_id
        return self._teacher_ids

    @teacher_ids.setter
    def teacher_ids(self, values: Any) -> None:
        self._teacher_ids = values

    @property
    def teacher_schools(self) -> Any:
        """Each teacher's school, in roster order."""
        if self._teacher_schools is None and self.roster is not None:
            return self.roster.school
        return self._teacher_schools

    @teacher_schools.setter
    def teacher_schools(self, values: Any) -> None:
        self._teacher_schools = values

    @property
    def teacher_groups(self) -> Any:
        """Each teacher's research group, in roster order (``None``: the roster has no group column)."""
        if self._teacher_groups is None and self.roster is not None:
            return self.roster.group
        return self._teacher_groups

    @teacher_groups.setter
    def teacher_groups(self, values: Any) -> None:
        self._teacher_groups = values

    @property
    def teacher_info(self) -> dict[str, Any]:
        """Per-teacher columns passed through from the roster: ``name``, ``subject`` and the roster's extra columns under ``columns`` ({column: values})."""
        if self._teacher_info is None:
            assert self.roster is not None
            self._teacher_info = _teacher_info(self.roster)
        return self._teacher_info

    @teacher_info.setter
    def teacher_info(self, values: dict[str, Any]) -> None:
        self._teacher_info = values

    def _from_roster(self, column: str) -> bool:
        """Whether ``column`` (teacher_id, name, school, group, subject) is still the roster's own, unread."""
        if self.roster is None:
            return False
        if column in ("name", "subject"):
            return self._teacher_info is None
        held = {"teacher_id": self._teacher_ids, "school": self._teacher_schools, "group": self._teacher_groups}[column]
        return held is None

    def text_column(self, column: str) -> pl.Series | None:
        """``teacher_id``, ``name``, ``school``, ``group`` or ``subject`` as a polars ``String`` Series.

        Straight from the roster's text or codes when the result still holds the roster's
        column (no Python string per teacher); ``None`` when the result has no such column.
        """
        import polars as pl

        if column not in ("teacher_id", "name", "school", "group", "subject"):
            raise Ability2Error(
                msg("roster.not_text_column", column=column, columns="teacher_id, name, school, group, subject")
            )
        if self._from_roster(column):
            assert self.roster is not None
            return self.roster.text_column(column)
        if column in ("name", "subject"):
            values = self.teacher_info.get(column)
        else:
            values = {"teacher_id": self.teacher_ids, "school": self.teacher_schools, "group": self.teacher_groups}[
                column
            ]
        if values is None:
            return None
        return pl.Series(column, [None if v is None else str(v) for v in values], dtype=pl.String)

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_batch(
        cls,
        *,
        policy: Policy,
        roster: Roster,
        status: Any,
        teacher_columns: list[RuleColumn],
        group_keys: list[tuple[str, str]] | Callable[[], list[tuple[str, str]]],
        group_sizes: Any,
        group_columns: list[RuleColumn],
        school_names: list[str],
        school_stats: dict[str, Any],
        school_columns: list[RuleColumn],
        unchecked: list[dict[str, Any]] | None = None,
        status_codes: Any = None,
        grade_counts: tuple[Any, ...] | None = None,
    ) -> Result:
        """Assemble a result from the evaluator's columns.

        ``status_codes``: the status as indices of ``STATUS_ORDER``; ``grade_counts``: per
        teacher, the abilities chosen, not graded, 不合格, 合格 and 优秀, as the batch counted
        them (the teachers table's counts; counted from the roster when not given).
        """
        import numpy as np

        def statuses(columns: list[RuleColumn], size: int) -> list[str]:
            ok = np.ones(size, dtype=bool)
            for column in columns:
                ok &= column.ok
            return ["pass" if flag else "fail" for flag in ok]

        result = cls(
            region=policy.region.id,
            on=policy.on.isoformat(),
            teacher_ids=None,
            teacher_schools=None,
            teacher_groups=None,
            status=status,
            teacher_columns=teacher_columns,
            group_keys=group_keys,
            group_sizes=group_sizes,
            group_status=statuses(group_columns, len(group_sizes)),
            group_columns=group_columns,
            school_names=school_names,
            school_stats=school_stats,
            school_columns=school_columns,
            policy=policy,
            roster=roster,
            unchecked=unchecked,
        )
        if status_codes is not None:
            # the words are made from the codes when first asked for (a million Python references less meanwhile)
            result._status, result._status_made = None, status
            result._coded_status = np.asarray(status_codes)
        if grade_counts is not None:
            # at most 30 abilities a teacher: small integers, held compactly until a table asks
            # (the batch's own int32 counts are kept as they are: no second copy while both live)
            result._grade_counts = tuple(
                counts if counts.dtype.itemsize <= 4 else counts.astype(np.int16)
                for counts in (np.asarray(counts) for counts in grade_counts)
            )
        return result

    # -- reading -------------------------------------------------------------------------
    def __len__(self) -> int:
        if self._teacher_ids is None and self.roster is not None:
            return len(self.roster)
        return len(self.teacher_ids)

    def __repr__(self) -> str:
        counts = self.status_counts()
        summary = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        return (
            f"<Result {self.region} on {self.on}: {len(self)} teachers ({summary}), {len(self.school_names)} schools>"
        )

    def _repr_html_(self) -> str:
        from ability2.display import result_html

        return result_html(self)

    def _status_codes(self) -> tuple[np.ndarray[Any, Any], tuple[str, ...]] | None:
        """The status as codes into its words (``STATUS_ORDER``), when the evaluator gave them and the status is still its."""
        coded = self._coded_status
        if coded is None or self._status is not None:
            return None
        return coded, STATUS_ORDER

    def status_counts(self) -> dict[str, int]:
        """How many teachers have each status."""
        import numpy as np

        status = np.asarray(self.status, dtype=object)
        return {code: int(np.count_nonzero(status == code)) for code in STATUSES}

    def _position(self, teacher_id: str) -> int:
        if self._index is None:
            self._index = {str(t): i for i, t in enumerate(self.teacher_ids)}
        try:
            return self._index[str(teacher_id)]
        except KeyError:
            raise Ability2Error(msg("result.no_teacher", id=teacher_id)) from None

    def _row(self, teacher: str | int, method: str) -> int:
        """The row of ``teacher``: a teacher id, or (deprecated) a row number."""
        import numbers
        import warnings

        if isinstance(teacher, str):
            return self._position(teacher)
        if isinstance(teacher, numbers.Integral) and not isinstance(teacher, bool):
            warnings.warn(
                f"Result.{method}() takes a teacher id, as explain() does; a row number ({teacher}) is deprecated: "
                f"pass result.teacher_ids[{teacher}], or use result.reasons_table() for every teacher",
                DeprecationWarning,
                stacklevel=3,
            )
            row = int(teacher)
            if not -len(self) <= row < len(self):
                raise Ability2Error(msg("result.no_row", row=row, teachers=len(self)))
            return row % len(self)
        raise TypeError(f"a teacher is named by their id (text), not {type(teacher).__name__} {teacher!r}")

    def reasons(self, teacher: str | int, lang: str = "zh") -> list[Reason]:
        """Every rule applied to ``teacher`` (a teacher id, as :meth:`explain` takes).

        A row number (an ``int``, the old way) still works, with a :class:`DeprecationWarning`.
        """
        return self._reasons_at(self._row(teacher, "reasons"), lang)

    def _reasons_at(self, index: int, lang: str = "zh") -> list[Reason]:
        """Every rule applied to the teacher of row ``index`` (roster order)."""
        return [column.reason_at(index, lang) for column in self.teacher_columns]

    def open_reasons(self, teacher: str | int, lang: str = "zh") -> list[Reason]:
        """What keeps ``teacher`` (a teacher id) from passing: each rule that fails, and each not yet decided (pending).

        A row number still works, with a :class:`DeprecationWarning`, as for :meth:`reasons`.
        """
        return self._open_reasons_at(self._row(teacher, "open_reasons"), lang)

    def _open_reasons_at(self, index: int, lang: str = "zh") -> list[Reason]:
        """:meth:`open_reasons` of the teacher of row ``index``."""
        return [
            column.reason_at(index, lang)
            for column in self.teacher_columns
            if not bool(column.ok[index]) or (column.pending is not None and bool(column.pending[index]))
        ]

    def _failed_sets(self) -> tuple[np.ndarray[Any, Any], list[tuple[str, ...]]]:
        """Per teacher, the rules failed: codes into the distinct tuples of rule ids (for the tables)."""
        return _failed_rule_sets(self.teacher_columns, len(self))

    def reasons_table(self, backend: str = "pandas") -> Any:
        """Every rule applied to every teacher, long: one row per teacher × rule.

        Columns: ``teacher_id``, ``school``, ``rule``, ``value`` (a number: hours, a fraction for
        a share, a count; empty where the rule's value is not a number), ``limit`` (the same),
        ``unit`` (``h``, ``share`` or ``""``), ``ok``, ``pending`` (the rule is not decided
        yet), ``layer`` and ``source``. Rows run teacher by teacher in roster order, rules
        in the policy's order. ``backend="polars"`` gives a polars DataFrame.
        """
        from ability2.tables import reasons_frame

        frame = reasons_frame(self)
        if backend == "polars":
            return frame
        if backend == "pandas":
            return frame.to_pandas()
        raise Ability2Error(msg("result.unknown_backend", backend=backend))

    def explain(self, teacher_id: str, lang: str = "zh") -> Explanation:
        """Why ``teacher_id`` got their status, rule by rule, from the same run."""
        i = self._position(teacher_id)
        group = None if self.teacher_groups is None else str(self.teacher_groups[i])
        return Explanation(
            str(self.teacher_ids[i]),
            str(self.teacher_schools[i]),
            group,
            str(self.status[i]),
            tuple(self._reasons_at(i, lang)),
            self.region,
            self.on,
            lang,
        )

    def school_checks(self, index: int, lang: str = "zh") -> list[Reason]:
        """Every check applied to school ``index``."""
        return [column.reason_at(index, lang) for column in self.school_columns]

    def group_checks(self, index: int, lang: str = "zh") -> list[Reason]:
        """Every check applied to group ``index``."""
        return [column.reason_at(index, lang) for column in self.group_columns]

    def _status_of_school(self, index: int) -> str:
        return self._school_statuses()[index]

    def _school_statuses(self) -> list[str]:
        """The statuses, computed once and shared (callers must not change the list)."""
        if self._school_status is None:
            import numpy as np

            ok = np.ones(len(self.school_names), dtype=bool)
            for column in self.school_columns:
                ok &= np.asarray(column.ok, dtype=bool)
            self._school_status = ["pass" if flag else "fail" for flag in ok]
        return self._school_status

    def school_status(self) -> list[str]:
        """``pass`` for a school whose checks all hold, else ``fail`` (a new list each call)."""
        return list(self._school_statuses())

    # -- tables --------------------------------------------------------------------------
    @property
    def teachers(self) -> pd.DataFrame:
        """One row per teacher (roster order), tidy: one column per variable, typed.

        ``teacher_id``, ``name``, ``school``, ``group``, ``status``; ``failed_rules`` (a list
        of rule ids per teacher, ``[]`` when none fails); one true/false column per rule;
        ``online_hours``, ``offline_hours`` and ``total_hours`` (numbers) and the ability
        counts ``abilities_chosen``, ``abilities_graded``, ``abilities_passed`` (合格 or
        优秀), ``abilities_excellent`` and ``abilities_failed`` (when the result holds its
        roster, not when read back from JSON); ``value:RULE`` and ``limit:RULE`` for each rule
        whose value is a number (hours, a fraction for a share, a count); then ``subject``
        and the roster's own extra columns.
        """
        from ability2.frames import pandas_frame
        from ability2.roster import Factorized

        data = self._teacher_data(decode=False, failed=False)
        data["failed_rules"] = None  # its place; filled below
        for column, values in data.items():
            # text columns the roster holds as codes: pandas converts each distinct text once, not each row
            if isinstance(values, Factorized):
                data[column] = _coded_texts(values.values, values.codes)
        status = self._status_codes()
        if status is not None:
            data["status"] = _coded_texts(status[1], status[0])
        failed = _failed_rule_arrow(self.teacher_columns, len(self))
        data["failed_rules"] = failed if failed is not None else _failed_rule_lists(self.teacher_columns, len(self))
        # the hours, counts and limits are made for this table alone: the frame takes them uncopied
        owned = [name for name in data if name in _TIDY_MADE or name.startswith("limit:")]
        return pandas_frame(data, objects=("failed_rules",), owned=owned)

    def _teacher_data(
        self, *, failed: bool = True, passed: dict[str, str] | None = None, tidy: bool = True, decode: bool = True
    ) -> dict[str, Any]:
        """The columns of :attr:`teachers`, by name and in order, as arrays (``failed_rules`` as ``None`` unless ``failed``).

        ``passed``, when given, gets each passthrough column's name in the table and in the roster.
        ``tidy=False`` leaves out the hours, counts, values and limits (the workbook shows its own).
        ``decode=False`` gives the texts (ids, names, schools, groups, subjects and the roster's
        extra columns) as polars ``String`` Series, made without a Python string per teacher,
        except schools, groups and subjects the roster holds as codes: their
        :class:`~ability2.roster.Factorized` codes.
        """
        import numpy as np

        from ability2.roster import Factorized

        def text(column: str) -> Any:
            if not decode:
                coded = self.roster.factorized.get(column) if self.roster is not None else None
                if isinstance(coded, Factorized) and self._from_roster(column):
                    return coded
                return self.text_column(column)
            if column in ("name", "subject"):
                values = self.teacher_info.get(column)
            else:
                values = {"teacher_id": self.teacher_ids, "school": self.teacher_schools, "group": self.teacher_groups}[
                    column
                ]
            return None if values is None else np.asarray(values, dtype=object)

        data: dict[str, Any] = {"teacher_id": text("teacher_id")}
        name = text("name")
        if name is not None:
            data["name"] = name
        data["school"] = text("school")
        group = text("group")
        if group is not None:
            data["group"] = group
        data["status"] = np.asarray(self.status, dtype=object)
        data["failed_rules"] = _failed_rule_lists(self.teacher_columns, len(self)) if failed else None
        for column in self.teacher_columns:
            data[column.rule] = np.asarray(column.ok, dtype=bool)
        if tidy:
            data.update(_tidy_columns(self))
        if "subject" not in data:
            subject = text("subject")
            if subject is not None:
                data["subject"] = subject
        extras: dict[str, Any]
        if not decode and self._from_roster("name") and self.roster is not None:
            extras = dict(self.roster.extras)
        else:
            extras = {
                name: np.asarray(values, dtype=object) for name, values in self.teacher_info.get("columns", {}).items()
            }
        for name, values in extras.items():
            # a roster column named like a result column (status, a rule id) is kept, namespaced
            key = name if name not in data else f"roster:{name}"
            data[key] = values
            if passed is not None:
                passed[key] = name
        return data

    def table(self, name: str, backend: str = "pandas") -> Any:
        """``teachers``, ``groups`` or ``schools`` as a pandas (default) or polars DataFrame."""
        if name not in ("teachers", "groups", "schools"):
            raise Ability2Error(msg("result.unknown_table", name=name))
        if backend == "pandas":
            return getattr(self, name)
        if backend == "polars":
            from ability2.tables import table_frame

            return table_frame(self, name)
        raise Ability2Error(msg("result.unknown_backend", backend=backend))

    @property
    def schools(self) -> pd.DataFrame:
        """One row per school (first-appearance order): counts, rates, status, a column per check."""
        import pandas as pd

        data = self._school_data()
        if data is None:
            return pd.DataFrame([self._school_row(i, with_checks=False) for i in range(len(self.school_names))])
        return pd.DataFrame(data)

    def _school_data(self) -> dict[str, Any] | None:
        """The columns of :attr:`schools` by name, in order (``None`` for a result read back from JSON, or no school)."""
        import numpy as np

        fields = self._school_fields()
        if fields is None:
            return None
        data: dict[str, Any] = dict(fields)
        for column in self.school_columns:
            data[column.rule] = np.asarray(column.ok, dtype=bool)
        return data

    def _school_fields(self) -> dict[str, list[Any]] | None:
        """What :meth:`_school_base` gives row by row, column by column (``None``: none to give so)."""
        import numpy as np

        if self._stored_school_rows is not None or not len(self.school_names):
            return None
        # column by column, the same values as _school_base gives row by row
        stats = self.school_stats
        teachers = np.asarray(stats["teachers"]).astype(np.int64).tolist()
        passed = np.asarray(stats["passed"]).astype(np.int64).tolist()
        excellent = np.asarray(stats["excellent"]).astype(np.int64).tolist()

        def rates(counts: list[int], totals: list[int]) -> list[float | int]:
            # each distinct (count, total) pair rounded once: a province has a few hundred
            if not counts:
                return []
            count, total = np.asarray(counts, dtype=np.int64), np.asarray(totals, dtype=np.int64)
            width = int(total.max()) + 1
            distinct, inverse = np.unique(count * width + total, return_inverse=True)  # a pair as one number
            table = np.empty(len(distinct), dtype=object)
            pairs = zip((distinct // width).tolist(), (distinct % width).tolist(), strict=True)  # Python ints
            table[:] = [round(c / t, 6) if t else 0 for c, t in pairs]
            out: list[float | int] = table[inverse.reshape(-1)].tolist()
            return out

        data: dict[str, list[Any]] = {
            "school": list(self.school_names),
            "teachers": teachers,
            "passed": passed,
            "excellent": excellent,
            "pass_rate": rates(passed, teachers),
            "excellent_rate": rates(excellent, teachers),
        }
        selections = stats.get("certifications", stats.get("selections"))
        if selections is not None:
            totals = np.asarray(selections).astype(np.int64).tolist()
            certs_passed = np.asarray(stats["certifications_passed"]).astype(np.int64).tolist()
            certs_excellent = np.asarray(stats["certifications_excellent"]).astype(np.int64).tolist()
            data["ability_pass_rate"] = rates(certs_passed, totals)
            data["ability_excellent_rate"] = rates(certs_excellent, totals)
        data["status"] = self.school_status()
        return data

    def _group_fields(self) -> dict[str, list[Any]]:
        """What :meth:`_group_base` gives row by row, column by column."""
        import numpy as np

        return {
            "school": [school for school, _ in self.group_keys],
            "group": [group for _, group in self.group_keys],
            "teachers": np.asarray(self.group_sizes).astype(np.int64).tolist(),
            "status": list(self.group_status),
        }

    @property
    def groups(self) -> pd.DataFrame:
        """One row per research group (empty when the roster has no group column)."""
        import pandas as pd

        rows = [self._group_row(i, with_checks=False) for i in range(len(self.group_keys))]
        return pd.DataFrame(
            rows, columns=["school", "group", "teachers", "status"] + [c.rule for c in self.group_columns]
        )

    def _school_row(self, index: int, *, with_checks: bool, lang: str = "zh") -> dict[str, Any]:
        return self._attach_checks(self._school_base(index), self.school_columns, index, with_checks, lang)

    def _school_base(self, index: int) -> dict[str, Any]:
        """School ``index``'s counts, rates and status, without its checks."""
        if self._stored_school_rows is not None:
            return dict(self._stored_school_rows[index])
        stats = self.school_stats
        teachers = int(stats["teachers"][index])
        passed = int(stats["passed"][index])
        excellent = int(stats["excellent"][index])
        row: dict[str, Any] = {
            "school": self.school_names[index],
            "teachers": teachers,
            "passed": passed,
            "excellent": excellent,
            "pass_rate": round(passed / teachers, 6) if teachers else 0,
            "excellent_rate": round(excellent / teachers, 6) if teachers else 0,
        }
        selections = stats.get("certifications", stats.get("selections"))
        if selections is not None:
            total = int(selections[index])
            certs_passed = int(stats["certifications_passed"][index])
            certs_excellent = int(stats["certifications_excellent"][index])
            row["ability_pass_rate"] = round(certs_passed / total, 6) if total else 0
            row["ability_excellent_rate"] = round(certs_excellent / total, 6) if total else 0
        row["status"] = self._status_of_school(index)
        return row

    @staticmethod
    def _attach_checks(
        row: dict[str, Any], columns: list[RuleColumn], index: int, with_checks: bool, lang: str
    ) -> dict[str, Any]:
        """Add the entity's checks: as reasons (``checks``, for JSON) or as one bool column per rule."""
        if with_checks:
            row["checks"] = [column.reason_at(index, lang).to_dict() for column in columns]
        else:
            for column in columns:
                row[column.rule] = bool(column.ok[index])
        return row

    def _group_row(self, index: int, *, with_checks: bool, lang: str = "zh") -> dict[str, Any]:
        return self._attach_checks(self._group_base(index), self.group_columns, index, with_checks, lang)

    def _group_base(self, index: int) -> dict[str, Any]:
        """Group ``index``'s school, name, size and status, without its checks."""
        school, group = self.group_keys[index]
        return {
            "school": school,
            "group": group,
            "teachers": int(self.group_sizes[index]),
            "status": self.group_status[index],
        }

    # -- JSON ----------------------------------------------------------------------------
    def iter_teacher_dicts(self, lang: str = "zh") -> Iterator[dict[str, Any]]:
        """The ``teachers`` entries of the JSON, one at a time (for streaming)."""
        info = self.teacher_info
        extra = info.get("columns", {})
        for i in range(len(self)):
            item: dict[str, Any] = {"teacher_id": str(self.teacher_ids[i])}
            if "name" in info:
                item["name"] = str(info["name"][i])
            item["school"] = str(self.teacher_schools[i])
            group = None if self.teacher_groups is None else str(self.teacher_groups[i])
            item["group"] = group or None
            if "subject" in info:
                item["subject"] = str(info["subject"][i])
            item["status"] = str(self.status[i])
            item["reasons"] = [reason.to_dict() for reason in self._reasons_at(i, lang)]
            if extra:
                item["columns"] = {name: values[i] for name, values in extra.items()}
            yield item

    def unchecked_dicts(self, lang: str = "zh") -> list[dict[str, Any]]:
        """The rules not checked, as the JSON lists them: rule, scope, reason (in ``lang``), source, layer."""
        return [
            {
                "rule": item["rule"],
                "scope": item["scope"],
                "reason": item["reason_en"] if lang == "en" else item["reason"],
                "source": item["source"],
                "layer": item["layer"],
            }
            for item in self.unchecked
        ]

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The JSON document of contract §3.1 (plus ``unchecked`` when a rule could not be checked)."""
        out = {
            "region": self.region,
            "on": self.on,
            "teachers": list(self.iter_teacher_dicts(lang)),
            "groups": [self._group_row(i, with_checks=True, lang=lang) for i in range(len(self.group_keys))],
            "schools": [self._school_row(i, with_checks=True, lang=lang) for i in range(len(self.school_names))],
        }
        if self.unchecked:
            out["unchecked"] = self.unchecked_dicts(lang)
        return out

    def to_json(self, lang: str = "zh", indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text (UTF-8, Chinese kept as is), rendered without building the dictionary."""
        from ability2.resultjson import iter_json

        return "".join(iter_json(self, lang, indent))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a result from its JSON (:meth:`to_dict` of the rebuilt result is equal).

        Raises :class:`~ability2.errors.ResultFormatError` when ``data`` is not a result's
        JSON (a missing key, a value of the wrong type).
        """
        from ability2.errors import ResultFormatError

        try:
            return cls._from_dict(data)
        except ResultFormatError:
            raise
        except KeyError as exc:
            raise ResultFormatError(msg("result.missing_key", key=str(exc))) from None
        except (TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            raise ResultFormatError(msg("result.not_result", error=f"{type(exc).__name__}: {str(exc)[:200]}")) from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> Result:
        if not isinstance(data, dict):
            raise TypeError(f"the JSON holds a {type(data).__name__}, not an object")
        teachers = data["teachers"]
        columns = _columns_from_reasons([t["reasons"] for t in teachers])
        groups = data.get("groups", [])
        schools = data["schools"]
        school_stats: dict[str, Any] = {key: [s[key] for s in schools] for key in ("teachers", "passed", "excellent")}
        school_columns = _columns_from_reasons([s["checks"] for s in schools])
        result = cls(
            region=data["region"],
            on=data["on"],
            teacher_ids=[t["teacher_id"] for t in teachers],
            teacher_schools=[t["school"] for t in teachers],
            teacher_groups=[t.get("group") or "" for t in teachers] if any(t.get("group") for t in teachers) else None,
            status=[t["status"] for t in teachers],
            teacher_columns=columns,
            group_keys=[(g["school"], g["group"]) for g in groups],
            group_sizes=[g["teachers"] for g in groups],
            group_status=[g["status"] for g in groups],
            group_columns=_columns_from_reasons([g["checks"] for g in groups]),
            school_names=[s["school"] for s in schools],
            school_stats=school_stats,
            school_columns=school_columns,
            teacher_info=_info_from_dicts(teachers),
            unchecked=[
                {**item, "reason_en": item.get("reason_en", item["reason"])} for item in data.get("unchecked", [])
            ],
        )
        result._stored_school_rows = [{k: v for k, v in s.items() if k != "checks"} for s in schools]
        return result

    @classmethod
    def from_json(cls, text: str) -> Result:
        """Rebuild a result from JSON text.

        Raises :class:`~ability2.errors.ResultFormatError` for text that is not JSON (with its
        line and column) or not a result's JSON.
        """
        from ability2.errors import ResultFormatError

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultFormatError(msg("result.not_json", error=exc.msg, line=exc.lineno, column=exc.colno)) from None
        except RecursionError:
            raise ResultFormatError(msg("result.too_deep")) from None
        return cls.from_dict(data)


def _teacher_info(roster: Roster) -> dict[str, Any]:
    """The per-teacher columns a result passes through from its roster."""
    info: dict[str, Any] = {}
    if roster.name is not None:
        info["name"] = roster.name
    if roster.subject is not None:
        info["subject"] = roster.subject
    if roster.extra_columns:
        info["columns"] = {name: values.to_list() for name, values in roster.extras.items()}
    return info


def _info_from_dicts(teachers: list[dict[str, Any]]) -> dict[str, Any]:
    """:func:`_teacher_info` read back from the JSON's teacher entries."""
    info: dict[str, Any] = {}
    if teachers and "name" in teachers[0]:
        info["name"] = [t.get("name", "") for t in teachers]
    if teachers and "subject" in teachers[0]:
        info["subject"] = [t.get("subject", "") for t in teachers]
    if teachers and "columns" in teachers[0]:
        info["columns"] = {name: [t["columns"].get(name) for t in teachers] for name in teachers[0]["columns"]}
    return info


def _columns_from_reasons(rows: list[list[dict[str, Any]]]) -> list[RuleColumn]:
    """Rebuild rule columns from per-entity reason lists (all entities share the rule order)."""
    import numpy as np

    if not rows:
        return []
    order = [reason["rule"] for reason in rows[0]]
    columns = []
    for position, rule in enumerate(order):
        items = []
        for row in rows:
            if position >= len(row) or row[position]["rule"] != rule:
                raise Ability2Error(f"inconsistent reasons: expected rule {rule!r} at position {position}")
            items.append(row[position])
        first = items[0]
        columns.append(
            RuleColumn(
                rule=rule,
                title=rule,
                title_en=rule,
                source=first["source"],
                layer=first.get("layer", ""),
                bound=None,
                symbol=None,
                limit=first["limit"],
                unit="",
                value=[item["value"] for item in items],
                ok=np.array([item["ok"] for item in items], dtype=bool),
                messages=[item["message"] for item in items],
                pending=(
                    np.array([bool(item.get("pending", False)) for item in items], dtype=bool)
                    if any(item.get("pending") for item in items)
                    else None
                ),
            )
        )
    return columns


def _coded_texts(values: Sequence[str], codes: Any) -> Any:
    """``values[codes[i]]`` per row as the pandas array a column of those texts becomes.

    pandas infers the array type (``str`` in pandas 3) from the few distinct texts and
    gathers it by the codes, instead of converting a text object per row.
    """
    import numpy as np
    import pandas as pd

    table = np.empty(len(values), dtype=object)
    table[:] = list(values)
    return pd.Series(table, dtype=None if len(table) else object).array.take(np.asarray(codes, dtype=np.intp))


def _failed_rule_lists(columns: Sequence[RuleColumn], size: int) -> np.ndarray[Any, Any]:
    """Per teacher, the ids of the rules failed, in rule order (``[]``: none), as an object array of lists.

    Each teacher's failures are a bit mask; each teacher gets a list of their own (changing
    one changes no other teacher's), made from the distinct masks' tuples.
    """
    import numpy as np

    from ability2.gcpause import paused_gc

    codes, distinct = _failed_rule_sets(columns, size)
    tuples = np.empty(len(distinct), dtype=object)
    for position, rules in enumerate(distinct):  # one by one: numpy would read the tuples as a second axis
        tuples[position] = rules
    if not size:
        return np.empty(0, dtype=object)
    with paused_gc():  # a list per teacher and no cycle: the collector would walk them again and again
        failed: np.ndarray[Any, Any] = np.frompyfunc(list, 1, 1)(tuples[codes])
    return failed


def _failed_rule_arrow(columns: Sequence[RuleColumn], size: int) -> Any:
    """Per teacher, the ids of the rules failed, as a pandas Arrow ``list<string>`` array (``None`` without pyarrow strings).

    Each teacher's cell reads as a new Python list (``[]``: none fails), so changing one
    changes no other teacher's; the distinct lists are made once and gathered by code.
    """
    from ability2.frames import arrow_strings

    if not arrow_strings():
        return None
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    codes, distinct = _failed_rule_sets(columns, size)
    lists = pa.array([list(rules) for rules in distinct], type=pa.list_(pa.string()))
    taken = lists.take(pa.array(np.asarray(codes, dtype=np.int64))) if size else pa.array([], type=lists.type)
    return pd.array(taken, dtype=pd.ArrowDtype(taken.type))


def _failed_rule_codes(columns: Sequence[RuleColumn], size: int) -> tuple[np.ndarray[Any, Any], list[str]]:
    """Per teacher, the failed rules ``;``-joined, as codes into distinct texts: ``texts[codes[i]]`` is teacher ``i``'s.

    The workbook and the CSV tables write this text (one cell); the DataFrames hold lists.
    """
    codes, distinct = _failed_rule_sets(columns, size)
    return codes, [";".join(rules) for rules in distinct]


def _failed_rule_sets(columns: Sequence[RuleColumn], size: int) -> tuple[np.ndarray[Any, Any], list[tuple[str, ...]]]:
    """Per teacher, the rules failed, as codes into the distinct tuples of rule ids (in rule order)."""
    import numpy as np

    wide = len(columns) > 62
    masks = np.zeros(size, dtype=object if wide else np.int64)
    for bit, column in enumerate(columns):
        bad = ~np.asarray(column.ok, dtype=bool)
        if not bad.any():
            continue
        if wide:
            masks[bad] += 1 << bit
        else:  # a dense shift and or: three times a masked add's speed on a million teachers
            masks |= bad.astype(np.int64) << bit
    if masks.dtype != object and size and int(masks.max()) < 1 << 20:
        # few rules: the distinct masks by a table as long as the largest, in the order np.unique gives
        seen = np.bincount(masks) > 0
        distinct = np.flatnonzero(seen)
        table = np.cumsum(seen) - 1
        inverse = table[masks]
    else:
        distinct, inverse = np.unique(masks, return_inverse=True)
    sets = [tuple(c.rule for i, c in enumerate(columns) if int(mask) >> i & 1) for mask in distinct.tolist()]
    return inverse.reshape(-1), sets


#: the ability counts of the teachers table: column -> the grades it counts (``None``: every ability chosen)
_ABILITY_COUNTS: dict[str, tuple[int, ...] | None] = {
    "abilities_chosen": None,
    "abilities_graded": (0, 1, 2),
    "abilities_passed": (1, 2),
    "abilities_excellent": (2,),
    "abilities_failed": (0,),
}


#: the columns :func:`_tidy_columns` makes anew on every call (each its own array)
_TIDY_MADE = frozenset(
    {
        "online_hours",
        "offline_hours",
        "total_hours",
        "abilities_chosen",
        "abilities_graded",
        "abilities_passed",
        "abilities_excellent",
        "abilities_failed",
    }
)


def _tidy_columns(result: Result) -> dict[str, Any]:
    """The teachers table's numbers: hours and ability counts (from the roster) and each numeric rule's value and limit."""
    import numpy as np

    from ability2.roster import GRADE_EXCELLENT, GRADE_FAIL, GRADE_PASS, GRADE_UNGRADED, HOURS_SCALE

    assert (GRADE_UNGRADED, GRADE_FAIL, GRADE_PASS, GRADE_EXCELLENT) == (-1, 0, 1, 2)  # _ABILITY_COUNTS's codes
    data: dict[str, Any] = {}
    roster = result.roster
    size = len(result)
    if roster is not None and len(roster) == size:
        online = np.asarray(roster.online, dtype=np.float64) / HOURS_SCALE
        offline = np.asarray(roster.offline, dtype=np.float64) / HOURS_SCALE
        data["online_hours"] = online
        data["offline_hours"] = offline
        data["total_hours"] = (np.asarray(roster.online, dtype=np.int64) + roster.offline) / HOURS_SCALE
        if result._grade_counts is not None:
            # copies (np.array): the table owns its columns
            chosen, ungraded, failed, passed, excellent = (np.array(c, dtype=np.int64) for c in result._grade_counts)
            data["abilities_chosen"] = chosen
            data["abilities_graded"] = chosen - ungraded
            data["abilities_passed"] = passed + excellent
            data["abilities_excellent"] = excellent
            data["abilities_failed"] = failed
            return _rule_values(result, data)
        offsets = np.asarray(roster.ability_offsets, dtype=np.int64)
        chosen = np.diff(offsets)
        # per teacher and grade (ungraded, 不合格, 合格, 优秀): how many of their abilities have it, by one count
        owner = np.repeat(np.arange(size, dtype=np.int64), chosen)
        slot = np.asarray(roster.grades, dtype=np.int64) - GRADE_UNGRADED
        tally = np.bincount(owner * 4 + slot, minlength=4 * size).reshape(size, 4)
        for name, counted in _ABILITY_COUNTS.items():
            if counted is None:
                data[name] = chosen
            else:
                data[name] = tally[:, [grade - GRADE_UNGRADED for grade in counted]].sum(axis=1)
    return _rule_values(result, data)


def _rule_values(result: Result, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with each numeric rule's ``value:RULE`` and ``limit:RULE`` columns added."""
    import numpy as np

    size = len(result)
    for column in result.teacher_columns:
        values = np.asarray(column.value) if column.value is not None else None
        if values is None or values.dtype.kind not in "biuf" or values.dtype.kind == "b" or len(values) != size:
            continue
        data[f"value:{column.rule}"] = values
        limit = column.limit
        if isinstance(limit, int | float) and not isinstance(limit, bool):
            data[f"limit:{column.rule}"] = np.full(size, limit, dtype=np.float64)
    return data
