"""Benchmark: start-up time of ``import ability2``, ``ability2 regions`` and ``load_registry()``.

Issue 11, target 6: ``import ability2`` under 100 ms, ``ability2 regions`` under 250 ms.

Every measurement is a fresh process, as a user's shell starts one. Before timing, the
script byte-compiles ability2 and the seed plugins (``compileall``) and runs each command
once with bytecode writing allowed (``PYTHONDONTWRITEBYTECODE`` removed from the
environment), so that every module is read from its ``.pyc`` as in a normal install; a
run that recompiled every source file would measure the compiler instead. Times are
medians of ``--runs`` runs (with the fastest run beside it: on a shared machine the
median moves with the neighbours' load, the minimum much less) and the CPU time the process
itself used (user + system, from ``wait4``), which the neighbours disturb far less than the
clock.

The commands run with ability2's parse cache of policy YAML (:mod:`ability2.yamlcache`) in
a folder of the benchmark's own, filled by the warm-up run, as a user's second command finds
it; ``ability2 regions`` is measured once more with the cache off (``ABILITY2_CACHE_DIR=off``:
every policy file parsed, as the first command after an install or an edit).

Measured:

- ``python -c pass``: the bare interpreter (the floor every command pays);
- ``python -c "import ability2"``;
- ``python -m ability2 regions`` (output to ``/dev/null``, as a script or a pipe reads it:
  the table is written without rich; at a terminal rich prints it, some 40 ms more), and the
  ``ability2`` console script when it sits beside the interpreter;
- ``load_registry()`` alone: the call itself, timed inside a fresh process after its
  imports, and the whole process ``import ability2; ability2.load_registry()``.

Usage::

    python benchmarks/startup.py              # 11 runs of each (about half a minute)
    python benchmarks/startup.py --runs 1     # a smoke run: checks that every command works
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: the in-process timing of load_registry(): imports first, then the call alone
LOAD_ONLY = (
    "import time, ability2.registry as r\n"
    "start = time.perf_counter()\n"
    "r.load_registry()\n"
    "print(time.perf_counter() - start)\n"
)


def environment() -> dict[str, str]:
    """The caller's environment with bytecode writing allowed (a user's shell has no PYTHONDONTWRITEBYTECODE)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_sources() -> None:
    """Byte-compile ability2 and the seed plugins, as an install does."""
    import ability2

    folders = [Path(ability2.__file__).resolve().parent]
    folders += sorted(path for path in (ROOT / "plugins").glob("*/src") if path.is_dir())
    for folder in folders:
        compileall.compile_dir(str(folder), quiet=1)


def wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of one fresh process (its output discarded)."""
    return timed(command, env)[0]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one fresh process, its output discarded."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    return elapsed, usage.ru_utime + usage.ru_stime


def reported(command: list[str], env: dict[str, str]) -> float:
    """The number of seconds a fresh process prints on its last line."""
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="fresh processes per measurement (default 11)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to measure (default: this one)")
    args = parser.parse_args()
    python = args.python
    env = environment()
    cache = tempfile.TemporaryDirectory(prefix="ability2-startup-cache-")
    env["ABILITY2_CACHE_DIR"] = cache.name
    uncached = {**env, "ABILITY2_CACHE_DIR": "off"}
    compile_sources()
    script = Path(python).parent / "ability2"
    cases: list[tuple[str, list[str], str, dict[str, str]]] = [
        ("`python -c pass` (bare interpreter)", [python, "-c", "pass"], "", env),
        ('`python -c "import ability2"`', [python, "-c", "import ability2"], "< 100 ms", env),
        ("`python -m ability2 regions`", [python, "-m", "ability2", "regions"], "< 250 ms", env),
        ("`python -m ability2 regions`, cache off", [python, "-m", "ability2", "regions"], "", uncached),
    ]
    if script.is_file():
        cases.append(("`ability2 regions` (console script)", [str(script), "regions"], "< 250 ms", env))
    cases.append(
        (
            "`import ability2; ability2.load_registry()` (process)",
            [python, "-c", "import ability2; ability2.load_registry()"],
            "",
            env,
        )
    )
    for _, command, _, case_env in cases:  # warm-up: writes any .pyc still missing, fills the caches
        wall(command, case_env)
    reported([python, "-c", LOAD_ONLY], env)
    rows: list[tuple[str, list[float], list[float] | None, str]] = []
    for label, command, target, case_env in cases:
        runs = [timed(command, case_env) for _ in range(args.runs)]
        rows.append((label, [w for w, _ in runs], [c for _, c in runs], target))
    rows.append(
        (
            "`load_registry()` alone (in a fresh process, after its imports)",
            [reported([python, "-c", LOAD_ONLY], env) for _ in range(args.runs)],
            None,
            "",
        )
    )
    cache.cleanup()
    print(f"{args.runs} fresh processes each; {python}")
    print()
    print("| what | median ms | fastest ms | CPU median ms | CPU least ms | target |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for label, times, cpu, target in rows:
        cpu_cells = "- | -" if cpu is None else f"{statistics.median(cpu) * 1000:.0f} | {min(cpu) * 1000:.0f}"
        print(f"| {label} | {statistics.median(times) * 1000:.0f} | {min(times) * 1000:.0f} | {cpu_cells} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
