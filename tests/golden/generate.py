"""Golden outputs: what users see, committed so that refactors keep it byte-identical.

``python tests/golden/generate.py`` rewrites every file under ``tests/golden/out/`` from the
installed regions; ``tests/test_golden.py`` regenerates them in memory and compares. Change
a golden file only in a commit that says which behaviour changed and why.

Covered: for every region, the policy (JSON, zh and en), the timeline and the forms on its
first day in force and on the demo's date; the evaluation (contract §3.1 JSON and the
terminal table) of three rosters under every region: the bundled sample school, a
deterministic roster built to cross every boundary of the seed rules (``edge.csv``) and one
with only the required columns (``bare.csv``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROSTERS = HERE / "rosters"

ABILITIES = [f"A{i}" for i in range(1, 14)] + [f"B{i}" for i in range(1, 11)] + [f"C{i}" for i in range(1, 8)]
GRADES = ["优秀", "合格", "不合格", ""]
HOURS = ["0", "10", "19.99", "20", "24.5", "25", "25.01", "30", "40", "50"]


def make_edge_roster(path: Path) -> None:
    """A made-up roster (seeded) whose values sit on and beside the seed rules' limits."""
    rng = random.Random(9)
    rows = []
    for school in range(3):
        for number in range(18):
            k = rng.choice([2, 3, 3, 3, 4])
            abilities = (
                rng.sample(ABILITIES[:9] + ABILITIES[13:16] + ABILITIES[23:26], k)
                if school
                else rng.sample(ABILITIES, k)
            )
            grades = [rng.choice(GRADES[:2] if number % 3 else GRADES) for _ in abilities]
            rows.append(
                {
                    "teacher_id": f"E{school}{number:02d}",
                    "school": f"样例学校{school + 1}",
                    "group": ["语文组", "数学组", "", "综合组"][number % 4],
                    "subject": ["语文", "数学", "英语", "科学", ""][number % 5],
                    "online_hours": rng.choice(HOURS),
                    "offline_hours": rng.choice(HOURS),
                    "abilities": ";".join(abilities),
                    "grades": ";".join(grades),
                    "excellent_video": rng.choice(["是", "否", "否", ""]),
                    "peer_reviews": rng.choice(["是", "是", "否", ""]),
                }
            )
    write_csv(path, rows)


def make_bare_roster(path: Path) -> None:
    """Only the required columns: every rule that needs an optional column meets its absence."""
    rng = random.Random(11)
    rows = [
        {
            "teacher_id": f"B{number:02d}",
            "school": ["甲校", "乙校"][number % 2],
            "online_hours": rng.choice(HOURS),
            "offline_hours": rng.choice(HOURS),
            "abilities": ";".join(rng.sample(ABILITIES, 3)),
        }
        for number in range(12)
    ]
    write_csv(path, rows)


def make_edge_schools(path: Path) -> None:
    """A school table for the edge roster: every fact column, yes, no, blank, limits and one missing school."""
    rows = [
        {
            "学校": "样例学校1",
            "教研组": "",
            "信息化管理团队": "是",
            "管理团队人数": "3",
            "首席信息官": "是",
            "首席信息官由校领导担任": "是",
            "研修活动实施方案": "是",
            "信息化发展规划": "是",
            "发展规划已备案": "是",
            "校本研修方案": "是",
            "考核方案": "是",
            "信息技术融合教学能力竞赛": "是",
            "教研组研修计划": "",
            "集中教研视频时长": "",
        },
        {"学校": "样例学校1", "教研组": "语文组", "教研组研修计划": "是", "集中教研视频时长": "10"},
        {"学校": "样例学校1", "教研组": "数学组", "教研组研修计划": "否", "集中教研视频时长": "9"},
        {
            "学校": "样例学校2",
            "教研组": "",
            "信息化管理团队": "否",
            "管理团队人数": "6",
            "首席信息官": "",
            "首席信息官由校领导担任": "否",
            "研修活动实施方案": "是",
            "信息化发展规划": "否",
            "发展规划已备案": "",
            "校本研修方案": "否",
            "考核方案": "是",
            "信息技术融合教学能力竞赛": "否",
        },
        {"学校": "样例学校2", "教研组": "综合组", "教研组研修计划": "是", "集中教研视频时长": "12.5"},
    ]
    header = list(rows[0])
    write_csv(path, [{key: row.get(key, "") for key in header} for row in rows])


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows as UTF-8 CSV with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _run(args: list[str]) -> str:
    """Run the CLI in-process and return what it printed; a non-zero exit is an error."""
    from ability2.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(args)
    if code != 0:
        raise RuntimeError(f"ability2 {' '.join(args)} exited {code}: {stderr.getvalue()}")
    return stdout.getvalue()


def outputs() -> Iterator[tuple[str, str]]:
    """Every golden output as ``(relative path, text)``."""
    from importlib.resources import as_file

    import ability2
    from ability2.demo import DEMO_DAY, DEMO_REGIONS, sample_roster_path

    registry = ability2.load_registry()
    # one registry for every command (each CLI call would load its own: same result, slower)
    with mock.patch("ability2.registry.load_registry", return_value=registry), as_file(sample_roster_path()) as sample:
        rosters = {"sample": sample, "edge": ROSTERS / "edge.csv", "bare": ROSTERS / "bare.csv"}
        for region in registry.regions():
            first = registry.effective_from(region)
            if first is None:
                continue
            slug = region.id.replace("/", ".")
            days = sorted({first, max(first, DEMO_DAY)})
            for day in days:
                on = day.isoformat()
                for lang in ("zh", "en"):
                    yield (
                        f"policy/{slug}@{on}.{lang}.json",
                        _run(["policy", region.id, "--on", on, "--json", "--lang", lang]),
                    )
                yield f"timeline/{slug}@{on}.json", _run(["timeline", region.id, "--on", on, "--json"])
            yield f"form/{slug}.json", _run(["form", region.id, "--json"])
            on = days[-1].isoformat()
            for name, path in rosters.items():
                base = ["evaluate", str(path), "--region", region.id, "--on", on]
                yield f"evaluate/{name}/{slug}@{on}.zh.json", _run([*base, "--format", "json"])
                yield f"evaluate/{name}/{slug}@{on}.zh.txt", _run([*base, "--format", "table"])
                if name == "edge":
                    yield f"evaluate/{name}/{slug}@{on}.en.json", _run([*base, "--format", "json", "--lang", "en"])
                if name == "edge" and region.id in DEMO_REGIONS:
                    with_schools = [*base, "--schools", str(ROSTERS / "edge_schools.csv"), "--format", "json"]
                    yield f"evaluate/edge+schools/{slug}@{on}.zh.json", _run(with_schools)


def main() -> int:
    """Rewrite the rosters (deterministic) and every golden output."""
    make_edge_roster(ROSTERS / "edge.csv")
    make_bare_roster(ROSTERS / "bare.csv")
    make_edge_schools(ROSTERS / "edge_schools.csv")
    written = set()
    for relative, text in outputs():
        path = OUT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.add(path)
    for stale in OUT.rglob("*"):
        if stale.is_file() and stale not in written:
            stale.unlink()
    print(f"wrote {len(written)} golden files under {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
