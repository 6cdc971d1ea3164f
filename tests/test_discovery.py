"""ability2.discovery finds exactly the entry points importlib.metadata finds, in the same order."""

from __future__ import annotations

import importlib.metadata
import itertools
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ability2 import discovery

_counter = itertools.count()


def _seen(entry_points: Any) -> list[tuple[str, str, str, str]]:
    return [(ep.name, ep.value, ep.group, str(ep.dist._path)) for ep in entry_points]


def _both(paths: list[str], group: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(ours, importlib's) for ``group`` with ``sys.path`` set to ``paths``: lists, or the exception raised."""
    monkeypatch.setattr(sys, "path", paths)
    results = []
    for find in (lambda: discovery.entry_points(group), lambda: importlib.metadata.entry_points(group=group)):
        try:
            results.append(_seen(find()))
        except Exception as exc:
            results.append((type(exc), str(exc)))
    return results[0], results[1]


def _dist(root: Path, folder: str, entry_points: str | None) -> None:
    (root / folder).mkdir(parents=True)
    (root / folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {folder.split('.')[0]}\nVersion: 1\n")
    if entry_points is not None:
        (root / folder / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def test_the_installed_environment_gives_importlibs_answer() -> None:
    for group in ("ability2", "console_scripts", "pytest11"):
        ours = _seen(discovery.entry_points(group))
        theirs = _seen(importlib.metadata.entry_points(group=group))
        assert ours == theirs, group


@pytest.fixture(autouse=True)
def _standard_finders(monkeypatch: pytest.MonkeyPatch) -> None:
    """The interpreter's own finders, as a plain program has them.

    Importing the ``importlib_metadata`` backport (another test's library may) deletes
    ``PathFinder.find_distributions`` and adds the backport's finder for the rest of the
    process; these tests start from the standard state, and put any change back.
    """
    from importlib.machinery import PathFinder

    if hasattr(PathFinder, "find_distributions"):
        return

    def find_distributions(*args: Any, **kwargs: Any) -> Any:  # what CPython's PathFinder does
        from importlib.metadata import MetadataPathFinder

        return MetadataPathFinder.find_distributions(*args, **kwargs)

    monkeypatch.setattr(PathFinder, "find_distributions", staticmethod(find_distributions), raising=False)
    standard = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("importlib_metadata")]
    monkeypatch.setattr(sys, "meta_path", standard)


def test_the_plain_case_is_read_without_importlib() -> None:
    found = discovery._scan("ability2", sys.path)
    assert [ep.name for ep in found] == [ep.name for ep in importlib.metadata.entry_points(group="ability2")]
    assert all(isinstance(ep, discovery.FoundEntryPoint) for ep in found)


def test_several_folders_duplicates_and_sections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _dist(first, "zeta_pkg-1.0.dist-info", "[ability2]\nzeta = zeta_mod\n# a comment\n\n[other]\nx = y:z\n")
    _dist(first, "Zeta.Pkg-2.0.dist-info", "[ability2]\nshadowed = nowhere\n")
    _dist(first, "alpha-0.1.egg-info", "  [ability2]  \n  alpha  =  alpha.mod : obj.attr [extra]  \n")
    _dist(first, "no_entry_points-1.dist-info", None)
    _dist(second, "alpha-9.dist-info", "[ability2]\nlater = hidden\n")
    _dist(second, "beta-1.dist-info", "before = any section\n[ability2]\nbeta = beta_mod\nbeta = again\n")
    (second / "single-1.egg-info").write_text("Name: single\n")  # a one-file egg-info: no entry points
    paths = [str(first), str(tmp_path / "missing"), str(second)]
    ours, theirs = _both(paths, "ability2", monkeypatch)
    assert ours == theirs
    assert [name for name, *_ in ours] != []


@pytest.mark.parametrize(
    ("folder", "text"),
    [
        ("Upper.DIST-INFO", "[ability2]\nx = y\n"),  # importlib reads this one's name from METADATA
        ("good-1.dist-info", "[ability2]\nno equals sign\n"),  # importlib raises ValueError
        ("good-1.dist-info", "[ability2]\nbad = not a valid value!\n"),
        ("-1.dist-info", "[ability2]\nx = y\n"),
    ],
)
def test_unusual_cases_are_importlibs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, text: str) -> None:
    _dist(tmp_path, folder, text)
    ours, theirs = _both([str(tmp_path)], "ability2", monkeypatch)
    assert ours == theirs


def test_text_that_is_not_utf8_is_importlibs_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _dist(tmp_path, "latin-1.dist-info", None)
    (tmp_path / "latin-1.dist-info" / "entry_points.txt").write_bytes(b"[ability2]\nx = caf\xe9\n")
    ours, theirs = _both([str(tmp_path)], "ability2", monkeypatch)
    assert ours == theirs
    assert ours[0] is UnicodeDecodeError


def test_a_file_on_the_path_is_left_to_importlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "not-a-folder.zip").write_bytes(b"not a zip")
    with pytest.raises(discovery._Unsure):
        discovery._scan("ability2", [str(tmp_path / "not-a-folder.zip")])
    ours, theirs = _both([str(tmp_path / "not-a-folder.zip")], "ability2", monkeypatch)
    assert ours == theirs == []


def test_another_finder_is_left_to_importlib(monkeypatch: pytest.MonkeyPatch) -> None:
    class Finder:
        @staticmethod
        def find_distributions(context: Any = None) -> list[Any]:
            return []

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    with pytest.raises(discovery._Unsure):
        discovery._scan("ability2", sys.path)
    assert _seen(discovery.entry_points("ability2")) == _seen(importlib.metadata.entry_points(group="ability2"))


def test_a_replaced_standard_finder_is_left_to_importlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """importlib_metadata (the backport) deletes PathFinder.find_distributions and adds its own finder."""
    from importlib.machinery import PathFinder

    standard = PathFinder.find_distributions

    class Backport:
        @staticmethod
        def find_distributions(context: Any = None) -> Any:
            return standard(context or importlib.metadata.DistributionFinder.Context())

    monkeypatch.delattr(PathFinder, "find_distributions")
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Backport()])
    with pytest.raises(discovery._Unsure):
        discovery._scan("ability2", sys.path)
    found = discovery.entry_points("console_scripts")  # pip's own, in any environment
    assert found
    assert not any(isinstance(ep, discovery.FoundEntryPoint) for ep in found)
    assert _seen(found) == _seen(importlib.metadata.entry_points(group="console_scripts"))


