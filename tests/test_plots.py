"""The plots: what each draws, Chinese text with a real CJK font, the warning without one."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import warnings
from collections.abc import Iterator
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import pytest

import ability2
from ability2 import plots
from ability2.demo import DEMO_REGIONS, sample_roster_path
from ability2.messages import language


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """These tests read the messages' English text (the Chinese default: tests/test_policy_messages.py)."""
    with language("en"):
        yield


pytest.importorskip("matplotlib")

ON = dt.date(2024, 5, 1)
BAITA = "jiangsu/changzhou/jintan/baita"
YANZHOU = "shandong/jining/yanzhou"


@pytest.fixture(scope="module")
def registry() -> Any:
    registry = ability2.load_registry()
    missing = [region for region in DEMO_REGIONS if region not in {r.id for r in registry.regions()}]
    assert not missing, f"seed plugins not installed: {missing} (pip install -r requirements-dev.txt)"
    return registry


@pytest.fixture(scope="module")
def roster() -> Any:
    with as_file(sample_roster_path()) as path:
        return ability2.read_roster(path)


@pytest.fixture(scope="module")
def comparison(registry: Any, roster: Any) -> Any:
    return ability2.compare(roster, list(DEMO_REGIONS), on=ON, registry=registry)


@pytest.fixture(scope="module")
def two_schools(registry: Any) -> Any:
    """The sample split into two schools (every third teacher moves to a second school)."""
    import pandas as pd

    with as_file(sample_roster_path()) as path:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    frame.loc[frame.index % 3 == 0, "学校"] = "第二示范小学(样例)"
    return ability2.compare(frame, [BAITA, YANZHOU], on=ON, registry=registry)


@pytest.fixture(autouse=True)
def _fresh_font_search() -> Iterator[None]:
    """Each test searches fonts afresh (and leaves no cached 'no font' behind)."""
    plots._find_cjk_font.cache_clear()
    yield
    plots._find_cjk_font.cache_clear()


def _bars(ax: Any, prefix: str) -> list[Any]:
    return [p for p in ax.patches if str(p.get_gid() or "").startswith(prefix)]


def _lines(ax: Any, prefix: str) -> list[Any]:
    artists = [*ax.lines, *ax.collections]
    return [a for a in artists if str(a.get_gid() or "").startswith(prefix)]


def test_importing_plots_does_not_import_matplotlib() -> None:
    code = "import sys, ability2, ability2.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_matplotlib_the_error_names_the_extra_in_the_plots_language(
    comparison: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'ability2\[plot\]'") as zh:
        comparison.plot.rates()
    assert "画图需要 matplotlib" in str(zh.value) and zh.value.name == "matplotlib"
    with pytest.raises(ModuleNotFoundError, match=r"^plots need matplotlib: .*ability2\[plot\]"):
        plots.plot_timeline(comparison, lang="en")
    with pytest.raises(ModuleNotFoundError, match="ability2"):
        plots.configure_cjk_font()


def test_the_missing_bold_notice_for_our_font_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    family = plots.configure_cjk_font()
    assert family is not None
    logger = logging.getLogger("matplotlib.font_manager")
    with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
        # what matplotlib logs for every bold label when the CJK font has one weight
        logger.warning("findfont: Failed to find font weight bold for %s, now using 400.", family)
        logger.warning("findfont: Font family 'Nonexistent' not found.")  # anything else still shows
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["findfont: Font family 'Nonexistent' not found."]


def test_rates_two_bars_per_policy(comparison: Any) -> None:
    from matplotlib.figure import Figure

    figure = comparison.plot.rates()
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    bars = _bars(ax, "rate:")
    assert len(bars) == 2 * len(comparison.policies)
    heights = sorted(round(b.get_height(), 6) for b in _bars(ax, "rate:pass"))
    expected = sorted(round(float(v), 6) for v in comparison.school_table()["pass_rate"])
    assert heights == expected
    # 开原 (= 100%) and 兖州 (≥ 95%, ≥ 10%) state teacher-based rate limits; the others none
    limits = {str(a.get_gid()) for a in _lines(ax, "limit:")}
    assert limits == {
        "limit:liaoning/tieling/kaiyuan:school.pass_rate_min",
        f"limit:{YANZHOU}:school.pass_rate_min",
        f"limit:{YANZHOU}:school.excellent_rate_min",
    }
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "开原市" in labels


