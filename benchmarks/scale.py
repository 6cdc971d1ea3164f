"""Benchmark: how read + evaluate grows with the cohort, in fresh processes (time and peak memory).

For each size, a synthetic cohort (``run.cohort``) is written to CSV, then a fresh process
reads it with ``read_roster`` and evaluates it (``evaluate``), reporting seconds and its
peak resident set (``VmHWM``). The ratio of each size's time to the previous one shows
whether the work grows linearly (issue 11: 10M ÷ 1M at most 10.5×). Runs are repeated
and the median reported.

Usage::

    python benchmarks/scale.py                                 # 1M and 10M (10M needs about 12 GB to generate)
    python benchmarks/scale.py --sizes 100000,1000000 --repeat 3
    python benchmarks/scale.py --region all                    # every seed region on the same cohorts

Each size's cohort is generated once and read by every region; the regions take turns
within each repetition, so that a slow minute of the machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import REGIONS, cohort

_CHILD = """
import datetime, json, re, sys, time
import ability2, ability2.limits
roster_path, region, on = sys.argv[1:4]
ability2.limits.configure(max_rows=100_000_000, max_file_bytes=64 * 1024**3)  # past a province: the nation
policy = ability2.load_registry().policy(region, on=datetime.date.fromisoformat(on))
start = time.perf_counter()  # start-up and the registry are not part of the work that grows
roster = ability2.read_roster(roster_path, framework=policy.framework)
read = time.perf_counter() - start
ability2.evaluate(roster, policy)
peak = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
print(json.dumps({"seconds": time.perf_counter() - start, "read": read, "peak_mb": peak}))
"""


def measure(path: Path, region: str, on: str) -> dict[str, float]:
    """Read + evaluate ``path`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), region, on], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"read + evaluate of {path} failed:\n{done.stderr}")
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument(
        "--region",
        default="shandong/jining/yanzhou",
        help="one region, several comma-separated, or 'all' (run.REGIONS)",
    )
    parser.add_argument("--on", default="2024-06-01")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    regions = REGIONS if args.region == "all" else tuple(args.region.split(","))
    print(
        f"| region | teachers | read + evaluate s | of which read s | peak MB | × previous size |  (medians of {args.repeat})"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    previous: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as name:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(name) / f"c{size}.csv"
            cohort(size).to_csv(path, index=False)
            runs: dict[str, list[dict[str, float]]] = {region: [] for region in regions}
            for _ in range(args.repeat):
                for region in regions:
                    runs[region].append(measure(path, region, args.on))
            for region in regions:
                seconds = statistics.median(r["seconds"] for r in runs[region])
                read = statistics.median(r["read"] for r in runs[region])
                peak = statistics.median(r["peak_mb"] for r in runs[region])
                growth = f"{seconds / previous[region]:.2f}" if region in previous else "-"
                print(f"| {region} | {size:,} | {seconds:.2f} | {read:.2f} | {peak:,.0f} | {growth} |", flush=True)
                previous[region] = seconds
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
