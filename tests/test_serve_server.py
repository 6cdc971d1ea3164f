"""`ability2 serve` as a real server on 127.0.0.1: started by the test, checked end to end, stopped.

The server runs two worker processes with a small body limit and a row limit, so that the
settings are seen to reach every worker; then every ``curl`` line of the docs page
(``docs/serve.md``) runs against it and must answer the status its comment names (200 when
none).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "serve.md"
DOCS_BASE = "http://127.0.0.1:8000"
YANZHOU = "shandong/jining/yanzhou"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "ability2",
        "serve",
        "--port",
        str(port),
        "--workers",
        "2",
        "--max-body",
        "1M",
        "--limit",
        "max_rows=500",
        "--log-level",
        "warning",
    ]
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within 90 s:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail("the server did not stop within 60 s of SIGTERM")
    # stopped: the port is free again
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    assert "Traceback" not in log.read_text(errors="replace")


def test_end_to_end(server: str, tmp_path: Path) -> None:
    from ability2.cli import main
    from ability2.demo import sample_roster_path
    from ability2.service.openapi import document

    assert httpx.get(f"{server}/openapi.json").json() == document()
    roster = Path(str(sample_roster_path())).read_bytes()
    out = tmp_path / "cli.json"
    assert (
        main(
            [
                "evaluate",
                str(sample_roster_path()),
                "--region",
                YANZHOU,
                "--on",
                "2022-11-20",
                "--format",
                "json",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    for _ in range(4):  # several requests, so that both workers are likely to answer one
        response = httpx.post(
            f"{server}/evaluate",
            params={"region": "370812", "on": "2022-11-20"},
            files={"roster": ("school.csv", roster)},
        )
        assert response.status_code == 200
        assert response.json() == json.loads(out.read_text(encoding="utf-8"))


def test_the_settings_reach_the_workers(server: str) -> None:
    header, *rows = Path(_sample()).read_text(encoding="utf-8-sig").splitlines()
    many = [header] + [re.sub(r"^BT\d+", f"T{i:04d}", rows[i % len(rows)]) for i in range(600)]
    for _ in range(4):
        response = httpx.post(
            f"{server}/evaluate",
            params={"region": YANZHOU},
            content="\n".join(many).encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 422
        assert response.json()["problems"][0]["code"] == "roster.too_many_rows"
        large = httpx.post(
            f"{server}/evaluate",
            params={"region": YANZHOU},
            content=b"x" * (1024**2 + 1),
            headers={"Content-Type": "text/csv"},
        )
        assert large.status_code == 413 and large.json()["code"] == "body_too_large"


def _sample() -> str:
    from ability2.demo import sample_roster_path

    return str(sample_roster_path())


def curl_lines() -> list[tuple[str, int]]:
    """Every ``curl`` line of the page's bash blocks, with the status its comment names."""
    text = PAGE.read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, re.S | re.M):
        for line in block.splitlines():
            if line.strip().startswith("curl "):
                command, _, comment = line.partition("  #")
                status = re.search(r"answers (\d{3})", comment)
                lines.append((command.strip(), int(status.group(1)) if status else 200))
    return lines


def test_the_docs_page_has_a_curl_line_for_every_endpoint() -> None:
    from ability2.service.openapi import document

    paths = [re.sub(r"\{[^}]+\}", "[^?']+", path) for path in document()["paths"]]
    commands = [command for command, _ in curl_lines()]
    for path in paths:
        assert any(re.search(rf"8000{path}(\?|'|$| )", command) for command in commands), path


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_docs_curl_lines_run(server: str, tmp_path: Path) -> None:
    import pandas as pd

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(_sample(), work / "school.csv")
    pd.read_csv(work / "school.csv", dtype=str, keep_default_na=False).to_excel(work / "school.xlsx", index=False)
    (work / "schools.csv").write_text(
        "学校,信息化管理团队,首席信息官,研修活动实施方案,发展规划已备案\n白塔示范小学(样例),是,是,是,否\n",
        encoding="utf-8",
    )
    (work / "what-if.yaml").write_text("hours.online_min: 40\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    for command, expected in curl_lines():
        words = shlex.split(command.replace(DOCS_BASE, server))
        words[1:1] = ["-sS", "-w", "\n%{http_code}"]
        done = subprocess.run(words, cwd=work, capture_output=True, timeout=120, check=False, env=env)
        assert done.returncode == 0, (command, done.stderr)
        status = int(done.stdout.rsplit(b"\n", 1)[-1])
        assert status == expected, (command, done.stdout[-1000:])
    assert (work / "report.xlsx").read_bytes()[:2] == b"PK"
    assert (work / "yanzhou.ics").read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")
