"""`import ability2` stays light: no pandas, numpy, Excel or plotting libraries."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_loads_neither_pandas_nor_numpy() -> None:
    code = "import sys, json, ability2; ability2.load_registry(); print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    modules = set(json.loads(result.stdout))
    heavy = {"pandas", "numpy", "polars", "matplotlib", "openpyxl", "xlsxwriter", "rich"}
    assert not heavy & modules, heavy & modules