def test_rates_per_ability_basis_draws_the_ability_cap(comparison: Any) -> None:
    ax = comparison.plot.rates(basis="abilities", lang="en").axes[0]
    assert len(_bars(ax, "rate:")) == 2 * len(comparison.policies)
    limits = {str(a.get_gid()) for a in _lines(ax, "limit:")}
    assert limits == {"limit:liaoning/tieling/kaiyuan:school.excellent_rate_max"}


def test_rates_several_schools_mean_and_points(two_schools: Any) -> None:
    ax = two_schools.plot.rates().axes[0]
    bars = _bars(ax, "rate:pass")
    table = two_schools.school_table()
    for bar, policy in zip(bars, two_schools.labels, strict=True):
        mean = table[table["policy"] == policy]["pass_rate"].mean()
        assert bar.get_height() == pytest.approx(mean)
    points = [c for c in ax.collections if c.get_gid() == "school-points"]
    assert len(points) == 2 * len(two_schools.policies)
    assert all(len(c.get_offsets()) == 2 for c in points)


def test_flows_matrix_sums_to_teachers(comparison: Any) -> None:
    figure = comparison.plot.flows()
    ax = figure.axes[0]
    cells = _bars(ax, "flow-cell:")
    assert len(cells) == 16
    counts = [int(t.get_text()) for t in ax.texts if str(t.get_gid() or "").startswith("flow-count:")]
    assert len(counts) == 16
    assert sum(counts) == len(comparison.results[0])
    matrix = comparison.plot.flow_matrix()
    assert matrix.shape == (4, 4)
    assert int(matrix.sum()) == len(comparison.results[0])
    assert counts == [int(n) for n in matrix.ravel()]
    # 徐水 → 白塔: two teachers lose their pass (hours.online_min), nobody gains
    assert int(matrix[2, 0]) == 2
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["不合格", "待评", "合格", "优秀"]


def test_flows_by_label_and_errors(comparison: Any, roster: Any, registry: Any) -> None:
    matrix = comparison.plot.flow_matrix("hebei/baoding/xushui", "liaoning/tieling/kaiyuan")
    assert int(matrix[2:, 0].sum()) == 6  # 4 pass and 2 excellent teachers fail under 开原
    english = comparison.plot.flows(0, 2, lang="en").axes[0]
    assert [t.get_text().split("\n")[0] for t in english.get_xticklabels()] == ["fail", "pending", "pass", "excellent"]
    with pytest.raises(ability2.Ability2Error, match="no policy"):
        comparison.plot.flows("nowhere")
    single = ability2.compare(roster, [BAITA], on=ON, registry=registry)
    with pytest.raises(ability2.Ability2Error, match="two policies"):
        single.plot.flows()


def test_environment_shares_draws_each_policys_limits(comparison: Any) -> None:
    ax = comparison.plot.environment_shares().axes[0]
    bars = _bars(ax, "share:")
    assert len(bars) == 3 * len(comparison.policies)
    limits = {str(a.get_gid()) for a in _lines(ax, "limit:")}
    expected = {
        f"limit:{policy.name}:{rule_id}"
        for policy in comparison.policies
        for rule_id in (f"school.{env}_share_{d}" for env in ("multimedia", "hybrid", "smart") for d in ("min", "max"))
        if policy.get(rule_id) is not None
    }
    assert expected == {
        f"limit:{YANZHOU}:school.multimedia_share_max",
        f"limit:{YANZHOU}:school.hybrid_share_min",
        f"limit:{YANZHOU}:school.smart_share_min",
    }
    assert limits == expected
    # the bars are the evaluator's own shares (兖州's checks compute them per teacher)
    yanzhou = comparison.result(YANZHOU)
    columns = {c.rule: c for c in yanzhou.school_columns}
    heights = {str(b.get_gid()): b.get_height() for b in bars}
    for env in ("multimedia", "hybrid", "smart"):
        rule = next(r for r in columns if r.startswith(f"school.{env}_share_"))
        assert heights[f"share:{YANZHOU}:{env}"] == pytest.approx(float(columns[rule].value[0]))
    # the multimedia cap (≤ 50%) is missed: drawn red; the floors hold: drawn black
    colours = {str(a.get_gid()): a.get_color() for a in ax.lines if str(a.get_gid() or "").startswith("limit:")}
    assert colours[f"limit:{YANZHOU}:school.multimedia_share_max"] == plots._LIMIT_BAD
    assert colours[f"limit:{YANZHOU}:school.hybrid_share_min"] == plots._LIMIT_OK
    # policies without limits say so under their name
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert sum("无限值" in t for t in ticks) == len(comparison.policies) - 1