def test_load_imports_the_named_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "src" / "found_ep_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("class Outer:\n    class Inner:\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    entry = discovery.FoundEntryPoint("x", "found_ep_pkg : Outer.Inner", "ability2", str(tmp_path))
    assert entry.load().__qualname__ == "Outer.Inner"
    broken = discovery.FoundEntryPoint("x", "not valid!", "ability2", str(tmp_path))
    with pytest.raises(AttributeError) as ours:
        broken.load()
    with pytest.raises(AttributeError) as theirs:
        importlib.metadata.EntryPoint("x", "not valid!", "ability2").load()
    assert str(ours.value) == str(theirs.value)


_name = st.text(alphabet="abAB-_.1", min_size=0, max_size=6)
_line = st.one_of(
    st.sampled_from(["[ability2]", "[other]", "[ ability2 ]", "", "# c", "[]"]),
    st.builds(lambda k, v: f"{k} = {v}", st.text(alphabet="abc ", max_size=3), st.text(alphabet="ab.:[] ", max_size=6)),
    st.text(alphabet="ab=[]# \t", max_size=6),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dists=st.lists(
        st.tuples(
            st.integers(0, 1),
            _name,
            st.sampled_from([".dist-info", ".egg-info", ".DIST-INFO", "-1.0.dist-info", ".txt"]),
            st.lists(_line, max_size=5),
        ),
        max_size=5,
    )
)
def test_generated_environments_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dists: list[Any]) -> None:
    base = tmp_path / f"case{next(_counter)}"
    roots = [base / "p0", base / "p1"]
    for root in roots:
        root.mkdir(parents=True)
    for index, stem, suffix, lines in dists:
        folder = roots[index] / f"{stem}{suffix}"
        if folder.exists():
            continue
        folder.mkdir()
        (folder / "METADATA").write_text(f"Name: {stem or 'x'}\nVersion: 1\n")
        (folder / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    ours, theirs = _both([str(root) for root in roots], "ability2", monkeypatch)
    assert ours == theirs
