"""The built documentation site (issue 13, item 19).

- No page shows an internal note: a seed file's name (``Seed 004_….txt``, ``seeds/001``), a
  path of the shared development folders (``shared/reference/…``) or of the machine that
  built it (the checkout, the home folder, a temporary folder). Documents are cited by their
  title or 文号.
- The site is built from the project's own plugins (the seed plugins' folders, with the
  installed plugins off), so a stray plugin installed where it is built never shows.

The site is built once, into a temporary folder, from a copy of ``docs/`` beside the
checkout's ``plugins/`` (the generated pages are written into the copy, not the checkout),
with a stray plugin "installed" the way pip registers one (a ``.dist-info`` folder on the
path). The notebook is executed, as in every build: its kernel loads the registry from the
same plugin environment (``docs/conf.py``), and its outputs are scanned like the pages.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "plugins"
#: the regions the seed plugins' policy files declare, read from the files
SEED_REGIONS = {
    line.split(":", 1)[1].strip()
    for path in SEEDS.glob("*/src/*/policies/*.yaml")
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.startswith("  id: ")
}

#: internal notes and machine paths that no page may show
LEAKS = (
    re.compile(r"\bseeds?[/ _-]?0\d\d", re.IGNORECASE),  # seeds/001, seed 000, seed-000, Seed 004_…
    re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b"),  # a seed file's name
    re.compile(r"Local file:", re.IGNORECASE),
    re.compile(r"\bshared/(seeds|reference|contract|design)"),  # the development machine's shared folder
    re.compile(r"/work/|/home/|/Users/|/tmp/|/root/|C:\\\\Users"),  # paths of a machine
    re.compile(r"site-packages|dist-packages"),  # an installed copy's path
)


def leaks_in(text: str, *extra: str) -> list[str]:
    """The internal notes and machine paths in ``text`` (and the literal strings ``extra``)."""
    found = [match.group(0) for pattern in LEAKS for match in pattern.finditer(text)]
    return found + [value for value in extra if value and value in text]


def visible_text(html: str) -> str:
    """The text a reader sees or can copy: the page without its scripts and styles, tags removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    "text",
    [
        "Published openly. Seed 004_d0b1cff14b6fa3e1.txt.",
        "Named by the plan (seeds/001) as the deployment",
        "Text known from seed 000 (seed-000), pages 64–70",
        "(shared/reference/other_regions.md)",
        "file: /work/main/plugins/shandong/src/ability2_shandong/policies/yanzhou.yaml",
        "Local file: x",
    ],
)
def test_the_scan_finds_each_kind_of_leak(text: str) -> None:
    assert leaks_in(text)


def test_the_scan_passes_citations_by_title_and_number() -> None:
    text = "兖教体发〔2022〕82号 · 五、(二); 《徐水区特殊教育学校信息技术能力提升工程2.0培训学习资料汇编》 pages 57–63; 2000-01-01"
    assert leaks_in(text) == []


def _stray_plugin(site: Path) -> None:
    """A plugin installed where the docs are built, as pip registers one; its region must never show."""
    package = site / "ability2_straydocs"
    (package / "policies").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import ability2\n\n\n@ability2.hookimpl\ndef ability2_policy_files():\n"
        "    return ability2.package_files(__name__, 'policies')\n",
        encoding="utf-8",
    )
    (package / "policies" / "straydocs.yaml").write_text(
        "region:\n  id: straydocs\n  name: 游离省\n  level: province\n  parent: cn\n\ndocuments: {}\nrules: {}\n",
        encoding="utf-8",
    )
    info = site / "ability2_straydocs-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ability2-straydocs\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[ability2]\nstraydocs = ability2_straydocs\n", encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("site")
    shutil.copytree(
        ROOT / "docs",
        work / "docs",
        ignore=shutil.ignore_patterns("_build", "_generated", "jupyter_execute", ".ipynb_checkpoints"),
    )
    (work / "plugins").symlink_to(SEEDS, target_is_directory=True)
    site = work / "installed"
    site.mkdir()
    _stray_plugin(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ABILITY2_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    # the stray plugin is really installed for this environment: a plain load_registry() sees it
    check = subprocess.run(
        [sys.executable, "-m", "ability2", "regions", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert '"straydocs"' in check.stdout
    out = work / "html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-q",
            "-W",
            "--keep-going",
            str(work / "docs"),
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        cwd=work,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def test_the_region_pages_are_exactly_the_seed_regions(built: Path) -> None:
    pages = {path.stem.replace("__", "/") for path in (built / "regions" / "_generated").glob("*.html")}
    assert pages == {"cn", *SEED_REGIONS}
    index = (built / "regions" / "index.html").read_text(encoding="utf-8")
    for region in SEED_REGIONS:
        assert region.replace("/", "__") + ".html" in index


def test_no_page_shows_the_stray_installed_plugin(built: Path) -> None:
    # the notebook lists the registry's regions: its kernel saw the seed plugins and not the stray one
    notebook = (built / "notebooks" / "compare.html").read_text(encoding="utf-8")
    assert "shandong/jining/yanzhou" in notebook
    for page in built.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "straydocs" not in text and "游离省" not in text, page


def test_no_page_shows_an_internal_note_or_a_machine_path(built: Path) -> None:
    machine = (str(ROOT), str(Path.home()), str(built.parent))
    found = {}
    for page in sorted(built.rglob("*.html")):
        leaks = leaks_in(visible_text(page.read_text(encoding="utf-8")), *machine)
        if leaks:
            found[str(page.relative_to(built))] = sorted(set(leaks))[:5]
    assert found == {}
