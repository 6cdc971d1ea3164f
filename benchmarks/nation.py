"""Benchmark: a national cohort through the Dask engine (issue 12, item 2), on this machine's LocalCluster.

A synthetic national cohort (default 18.8M teachers, about 940,000 schools, 20 a school) is
generated in chunks (``run.cohort`` per chunk, its schools and teacher ids made distinct by
the chunk's number) and written to Parquet, each chunk as two files that split its rows in
half, so that nearly every school is spread over two files and the engine's shuffle by
school has work to do. Each school is in one of the installed regions (column ``地区``, the
region's GB/T 2260 code, or its id when it has none; picked by a hash of the school), so
every part mixes regions and each row is judged by its own region's policy (issue 12, item
4): a synthetic file cannot use the 31 provinces' real codes, since a region no installed
plugin declares is a row error. Then:

1. ``evaluate_dask`` on a LocalCluster of 2 worker processes (1 thread each), and again
   with 1 worker: total seconds (a fresh cluster each, started before the clock; the
   median of ``--repeat`` runs), teachers per second per worker, the CPU seconds each
   worker used (this machine is shared: the CPU seconds say what the work costs when other
   processes take turns on the cores), and each worker's peak resident set (``VmHWM``, read
   on the workers after the run; the target is under 2 GB);
2. the verdicts on a subset (default the first 2M teachers, one Parquet file) from the
   one-machine partitioned path (``evaluate_partitioned``, 2 processes) against the Dask
   engine's on the same rows: the teachers, groups and schools tables, the totals and the
   roll-up by province, city and county must be identical (the roll-up is printed).

Prints a markdown table and what the measured throughput per worker implies for 32 workers.

Usage::

    python benchmarks/nation.py                          # 18.8M teachers (about 20 minutes here)
    python benchmarks/nation.py --size 2000000 --repeat 3  # 2M, the median of three runs
    python benchmarks/nation.py --size 20000             # the CI smoke run (well under a minute of work)
    python benchmarks/nation.py --data /big/disk/nation  # keep the generated files (reused when present)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
from run import cohort

PROVINCES = 31


def generate(folder: Path, size: int, chunk: int, regions: list[str]) -> list[Path]:
    """The cohort in Parquet files (two per chunk), generated chunk by chunk; reused when already there.

    ``regions``: the values of the region column, one per school by a hash of the school.
    """
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.json"
    wanted = {"size": size, "chunk": chunk, "regions": regions}
    if manifest.exists() and json.loads(manifest.read_text())["spec"] == wanted:
        return [folder / name for name in json.loads(manifest.read_text())["files"]]
    for old in folder.glob("chunk-*.parquet"):
        old.unlink()
    files: list[Path] = []
    start = time.perf_counter()
    for k, first in enumerate(range(0, size, chunk)):
        n = min(chunk, size - first)
        frame = pl.from_pandas(cohort(n, seed=2022 + k))
        province = k % PROVINCES
        frame = frame.with_columns(
            (pl.lit(f"P{province:02d}-C{k:03d}-") + pl.col("school")).alias("school"),
            (pl.lit(f"N{k:03d}") + pl.col("teacher_id")).alias("teacher_id"),
        )
        where = (pl.col("school").hash(seed=3) % len(regions)).cast(pl.Int64)
        region = where.replace_strict(list(range(len(regions))), regions, return_dtype=pl.String)
        frame = frame.insert_column(2, frame.select(region.alias("地区")).to_series())
        half = n // 2
        for part, rows in (("a", frame.slice(0, half)), ("b", frame.slice(half))):
            path = folder / f"chunk-{k:03d}-{part}.parquet"
            rows.write_parquet(path, compression="zstd")
            files.append(path)
        print(f"  generated {first + n:,} of {size:,} teachers ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    manifest.write_text(json.dumps({"spec": wanted, "files": [p.name for p in files]}))
    return files


def _peak_mb() -> float:
    """This process's peak resident set, MB (run on each worker)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        found = re.search(r"VmHWM:\s+(\d+)", handle.read())
    return int(found.group(1)) / 1024 if found else float("nan")


