"""Start-up stays light (issue 11): what ``import ability2``, ``load_registry()`` and ``ability2 regions`` import.

Each check runs in a fresh interpreter and looks only at the modules the code under test
imported (those the interpreter's own start-up imported are left out). The times are
measured by ``benchmarks/startup.py``, not here.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import io
import json
import os
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ability2.cli import commands
from ability2.datafiles import package_folder, read_source_text

#: libraries whose import alone costs a command tens of milliseconds, none needed to list regions
HEAVY = {"pandas", "numpy", "polars", "matplotlib", "xlsxwriter", "python_calamine", "cattrs"}
#: importlib.metadata (with email, zipfile, csv ...) and importlib.resources (with tempfile, shutil's zip ...)
METADATA = {"importlib.metadata", "email", "importlib.resources", "tempfile", "zipfile"}


def imported(code: str, *argv: str) -> set[str]:
    """The modules ``code`` imports in a fresh interpreter (its output to a pipe, as when redirected)."""
    script = (
        "import sys, json\n"
        "before = set(sys.modules)\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    {code}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    # as a shell starts it: pytest's process may carry COLUMNS and LINES (readline exports them)
    env = {name: value for name, value in os.environ.items() if name not in commands._RICH_ENVIRONMENT}
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True, timeout=120, env=env
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def plain_environment() -> bool:
    """Whether entry points are read without importlib.metadata here (see ability2.discovery)."""
    from ability2 import discovery

    try:
        discovery._scan("ability2", sys.path)
    except discovery._Unsure:
        return False
    return True


def test_import_ability2_imports_no_library() -> None:
    modules = imported("import ability2")
    assert not {m.split(".")[0] for m in modules} & {"attr", "attrs", "yaml", "pluggy", "rich", "typing", *HEAVY}


def test_load_registry_reads_metadata_and_resources_directly() -> None:
    modules = imported("import ability2; ability2.load_registry()")
    assert not HEAVY & modules
    assert "rich" not in modules
    if plain_environment():
        assert not METADATA & modules


def test_regions_into_a_pipe_imports_no_rich() -> None:
    table = imported("from ability2.cli import main; main(['regions'])")
    as_json = imported("from ability2.cli import main; main(['regions', '--json'])")
    assert "ability2.policy" not in table
    for modules in (table, as_json):
        assert not HEAVY & modules
        assert not {m for m in modules if m.split(".")[0] == "rich"}
        if plain_environment():
            assert not METADATA & modules
    forced = imported("import os; os.environ['FORCE_COLOR'] = '1'; from ability2.cli import main; main(['regions'])")
    assert "rich.table" in forced


def printed_by_rich(columns: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        table = commands._table(None, columns)
        for row in rows:
            table.add_row(*row)
        commands._console().print(table)
    return buffer.getvalue()


def printed(columns: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        commands._print_table(columns, rows)
    return buffer.getvalue()


cells = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.printable[:-5]),  # printable ASCII, no tab or newline
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(["\t", "\n", "·", "（", "é", "😀", "\x07", "\u200b"]),
    ),
    max_size=30,
)


@settings(max_examples=500, deadline=None)
@given(data=st.data(), width=st.integers(1, 6), height=st.integers(0, 6))
def test_tables_print_as_rich_prints_them(data: st.DataObject, width: int, height: int) -> None:
    columns = data.draw(st.lists(cells, min_size=width, max_size=width))
    rows = data.draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=height))
    with pytest.MonkeyPatch.context() as patch:
        for name in commands._RICH_ENVIRONMENT:
            patch.delenv(name, raising=False)
        event("written directly" if commands._plain_table(columns, rows) is not None else "printed by rich")
        assert printed(columns, rows) == printed_by_rich(columns, rows)


@pytest.mark.parametrize("name", commands._RICH_ENVIRONMENT)
def test_the_environment_rich_reads_leaves_the_table_to_rich(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "1")
    columns, rows = ["id", "名称"], [["cn", "全国"], ["hebei", "河北省"]]
    assert commands._plain_table(columns, rows) is None
    assert printed(columns, rows) == printed_by_rich(columns, rows)


def test_the_seed_regions_are_written_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    import ability2

    for name in commands._RICH_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for lang in ("zh", "en"):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            commands.cmd_regions(argparse.Namespace(json=False, lang=lang))
        regions = ability2.load_registry().regions()
        columns = [commands.label(k, lang) for k in ("id", "name", "level", "parent", "code")]
        rows = [
            [
                r.id,
                r.name if lang == "zh" else (r.name_en or r.name),
                commands.label(r.level.value, lang),
                r.parent or "",
                r.code or "",
            ]
            for r in regions
        ]
        assert commands._plain_table(columns, rows) is not None
        assert buffer.getvalue() == printed_by_rich(columns, rows)


@pytest.mark.parametrize("package", ["ability2", "ability2.framework", "ability2_hebei", "yaml"])
def test_package_folder_is_importlib_resources_files(package: str) -> None:
    ours, theirs = package_folder(package), importlib.resources.files(package)
    assert ours == theirs and type(ours) is type(theirs)


def test_package_folder_of_a_zipped_package_is_files_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped_pkg/__init__.py", "")
        zipped.writestr("zipped_pkg/policies/a.yaml", "a: 1\n")
    monkeypatch.syspath_prepend(str(archive))
    folder = package_folder("zipped_pkg")
    assert str(folder) == str(importlib.resources.files("zipped_pkg"))
    text, name = read_source_text(folder / "policies" / "a.yaml")
    assert text == "a: 1\n" and name.endswith("a.yaml")


def test_a_module_gets_files_own_answer() -> None:
    try:
        expected = importlib.resources.files("ability2.registry")  # Python 3.11: not a package
    except TypeError:
        with pytest.raises(TypeError):
            package_folder("ability2.registry")
        return
    assert package_folder("ability2.registry") == expected
