"""Benchmark: ability2 against hand-written polars and pandas passes computing the same verdicts.

For each cohort size (synthetic, seeded: about 20 teachers per school) and each seed region,
four implementations start from the same CSV file and compute every teacher's status and
every school's status:

- **ability2**: ``read_roster(csv)`` (validate and encode once), ``evaluate``, then the
  ``teachers`` and ``schools`` tables;
- **polars** (``peers.polars_pass``): eager polars, as a strong data engineer writes it;
- **duckdb** (``peers.duckdb_pass``): DuckDB SQL over the CSV;
- **pandas** (``baseline``): what an analyst writes: ``str.split`` the ability and grade
  columns, compare, ``groupby`` school.

All run in the same process, alternately, on the same file; the script checks that their
verdicts agree before it reports the median time. Peak memory is the peak resident set of a
fresh process running ability2 alone on that cohort: read the roster from CSV, evaluate.
Also measured: ``import ability2`` time and CSV read time at the largest size.

Usage::

    python benchmarks/run.py                 # 10k, 100k, 1M (takes a few minutes)
    python benchmarks/run.py --sizes 10000   # the CI smoke run
    python benchmarks/run.py --markdown      # print the table for benchmarks/README.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from peers import duckdb_pass, polars_pass, school_measures

REGIONS = (
    "hebei/baoding/xushui",
    "jiangsu/changzhou/jintan/baita",
    "liaoning/tieling/kaiyuan",
    "shandong/jining/yanzhou",
    "guangxi",
)
CODES = [f"A{i}" for i in range(1, 14)] + [f"B{i}" for i in range(1, 11)] + [f"C{i}" for i in range(1, 8)]
SEPARATORS = r"[;,、，；\s]+"
PEERS = ("polars", "duckdb", "pandas")
YES = {"yes", "是", "1", "true", "y"}


def cohort(size: int, seed: int = 2022) -> pd.DataFrame:
    """A synthetic roster: about 20 teachers per school, realistic hours and grades.

    Schools differ, so that every school rule of the seed regions passes for some schools
    and fails for others: a school is diligent or not (a quarter of a lax school's teachers
    log too few hours; a third are exemplary: every teacher meets every teacher rule), grades
    its teachers 优秀 more or less often, lets its teachers choose among 6, 12 or all 30
    abilities (a tenth among one environment's only), and records excellent lesson videos
    more or less often.
    """
    rng = np.random.default_rng(seed)
    n_schools = max(1, size // 20)
    schools = np.array([f"S{i:06d}" for i in range(n_schools)], dtype=object)
    at = rng.integers(0, n_schools, size)
    school = schools[at]
    groups = np.array(["语文组", "数学组", "英语组", "综合组"], dtype=object)
    subjects = np.array(["语文", "数学", "英语", "科学", "音乐"], dtype=object)
    kind = rng.random(n_schools)
    lax, exemplary = kind < 0.3, kind > 0.65  # an exemplary school: every teacher meets every teacher rule
    excellent_share = rng.uniform(0.05, 0.7, n_schools)
    video_share = rng.uniform(0.05, 0.8, n_schools)
    pool_size = np.where(exemplary, 30, rng.choice([6, 12, 30], n_schools, p=[0.25, 0.35, 0.4]))
    online = rng.choice(
        [20, 24.5, 25, 26, 28, 30, 32, 35, 40], size, p=[0.03, 0.02, 0.2, 0.1, 0.15, 0.2, 0.1, 0.1, 0.1]
    )
    offline = rng.choice([20, 24.5, 25, 27.5, 28, 30, 32], size, p=[0.03, 0.02, 0.3, 0.1, 0.15, 0.3, 0.1])
    short = rng.random(size) < np.where(lax[at], 0.25, 0.01)
    online = np.where(short, 12, online)
    model = exemplary[at]
    online = np.where(model, np.maximum(online, 25), online)
    offline = np.where(model, np.maximum(offline, 25), offline)
    k = np.where(model, 3, rng.choice([2, 3, 3, 3, 3, 4], size))
    # each school's pool of abilities: its first pool_size codes in a school-specific order
    order = np.argsort(rng.random((n_schools, 30)), axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(30)[None, :].repeat(n_schools, axis=0), axis=1)
    outside = rank >= pool_size[:, None]
    # a tenth of the schools keep to one environment (A, B or C codes only)
    letter = np.array([code[0] for code in CODES])
    single = (rng.random(n_schools) < 0.1) & ~exemplary
    chosen = np.array(["A", "B", "C"])[rng.integers(0, 3, n_schools)]
    outside = np.where(single[:, None], letter[None, :] != chosen[:, None], outside)
    scores = rng.random((size, 30)) + outside[at] * 2.0
    picks = np.argsort(scores, axis=1)[:, :4]
    code_array = np.array(CODES, dtype=object)
    grade_words = np.array(["优秀", "合格", "不合格"], dtype=object)
    draw = rng.random((size, 4))
    grade_pick = np.where(draw < excellent_share[at, None], 0, np.where((draw > 0.985) & ~model[:, None], 2, 1))
    abilities = np.empty(size, dtype=object)
    grades = np.empty(size, dtype=object)
    ungraded = rng.random(size) < 0.03
    for width in (2, 3, 4):
        rows = np.nonzero(k == width)[0]
        cols = [code_array[picks[rows, j]] for j in range(width)]
        gcols = [grade_words[grade_pick[rows, j]] for j in range(width)]
        abilities[rows] = [";".join(parts) for parts in zip(*cols, strict=True)]
        grades[rows] = ["、".join(parts) for parts in zip(*gcols, strict=True)]
    grades[ungraded] = ""
    return pd.DataFrame(
        {
            "teacher_id": [f"T{i:07d}" for i in range(size)],
            "school": school,
            "group": groups[rng.integers(0, 4, size)],
            "subject": subjects[rng.integers(0, 5, size)],
            "online_hours": [f"{v:g}" for v in online],
            "offline_hours": [f"{v:g}" for v in offline],
            "abilities": abilities,
            "grades": grades,
            "excellent_video": np.where(rng.random(size) < video_share[at], "是", "否"),
            "peer_reviews": np.where(model | (rng.random(size) < 0.97), "是", "否"),
        }
    )


# ---------------------------------------------------------------------------------------
# the baseline: an analyst's pandas
# ---------------------------------------------------------------------------------------

OPS = {"≥": np.greater_equal, ">": np.greater, "≤": np.less_equal, "<": np.less, "=": np.equal}


def _cmp(rule: Any, values: Any, limit: float) -> Any:
    return OPS[rule.bound.symbol](values, limit)


def baseline(df: pd.DataFrame, policy: Any) -> tuple[np.ndarray, pd.Series]:
    """Teacher statuses and school statuses, the way an analyst would compute them."""
    framework = policy.framework
    env_of = {a.code: a.environment.id for a in framework.abilities}
    dim_of = {a.code: a.dimension.id for a in framework.abilities}
    get = policy.get
    online = pd.to_numeric(df["online_hours"])
    offline = pd.to_numeric(df["offline_hours"])
    ok = pd.Series(True, index=df.index)
    peer = get("hours.offline_requires_peer_review")
    if peer is not None and peer.value:
        done = df["peer_reviews"].str.lower().isin(YES)
        offline = offline.where(done, 0)
        ok &= done
    total = online + offline
    for rule_id, values in (("hours.total_min", total), ("hours.online_min", online), ("hours.offline_min", offline)):
        rule = get(rule_id)
        if rule is not None:
            ok &= _cmp(rule, values, float(rule.value))
    share = get("hours.practice_share_min")
    if share is not None:
        if share.basis == "required":
            ok &= _cmp(share, offline, float(share.value) * float(get("hours.total_min").value))
        else:
            ok &= _cmp(share, offline / total.where(total > 0, 1), float(share.value))
    abilities = df["abilities"].str.split(SEPARATORS, regex=True)
    k = abilities.str.len()
    count = get("selection.count")
    if count is not None:
        ok &= _cmp(count, k, count.value)
    dims = get("selection.dimensions_min")
    if dims is not None:
        ok &= _cmp(dims, abilities.apply(lambda codes: len({dim_of[c] for c in codes})), dims.value)
    grades = df["grades"].fillna("").str.split(SEPARATORS, regex=True)
    n_fail = grades.apply(lambda g: sum(x == "不合格" for x in g))
    n_excellent = grades.apply(lambda g: sum(x == "优秀" for x in g))
    graded = df["grades"].fillna("").str.strip() != ""
    if get("grading.teacher") is not None:
        ok &= n_fail == 0
    failed = ~ok | (n_fail > 0)
    pending = ~failed & ~graded
    excellent = ~failed & ~pending & (n_excellent == k)
    status = np.where(failed, "fail", np.where(pending, "pending", np.where(excellent, "excellent", "pass")))
    frame = pd.DataFrame(
        {"school": df["school"], "passed": np.isin(status, ("pass", "excellent")), "excellent": status == "excellent"}
    )
    frame["certs"] = k
    frame["certs_passed"] = grades.apply(lambda g: sum(x in ("优秀", "合格") for x in g)) * graded
    frame["certs_excellent"] = n_excellent
    for env in ("multimedia", "hybrid", "smart"):
        frame[f"has_{env}"] = abilities.apply(lambda codes, env=env: any(env_of[c] == env for c in codes))
    frame["video"] = df["excellent_video"].str.lower().isin(YES)
    frame["n"] = 1
    frame["ability_set"] = abilities.apply(frozenset)
    schools = frame.groupby("school", sort=False)
    agg = schools[
        [
            "n",
            "passed",
            "excellent",
            "certs",
            "certs_passed",
            "certs_excellent",
            "has_multimedia",
            "has_hybrid",
            "has_smart",
            "video",
        ]
    ].sum()
    scope = schools["ability_set"].agg(lambda sets: frozenset().union(*sets))
    agg["scope"] = scope.apply(len)
    agg["scope_envs"] = scope.apply(lambda s: len({env_of[c] for c in s}))
    agg["scope_dims"] = scope.apply(lambda s: len({dim_of[c] for c in s}))
    school_ok = pd.Series(True, index=agg.index)
    for rule, numerator, denominator in school_measures(get):
        measure = agg[numerator] if denominator is None else agg[numerator] / agg[denominator]
        school_ok &= _cmp(rule, measure, float(rule.value))
    if get("school.excellent_video_every_subject") is not None:
        covered = (
            pd.DataFrame({"school": df["school"], "subject": df["subject"], "video": frame["video"]})
            .groupby(["school", "subject"], sort=False)["video"]
            .any()
        )
        school_ok &= covered.groupby(level=0, sort=False).all()
    return status, school_ok.map({True: "pass", False: "fail"})


# ---------------------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------------------


def run_ability2(csv_path: Path, policy: Any) -> Any:
    """End to end as a platform uses it: read the CSV, evaluate, build the teachers and schools tables."""
    import ability2

    roster = ability2.read_roster(csv_path, framework=policy.framework)
    result = ability2.evaluate(roster, policy)
    result.teachers  # noqa: B018 - the tables are part of the work measured
    result.schools  # noqa: B018
    return result


def run_pandas(csv_path: Path, policy: Any) -> tuple[np.ndarray, pd.Series]:
    """The analyst's pandas pass, from the same CSV."""
    return baseline(pd.read_csv(csv_path, dtype=str, keep_default_na=False), policy)


def timed_alternating(calls: dict[str, Any], repeat: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Median seconds of each call over ``repeat`` rounds, the calls alternating within a round."""
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    values: dict[str, Any] = {}
    for _ in range(repeat):
        for name, call in calls.items():
            start = time.perf_counter()
            values[name] = call()
            seconds[name].append(time.perf_counter() - start)
    return {name: float(np.median(times)) for name, times in seconds.items()}, values


def peak_memory_mb(csv_path: Path, region: str, on: str, runs: int = 3) -> float:
    """Peak RSS of a fresh process running ability2 alone: read the roster CSV, evaluate (median of ``runs`` processes).

    Read from ``VmHWM`` in ``/proc/self/status``, which starts afresh at ``exec``; the
    ``ru_maxrss`` of a child started with vfork also counts the parent's pages (here, the
    benchmark's own million-row DataFrame) and overstates the child's peak. The peak of
    one process varies by about 50 MB at a million teachers (when polars' and Arrow's
    allocators hand freed memory back varies), hence the median.
    """
    return float(np.median([_peak_memory_mb(csv_path, region, on) for _ in range(runs)]))


def _peak_memory_mb(csv_path: Path, region: str, on: str) -> float:
    code = (
        "import datetime, re, ability2;"
        f"p = ability2.load_registry().policy({region!r}, on=datetime.date.fromisoformat({on!r}));"
        f"ability2.evaluate(ability2.read_roster({str(csv_path)!r}), p);"
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def import_time() -> float:
    code = "import time; t = time.perf_counter(); import ability2; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(3)
    ]
    return min(runs)


def csv_read_time(df: pd.DataFrame) -> tuple[float, float]:
    """Seconds for ability2.read_roster(path) and for pandas.read_csv(path) on the same file."""
    import ability2

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        df.to_csv(path, index=False)
        seconds, _ = timed_alternating(
            {
                "ours": lambda: ability2.read_roster(path),
                "pandas": lambda: pd.read_csv(path, dtype=str, keep_default_na=False),
            },
            3,
        )
    return seconds["ours"], seconds["pandas"]


def _cell(value: Any) -> str:
    """A table cell: ``-`` for a peer not run."""
    return "-" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated cohort sizes")
    parser.add_argument("--regions", default=",".join(REGIONS))
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument(
        "--peers", default="polars,duckdb,pandas", help="comma-separated peers to run (default: all three)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; times are medians (default 3)")
    args = parser.parse_args(argv)
    import ability2
    from ability2.demo import demo_date

    sizes = [int(s) for s in args.sizes.split(",")]
    regions = args.regions.split(",")
    registry = ability2.load_registry()
    rows = []
    scratch = tempfile.TemporaryDirectory()
    for size in sizes:
        df = cohort(size)
        csv_path = Path(scratch.name) / f"cohort_{size}.csv"
        df.to_csv(csv_path, index=False)
        del df
        for region in regions:
            on = demo_date(registry, region)
            policy = registry.policy(region, on=on)
            peers = [peer for peer in args.peers.split(",") if peer]
            calls = {
                "ability2": lambda path=csv_path, policy=policy: run_ability2(path, policy),
                "polars": lambda path=csv_path, policy=policy: polars_pass(path, policy),
                "duckdb": lambda path=csv_path, policy=policy: duckdb_pass(path, policy),
                "pandas": lambda path=csv_path, policy=policy: run_pandas(path, policy),
            }
            seconds, values = timed_alternating({name: calls[name] for name in ("ability2", *peers)}, args.rounds)
            result = values["ability2"]
            ours_teachers = np.asarray(result.status, dtype=object)
            ours_schools = pd.Series(result.school_status(), index=result.school_names)
            same = {}
            for peer in peers:
                status, school_status = values[peer]
                same[peer] = bool((ours_teachers == status).all()) and bool(
                    (ours_schools.reindex(school_status.index) == school_status).all()
                )
            if not all(same.values()):
                print(f"MISMATCH {region} {size}: {same}", file=sys.stderr)
                return 1
            one_sided = [
                column.rule
                for column in result.school_columns
                if np.asarray(column.ok, dtype=bool).all() or not np.asarray(column.ok, dtype=bool).any()
            ]
            if one_sided:
                print(f"note: {region} {size}: every school gets the same verdict on {one_sided}", file=sys.stderr)
            memory = None if args.no_memory else peak_memory_mb(csv_path, region, on.isoformat())
            row = {
                "teachers": size,
                "region": region,
                "ability2_s": round(seconds["ability2"], 3),
                **{f"{peer}_s": round(seconds[peer], 3) if peer in seconds else None for peer in PEERS},
                **{
                    f"vs_{peer}": round(seconds["ability2"] / seconds[peer], 3) if peer in seconds else None
                    for peer in PEERS
                },
                "peak_mb": None if memory is None else round(memory),
                "teachers_per_s": int(size / seconds["ability2"]),
                "failing_schools": int((ours_schools == "fail").sum()),
                "school_rules_one_sided": one_sided,
                "schools": len(ours_schools),
                "same_verdicts": all(same.values()),
            }
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    largest = max(sizes)
    extras = {"import_s": round(import_time(), 3)}
    read_ours, read_pandas = csv_read_time(cohort(largest))
    extras.update({"csv_read_s": round(read_ours, 3), "pandas_read_csv_s": round(read_pandas, 3), "csv_rows": largest})
    scaling = {}
    for region in regions:
        by_size = {r["teachers"]: r["ability2_s"] for r in rows if r["region"] == region}
        if 1_000_000 in by_size and 100_000 in by_size:
            scaling[region] = round(by_size[1_000_000] / by_size[100_000], 2)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"rows": rows, "extras": extras, "scaling_1m_100k": scaling}, ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
    header = "| teachers | region | ability2 s | polars s | duckdb s | pandas s | ÷ polars | ÷ duckdb | ÷ pandas | peak MB | teachers/s | failing schools | same verdicts |"
    lines = [header, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(
            f"| {r['teachers']:,} | {r['region']} | {r['ability2_s']} | {_cell(r['polars_s'])} | {_cell(r['duckdb_s'])} | {_cell(r['pandas_s'])} "
            f"| {_cell(r['vs_polars'])} | {_cell(r['vs_duckdb'])} | {_cell(r['vs_pandas'])} | {r['peak_mb'] or '-'} | {r['teachers_per_s']:,} "
            f"| {r['failing_schools']:,} / {r['schools']:,} | {'yes' if r['same_verdicts'] else 'NO'} |"
        )
    print("\n".join(lines))
    print()
    print(
        f"import ability2: {extras['import_s']} s; read_roster CSV of {largest:,} rows: {extras['csv_read_s']} s (pandas.read_csv alone: {extras['pandas_read_csv_s']} s)"
    )
    if scaling:
        print("1M / 100k time: " + ", ".join(f"{k} {v}×" for k, v in scaling.items()))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {dt.date.today()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
