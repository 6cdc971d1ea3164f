"""Benchmark: ``ability2 serve`` under load, on the loopback address only.

Starts ``ability2 serve`` on 127.0.0.1 (a free port) with ``--workers`` processes, then
``--clients`` concurrent clients each post a roster of ``--teachers`` teachers (the seeded
synthetic cohort of ``run.py``, as a CSV upload) to ``POST /evaluate`` and wait for the
JSON, again and again, for ``--seconds`` seconds (and at most ``--max-requests`` requests in
all); then the server is stopped. Reported: requests, errors (any answer but 200, any
transport failure), requests per second, latency percentiles, and the resident memory of
the server's processes (the supervisor and its workers, ``VmRSS`` summed) after a warm-up,
at the end, and its peak over samples taken every second.

The clients run in this process (asyncio, httpx) on the same machine, so they take CPU
from the server: the figures are the service's on what is left of two cores.

Usage::

    python benchmarks/serve.py                                   # 50 clients, 60 s, 2 workers, 1,000 teachers
    python benchmarks/serve.py --clients 4 --seconds 5           # the smoke run CI does

Exits 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def roster_csv(teachers: int) -> bytes:
    sys.path.insert(0, str(HERE))
    from run import cohort

    return str(cohort(teachers).to_csv(index=False)).encode("utf-8")


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and its descendants, MB."""
    total = 0
    for member in tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and its living descendants."""
    total = 0
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def start_server(port: int, workers: int, timeout: float, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "ability2",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--timeout",
        str(timeout),
        "--log-level",
        "warning",
    ]
    with open(log, "wb") as sink:  # a file, not a pipe nobody reads: a full pipe would stall the server
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not answer within 120 s")


async def load(
    base: str, roster: bytes, params: dict[str, str], clients: int, seconds: float, max_requests: int, server: int
) -> tuple[list[float], list[str], list[float], float]:
    latencies: list[float] = []
    errors: list[str] = []
    memory: list[float] = []
    sent = 0
    end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:

        async def one_client() -> None:
            nonlocal sent
            while time.monotonic() < end and sent < max_requests:
                sent += 1
                began = time.perf_counter()
                try:
                    response = await client.post(
                        "/evaluate", params=params, files={"roster": ("roster.csv", roster, "text/csv")}
                    )
                    await response.aread()
                    if response.status_code != 200:
                        errors.append(f"{response.status_code}: {response.text[:200]}")
                        continue
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - began)

        async def sample() -> None:
            while time.monotonic() < end:
                memory.append(rss_mb(server))
                await asyncio.sleep(1)

        began = time.perf_counter()
        await asyncio.gather(sample(), *(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, errors, memory, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60, help="how long they post (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--teachers", type=int, default=1000, help="teachers in the roster (default 1,000)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="requests at most, in all (default 100,000)")
    parser.add_argument("--region", default="370812")
    parser.add_argument("--on", default="2022-11-20")
    args = parser.parse_args(argv)
    roster = roster_csv(args.teachers)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    load_before = load_average()
    log = Path(tempfile.mkdtemp(prefix="ability2-serve-bench-")) / "server.log"
    server = start_server(port, args.workers, timeout=max(60.0, args.seconds), log=log)
    try:
        params = {"region": args.region, "on": args.on}
        for _ in range(2 * args.workers):  # warm-up: each worker has read a roster once
            warm = httpx.post(
                f"{base}/evaluate", params=params, files={"roster": ("roster.csv", roster, "text/csv")}, timeout=120
            )
            if warm.status_code != 200:
                raise SystemExit(f"warm-up failed: {warm.status_code} {warm.text[:500]}")
        rss_start = rss_mb(server.pid)
        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        latencies, errors, memory, elapsed = asyncio.run(
            load(base, roster, params, args.clients, args.seconds, args.max_requests, server.pid)
        )
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
        rss_end = rss_mb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
    load_after = load_average()
    done = len(latencies)
    print(
        f"# ability2 serve: {args.clients} clients, {args.workers} workers, {args.teachers:,}-teacher roster, "
        f"{args.seconds:g} s, {os.cpu_count()} cores, load average before {load_before}, after {load_after}"
    )
    print()
    print(
        "| requests | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms | RSS start MB | RSS end MB | RSS peak MB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {done + len(errors):,} | {len(errors)} | {done / elapsed:,.1f} | {percentile(latencies, 0.5) * 1000:,.0f} "
        f"| {percentile(latencies, 0.9) * 1000:,.0f} | {percentile(latencies, 0.99) * 1000:,.0f} "
        f"| {max(latencies, default=float('nan')) * 1000:,.0f} | {rss_start:,.0f} | {rss_end:,.0f} "
        f"| {max(memory, default=rss_end):,.0f} |"
    )
    quarters = [memory[min(len(memory) - 1, len(memory) * q // 4)] for q in range(5)] if memory else []
    print()
    print(f"Server RSS (MB) at 0, 25, 50, 75 and 100% of the run: {', '.join(f'{m:,.0f}' for m in quarters)}.")
    print(
        f"CPU over the run: server {server_cpu:,.1f} s ({server_cpu / elapsed:.2f} cores), "
        f"clients {client_cpu:,.1f} s ({client_cpu / elapsed:.2f} cores) of {os.cpu_count()} shared cores."
    )
    for error in errors[:5]:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        print(f"the server's log ({log}):\n{log.read_text(errors='replace')[-5000:]}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
