"""Benchmark: every output format of ``ability2 evaluate`` against read + evaluate alone.

For one synthetic cohort (``run.cohort``, written to CSV once) and one region, each format
runs in a fresh process (``ability2 evaluate ROSTER --format F -o OUT``), so each peak
resident set (``VmHWM``) is that format's own. The baseline is the same process reading the
roster and evaluating it with no output. Reported: seconds, the ratio to the baseline
(issue 11 asks for at most 3×), peak MB (at most 1 GB) and the size written.

Usage::

    python benchmarks/reports.py                          # 1,000,000 teachers, every format
    python benchmarks/reports.py --size 100000 --formats json,jsonl,csv
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

from run import cohort

FORMATS = ("json", "jsonl", "csv", "parquet", "xlsx", "html")

_CHILD = """
import json, re, sys, time
start = time.perf_counter()
roster, region, on, fmt, out = sys.argv[1:6]
if fmt == "none":
    import datetime, ability2
    policy = ability2.load_registry().policy(region, on=datetime.date.fromisoformat(on))
    ability2.evaluate(ability2.read_roster(roster), policy)
    code = 0
else:
    from ability2.cli import main
    code = main(["evaluate", roster, "--region", region, "--on", on, "--format", fmt, "-o", out])
peak = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
print(json.dumps({"code": code, "seconds": time.perf_counter() - start, "peak_mb": peak}))
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--region", default="shandong/jining/yanzhou")
    parser.add_argument("--on", default="2024-06-01")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--repeat", type=int, default=1, help="runs per format; the median is reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        roster = folder / "roster.csv"
        cohort(args.size).to_csv(roster, index=False)
        print(
            f"| format | seconds | ÷ read + evaluate | peak MB | written MB |  ({args.size:,} teachers, {args.region})"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        base = None
        for fmt in ["none", *args.formats.split(",")]:
            runs = [run_format(roster, args.region, args.on, fmt, folder) for _ in range(args.repeat)]
            runs.sort(key=lambda r: float(str(r["seconds"])))
            median = runs[len(runs) // 2]
            seconds = float(str(median["seconds"]))
            base = seconds if fmt == "none" else base
            assert base is not None
            label = "read + evaluate" if fmt == "none" else fmt
            written = median.get("written_mb")
            print(
                f"| {label} | {seconds:.1f} | {seconds / base:.1f} | {float(str(median['peak_mb'])):,.0f} | "
                f"{'-' if written is None else f'{float(str(written)):,.0f}'} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
