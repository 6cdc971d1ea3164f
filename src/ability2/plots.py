"""Plots of comparisons and timelines (matplotlib, Chinese labels by default).

:class:`ComparisonPlots` (``comparison.plot``) draws a :class:`~ability2.Comparison`:
pass and excellent rates by policy, the flow of teachers between the statuses of two
policies, and a school's environment shares against each policy's limits.
:func:`plot_timeline` draws the phases of one or several policies as a Gantt chart.

Every function returns the :class:`matplotlib.figure.Figure` it drew on (so a notebook can
restyle or save it) and accepts ``ax=`` to draw into an existing axes instead. Figures are
made with :class:`matplotlib.figure.Figure`, not pyplot, so nothing here needs a display or
opens a window. matplotlib is imported only when something is drawn: importing this module
does not import it.

Chinese text needs a font with CJK glyphs; :func:`configure_cjk_font` finds one among the
installed fonts and puts it first in matplotlib's sans-serif list (every plotting function
calls it). Without one it warns once (:class:`CJKFontWarning`) and the labels show as boxes.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
import textwrap
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ability2.converting import quoted
from ability2.errors import Ability2Error
from ability2.i18n import STATUS_ORDER, status_label
from ability2.i18n import label as i18n_label
from ability2.messages import msg
from ability2.rules.spec import Scope

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ability2.comparison import Comparison
    from ability2.policy import Policy
    from ability2.result import Result

__all__ = [
    "CJK_FAMILIES",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "CJKFontWarning",
    "ComparisonPlots",
    "configure_cjk_font",
    "plot_timeline",
]

#: font families known to carry Chinese glyphs, in order of preference
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Serif SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "STHeiti",
    "Arial Unicode MS",
)

#: statuses from worst to best (rows and columns of :meth:`ComparisonPlots.flows`)

#: one colour per status (colour-blind safe: Okabe–Ito)
STATUS_COLORS = {"fail": "#D55E00", "pending": "#999999", "pass": "#009E73", "excellent": "#0072B2"}

# characters a font must have to count as a CJK font for our labels
_PROBE = "不合格待评优秀教师环境阶段"

# Okabe–Ito, then a few extra distinct colours, for policies
_POLICY_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#8C564B", "#000000")
_RATE_COLORS = {"pass": "#009E73", "excellent": "#0072B2"}
_ENV_COLORS = ("#56B4E9", "#E69F00", "#CC79A7")
_FLOW_COLORS = {"same": "#0072B2", "better": "#009E73", "worse": "#D55E00"}
_LIMIT_OK = "#222222"
_LIMIT_BAD = "#C00000"
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


class CJKFontWarning(UserWarning):
    """No installed font has Chinese glyphs: Chinese labels will show as empty boxes."""


def _text(key: str, lang: str) -> str:
    return i18n_label(key, lang, "plot")


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(msg("lang.unknown", lang=str(lang), langs=("zh", "en")))


def _status_label(status: str, lang: str) -> str:
    return status_label(status, lang)


# -- fonts --------------------------------------------------------------------------------------
def _installed_fonts() -> list[tuple[str, str]]:
    """(family, file) of every font matplotlib knows."""
    from matplotlib import font_manager

    return [(entry.name, entry.fname) for entry in font_manager.fontManager.ttflist]


def _has_glyphs(path: str) -> bool:
    from matplotlib import font_manager

    try:
        charmap = font_manager.get_font(path).get_charmap()
    except Exception:  # an unreadable font file is simply not a candidate
        return False
    return all(ord(char) in charmap for char in _PROBE)


def _candidates(fonts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Known CJK families first (in :data:`CJK_FAMILIES` order), then fonts whose file says CJK."""
    first_file: dict[str, str] = {}
    for family, path in fonts:
        first_file.setdefault(family, path)
    ordered = [(family, first_file[family]) for family in CJK_FAMILIES if family in first_file]
    by_file = sorted(
        {family for family, path in fonts if "CJK" in Path(path).name.upper() or "CJK" in family.upper()},
        # Simplified Chinese first, then sans before serif and mono
        key=lambda family: ("SC" not in family.split(), "Mono" in family, "Serif" in family, family),
    )
    ordered += [(family, first_file[family]) for family in by_file if family not in CJK_FAMILIES]
    return ordered


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this module."""
    frame = sys._getframe(1)  # the function that will call warnings.warn
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
        level += 1
    return level


def _bundled_font() -> bool:
    """Register the CJK font of the optional ``noto-cjk-sans-otc`` package, if installed.

    ``pip install ability2[plot]`` brings it (Noto Sans CJK, SIL Open Font License), so
    plots draw Chinese on a machine without system CJK fonts.
    """
    try:
        from importlib.resources import as_file, files

        resource = files("noto_cjk_sans_otc") / "NotoSansCJK-Regular.ttc"
    except ModuleNotFoundError:
        return False
    if not resource.is_file():
        return False
    from matplotlib import font_manager

    with as_file(resource) as path:
        font_manager.fontManager.addfont(str(path))
    return True


@functools.cache
def _find_cjk_font() -> str | None:
    for family, path in _candidates(_installed_fonts()):
        if _has_glyphs(path):
            return family
    if _bundled_font():
        for family, path in _candidates(_installed_fonts()):
            if _has_glyphs(path):
                return family
    warnings.warn(
        "ability2.plots: no installed font has Chinese glyphs, so Chinese labels will show as boxes. "
        "Install one: `pip install noto-cjk-sans-otc` (or ability2[plot]), or a system CJK font, e.g. "
        "`sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu), "
        "`sudo dnf install google-noto-sans-cjk-fonts` (Fedora) or `brew install --cask font-noto-sans-cjk` "
        "(macOS), or copy any CJK .ttf/.otf into ~/.fonts; then restart Python, or call "
        "ability2.plots.configure_cjk_font(refresh=True), and plot again. "
        "Plots with lang='en' still show Chinese data (school and phase names) as boxes.",
        CJKFontWarning,
        stacklevel=_caller_level(),
    )
    return None


def _rescan_system_fonts() -> None:
    """Add font files installed since matplotlib built its font cache."""
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except Exception:  # a broken font file: skip it, as matplotlib does
                continue


_MISSING_MATPLOTLIB = {
    "zh": "画图需要 matplotlib：请安装 ability2 的 plot 扩展，pip install 'ability2[plot]'（含 matplotlib 和一款能显示中文的字体）",
    "en": "plots need matplotlib: install ability2's plot extra, pip install 'ability2[plot]' "
    "(matplotlib and a font that draws Chinese)",
}


def _require_matplotlib(lang: str = "zh") -> None:
    """Raise :class:`ModuleNotFoundError` naming the ``plot`` extra when matplotlib is missing."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise ModuleNotFoundError(_MISSING_MATPLOTLIB["en" if lang == "en" else "zh"], name="matplotlib")