def test_environment_shares_of_a_what_if_limit(comparison: Any, registry: Any, roster: Any) -> None:
    yanzhou = registry.policy(YANZHOU, on=ON)
    looser = yanzhou.with_changes({"school.multimedia_share_max": "100%"}, label="兖州 多媒体≤100%")
    pair = ability2.compare(roster, [yanzhou, looser])
    ax = pair.plot.environment_shares(school=0, lang="en").axes[0]
    colours = {str(a.get_gid()): a.get_color() for a in ax.lines if str(a.get_gid() or "").startswith("limit:")}
    assert len(colours) == 6
    assert colours["limit:兖州 多媒体≤100%:school.multimedia_share_max"] == plots._LIMIT_OK
    with pytest.raises(ability2.Ability2Error, match="no school"):
        pair.plot.environment_shares("nowhere")


def test_timeline_one_bar_per_phase(registry: Any) -> None:
    from matplotlib.dates import date2num
    from matplotlib.figure import Figure

    baita = registry.policy(BAITA, on=dt.date(2022, 6, 1))
    phases = baita.phases()
    figure = plots.plot_timeline(baita, on=dt.date(2022, 6, 1))
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    bars = _bars(ax, "phase:")
    assert len(bars) == len(phases) == 9
    for bar, (_rule, phase) in zip(bars, phases, strict=True):
        assert bar.get_x() == pytest.approx(date2num(phase.start))
        assert bar.get_width() == pytest.approx((phase.end - phase.start).days + 1)  # both ends included
    one_day = [p for _r, p in phases if p.start == p.end]
    assert len([line for line in ax.lines if line.get_gid() == "one-day"]) == len(one_day) == 4
    assert len([line for line in ax.lines if line.get_gid() == "deadline"]) == len(phases)
    assert len([line for line in ax.lines if line.get_gid() == "on"]) == 1
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "白塔小学"
    assert "选能力点" in labels


def test_timeline_groups_several_policies(registry: Any, comparison: Any) -> None:
    baita = registry.policy(BAITA, on=ON)
    kaiyuan = registry.policy("liaoning/tieling/kaiyuan", on=ON)
    ax = plots.plot_timeline([baita, kaiyuan], lang="en").axes[0]
    assert len(_bars(ax, "phase:")) == len(baita.phases()) + len(kaiyuan.phases())
    assert len(ax.get_yticklabels()) == len(baita.phases()) + len(kaiyuan.phases()) + 2
    assert not [line for line in ax.lines if line.get_gid() == "on"]
    everything = comparison.plot.timeline(on=ON).axes[0]
    assert len(_bars(everything, "phase:")) == sum(len(p.phases()) for p in comparison.policies)


def test_plots_draw_into_a_given_axes(comparison: Any, registry: Any) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(14, 10), layout="constrained")
    axes = figure.subplots(2, 2)
    assert comparison.plot.rates(ax=axes[0, 0]) is figure
    assert comparison.plot.flows(ax=axes[0, 1]) is figure
    assert comparison.plot.environment_shares(ax=axes[1, 0]) is figure
    assert plots.plot_timeline(registry.policy(BAITA, on=ON), ax=axes[1, 1]) is figure