def _cpu_seconds() -> float:
    """CPU seconds this process has used, user and system (run on each worker)."""
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def _warm() -> None:
    """Import on a worker what every task imports (so that the clock measures the work)."""
    import ability2.evaluation
    import ability2.io.roster
    import ability2.reports.distributed  # noqa: F401


def run_dask(files: list[Path], policy: Any, out: Path, workers: int) -> dict[str, Any]:
    """One evaluation on a fresh LocalCluster of ``workers`` processes: seconds, totals, peak MB per worker."""
    from distributed import Client, LocalCluster

    from ability2.reports.distributed import evaluate_dask

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        client.run(_warm)
        before = client.run(_cpu_seconds)
        start = time.perf_counter()
        outcome = evaluate_dask([str(f) for f in files], policy, out, client=client)
        seconds = time.perf_counter() - start
        after = client.run(_cpu_seconds)
        peaks = client.run(_peak_mb)
    return {
        "seconds": seconds,
        "cpu": sum(after[w] - before[w] for w in after),
        "totals": outcome.totals,
        "parts": outcome.parts,
        "peaks": sorted(peaks.values()),
    }


def compare_subset(files: list[Path], policy: Any, folder: Path) -> dict[str, Any]:
    """The one-machine partitioned path and the Dask engine on the same rows: identical tables?"""
    from distributed import Client, LocalCluster

    from ability2.reports.distributed import evaluate_dask
    from ability2.reports.partitioned import evaluate_partitioned

    folder.mkdir(parents=True, exist_ok=True)
    single = folder / "subset.parquet"
    pl.concat([pl.read_parquet(f) for f in files]).write_parquet(single)
    start = time.perf_counter()
    one = evaluate_partitioned(single, policy, folder / "one", workers=2)
    one_seconds = time.perf_counter() - start
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40) as c,
        Client(c, set_as_default=False) as client,
    ):
        client.run(_warm)
        start = time.perf_counter()
        dask = evaluate_dask([str(f) for f in files], policy, folder / "dask", client=client)
        dask_seconds = time.perf_counter() - start
    same = {}
    for name, key, drop in (
        ("teachers", ["teacher_id"], {"one": ["row"], "dask": ["file", "row"]}),
        ("groups", ["school", "group"], {"one": [], "dask": []}),
        ("schools", ["school"], {"one": [], "dask": []}),
    ):
        left = one.table(name).collect().drop(drop["one"]).sort(key)
        right = dask.table(name).collect().drop(drop["dask"]).sort(key)
        # parts of several regions join their rule columns in the order they come: compare by name
        same[name] = left.select(sorted(left.columns)).equals(right.select(sorted(right.columns)))
    same["totals"] = one.totals == dask.totals
    same["rollup"] = dict(one.regions) == dict(dask.regions) and one.rollup().equals(dask.rollup())
    return {
        "rollup": one.rollup(),
        "teachers": one.totals.teachers,
        "same": same,
        "one_seconds": one_seconds,
        "dask_seconds": dask_seconds,
        "one_parts": one.parts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=18_800_000, help="teachers (default 18,800,000)")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="teachers generated at a time (two files each)")
    parser.add_argument("--workers", default="2,1", help="worker counts to run, comma-separated (default 2,1)")
    parser.add_argument("--subset", type=int, default=2_000_000, help="teachers checked against the one-machine path")
    parser.add_argument(
        "--region", default="cn", help="the region every school's must be within (default cn: the nation)"
    )
    parser.add_argument("--on", default="2024-06-01")
    parser.add_argument("--data", help="a folder for the generated files, kept and reused (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each worker count (the median is shown)")
    args = parser.parse_args(argv)

    import ability2

    policy = ability2.load_registry().policy(args.region, on=dt.date.fromisoformat(args.on))
    chunk = min(args.chunk, args.size)
    scratch = Path(tempfile.mkdtemp(prefix="ability2-nation-"))
    try:
        data = Path(args.data) if args.data else scratch / "data"
        start = time.perf_counter()
        registry = ability2.load_registry()
        regions = [r.code or r.id for r in registry.regions() if registry.effective_from(r) is not None]
        files = generate(data, args.size, chunk, regions)
        generated = time.perf_counter() - start
        pairs = zip(files[::2], files[1::2], strict=True)
        schools = sum(pl.scan_parquet(list(p)).select(pl.col("school").n_unique()).collect().item() for p in pairs)
        print(
            f"cohort: {args.size:,} teachers, about {schools:,} schools, {len(files)} Parquet files "
            f"({sum(f.stat().st_size for f in files) / 1024**2:,.0f} MB; generated in {generated:.0f} s)"
        )
        print()
        print(
            "| workers | teachers | parts | seconds | teachers/s | teachers/s per worker | worker CPU s | "
            f"teachers per CPU s | peak MB per worker |  ({args.region}; median of {args.repeat})"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        measured: dict[int, dict[str, Any]] = {}
        for workers in (int(w) for w in args.workers.split(",")):
            runs = []
            for _ in range(args.repeat):
                runs.append(run_dask(files, policy, scratch / f"out-{workers}", workers))
                shutil.rmtree(scratch / f"out-{workers}", ignore_errors=True)
            run = {
                **runs[0],
                "seconds": statistics.median(r["seconds"] for r in runs),
                "cpu": statistics.median(r["cpu"] for r in runs),
                "peaks": [max(r["peaks"][k] for r in runs) for k in range(workers)],
                "all": [round(r["seconds"], 1) for r in runs],
            }
            if len({r["totals"] for r in runs}) != 1:
                raise SystemExit(f"the runs with {workers} workers disagree")
            measured[workers] = run
            rate = args.size / run["seconds"]
            peaks = " / ".join(f"{p:,.0f}" for p in run["peaks"])
            print(
                f"| {workers} | {run['totals'].teachers:,} | {run['parts']} | {run['seconds']:.1f} | {rate:,.0f} | "
                f"{rate / workers:,.0f} | {run['cpu']:.0f} | {args.size / run['cpu']:,.0f} | {peaks} |",
                flush=True,
            )
        print()
        print("runs (s): " + "; ".join(f"{w} workers {r['all']}" for w, r in measured.items()))
        totals = {w: r["totals"] for w, r in measured.items()}
        if len(set(totals.values())) != 1:
            raise SystemExit(f"the runs disagree: {totals}")
        print()
        subset_files = files[: 2 * max(1, -(-min(args.subset, args.size) // chunk))]
        check = compare_subset(subset_files, policy, scratch / "subset")
        verdict = "identical" if all(check["same"].values()) else f"DIFFERENT: {check['same']}"
        print(
            f"subset of {check['teachers']:,} teachers: one-machine partitioned path ({check['one_parts']} parts, "
            f"2 processes) {check['one_seconds']:.1f} s, Dask (2 workers) {check['dask_seconds']:.1f} s; "
            f"tables, totals and roll-up {verdict}"
        )
        from ability2.rollup import rollup_rows

        provinces = check["rollup"].filter(pl.col("level").is_in(["nation", "province"]))
        header, lines = rollup_rows(provinces, "zh")
        print("\nroll-up of the subset (nation and provinces):\n")
        print("| " + " | ".join(header) + " |")
        print("|" + " --- |" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
        if args.size < 1_000_000:
            print("\n(at this size the fixed cost of starting the work dominates: the figures below mean little)")
        most = max(measured)
        per_worker = args.size / measured[most]["seconds"] / most
        per_cpu = args.size / measured[most]["cpu"]
        if 1 in measured and most > 1:
            speedup = measured[1]["seconds"] / measured[most]["seconds"]
            print(f"\n{most} workers vs 1: {speedup:.2f}x ({speedup / most:.0%} of linear)")
        print(
            f"32 workers: at the measured {per_worker:,.0f} teachers/s per worker, 18.8M teachers take about "
            f"{18_800_000 / (32 * per_worker):,.0f} s; at {per_cpu:,.0f} teachers per CPU second (a worker with a "
            f"core of its own), about {18_800_000 / (32 * per_cpu):,.0f} s; the shuffle's network traffic on a real "
            "cluster and the scheduler's overhead come on top"
        )
        if not all(check["same"].values()):
            return 1
        worst = max(p for run in measured.values() for p in run["peaks"])
        print(f"largest worker peak: {worst:,.0f} MB (target: under 2,048 MB)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