class _MissingWeightFilter:
    """Drops matplotlib's "findfont: Failed to find font weight bold for <our CJK font>" notices.

    A CJK font often comes in one weight; matplotlib then draws bold labels in the regular
    weight (as it says) and logs a warning per label, which fills a notebook's output.
    Only that notice, for the family :func:`configure_cjk_font` chose, is dropped.
    """

    def __init__(self, family: str) -> None:
        self.family = family

    def filter(self, record: Any) -> bool:
        message = record.getMessage()
        return not (message.startswith("findfont: Failed to find font weight") and self.family in message)


def _quiet_missing_weights(family: str) -> None:
    import logging

    logger = logging.getLogger("matplotlib.font_manager")
    if not any(isinstance(f, _MissingWeightFilter) and f.family == family for f in logger.filters):
        logger.addFilter(_MissingWeightFilter(family))


def _ready(lang: str) -> None:
    """Before drawing: matplotlib is there (or the error names the extra), a CJK font is chosen."""
    _require_matplotlib(lang)
    configure_cjk_font()


def configure_cjk_font(*, refresh: bool = False) -> str | None:
    """Make matplotlib draw Chinese: find a CJK font and put it first in ``font.sans-serif``.

    Tries the families in :data:`CJK_FAMILIES`, then any font whose file or family name
    contains ``CJK``, keeping the first that has the glyphs our labels use. It sets
    ``font.family`` to ``sans-serif`` and ``axes.unicode_minus`` to False (CJK fonts often
    lack the Unicode minus) and returns the family name. The search runs once per process;
    ``refresh=True`` rescans the system's fonts and searches again (after installing one).

    When no font is found it warns once with :class:`CJKFontWarning`, leaves the settings
    alone and returns ``None``: plots still draw, with boxes for Chinese characters. A font
    with one weight draws bold labels in that weight; matplotlib's notice about it is not
    logged. Without matplotlib it raises :class:`ModuleNotFoundError` naming the ``plot`` extra.
    """
    _require_matplotlib()
    if refresh:
        _rescan_system_fonts()
        _find_cjk_font.cache_clear()
    family = _find_cjk_font()
    if family is None:
        return None
    import matplotlib as mpl

    _quiet_missing_weights(family)

    current = list(mpl.rcParams["font.sans-serif"])
    if not current or current[0] != family:
        mpl.rcParams["font.sans-serif"] = [family, *(name for name in current if name != family)]
    if list(mpl.rcParams["font.family"]) != ["sans-serif"]:
        mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["axes.unicode_minus"] = False
    return family


# -- helpers ------------------------------------------------------------------------------------
def _root_figure(ax: Any) -> Figure:
    try:
        figure: Figure = ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10
        figure = ax.figure.figure
    return figure