def test_chinese_renders_with_the_cjk_font(tmp_path: Path) -> None:
    family = plots.configure_cjk_font()
    assert family is not None, (
        "no CJK font found, so Chinese labels render as boxes: install one "
        "(`sudo apt-get install fonts-noto-cjk`, or any CJK .ttf/.otf font) and rerun"
    )
    import matplotlib as mpl
    from matplotlib.figure import Figure

    assert mpl.rcParams["font.sans-serif"][0] == family
    assert mpl.rcParams["axes.unicode_minus"] is False
    assert plots.configure_cjk_font(refresh=True) == family  # a rescan finds the same font
    figure = Figure(figsize=(4, 2))
    ax = figure.add_subplot()
    ax.set_title("教师信息技术应用能力提升工程2.0 合格率与优秀率")
    ax.set_xlabel("不合格 · 待评 · 合格 · 优秀")
    ax.plot([-1, 0, 1], [1, -1, 0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(tmp_path / "chinese.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, f"glyphs missing with font {family!r}: {missing[:3]}"
    assert (tmp_path / "chinese.png").stat().st_size > 0


def test_comparison_plots_render_without_missing_glyphs(comparison: Any, registry: Any, tmp_path: Path) -> None:
    assert plots.configure_cjk_font() is not None, (
        "no CJK font: install fonts-noto-cjk (apt-get install fonts-noto-cjk)"
    )
    figures = [
        comparison.plot.rates(),
        comparison.plot.flows(),
        comparison.plot.environment_shares(),
        plots.plot_timeline(registry.policy(BAITA, on=ON), on=ON),
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n, figure in enumerate(figures):
            figure.savefig(tmp_path / f"{n}.png")
    assert not [str(w.message) for w in caught if "missing from" in str(w.message)]


def test_no_cjk_font_warns_once_and_returns_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib as mpl

    monkeypatch.setattr(plots, "_installed_fonts", list)
    plots._find_cjk_font.cache_clear()
    before = list(mpl.rcParams["font.sans-serif"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert plots.configure_cjk_font() is None
        assert plots.configure_cjk_font() is None
    font_warnings = [w for w in caught if issubclass(w.category, plots.CJKFontWarning)]
    assert len(font_warnings) == 1
    message = str(font_warnings[0].message)
    assert "boxes" in message
    assert "fonts-noto-cjk" in message
    assert font_warnings[0].filename == __file__  # points at the caller, not at ability2.plots
    assert list(mpl.rcParams["font.sans-serif"]) == before


def test_font_candidates_prefer_known_families_then_cjk_files() -> None:
    fonts = [
        ("DejaVu Sans", "/f/DejaVuSans.ttf"),
        ("Noto Serif CJK JP", "/f/NotoSerifCJK-Regular.ttc"),
        ("Noto Sans CJK JP", "/f/NotoSansCJK-Regular.ttc"),
        ("Some Font", "/f/SomeCJKFont.otf"),
        ("WenQuanYi Zen Hei", "/f/wqy-zenhei.ttc"),
    ]
    families = [family for family, _path in plots._candidates(fonts)]
    assert families[0] == "WenQuanYi Zen Hei"
    assert "DejaVu Sans" not in families
    assert families.index("Noto Sans CJK JP") < families.index("Noto Serif CJK JP")
    assert "Some Font" in families


def test_bad_arguments(comparison: Any) -> None:
    with pytest.raises(ValueError, match="language"):
        comparison.plot.rates(lang="fr")
    with pytest.raises(ValueError, match="basis"):
        comparison.plot.rates(basis="schools")
    with pytest.raises(TypeError):
        plots.plot_timeline(["hebei"])


def test_the_bundled_font_draws_chinese_without_system_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    # a machine with only Python and pip: no system CJK font, the plot extra's font package
    from matplotlib import font_manager

    without_cjk = [entry for entry in font_manager.fontManager.ttflist if not plots._has_glyphs(entry.fname)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", without_cjk)
    plots._find_cjk_font.cache_clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", plots.CJKFontWarning)
            family = plots.configure_cjk_font()
        assert family is not None
        assert "CJK" in family
    finally:
        plots._find_cjk_font.cache_clear()
