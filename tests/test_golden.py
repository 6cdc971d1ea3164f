"""Golden outputs stay byte-identical (policies, timelines, forms, evaluations of three rosters).

Regenerate with ``python tests/golden/generate.py`` only when a change of output is intended,
and say which in the commit.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("golden_generate", GOLDEN / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_golden_outputs_unchanged() -> None:
    generator = _generator()
    expected = {p.relative_to(generator.OUT).as_posix() for p in generator.OUT.rglob("*") if p.is_file()}
    seen = set()
    changed = []
    for relative, text in generator.outputs():
        seen.add(relative)
        path = generator.OUT / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            changed.append(relative)
    assert not changed, f"{len(changed)} golden outputs differ, first: {changed[:5]}"
    assert seen == expected, f"missing: {sorted(expected - seen)[:5]}, new: {sorted(seen - expected)[:5]}"
    assert len(seen) > 200


def test_golden_rosters_are_deterministic(tmp_path: Path) -> None:
    generator = _generator()
    generator.make_edge_roster(tmp_path / "edge.csv")
    generator.make_bare_roster(tmp_path / "bare.csv")
    generator.make_edge_schools(tmp_path / "edge_schools.csv")
    for name in ("edge.csv", "bare.csv", "edge_schools.csv"):
        assert (tmp_path / name).read_bytes() == (generator.ROSTERS / name).read_bytes()