def _figure_and_axes(ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Any, bool]:
    """The figure and axes to draw on, and whether we made the figure."""
    if ax is not None:
        return _root_figure(ax), ax, False
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot(), True


def _legend(figure: Figure, ax: Any, handles: list[Any], own: bool, *, ncols: int) -> None:
    """Below the plot on a figure we made; right of the axes on someone else's (never over data)."""
    if own:
        figure.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False, fontsize=9)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)


def _wrap(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if "/" in text and " " not in text:  # a region id: break after slashes
        lines: list[str] = []
        for part in text.split("/"):
            if lines and len(lines[-1]) + len(part) + 1 <= width:
                lines[-1] += "/" + part
            else:
                lines.append(part if not lines else "/" + part)
        return "\n".join(lines)
    return "\n".join(textwrap.wrap(text, width, break_long_words=True)) or text


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _policy_labels(policies: Sequence[Policy], lang: str) -> list[str]:
    """Readable names: a what-if's label, else the region's name (Chinese, or English when known)."""
    names = []
    for policy in policies:
        if policy.label:
            names.append(policy.label)
        elif lang == "zh":
            names.append(policy.region.name)
        else:
            names.append(policy.region.name_en or policy.region.id)
    for i, name in enumerate(list(names)):
        if names.count(name) > 1 and not policies[i].label:
            names[i] = f"{name} ({policies[i].region.id}, {policies[i].on})"
    return names


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _limit_basis(rule: Any) -> str:
    return str(rule.basis) if rule.basis is not None else "teachers"


def _fraction(value: Any) -> float:
    return float(value)


def _limit_text(rule: Any) -> str:
    symbol = rule.bound.symbol if rule.bound is not None else ""
    return f"{symbol}{_fraction(rule.value) * 100:g}%"


class ComparisonPlots:
    """The plots of a :class:`~ability2.Comparison` (``comparison.plot``).

    Each method returns the matplotlib Figure it drew on; pass ``ax=`` to draw into an
    existing axes, and ``lang="en"`` for English labels (data such as school names stay
    as written).
    """

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison

    def __repr__(self) -> str:
        return f"<ComparisonPlots of {self.comparison!r}: rates(), flows(), environment_shares(), timeline()>"

    def _index(self, which: str | int | None, default: int) -> int:
        labels = self.comparison.labels
        if which is None:
            return default
        if isinstance(which, int):
            if not -len(labels) <= which < len(labels):
                raise Ability2Error(msg("plots.no_policy_number", number=which, count=len(labels)))
            return which % len(labels)
        if which not in labels:
            raise Ability2Error(msg("compare.no_policy", label=str(which), labels=tuple(quoted(x) for x in labels)))
        return labels.index(which)

    # -- rates ----------------------------------------------------------------------------------
    def rates(self, *, basis: str = "teachers", ax: Any = None, lang: str = "zh") -> Figure:
        """Pass and excellent rates by policy: one group of two bars per policy.

        ``basis="teachers"`` (default) counts teachers with status 合格/优秀 (or 优秀) over
        teachers; ``basis="abilities"`` counts ability certifications graded 合格/优秀 (or
        优秀) over all selections (the 微能力点认证 rates some regions limit). With several
        schools each bar is the mean over schools and dots show each school. The policy's
        school limits on the same basis (``school.pass_rate_min``,
        ``school.excellent_rate_min``/``_max``) are drawn as short black lines, red when
        a school misses them.
        """
        _check_lang(lang)
        if basis not in ("teachers", "abilities"):
            raise ValueError(
                msg("plots.unknown_basis", basis=str(basis), bases=(quoted("teachers"), quoted("abilities")))
            )
        _ready(lang)
        import numpy as np
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        comparison = self.comparison
        labels = _policy_labels(comparison.policies, lang)
        n = len(labels)
        columns = {"pass": "pass_rate", "excellent": "excellent_rate"}
        if basis == "abilities":
            columns = {"pass": "ability_pass_rate", "excellent": "ability_excellent_rate"}
        per_school: dict[str, list[Any]] = {"pass": [], "excellent": []}
        for result in comparison.results:
            schools = result.schools
            for kind, column in columns.items():
                if column not in schools.columns:
                    raise Ability2Error(msg("plots.no_column", column=column))
                per_school[kind].append(np.asarray(schools[column], dtype=float))
        figure, ax, own = _figure_and_axes(ax, (max(6.0, 1.35 * n + 2.5), 4.8))
        x = np.arange(n, dtype=float)
        width = 0.38
        many_schools = any(len(values) > 1 for values in per_school["pass"])
        limits_drawn: set[bool] = set()
        for offset, kind in ((-width / 2, "pass"), (width / 2, "excellent")):
            means = np.array([values.mean() if len(values) else 0.0 for values in per_school[kind]])
            bars = ax.bar(
                x + offset,
                means,
                width,
                color=_RATE_COLORS[kind],
                label=_text(f"{kind}_rate", lang),
                gid=f"rate:{kind}",
                zorder=2,
            )
            texts = [f"{m * 100:.1f}%" for m in means]
            if many_schools:  # the dots sit near the bar tops: label inside, at the foot
                for bar, text, mean in zip(bars, texts, means, strict=True):
                    inside = mean >= 0.07
                    ax.annotate(
                        text,
                        (bar.get_x() + bar.get_width() / 2, 0.0 if inside else mean),
                        xytext=(0, 3),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=8,
                        color="white" if inside else "#222222",
                        fontweight="bold" if inside else "normal",
                    )
            else:
                ax.bar_label(bars, labels=texts, padding=2, fontsize=8)
            if many_schools:
                rng = np.random.default_rng(0)
                for i, values in enumerate(per_school[kind]):
                    jitter = rng.uniform(-width / 5, width / 5, len(values))
                    ax.scatter(
                        x[i] + offset + jitter, values, s=14, color="#333333", alpha=0.7, zorder=3, gid="school-points"
                    )
        bar_of_tag = {"rate:pass": -width / 2, "rate:excellent": width / 2}
        for i, (policy, result) in enumerate(zip(comparison.policies, comparison.results, strict=True)):
            checks = {column.rule: column for column in result.school_columns}
            rule_bars = {
                rule.id: bar_of_tag[tag]
                for rule in policy.by_scope(Scope.SCHOOL)
                for tag in rule.spec.tags
                if tag in bar_of_tag
            }
            for rule_id, offset in rule_bars.items():
                rule = policy.get(rule_id)
                if rule is None or rule.bound is None or _limit_basis(rule) != basis:
                    continue
                check = checks.get(rule_id)
                ok = check is None or bool(np.asarray(check.ok).all())
                color = _LIMIT_OK if ok else _LIMIT_BAD
                level = _fraction(rule.value)
                ax.hlines(
                    level,
                    x[i] + offset - width / 2,
                    x[i] + offset + width / 2,
                    colors=color,
                    linewidth=2.5,
                    zorder=4,
                    gid=f"limit:{policy.name}:{rule_id}",
                )
                ax.annotate(
                    _limit_text(rule),
                    (x[i] + offset, level),
                    xytext=(0, -3 if level > 0.9 else 3),
                    textcoords="offset points",
                    ha="center",
                    va="top" if level > 0.9 else "bottom",
                    fontsize=7,
                    color=color,
                    fontweight="bold",
                    zorder=5,
                    bbox=_LABEL_BOX,
                )
                limits_drawn.add(ok)
        ax.set_xticks(x, [_wrap(label, 8 if lang == "zh" else 16) for label in labels])
        ax.set_ylim(0, 1.12)
        _percent_axis(ax.yaxis)
        ax.set_ylabel(_text("rate", lang))
        ax.grid(axis="y", color="#dddddd", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(
            f"{_text('rates_title', lang)}（{_text('basis_' + basis, lang)}）"
            if lang == "zh"
            else f"{_text('rates_title', lang)} ({_text('basis_' + basis, lang)})"
        )
        handles: list[Any] = [
            Patch(color=_RATE_COLORS["pass"], label=_text("pass_rate", lang)),
            Patch(color=_RATE_COLORS["excellent"], label=_text("excellent_rate", lang)),
        ]
        if many_schools:
            handles.append(Line2D([], [], marker="o", linestyle="", color="#333333", label=_text("each_school", lang)))
        if True in limits_drawn:
            handles.append(Line2D([], [], color=_LIMIT_OK, linewidth=2.5, label=_text("limit", lang)))
        if False in limits_drawn:
            handles.append(Line2D([], [], color=_LIMIT_BAD, linewidth=2.5, label=_text("limit_bad", lang)))
        _legend(figure, ax, handles, own, ncols=len(handles))
        return figure

    # -- flows ----------------------------------------------------------------------------------
    def flow_matrix(self, a: str | int | None = None, b: str | int | None = None) -> Any:
        """The 4×4 count matrix of :meth:`flows` (rows: status under ``a``; columns: under ``b``)."""
        import numpy as np

        i, j = self._pair(a, b)
        position = {status: k for k, status in enumerate(STATUS_ORDER)}
        matrix = np.zeros((len(STATUS_ORDER), len(STATUS_ORDER)), dtype=int)
        for before, after in zip(self.comparison.results[i].status, self.comparison.results[j].status, strict=True):
            matrix[position[str(before)], position[str(after)]] += 1
        return matrix

    def _pair(self, a: str | int | None, b: str | int | None) -> tuple[int, int]:
        if len(self.comparison.policies) < 2:
            raise Ability2Error(msg("plots.flows_need_two"))
        i = self._index(a, 0)
        j = self._index(b, 1 if i != 1 else 0)
        return i, j

    def flows(
        self, a: str | int | None = None, b: str | int | None = None, *, ax: Any = None, lang: str = "zh"
    ) -> Figure:
        """Where teachers go between the statuses of two policies: an annotated 4×4 heatmap.

        Rows are the status under policy ``a`` (default: the baseline), columns under ``b``
        (default: the second policy); ``a`` and ``b`` are labels or positions. Each cell
        shows how many teachers moved from its row's status to its column's (the cells sum
        to the number of teachers; :meth:`flow_matrix` gives the numbers). The diagonal,
        blue, is the teachers whose status does not change; above it, green, they fare
        better under ``b``; below it, orange, worse. Darker means more teachers.
        """
        _check_lang(lang)
        _ready(lang)
        import numpy as np
        from matplotlib.colors import to_rgb
        from matplotlib.patches import Patch, Rectangle

        i, j = self._pair(a, b)
        matrix = self.flow_matrix(i, j)
        labels = _policy_labels(self.comparison.policies, lang)
        figure, ax, own = _figure_and_axes(ax, (6.4, 6.0))
        size = len(STATUS_ORDER)
        kinds = {"same": _FLOW_COLORS["same"], "better": _FLOW_COLORS["better"], "worse": _FLOW_COLORS["worse"]}

        def kind_of(r: int, c: int) -> str:
            return "same" if r == c else ("better" if c > r else "worse")

        peaks = {kind: 1 for kind in kinds}
        for r in range(size):
            for c in range(size):
                peaks[kind_of(r, c)] = max(peaks[kind_of(r, c)], int(matrix[r, c]))
        for r in range(size):
            for c in range(size):
                count = int(matrix[r, c])
                kind = kind_of(r, c)
                strength = 0.25 + 0.75 * count / peaks[kind] if count else 0.0
                base = np.array(to_rgb(kinds[kind]))
                face = tuple(1 - strength * (1 - base))  # the colour mixed with white
                ax.add_patch(
                    Rectangle(
                        (c - 0.5, r - 0.5),
                        1,
                        1,
                        facecolor=face,
                        edgecolor="white",
                        linewidth=2,
                        gid=f"flow-cell:{STATUS_ORDER[r]}:{STATUS_ORDER[c]}",
                    )
                )
                ax.text(
                    c,
                    r,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=13 if count else 9,
                    fontweight="bold" if count else "normal",
                    color="white" if strength > 0.6 else ("#222222" if count else "#b0b0b0"),
                    gid=f"flow-count:{STATUS_ORDER[r]}:{STATUS_ORDER[c]}",
                )
        ax.set_xlim(-0.5, size - 0.5)
        ax.set_ylim(size - 0.5, -0.5)
        ax.set_aspect("equal")
        rows_total = matrix.sum(axis=1)
        cols_total = matrix.sum(axis=0)
        ticks = np.arange(size)
        ax.set_xticks(
            ticks, [f"{_status_label(s, lang)}\n({int(n)})" for s, n in zip(STATUS_ORDER, cols_total, strict=True)]
        )
        ax.set_yticks(
            ticks, [f"{_status_label(s, lang)} ({int(n)})" for s, n in zip(STATUS_ORDER, rows_total, strict=True)]
        )
        ax.xaxis.set_ticks_position("top")
        ax.xaxis.set_label_position("top")
        ax.tick_params(length=0)
        ax.set_xlabel(_wrap(_text("status_under", lang).format(labels[j]), 40), fontweight="bold", labelpad=8)
        ax.set_ylabel(_wrap(_text("status_under", lang).format(labels[i]), 30), fontweight="bold")
        better = int(np.triu(matrix, 1).sum())
        worse = int(np.tril(matrix, -1).sum())
        same = int(np.trace(matrix))
        unit = _text("persons", lang)
        arrow = f"{labels[i]} → {labels[j]}"
        ax.set_title(f"{_text('flows_title', lang)}: {_shorten(arrow, 48)}", fontsize=11, pad=10)
        for spine in ax.spines.values():
            spine.set_visible(False)
        handles = [
            Patch(color=_FLOW_COLORS["better"], label=f"{_text('better', lang)} {better}{unit}"),
            Patch(color=_FLOW_COLORS["worse"], label=f"{_text('worse', lang)} {worse}{unit}"),
            Patch(color=_FLOW_COLORS["same"], label=f"{_text('same', lang)} {same}{unit}"),
        ]
        _legend(figure, ax, handles, own, ncols=3)
        return figure

    # -- environments ---------------------------------------------------------------------------
    def environment_shares(
        self, school: str | int | None = None, *, basis: str = "teachers", ax: Any = None, lang: str = "zh"
    ) -> Figure:
        """One school's environment shares under each policy, against that policy's limits.

        For the school (default: the first), the share of its teachers with at least one
        ability in the 多媒体 (multimedia), 混合 (hybrid) and 智慧 (smart) environment
        (``basis="selections"``: the share of its selected abilities in each environment),
        one group of three bars per policy. Each policy's limits on the same basis
        (``school.{multimedia,hybrid,smart}_share_{min,max}``) are drawn as black lines
        with ▲ (floor) or ▼ (cap), red when the school misses them; a policy without such
        limits is marked 无限值 (no limit).
        """
        _check_lang(lang)
        if basis not in ("teachers", "selections"):
            raise ValueError(
                msg("plots.unknown_basis", basis=str(basis), bases=(quoted("teachers"), quoted("selections")))
            )
        _ready(lang)
        from fractions import Fraction

        import numpy as np
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        comparison = self.comparison
        first = comparison.results[0]
        if school is None:
            school_name = str(first.school_names[0])
        elif isinstance(school, int):
            school_name = str(first.school_names[school])
        else:
            school_name = str(school)
            if school_name not in [str(s) for s in first.school_names]:
                raise Ability2Error(
                    msg("plots.no_school", school=school_name, schools=tuple(quoted(s) for s in first.school_names))
                )
        labels = _policy_labels(comparison.policies, lang)
        n = len(labels)
        environments = comparison.policies[0].framework.environments
        figure, ax, own = _figure_and_axes(ax, (max(6.5, 1.9 * n + 2.5), 5.0))
        x = np.arange(n, dtype=float)
        width = 0.26
        offsets = (np.arange(len(environments)) - (len(environments) - 1) / 2) * width
        with_limits: set[int] = set()
        other_basis = False
        kinds_drawn: set[str] = set()
        any_bad = False
        for i, (policy, result) in enumerate(zip(comparison.policies, comparison.results, strict=True)):
            counts, total = _share_counts(result, school_name, basis)
            for e, environment in enumerate(environments):
                exact = Fraction(int(counts[e]), total) if total else Fraction(0)
                value = float(exact)
                bars = ax.bar(
                    x[i] + offsets[e],
                    value,
                    width,
                    color=_ENV_COLORS[e % len(_ENV_COLORS)],
                    gid=f"share:{policy.name}:{environment.id}",
                    zorder=2,
                )
                ax.bar_label(bars, labels=[f"{value * 100:.0f}%"], padding=2, fontsize=8)
                for rule in policy.by_scope(Scope.SCHOOL):
                    if f"environment:{environment.id}" not in rule.spec.tags or rule.spec.direction is None:
                        continue
                    direction = rule.spec.direction.value
                    if rule.bound is None:
                        continue
                    if _limit_basis(rule) != basis:
                        other_basis = True
                        continue
                    level = _fraction(rule.value)
                    ok = rule.bound.holds(exact, rule.value) if rule.bound.comparable else True
                    color = _LIMIT_OK if ok else _LIMIT_BAD
                    any_bad = any_bad or not ok
                    left, right = x[i] + offsets[e] - width / 2, x[i] + offsets[e] + width / 2
                    ax.plot(
                        [left, right],
                        [level, level],
                        color=color,
                        linewidth=2.5,
                        solid_capstyle="butt",
                        zorder=4,
                        gid=f"limit:{policy.name}:{rule.id}",
                    )
                    marker = "^" if direction == "min" else "v"
                    ax.plot(
                        [right],
                        [level],
                        marker=marker,
                        markersize=7,
                        color=color,
                        linestyle="",
                        zorder=5,
                        gid="limit-marker",
                    )
                    ax.annotate(
                        _limit_text(rule),
                        (x[i] + offsets[e], level),
                        xytext=(0, 4 if direction == "min" else -4),
                        textcoords="offset points",
                        ha="center",
                        va="bottom" if direction == "min" else "top",
                        fontsize=7,
                        color=color,
                        fontweight="bold",
                        zorder=5,
                        bbox=_LABEL_BOX,
                    )
                    with_limits.add(i)
                    kinds_drawn.add(direction)
        ticks = []
        for i, label in enumerate(labels):
            text = _wrap(label, 8 if lang == "zh" else 16)
            if i not in with_limits:
                text += f"\n({_text('no_limit', lang)})"
            ticks.append(text)
        ax.set_xticks(x, ticks)
        ax.set_ylim(0, 1.12)
        _percent_axis(ax.yaxis)
        ax.set_ylabel(_text("share_" + basis, lang))
        ax.grid(axis="y", color="#dddddd", linewidth=0.8, zorder=0)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        title = f"{school_name}: {_text('env_title', lang)}"
        ax.set_title(_wrap(title, 40 if lang == "zh" else 70))
        handles: list[Any] = [
            Patch(
                color=_ENV_COLORS[e % len(_ENV_COLORS)],
                label=environment.short_name if lang == "zh" else environment.name_en.replace(" environment", ""),
            )
            for e, environment in enumerate(environments)
        ]
        if "min" in kinds_drawn:
            handles.append(Line2D([], [], color=_LIMIT_OK, marker="^", label=_text("limit_min", lang)))
        if "max" in kinds_drawn:
            handles.append(Line2D([], [], color=_LIMIT_OK, marker="v", label=_text("limit_max", lang)))
        if any_bad:
            handles.append(Line2D([], [], color=_LIMIT_BAD, linewidth=2.5, label=_text("limit_bad", lang)))
        _legend(figure, ax, handles, own, ncols=min(len(handles), 6))
        if other_basis:
            ax.text(
                0.0, 1.0, _text("other_basis", lang), transform=ax.transAxes, fontsize=7, color="#666666", va="bottom"
            )
        return figure

    # -- timeline -------------------------------------------------------------------------------
    def timeline(self, *, on: dt.date | None = None, ax: Any = None, lang: str = "zh") -> Figure:
        """The phases of every policy in the comparison (:func:`plot_timeline`)."""
        return plot_timeline(self.comparison.policies, on=on, ax=ax, lang=lang)


def _teacher_environments(result: Result) -> tuple[Any, Any]:
    """Per teacher: (has-environment matrix teachers × environments, selections per environment)."""
    import numpy as np

    roster = result.roster
    policy = result.policy
    if roster is None or policy is None:
        raise Ability2Error(msg("plots.needs_roster"))
    environments = [env.id for env in policy.framework.environments]
    env_of_code = np.array([environments.index(a.environment.id) for a in policy.framework.abilities], dtype=np.int64)
    offsets = np.asarray(roster.ability_offsets, dtype=np.int64)
    codes = np.asarray(roster.ability_codes, dtype=np.int64)
    teacher_of_selection = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    env_of_selection = env_of_code[codes]
    has = np.zeros((len(offsets) - 1, len(environments)), dtype=bool)
    has[teacher_of_selection, env_of_selection] = True
    counts = np.zeros((len(offsets) - 1, len(environments)), dtype=np.int64)
    np.add.at(counts, (teacher_of_selection, env_of_selection), 1)
    return has, counts


def _share_counts(result: Result, school: str, basis: str) -> tuple[Any, int]:
    import numpy as np

    has, counts = _teacher_environments(result)
    in_school = np.asarray([str(s) == school for s in result.teacher_schools], dtype=bool)
    if basis == "selections":
        per_env = counts[in_school].sum(axis=0)
        return per_env, int(per_env.sum())
    return has[in_school].sum(axis=0), int(in_school.sum())


# -- timeline -------------------------------------------------------------------------------------
def _as_policies(policies: Any) -> list[Policy]:
    from ability2.policy import Policy

    if isinstance(policies, Policy):
        return [policies]
    if hasattr(policies, "policies") and hasattr(policies, "results"):  # a Comparison
        return list(policies.policies)
    if isinstance(policies, Iterable):
        items = list(policies)
        for item in items:
            if not isinstance(item, Policy):
                raise TypeError(msg("plots.timeline_items", kind=type(item).__name__))
        return items
    raise TypeError(msg("plots.timeline_arg", kind=type(policies).__name__))


def _date_axis(axis: Any, lang: str) -> None:
    from matplotlib import dates as _dates

    dates: Any = _dates  # matplotlib.dates is not fully typed
    locator = dates.AutoDateLocator(minticks=4, maxticks=10)
    if lang == "zh":
        formatter = dates.ConciseDateFormatter(
            locator,
            formats=["%Y年", "%m月", "%m-%d", "%H:%M", "%H:%M", "%S.%f"],
            zero_formats=["", "%Y年", "%m月", "%m-%d", "%H:%M", "%H:%M"],
            offset_formats=["", "%Y年", "%Y年%m月", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"],
        )
    else:
        formatter = dates.ConciseDateFormatter(locator)
    axis.set_major_locator(locator)
    axis.set_major_formatter(formatter)


def _shown_start(phase: Any) -> dt.date:
    """Where a phase's bar starts: its start, or its deadline alone when no document states the start."""
    start: dt.date = phase.start if phase.start_stated else phase.end
    return start


def plot_timeline(
    policies: Policy | Iterable[Policy] | Comparison, *, on: dt.date | None = None, ax: Any = None, lang: str = "zh"
) -> Figure:
    """A Gantt chart of the phases (``timeline.*`` rules) of one or several policies.

    ``policies`` is a Policy, a list of them or a Comparison. One row per phase, grouped
    under a bold row naming its policy (in the policy's colour), each bar from the phase's
    start to its end (both days included). One-day phases (a meeting, an upload day) also
    get a ◆ so they stay visible on a long axis; every phase's end, its deadline, is
    marked with a dark tick and its date. ``on`` adds a dashed vertical line through that
    day (for example the evaluation date).
    """
    _check_lang(lang)
    items = _as_policies(policies)
    if not items:
        raise Ability2Error(msg("plots.timeline_empty"))
    _ready(lang)
    from matplotlib import dates as _dates
    from matplotlib.lines import Line2D

    date2num: Any = _dates.date2num  # not fully typed
    labels = _policy_labels(items, lang)
    rows: list[tuple[str, int, Any, Any]] = []  # (kind, policy index, rule, phase)
    for i, policy in enumerate(items):
        rows.append(("header", i, None, None))
        phases = policy.phases()
        if not phases:
            rows.append(("empty", i, None, None))
        for rule, phase in phases:
            rows.append(("phase", i, rule, phase))
    height = 0.34 * len(rows) + 1.8
    figure, ax, own = _figure_and_axes(ax, (11.0, height))
    starts = [_shown_start(row[3]) for row in rows if row[0] == "phase"]
    ends = [row[3].end for row in rows if row[0] == "phase"]
    if on is not None:
        starts.append(on)
        ends.append(on)
    first = min(starts) if starts else (on or dt.date.today())
    last = max(ends) if ends else first
    span = max((last - first).days + 1, 14)
    one_day_drawn = False
    tick_labels: list[str] = []
    for y, (kind, i, rule, phase) in enumerate(rows):
        color = _POLICY_COLORS[i % len(_POLICY_COLORS)]
        if kind == "header":
            tick_labels.append(_shorten(labels[i], 30))
            if y > 0:
                ax.axhline(y - 0.5, color="#bbbbbb", linewidth=0.8, zorder=1)
            continue
        if kind == "empty":
            tick_labels.append(_text("no_phases", lang))
            continue
        name = phase.name_en if lang == "en" and phase.name_en else phase.name
        tick_labels.append(_shorten(name, 24 if lang == "zh" else 40))
        start = date2num(_shown_start(phase))
        end = date2num(phase.end + dt.timedelta(days=1))  # the end day is included
        ax.barh(
            y,
            end - start,
            left=start,
            height=0.62,
            color=color,
            alpha=0.85,
            edgecolor=color,
            gid=f"phase:{items[i].name}:{rule.id}",
            zorder=2,
        )
        one_day = _shown_start(phase) == phase.end
        if one_day:
            ax.plot(
                [start + (end - start) / 2],
                [y],
                marker="D",
                markersize=7,
                color=color,
                markeredgecolor="#222222",
                zorder=3,
                gid="one-day",
            )
            one_day_drawn = True
        ax.plot([end], [y], marker="|", markersize=13, markeredgewidth=2.2, color="#222222", zorder=4, gid="deadline")
        ax.annotate(
            phase.end.isoformat(),
            (end, y),
            xytext=(9 if one_day else 5, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color="#444444",
            zorder=6,
            bbox=_LABEL_BOX,
        )
    if on is not None:
        ax.axvline(date2num(on) + 0.5, color=_LIMIT_BAD, linestyle="--", linewidth=1.4, zorder=5, gid="on")
    ax.set_yticks(range(len(rows)), tick_labels)
    for tick, (kind, i, _rule, _phase) in zip(ax.get_yticklabels(), rows, strict=True):
        if kind == "header":
            tick.set_fontweight("bold")
            tick.set_color(_POLICY_COLORS[i % len(_POLICY_COLORS)])
        elif kind == "empty":
            tick.set_color("#888888")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(date2num(first) - span * 0.02, date2num(last + dt.timedelta(days=1)) + span * 0.14)
    _date_axis(ax.xaxis, lang)
    ax.grid(axis="x", color="#e3e3e3", linewidth=0.8, zorder=0)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    title = _text("timeline_title", lang)
    names = ("、" if lang == "zh" else ", ").join(labels)
    ax.set_title(f"{title}: {names}" if len(names) <= 60 else title, loc="left")
    handles: list[Any] = []
    handles.append(
        Line2D(
            [],
            [],
            marker="|",
            markersize=11,
            markeredgewidth=2.2,
            color="#222222",
            linestyle="",
            label=_text("deadline", lang),
        )
    )
    if one_day_drawn:
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                color="#888888",
                markeredgecolor="#222222",
                linestyle="",
                label=_text("one_day", lang),
            )
        )
    if on is not None:
        handles.append(Line2D([], [], color=_LIMIT_BAD, linestyle="--", label=f"{_text('on', lang)} {on.isoformat()}"))
    _legend(figure, ax, handles, own, ncols=min(len(handles), 5))
    return figure
