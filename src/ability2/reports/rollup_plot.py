"""The national roll-up as a plot: pass and excellent rates and schools by status, area by area.

:func:`plot_rollup` draws a roll-up table (:func:`ability2.rollup.rollup`) at one level
(province, city or county) the way a national office reads it: one row per area, sorted by
pass rate (the weakest on top, where the eye starts), the pass rate as a bar with the
excellent rate inside it and the national rate as a dashed line, each area's teachers
written at the bar's end; and beside it the area's schools that pass and fail their checks.
Chinese by default (``lang="en"`` for English), drawn with matplotlib (the ``plot`` extra) as
:mod:`ability2.plots` draws, with a CJK font found for the labels.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error
from ability2.messages import msg

if TYPE_CHECKING:
    import polars as pl
    from matplotlib.figure import Figure

__all__ = ["MAX_AREAS", "plot_rollup"]

#: areas drawn at most; past it, those with the lowest pass rates (the title says so)
MAX_AREAS = 40

_TEXT = {
    "pass_rate": ("合格率", "pass rate"),
    "excellent_rate": ("优秀率", "excellent rate"),
    "nation_rate": ("全国合格率", "national pass rate"),
    "schools_passed": ("达标学校", "schools that pass"),
    "schools_failed": ("未达标学校", "schools that fail"),
    "schools": ("学校数", "schools"),
    "teachers": ("教师 {n:,} 人", "{n:,} teachers"),
    "title": ("{level}合格率、优秀率与学校达标情况", "Pass and excellent rates and schools by status, by {level}"),
    "lowest": ("（合格率最低的 {n} 个，共 {total} 个）", " (the {n} lowest pass rates of {total})"),
    "on": ("，{on}", ", {on}"),
}
_LEVEL = {"province": ("各省", "province"), "city": ("各市", "city"), "county": ("各县（区）", "county")}


def _t(key: str, lang: str) -> str:
    return _TEXT[key][0 if lang == "zh" else 1]


def _level(frame: pl.DataFrame, level: str | None) -> str:
    """The level to draw: the one asked for, else the widest with more than one area (else county)."""
    if level is not None:
        if level not in _LEVEL:
            raise ValueError(msg("reports.unknown_level", level=str(level)))
        return level
    for candidate in ("province", "city", "county"):
        if frame.filter(frame["level"] == candidate).height > 1:
            return candidate
    for candidate in ("county", "city", "province"):
        if frame.filter(frame["level"] == candidate).height:
            return candidate
    return "province"


def plot_rollup(
    frame: pl.DataFrame,
    *,
    level: str | None = None,
    lang: str = "zh",
    on: dt.date | None = None,
    limit: int = MAX_AREAS,
    ax: Any = None,
) -> Figure:
    """Draw the roll-up ``frame`` at ``level`` (default: the widest level with several areas).

    Returns the :class:`matplotlib.figure.Figure`. With ``ax`` the rates are drawn into that
    axes (and the schools are left out); without it a figure of two panels is made. At most
    ``limit`` areas are drawn: past it, those with the lowest pass rates. ``on`` (the policies'
    date) is written in the title.
    """
    from ability2.plots import STATUS_COLORS, _check_lang, _figure_and_axes, _percent_axis, _ready

    _check_lang(lang)
    if limit < 1:
        raise ValueError(msg("reports.bad_limit", limit=str(limit)))
    chosen = _level(frame, level)
    areas = frame.filter(frame["level"] == chosen)
    if not areas.height:
        raise Ability2Error(msg("reports.no_rows", level=chosen))
    _ready(lang)
    import numpy as np

    from ability2.rollup import area_label

    total = areas.height
    areas = areas.sort(["pass_rate", "code", "region"], descending=[False, False, False])
    if total > limit:
        areas = areas.head(limit)
    areas = areas.reverse()  # matplotlib draws the first bar at the bottom: the lowest rate on top
    rows = list(areas.iter_rows(named=True))
    labels = [area_label(row, lang) for row in rows]
    nation = frame.filter(frame["level"] == "nation")
    height = max(3.0, 0.34 * len(rows) + 1.6)
    if ax is None:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(12.0, height), layout="constrained")
        rates_ax, schools_ax = figure.subplots(1, 2, sharey=True, width_ratios=[3, 2])
        own = True
    else:
        figure, rates_ax, own = _figure_and_axes(ax, (8.0, height))
        schools_ax = None
    y = np.arange(len(rows), dtype=float)
    passed = np.array([row["pass_rate"] for row in rows], dtype=float)
    excellent = np.array([row["excellent_rate"] for row in rows], dtype=float)
    for k, row in enumerate(rows):
        key = row["code"] or row["region"]
        rates_ax.barh(y[k], passed[k], 0.7, color=STATUS_COLORS["pass"], gid=f"rollup:pass_rate:{key}", zorder=2)
        rates_ax.barh(
            y[k], excellent[k], 0.38, color=STATUS_COLORS["excellent"], gid=f"rollup:excellent_rate:{key}", zorder=3
        )
        rates_ax.annotate(
            f"{passed[k]:.1%} · " + _t("teachers", lang).format(n=row["teachers"]),
            (passed[k], y[k]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#222222",
        )
    if nation.height:
        rate = float(nation["pass_rate"][0])
        rates_ax.axvline(rate, color="#222222", linestyle="--", linewidth=1, zorder=4, gid="rollup:nation_rate")
    rates_ax.set_yticks(y, labels)
    rates_ax.set_xlim(0, 1.25)  # room for the labels past a full bar
    rates_ax.set_xticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    _percent_axis(rates_ax.xaxis)
    rates_ax.grid(axis="x", color="#dddddd", zorder=0)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [
        Patch(color=STATUS_COLORS["pass"], label=_t("pass_rate", lang)),
        Patch(color=STATUS_COLORS["excellent"], label=_t("excellent_rate", lang)),
    ]
    if nation.height:
        handles.append(Line2D([], [], color="#222222", linestyle="--", label=_t("nation_rate", lang)))
    if schools_ax is not None:
        good = np.array([row["schools_passed"] for row in rows], dtype=float)
        bad = np.array([row["schools_failed"] for row in rows], dtype=float)
        for k, row in enumerate(rows):
            key = row["code"] or row["region"]
            schools_ax.barh(y[k], good[k], 0.7, color=STATUS_COLORS["pass"], gid=f"rollup:schools_passed:{key}")
            schools_ax.barh(
                y[k], bad[k], 0.7, left=good[k], color=STATUS_COLORS["fail"], gid=f"rollup:schools_failed:{key}"
            )
        schools_ax.set_xlabel(_t("schools", lang))
        schools_ax.grid(axis="x", color="#dddddd", zorder=0)
        schools_ax.set_axisbelow(True)
        handles += [
            Patch(color=STATUS_COLORS["pass"], label=_t("schools_passed", lang)),
            Patch(color=STATUS_COLORS["fail"], label=_t("schools_failed", lang)),
        ]
    zh = lang == "zh"
    title = _t("title", lang).format(level=_LEVEL[chosen][0 if zh else 1])
    if total > limit:
        title += _t("lowest", lang).format(n=limit, total=total)
    if on is not None:
        title += _t("on", lang).format(on=on.isoformat())
    if own:
        figure.suptitle(title, fontsize=11)
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=9)
    else:
        rates_ax.set_title(title, fontsize=10)
        rates_ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=8)
    return figure
