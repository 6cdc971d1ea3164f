"""The roll-up as a terminal shows it: the wide areas, the weakest of the rest, and what was left out.

A national roll-up (:func:`ability2.rollup.rollup`) has a row per province, city and county:
thousands of lines, too many to read at a terminal. :func:`digest` keeps what a national
office reads first: the nation and every area down to a level (provinces by default), then
the areas below that level with the lowest pass rates, and counts the rest, which the full
table (the ``rollup`` file written with ``-o``) holds. :func:`digest_notes` words what was
left out, in Chinese or English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ability2.rollup import LEVEL_NAMES, LEVELS

if TYPE_CHECKING:
    import polars as pl

__all__ = ["DEFAULT_WEAKEST", "RollupDigest", "digest", "digest_notes"]

#: how many of the weakest areas below the level shown are listed by default
DEFAULT_WEAKEST = 10


@attrs.frozen(eq=False)
class RollupDigest:
    """A roll-up cut down for reading: the areas shown, the weakest others, and how many are left out."""

    level: str  #: the deepest level shown in full (``nation``, ``province``, ``city`` or ``county``)
    shown: pl.DataFrame  #: the nation and every area down to :attr:`level`, in the roll-up's order
    weakest: pl.DataFrame  #: areas below :attr:`level` with the lowest pass rates, lowest first
    left_out: int  #: areas in neither table
    areas: int  #: every row of the roll-up

    @property
    def complete(self) -> bool:
        """Whether every area is shown (nothing left out, no separate list of the weakest)."""
        return self.left_out == 0 and self.weakest.height == 0


def digest(frame: pl.DataFrame, level: str = "province", weakest: int = DEFAULT_WEAKEST) -> RollupDigest:
    """The roll-up ``frame`` down to ``level``, with the ``weakest`` areas below it by pass rate.

    The weakest are ordered by pass rate (lowest first), then by teachers (most first), then
    by code. When the areas below ``level`` are no more than ``weakest``, every area is shown
    in the roll-up's order (:attr:`RollupDigest.complete`).
    """
    import polars as pl

    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of: {', '.join(LEVELS)}")
    if weakest < 0:
        raise ValueError(f"weakest must be 0 or more, got {weakest}")
    depth = LEVELS.index(level)
    wide = pl.col("level").is_in(list(LEVELS[: depth + 1]))
    below = frame.filter(~wide)
    if below.height <= weakest:
        return RollupDigest(level, frame, frame.head(0), 0, frame.height)
    lowest = below.sort(["pass_rate", "teachers", "code"], descending=[False, True, False]).head(weakest)
    return RollupDigest(level, frame.filter(wide), lowest, below.height - lowest.height, frame.height)


def digest_notes(view: RollupDigest, lang: str = "zh", full: str | None = None) -> dict[str, str]:
    """The words around a digest in ``lang``: ``weakest`` (the second table's title) and ``left_out``.

    ``full`` is where the full roll-up is (the file written with ``-o``); without it the note
    says how to get it. Both are empty for a complete digest.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}; use 'zh' or 'en'")
    if view.complete:
        return {"weakest": "", "left_out": ""}
    pick = 0 if lang == "zh" else 1
    deeper = [LEVEL_NAMES[name][pick] for name in LEVELS[LEVELS.index(view.level) + 1 :]]
    count = view.weakest.height
    if lang == "zh":
        weakest = f"合格率最低的 {count} 个地区（{'、'.join(deeper)}）"
        where = (
            f"完整汇总表：{full}"
            if full
            else "--rollup-all 显示全部；--format csv（或 parquet）-o 文件夹 写出完整汇总表"
        )
        left_out = f"共 {view.areas:,} 个地区，另有 {view.left_out:,} 个未列出；{where}"
    else:
        weakest = f"The {count} areas with the lowest pass rates ({', '.join(deeper)})"
        where = (
            f"the full roll-up: {full}"
            if full
            else "--rollup-all prints them all; --format csv (or parquet) -o FOLDER writes the full roll-up"
        )
        left_out = f"{view.areas:,} areas, {view.left_out:,} more not listed; {where}"
    return {"weakest": weakest, "left_out": left_out}
