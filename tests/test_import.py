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


def test_import_ability2_imports_no_submodule_until_a_name_is_used() -> None:
    code = (
        "import sys, json, ability2; before = sorted(m for m in sys.modules if m.startswith('ability2'));"
        "ability2.load_registry; after = sorted(m for m in sys.modules if m.startswith('ability2'));"
        "print(json.dumps([before, after]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    before, after = json.loads(done.stdout)
    assert before == ["ability2"]
    assert "ability2.registry" in after


def test_public_functions_are_not_shadowed_by_their_modules() -> None:
    # a submodule imported first must not replace the function of the same name on the package
    code = (
        "import ability2.evaluation, ability2.comparison, ability2;"
        "print(callable(ability2.evaluate), callable(ability2.compare), ability2.evaluate.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == ["True", "True", "ability2.evaluation"]


def test_every_public_name_resolves() -> None:
    import ability2

    for name in ability2.__all__:
        assert getattr(ability2, name) is not None, name
    assert set(ability2.__all__) <= set(dir(ability2))


def test_reading_and_evaluating_a_csv_never_imports_pandas(tmp_path: object) -> None:
    # pandas takes half a second to import: a CLI run that writes CSV or JSON never needs it,
    # and pyarrow's numpy conversions would import it behind our back
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    roster = tmp_path / "roster.csv"
    rows = [
        # two 不合格-free teachers, one with an ability not graded yet (the pending reason)
        "teacher_id,school,group,online_hours,offline_hours,abilities,grades",
        "T1,一中,数学组,25,30,A1;B2;C3,合格、优秀、合格",
        "T2,一中,语文组,20,30,A4;B1;B6,合格、、合格",
    ]
    roster.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = (
        "import sys, json, ability2\n"
        "registry = ability2.load_registry()\n"
        "roster = ability2.read_roster(sys.argv[1])\n"
        "for region in registry.regions():\n"
        "    ability2.evaluate(roster, registry.policy(region))\n"
        "print(json.dumps('pandas' in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(roster)], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(done.stdout) is False
