"""Issue 13 items 4, 19 (layout) and the HTML report, on the real rendering: pages in headless Chromium.

* Item 4: in the Result display a ✓/✗ wrapped onto the end of the previous line, so it read
  as the wrong rule's verdict. Each mark must begin its own line, with its rule's text beside
  it (element boxes measured in a narrow and a wide window).
* The HTML report renders without horizontal overflow of the page.
* Item 19: "the notebook page clips the comparison display and wide tables, the 开原 column is
  cut off: make wide outputs scroll". The docs' notebook page is built (that page alone, with
  the project's own CSS) and the comparison display must sit in a box that scrolls sideways,
  with 开原 inside it and its last column reachable by scrolling.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import pytest

import ability2
import rendering
from ability2.demo import DEMO_REGIONS, sample_roster_path
from ability2.display import result_html
from ability2.reports import render_report

ROOT = Path(__file__).resolve().parents[1]
ON = dt.date(2024, 6, 1)

_MARKS = """
() => Array.from(document.querySelectorAll('.a2 .mark')).map((mark) => {
  const cell = mark.closest('td');
  const style = getComputedStyle(cell);
  const start = cell.getBoundingClientRect().left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
  const rects = mark.getClientRects();
  const box = rects[0];
  // the rule's text: inside the mark (a school check's rule id) or the text right after it
  let rule = mark.querySelector('code');
  let ruleBox = rule ? rule.getClientRects()[0] : null;
  if (!rule) {
    let next = mark.nextSibling;
    const range = document.createRange();
    while (next && next.nodeType === Node.TEXT_NODE && !next.textContent.trim()) next = next.nextSibling;
    if (next) {
      range.selectNodeContents(next);
      const boxes = Array.from(range.getClientRects()).filter((r) => r.width > 0);
      ruleBox = boxes.length ? boxes[0] : null;
      rule = next;
    }
  }
  return {
    text: mark.textContent.trim().slice(0, 1),
    lines: rects.length,
    left: box.left, lineStart: start,
    middle: (box.top + box.bottom) / 2,
    ruleTop: ruleBox ? ruleBox.top : null, ruleBottom: ruleBox ? ruleBox.bottom : null,
  };
})
"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from rendering.browser()


@pytest.fixture(scope="module")
def registry() -> Any:
    return ability2.load_registry()


@pytest.fixture(scope="module")
def roster() -> Any:
    with as_file(sample_roster_path()) as path:
        return ability2.read_roster(path)


def _page(chromium: Any, width: int, html: str) -> Any:
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.set_content(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{html}</body></html>")
    return page


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("region", ["liaoning/tieling/kaiyuan", "shandong/jining/yanzhou"])
def test_each_mark_begins_its_line_beside_its_rule(
    chromium: Any, registry: Any, roster: Any, region: str, width: int
) -> None:
    result = ability2.evaluate(roster, registry.policy(region, on=ON))
    page = _page(chromium, width, result_html(result))
    try:
        marks = page.evaluate(_MARKS)
    finally:
        page.close()
    assert any(mark["text"] == "✗" for mark in marks) and any(mark["text"] == "✓" for mark in marks)
    for mark in marks:
        assert mark["lines"] == 1, mark  # the mark (and a school check's rule id) never splits
        # first on its line: not left at the end of the line before
        assert abs(mark["left"] - mark["lineStart"]) < 1.5, mark
        if mark["ruleTop"] is not None:  # its rule's text starts on the mark's line
            assert mark["ruleTop"] <= mark["middle"] <= mark["ruleBottom"], mark


@pytest.mark.parametrize("width", [800, 1280])
@pytest.mark.parametrize("region", DEMO_REGIONS)
def test_the_html_report_does_not_overflow_the_page(
    chromium: Any, registry: Any, roster: Any, region: str, width: int
) -> None:
    result = ability2.evaluate(roster, registry.policy(region, on=ON))
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_content(render_report(result, "html"))
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
        )
    finally:
        page.close()
    assert sizes["scroll"] <= sizes["client"], sizes


# -- the docs' notebook page ------------------------------------------------------------------


#: a built docs site to test (``.ci/run`` builds the docs first and sets it); unset: the page is built here
DOCS_HTML = "ABILITY2_DOCS_HTML"


@pytest.fixture(scope="module")
def notebook_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebook page as Sphinx builds it with the project's configuration and CSS.

    ``ABILITY2_DOCS_HTML`` names a site built from this checkout (CI builds the docs before
    the tests, so the page is built once); else the page alone is built here (about a
    minute: the notebook is executed).
    """
    built = os.environ.get(DOCS_HTML)
    if built:
        site = Path(built)
        page = site / "notebooks" / "compare.html"
        assert page.exists(), f"{DOCS_HTML}={built}: no notebooks/compare.html there"
        css = "_static/ability2.css"
        assert (site / css).read_bytes() == (ROOT / "docs" / css).read_bytes(), (
            f"{DOCS_HTML}={built} was built from other sources (its {css} differs): rebuild it"
        )
        return page
    pytest.importorskip("sphinx")
    out = tmp_path_factory.mktemp("docs-html")
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-q",
        "-D",
        "include_patterns=index.md,notebooks/compare.ipynb",
        str(ROOT / "docs"),
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    page = out / "notebooks" / "compare.html"
    assert done.returncode == 0 and page.exists(), done.stderr[-4000:]
    return page


_SCROLLERS = """
() => Array.from(document.querySelectorAll('article *')).filter((e) => {
  const overflow = getComputedStyle(e).overflowX;
  return (overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1;
}).map((e) => {
  const before = e.scrollLeft;
  e.scrollLeft = e.scrollWidth;
  const box = e.getBoundingClientRect();
  const cells = e.querySelectorAll('tr:first-child > *');
  const last = cells.length ? cells[cells.length - 1].getBoundingClientRect() : null;
  const seen = last !== null && last.right <= box.right + 1 && last.left >= box.left - 1;
  e.scrollLeft = before;
  return {text: e.textContent, scrolled: e.scrollWidth - e.clientWidth, lastSeen: seen};
})
"""


def test_the_notebook_pages_wide_outputs_scroll_and_show_kaiyuan(chromium: Any, notebook_page: Path) -> None:
    page = chromium.new_page(viewport={"width": 1024, "height": 900})
    try:
        page.goto(notebook_page.as_uri())
        scrollers = page.evaluate(_SCROLLERS)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    finally:
        page.close()
    with_kaiyuan = [item for item in scrollers if "开原" in item["text"]]
    assert with_kaiyuan, "no wide output with 开原 scrolls sideways"
    assert all(item["lastSeen"] for item in with_kaiyuan), [item["text"][:80] for item in with_kaiyuan]
    assert overflow <= 0  # the page itself does not scroll sideways: its wide outputs do
