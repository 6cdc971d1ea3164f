"""The example notebook runs top to bottom on the bundled sample."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ability2.demo import DEMO_REGIONS

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "compare.ipynb"


def _text_of(outputs: list[Any]) -> str:
    parts = []
    for output in outputs:
        if "text" in output:
            parts.append(output["text"])
        for kind, value in output.get("data", {}).items():
            if kind.startswith("text/"):
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def test_notebook_is_stored_without_outputs() -> None:
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [cell for cell in data["cells"] if cell["cell_type"] == "code"]
    assert code
    assert all(not cell["outputs"] and cell["execution_count"] is None for cell in code)


def test_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    # a copy of the notebook's folder, run in place: relative paths work, the repository stays clean
    folder = tmp_path / NOTEBOOK.parent.name
    shutil.copytree(NOTEBOOK.parent, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    copy = folder / NOTEBOOK.name
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(folder)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    nbformat.write(notebook, copy)  # kept in tmp_path for a look when something is off
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    tagged = [cell for cell in notebook.cells if "comparison" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "the notebook's comparison cell is tagged 'comparison'"
    text = _text_of(tagged[0]["outputs"])
    missing = [region for region in DEMO_REGIONS if region not in text]
    assert not missing, f"the comparison output does not mention {missing}"
    images = [o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 5, "every plot cell shows its figure"
    stderr = "".join(
        o.get("text", "") for cell in notebook.cells for o in cell.get("outputs", []) if o.get("name") == "stderr"
    )
    assert "missing from" not in stderr, "Chinese glyphs are missing: install fonts-noto-cjk"
