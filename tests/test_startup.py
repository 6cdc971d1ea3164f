"""Start-up stays light (issue 11): what ``import ability2``, ``load_registry()`` and ``ability2 regions`` import.

Each check runs in a fresh interpreter and looks only at the modules the code under test
imported (those the interpreter's own start-up imported are left out). The times are
measured by ``benchmarks/startup.py``, not here.
"""

from __future__ import annotations

import importlib.resources
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

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
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True, timeout=120
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


def test_regions_imports_rich_only_for_the_table() -> None:
    table = imported("from ability2.cli import main; main(['regions'])")
    assert "rich.table" in table
    assert not HEAVY & table and "ability2.policy" not in table
    as_json = imported("from ability2.cli import main; main(['regions', '--json'])")
    assert not {m for m in as_json if m.split(".")[0] == "rich"}
    if plain_environment():
        assert not METADATA & (table | as_json)


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
