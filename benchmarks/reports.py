"""Benchmark: every output format of ``ability2 evaluate`` against read + evaluate alone.

For one synthetic cohort (``run.cohort``, written to CSV once) and one region, each format
runs in a fresh process (load the registry, ``read_roster``, ``evaluate``, then
``write_report`` or ``write_tables``, as ``ability2 evaluate ROSTER --format F -o OUT``
does), so each peak resident set (``VmHWM``) is that format's own. Reported: seconds and CPU
seconds of the whole process; the ratio to read + evaluate measured **in the same process**
(``paired``: whole ÷ its own read + evaluate, in wall and CPU time, which a shared machine's
load affects far less than a ratio across processes); the ratio to the separate
read + evaluate process (``÷ read + evaluate``); peak MB (issue 11: at most 3×, under
1 GB) and the size written. Medians of ``--repeat`` runs.

``write floor ÷`` is the paired ratio no writer of those bytes can beat on this machine:
after the report, the child writes as many zero bytes to a new file in the same folder,
8 MB per ``os.write``, and reports (read + evaluate + that time) ÷ read + evaluate. It is
what a renderer that cost nothing would reach with every byte written behind it. On a
virtual machine whose host backs the guest's memory lazily, writing a large file into the
page cache can take seconds (see the README), and this column shows how much of a large
report's time is that.

Usage::

    python benchmarks/reports.py                          # 1,000,000 teachers, every format
    python benchmarks/reports.py --size 100000 --formats json,jsonl,csv
    python benchmarks/reports.py --keep /tmp/c1m.csv         # keep the generated cohort ...
    python benchmarks/reports.py --roster /tmp/c1m.csv --repeat 3   # ... and reuse it
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from run import REGIONS, cohort

FORMATS = ("json", "jsonl", "csv", "parquet", "xlsx", "html")

_CHILD = """
import datetime, json, re, sys, time
start, cpu = time.perf_counter(), time.process_time()
roster, region, on, fmt, out = sys.argv[1:6]
import ability2
policy = ability2.load_registry().policy(region, on=datetime.date.fromisoformat(on))
result = ability2.evaluate(ability2.read_roster(roster), policy)
evaluated, evaluated_cpu = time.perf_counter() - start, time.process_time() - cpu
if fmt in ("csv", "parquet"):
    from ability2.reports.export import write_tables
    write_tables(result, out, fmt)
elif fmt != "none":
    from ability2.reports import write_report
    write_report(result, out, fmt)
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
import os, pathlib
path = pathlib.Path(out)
size = sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else path.stat().st_size if path.exists() else 0
floor, block, fd = time.perf_counter(), bytes(8 << 20), os.open(out + ".floor", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
for done in range(0, size, len(block)):  # the same bytes, written as fast as this disk takes them
    os.write(fd, block[: min(len(block), size - done)])
os.close(fd)
floor = time.perf_counter() - floor
os.unlink(out + ".floor")
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "paired": seconds / evaluated,
                  "paired_cpu": cpu / evaluated_cpu, "floor": (evaluated + floor) / evaluated}))
"""


def run_format(roster: Path, region: str, on: str, fmt: str, folder: Path) -> dict[str, object]:
    """One fresh process: time, peak memory and bytes written for ``fmt`` (``none``: read + evaluate)."""
    out = folder / ("tables" if fmt in ("csv", "parquet") else f"report.{fmt}")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(roster), region, on, fmt, str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    if out.is_dir():
        measured["written_mb"] = sum(p.stat().st_size for p in out.iterdir()) / 1024**2
        shutil.rmtree(out)
    elif out.exists():
        measured["written_mb"] = out.stat().st_size / 1024**2
        out.unlink()
    return measured


def _median(runs: list[dict[str, object]], key: str) -> float:
    values = sorted(float(str(run[key])) for run in runs)
    return values[len(values) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument(
        "--region",
        default="shandong/jining/yanzhou",
        help="one region, several comma-separated, or 'all' (run.REGIONS)",
    )
    parser.add_argument("--on", default="2024-06-01")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per format; the median is reported")
    parser.add_argument(
        "--roster",
        type=Path,
        help="a cohort CSV to read (made once with --keep, reused: generating 1M takes about 15 s)",
    )
    parser.add_argument("--keep", type=Path, help="write the generated cohort CSV here too, for --roster")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        roster = args.roster or folder / "roster.csv"
        if args.roster is None:
            cohort(args.size).to_csv(roster, index=False)
            if args.keep is not None:
                shutil.copyfile(roster, args.keep)
        regions = REGIONS if args.region == "all" else tuple(args.region.split(","))
        print(
            "| region | format | seconds | CPU s | paired ÷ | paired CPU ÷ | write floor ÷ | ÷ read + evaluate | peak MB "
            "| written MB |"
            f"  ({args.size:,} teachers, median of {args.repeat})"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for region in regions:
            base = None
            for fmt in ["none", *args.formats.split(",")]:
                runs = [run_format(roster, region, args.on, fmt, folder) for _ in range(args.repeat)]
                seconds = _median(runs, "seconds")
                if fmt == "none":
                    base = seconds
                assert base is not None
                label = "read + evaluate" if fmt == "none" else fmt
                written = runs[0].get("written_mb")
                print(
                    f"| {region} | {label} | {seconds:.1f} | {_median(runs, 'cpu'):.1f} "
                    f"| {_median(runs, 'paired'):.2f} | {_median(runs, 'paired_cpu'):.2f} | {_median(runs, 'floor'):.2f} "
                    f"| {seconds / base:.2f} "
                    f"| {_median(runs, 'peak_mb'):,.0f} | {'-' if written is None else f'{float(str(written)):,.0f}'} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
