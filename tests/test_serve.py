"""`ability2 serve` in process: every endpoint and every error, through httpx against the ASGI app.

The service must answer what the command line's ``--json`` prints (contract §3): most
tests put the two side by side, and check the contract's own statements on the answer.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("starlette")

with warnings.catch_warnings():  # Starlette 1.x prefers the httpx2 fork; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import ability2
from ability2.cli import main
from ability2.demo import sample_roster_path
from ability2.service import create_app
from ability2.service.config import ServiceConfig
from ability2.service.limits import WorkGate
from ability2.service.negotiation import choose_language, choose_media_type
from ability2.service.problems import RequestProblem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ON = "2022-11-20"
YANZHOU = "shandong/jining/yanzhou"


@pytest.fixture(scope="module")
def registry() -> Any:
    return ability2.load_registry()


@pytest.fixture(scope="module")
def client(registry: Any) -> Any:
    with TestClient(create_app(registry=registry)) as test_client:
        yield test_client


def sample_bytes() -> bytes:
    with open(str(sample_roster_path()), "rb") as handle:
        return handle.read()


def sample_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(sample_bytes().decode("utf-8-sig"))))


def cli_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def cli_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(args) == 2
    return capsys.readouterr().err.splitlines()


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"].endswith(code) and body["title"] and body["detail"]
    assert "Traceback" not in response.text
    return body


# --------------------------------------------------------------------------- the read-only endpoints


def test_health_and_version(client: Any, registry: Any) -> None:
    from importlib.metadata import version

    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {
        "status": "ok",
        "regions": len(registry.regions()),
        "plugin_problems": {"count": 0, "plugins": []},
    }
    answer = client.get("/version").json()
    assert answer["ability2"] == version("ability2")
    by_distribution = {p["distribution"]: p for p in answer["plugins"] if p["distribution"]}
    for seed in ("ability2-hebei", "ability2-jiangsu", "ability2-liaoning", "ability2-shandong", "ability2-guangxi"):
        assert by_distribution[seed]["version"] == version(seed)
    assert YANZHOU in {region for plugin in answer["plugins"] for region in plugin["regions"]}


def test_regions_as_the_cli_lists_them(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    answer = client.get("/regions").json()
    assert answer == cli_json(["regions", "--json"], capsys)
    by_id = {region["id"]: region for region in answer}
    # contract §1 and §3.3
    assert by_id["cn"]["parent"] is None
    assert by_id[YANZHOU] == {
        "id": YANZHOU,
        "name": "兖州区",
        "level": "county",
        "parent": "shandong/jining",
        "code": "370812",
    }
    assert by_id["jiangsu/changzhou/jintan/baita"]["level"] == "school"


@pytest.mark.parametrize("path", [YANZHOU, "370812", YANZHOU.replace("/", "%2F")])
def test_policy_by_id_code_or_encoded_slashes(client: Any, path: str, capsys: pytest.CaptureFixture[str]) -> None:
    response = client.get(f"/regions/{path}/policy", params={"on": ON})
    assert response.status_code == 200
    answer = response.json()
    assert answer == cli_json(["policy", YANZHOU, "--on", ON, "--json"], capsys)
    assert answer["region"] == YANZHOU and answer["on"] == ON
    assert answer["chain"] == ["cn", "shandong", "shandong/jining", YANZHOU]
    assert all(rule["source"] for rule in answer["rules"])


def test_one_region_by_code(client: Any) -> None:
    assert client.get("/regions/370812").json()["id"] == YANZHOU
    assert client.get(f"/regions/{YANZHOU}").json()["code"] == "370812"


def test_timeline_json_and_calendar(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    baita, on = "jiangsu/changzhou/jintan/baita", "2022-04-10"
    answer = client.get(f"/regions/{baita}/timeline", params={"on": on}).json()
    assert answer == cli_json(["timeline", baita, "--on", on, "--json"], capsys)
    day = dt.date.fromisoformat(on)
    # contract §3.2: current holds every phase whose inclusive range holds `on`; the next deadline is the earliest end from `on`
    assert answer["current"] == [p for p in answer["phases"] if p["start"] <= on <= p["end"]]
    ends = sorted(p["end"] for p in answer["phases"] if dt.date.fromisoformat(p["end"]) >= day)
    assert answer["next_deadline"]["date"] == ends[0]
    calendar = client.get(f"/regions/{baita}/timeline", params={"on": on}, headers={"Accept": "text/calendar"})
    assert calendar.status_code == 200 and calendar.headers["content-type"].startswith("text/calendar")
    assert calendar.text.startswith("BEGIN:VCALENDAR") and calendar.text.count("BEGIN:VEVENT") == len(answer["phases"])


def test_forms_add_up(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    answer = client.get("/regions/370812/forms", params={"on": ON}).json()
    assert answer == cli_json(["form", "370812", "--on", ON, "--json"], capsys)
    assert answer, "兖州区 has a scoring form"
    for form in answer:  # contract §3.4: the section points add up to the total
        assert sum(section["points"] for section in form["sections"]) == form["total"]
        assert form["source"]


def test_head_is_answered_like_get(client: Any) -> None:
    assert client.head("/regions").status_code == 200


# --------------------------------------------------------------------------- evaluate


def check_evaluation(answer: dict[str, Any], rows: list[dict[str, str]]) -> None:
    """What contract §3.1 says of an evaluation."""
    assert answer["region"] == YANZHOU and answer["on"] == ON
    assert [t["teacher_id"] for t in answer["teachers"]] == [r["教师编号"] for r in rows]
    for teacher in answer["teachers"]:
        assert teacher["status"] in ("excellent", "pass", "fail", "pending")
        assert all(reason["source"] for reason in teacher["reasons"])
        if teacher["status"] == "fail":
            assert any(not reason["ok"] for reason in teacher["reasons"])
    for school in answer["schools"]:
        mine = [t for t in answer["teachers"] if t["school"] == school["school"]]
        assert school["teachers"] == len(mine)
        assert school["passed"] == sum(t["status"] in ("pass", "excellent") for t in mine)
        assert school["status"] == ("pass" if all(c["ok"] for c in school["checks"]) else "fail")


@pytest.fixture(scope="module")
def cli_evaluation(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("cli") / "result.json"
    assert (
        main(
            ["evaluate", str(sample_roster_path()), "--region", YANZHOU, "--on", ON, "--format", "json", "-o", str(out)]
        )
        == 0
    )
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def test_evaluate_an_uploaded_csv(client: Any, cli_evaluation: dict[str, Any]) -> None:
    response = client.post(
        "/evaluate", params={"region": YANZHOU, "on": ON}, files={"roster": ("school.csv", sample_bytes(), "text/csv")}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["content-language"] == "zh-CN"
    assert response.json() == cli_evaluation
    check_evaluation(response.json(), sample_rows())


def test_evaluate_a_csv_body_an_xlsx_upload_and_json_rows_alike(
    client: Any, cli_evaluation: dict[str, Any], tmp_path: Path
) -> None:
    import pandas as pd

    params = {"region": "370812", "on": ON}
    body = client.post("/evaluate", params=params, content=sample_bytes(), headers={"Content-Type": "text/csv"})
    assert body.json() == cli_evaluation
    workbook = tmp_path / "school.xlsx"
    pd.DataFrame(sample_rows()).to_excel(workbook, index=False)
    upload = client.post("/evaluate", params=params, files={"roster": ("school.xlsx", workbook.read_bytes(), XLSX)})
    assert upload.json() == cli_evaluation
    rows = client.post("/evaluate", params=params, json={"rows": sample_rows()})
    assert rows.json() == cli_evaluation


def test_json_rows_take_numbers_booleans_and_lists(client: Any) -> None:
    row = {
        "teacher_id": "T1",
        "school": "S",
        "online_hours": 30,
        "offline_hours": 30.0,
        "abilities": ["A1", "B2", "C4"],
        "grades": ["合格", "合格", "合格"],
        "excellent_video": False,
        "peer_reviews": True,
    }
    as_text = {
        **row,
        "online_hours": "30",
        "offline_hours": "30",
        "abilities": "A1;B2;C4",
        "grades": "合格;合格;合格",
        "excellent_video": "no",
        "peer_reviews": "yes",
    }
    params = {"region": YANZHOU, "on": ON}
    typed = client.post("/evaluate", params=params, json={"rows": [row]})
    assert typed.status_code == 200
    assert typed.json() == client.post("/evaluate", params=params, json={"rows": [as_text]}).json()


def test_evaluate_reports_by_accept(client: Any) -> None:
    params = {"region": YANZHOU, "on": ON}
    files = {"roster": ("school.csv", sample_bytes(), "text/csv")}
    workbook = client.post("/evaluate", params=params, files=files, headers={"Accept": XLSX})
    assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX
    assert workbook.content[:2] == b"PK" and "attachment" in workbook.headers["content-disposition"]
    page = client.post("/evaluate", params=params, files=files, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text[:500].lower() and "白塔示范小学" in page.text
    either = client.post(
        "/evaluate", params=params, files=files, headers={"Accept": "text/html;q=0.5, application/json"}
    )
    assert either.headers["content-type"] == "application/json"


def test_english_by_accept_language(client: Any, tmp_path: Path) -> None:
    out = tmp_path / "en.json"
    assert (
        main(
            [
                "evaluate",
                str(sample_roster_path()),
                "--region",
                YANZHOU,
                "--on",
                ON,
                "--format",
                "json",
                "--lang",
                "en",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    response = client.post(
        "/evaluate",
        params={"region": YANZHOU, "on": ON},
        files={"roster": ("school.csv", sample_bytes(), "text/csv")},
        headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"},
    )
    assert response.headers["content-language"] == "en"
    assert response.json() == json.loads(out.read_text(encoding="utf-8"))
    problem = client.get("/regions/nowhere/policy", headers={"Accept-Language": "en"}).json()
    assert problem["title"] == "Unknown region"
    assert client.get("/regions/nowhere/policy").json()["title"] == "未知地区"


def test_a_school_table_travels_with_the_roster(client: Any) -> None:
    schools = (
        "学校,信息化管理团队,首席信息官,研修活动实施方案,发展规划已备案\n白塔示范小学(样例),是,是,是,否\n".encode()
    )
    response = client.post(
        "/evaluate",
        params={"region": YANZHOU, "on": ON},
        files={"roster": ("school.csv", sample_bytes(), "text/csv"), "schools": ("schools.csv", schools, "text/csv")},
    )
    assert response.status_code == 200
    bad = client.post(
        "/evaluate",
        params={"region": YANZHOU, "on": ON},
        files={
            "roster": ("school.csv", sample_bytes(), "text/csv"),
            "schools": ("mine.csv", b"nothing\n1\n", "text/csv"),
        },
    )
    body = assert_problem(bad, 422, "school_table_rejected")
    assert {p["file"] for p in body["problems"]} == {"mine.csv"}


# --------------------------------------------------------------------------- compare


def test_compare_regions_on_their_dates(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    regions = ["370812@2022-11-20", "hebei", "liaoning/tieling/kaiyuan@2024-05-01"]
    response = client.post(
        "/compare",
        params={"region": regions, "on": "2023-09-01"},
        files={"roster": ("school.csv", sample_bytes(), "text/csv")},
    )
    assert response.status_code == 200
    answer = response.json()
    expected = cli_json(
        [
            "compare",
            str(sample_roster_path()),
            *[f"--region={r}" for r in regions],
            "--on",
            "2023-09-01",
            "--format",
            "json",
        ],
        capsys,
    )
    assert answer == expected
    assert [(p["region"], p["on"]) for p in answer["policies"]] == [
        (YANZHOU, "2022-11-20"),
        ("hebei", "2023-09-01"),
        ("liaoning/tieling/kaiyuan", "2024-05-01"),
    ]


def test_compare_a_what_if(client: Any, registry: Any) -> None:
    policy = registry.policy(YANZHOU, on=dt.date(2022, 11, 20))
    assert "hours.online_min" in policy
    response = client.post(
        "/compare",
        params={"region": YANZHOU, "on": ON},
        json={"rows": sample_rows(), "what_if": {"hours.online_min": 40}},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert len(answer["policies"]) == 2  # the region, then the what-if
    stricter = [row for row in answer["policy_table"] if row.get("rule") == "hours.online_min"]
    assert stricter, answer["policy_table"][:3]
    unknown = client.post(
        "/compare", params={"region": YANZHOU, "on": ON}, json={"rows": sample_rows(), "what_if": {"no.such_rule": 1}}
    )
    assert_problem(unknown, 422, "change_set_rejected")
    as_file = client.post(
        "/compare",
        params={"region": YANZHOU, "on": ON},
        files={
            "roster": ("school.csv", sample_bytes(), "text/csv"),
            "what_if": ("w.yaml", b"hours.online_min: 40\n", "text/yaml"),
        },
    )
    assert as_file.status_code == 200 and len(as_file.json()["policies"]) == 2


def test_compare_reports_by_accept(client: Any) -> None:
    params = {"region": ["hebei", "jiangsu"], "on": "2023-09-01"}
    files = {"roster": ("school.csv", sample_bytes(), "text/csv")}
    workbook = client.post("/compare", params=params, files=files, headers={"Accept": XLSX})
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    page = client.post("/compare", params=params, files=files, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text[:500].lower()


# --------------------------------------------------------------------------- errors


def test_unknown_region_as_the_cli_says_it(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    body = assert_problem(client.get("/regions/shandong/jining/yanzhuo/policy"), 404, "unknown_region")
    [line] = cli_error(["policy", "shandong/jining/yanzhuo"], capsys)
    assert line == f"ability2: 错误: {body['detail']}" and body["exit_code"] == 2
    assert "yanzhou" in body["detail"]  # the suggestion


def test_a_date_before_the_rules(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    body = assert_problem(client.get("/regions/370812/policy", params={"on": "2001-01-01"}), 422, "policy_date")
    assert cli_error(["policy", "370812", "--on", "2001-01-01"], capsys) == [f"ability2: 错误: {body['detail']}"]


@pytest.mark.parametrize("on", ["20/11/2022", "2022-02-30", "yesterday"])
def test_a_date_not_iso(client: Any, on: str) -> None:
    assert_problem(client.get("/regions/370812/timeline", params={"on": on}), 400, "bad_input")


def test_a_rejected_roster_lists_every_problem_as_the_cli_does(
    client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "教师编号,学校,线上学时,线下学时,能力点\nT1,S,thirty,30,A1;B2\nT2,S,30,-4,Z9\nT1,S,30,30,A1\n"
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    lines = cli_error(["evaluate", str(path), "--region", YANZHOU, "--on", ON], capsys)
    response = client.post(
        "/evaluate", params={"region": YANZHOU, "on": ON}, files={"roster": ("bad.csv", text.encode(), "text/csv")}
    )
    body = assert_problem(response, 422, "roster_rejected")
    assert lines[0] == f"ability2: 错误: {body['detail']}"
    # the same problems, named by the file as the client sent it
    assert [p["text"].replace("bad.csv", str(path), 1) for p in body["problems"]] == lines[1:]
    located = {(p["row"], p["column"], p["alias"]) for p in body["problems"]}
    assert {(2, "online_hours", "线上学时"), (3, "offline_hours", "线下学时"), (3, "abilities", "能力点")} <= located
    assert all(p["code"] for p in body["problems"])
    assert str(tmp_path) not in response.text and "/tmp" not in response.text


def test_json_rows_problems_name_the_row_position(client: Any) -> None:
    rows = sample_rows()
    rows[2] = {**rows[2], "线上学时": "lots"}
    rows[4] = {**rows[4], "能力点": {"nested": True}}
    body = assert_problem(
        client.post("/evaluate", params={"region": YANZHOU, "on": ON}, json={"rows": rows}), 422, "roster_rejected"
    )
    # the JSON's key 能力点 is the contract's alias of abilities
    assert [(p["file"], p["row"], p["column"], p["alias"]) for p in body["problems"]] == [
        ("rows", 5, "abilities", "能力点")
    ]
    del rows[4]
    body = assert_problem(
        client.post("/evaluate", params={"region": YANZHOU, "on": ON}, json={"rows": rows}), 422, "roster_rejected"
    )
    assert [(p["file"], p["row"], p["column"]) for p in body["problems"]] == [("rows", 3, "online_hours")]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[1, 2]", "rows"),
        (b'{"rows": 3}', "list"),
        (b'{"rows": [], "extra": 1}', "extra"),
        (b"{not json", "not JSON"),
    ],
)
def test_malformed_json_bodies(client: Any, body: bytes, fragment: str) -> None:
    response = client.post(
        "/evaluate",
        params={"region": YANZHOU},
        content=body,
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert fragment in assert_problem(response, 400, "bad_input")["detail"]


def test_http_errors_are_problems(client: Any) -> None:
    assert_problem(client.get("/nowhere"), 404, "not_found")
    not_allowed = assert_problem(client.get("/evaluate"), 405, "method_not_allowed")
    assert not_allowed["exit_code"] == 2
    files = {"roster": ("school.csv", sample_bytes(), "text/csv")}
    assert_problem(
        client.post("/evaluate", params={"region": YANZHOU}, files=files, headers={"Accept": "application/pdf"}),
        406,
        "not_acceptable",
    )
    assert_problem(client.get("/regions/370812/timeline", headers={"Accept": "image/png"}), 406, "not_acceptable")
    assert_problem(
        client.post("/evaluate", params={"region": YANZHOU}, content=b"<x/>", headers={"Content-Type": "text/xml"}),
        415,
        "unsupported_media_type",
    )
    assert_problem(client.post("/evaluate", files=files), 400, "bad_input")  # no region
    assert_problem(
        client.post("/evaluate", params={"region": YANZHOU}, files={"other": ("a.csv", b"x", "text/csv")}),
        400,
        "bad_input",
    )
    assert_problem(client.post("/compare", files=files), 400, "bad_input")  # no region


def test_a_body_past_the_limit_is_refused(registry: Any) -> None:
    with TestClient(create_app(ServiceConfig(max_body_bytes=1000), registry=registry)) as small:
        files = {"roster": ("school.csv", sample_bytes(), "text/csv")}
        body = assert_problem(small.post("/evaluate", params={"region": YANZHOU}, files=files), 413, "body_too_large")
        assert "1,000 字节" in body["detail"] and body["message_code"] == "serve.body_too_large"

        def chunks() -> Any:  # no Content-Length: counted as it arrives
            for _ in range(10):
                yield b"x" * 500

        chunked = small.post(
            "/evaluate", params={"region": YANZHOU}, content=chunks(), headers={"Content-Type": "text/csv"}
        )
        assert_problem(chunked, 413, "body_too_large")
        assert small.get("/health").status_code == 200


def test_reader_limits_hold_per_request_and_only_there(registry: Any) -> None:
    from ability2.limits import current

    before = current()
    with TestClient(create_app(ServiceConfig(limits={"max_rows": 10}), registry=registry)) as strict:
        response = strict.post("/evaluate", params={"region": YANZHOU, "on": ON}, json={"rows": sample_rows()})
        body = assert_problem(response, 422, "roster_rejected")
        assert body["problems"][0]["code"] == "roster.too_many_rows" and "max_rows" in body["problems"][0]["message"]
        assert (
            strict.post(
                "/evaluate", params={"region": YANZHOU, "on": ON}, json={"rows": sample_rows()[:10]}
            ).status_code
            == 200
        )
    assert current() == before


def test_the_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="max_rows"):
        ServiceConfig(limits={"max_rows": 0})
    with pytest.raises(ValueError, match="未知限值"):
        ServiceConfig(limits={"max_everything": 1})
    with pytest.raises(ValueError, match="max_seconds"):
        ServiceConfig(max_seconds=0)
    config = ServiceConfig(max_body_bytes=123, limits={"max_rows": 7}, cors_origins=["https://a.example"])
    assert ServiceConfig.from_json(config.to_json()) == config
    assert config.reader_limits()["max_file_bytes"] == 123


def test_work_past_the_time_limit_and_work_that_waits_too_long() -> None:
    import threading

    gate = WorkGate(1, 2.0, {})
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(30)

    async def both() -> list[Any]:
        running = asyncio.ensure_future(gate.run(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
        queued = asyncio.ensure_future(gate.run(lambda: "never"))  # the one thread is taken
        return await asyncio.gather(running, queued, return_exceptions=True)

    try:
        slow_result, waiting = asyncio.run(both())
    finally:
        release.set()
        gate.close()
    assert isinstance(slow_result, RequestProblem) and slow_result.code == "time_limit" and slow_result.status == 413
    assert isinstance(waiting, RequestProblem) and waiting.code == "busy" and waiting.status == 503
    assert waiting.headers["Retry-After"] == "2"


def test_the_limits_apply_inside_the_work() -> None:
    from ability2.limits import current

    gate = WorkGate(1, 5, {"max_rows": 12})
    assert asyncio.run(gate.run(lambda: current().max_rows)) == 12
    gate.close()


class _Broken:
    """A registry whose every answer is a bug."""

    def regions(self) -> Any:
        raise RuntimeError("/secret/path/of/the/server")


def test_an_internal_error_is_a_500_without_traceback() -> None:
    with TestClient(create_app(registry=_Broken()), raise_server_exceptions=False) as broken:
        response = broken.get("/regions")
    body = assert_problem(response, 500, "internal")
    assert body["exit_code"] == 1 and "RuntimeError" in body["detail"]
    assert "/secret" not in response.text


def test_cors_only_when_configured(registry: Any, client: Any) -> None:
    origin = "https://platform.example"
    with TestClient(create_app(ServiceConfig(cors_origins=(origin,)), registry=registry)) as open_client:
        preflight = open_client.options(
            "/evaluate", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.headers["access-control-allow-origin"] == origin
        other = open_client.get("/regions", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in client.get("/regions", headers={"Origin": origin}).headers


# --------------------------------------------------------------------------- negotiation, the extra, import


MEDIA_RANGES = ["application/json", "text/html", "*/*", "text/*", "image/png", "application/*"]


def rfc_weight(media: str, ranges: list[tuple[str, str]]) -> float:
    """RFC 9110 §12.5.1: the weight of the most specific range that names ``media`` (0 when none does)."""
    weights = {";q=0": 0.0, ";q=0.5": 0.5, ";q=1": 1.0, ";q=x": 0.0, "": 1.0}
    for candidate in (media, media.split("/")[0] + "/*", "*/*"):
        for r, w in ranges:
            if r == candidate:
                return weights[w]
    return 0.0


@given(
    st.lists(
        st.tuples(st.sampled_from(MEDIA_RANGES), st.sampled_from(["", ";q=0", ";q=0.5", ";q=1", ";q=x"])),
        max_size=4,
        unique_by=lambda item: item[0],
    )
)
def test_negotiation_chooses_the_type_of_highest_weight(ranges: list[tuple[str, str]]) -> None:
    offered = ("application/json", "text/html")
    chosen = choose_media_type(", ".join(r + w for r, w in ranges), offered)
    if not ranges:
        assert chosen == "application/json"  # no preference: the first offered
        return
    weights = [rfc_weight(media, ranges) for media in offered]
    if max(weights) == 0:
        assert chosen is None
    else:
        assert chosen == offered[weights.index(max(weights))]


def test_negotiation_examples() -> None:
    offered = ("application/json", "text/html")
    assert choose_media_type(None, offered) == "application/json"
    assert choose_media_type("text/html", offered) == "text/html"
    assert choose_media_type("*/*;q=0.1, text/html", offered) == "text/html"
    assert choose_media_type("text/*, application/json;q=0", offered) == "text/html"
    assert choose_media_type("image/png", offered) is None
    assert choose_language(None) == "zh"
    assert choose_language("en") == "en"
    assert choose_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert choose_language("en-GB,en;q=0.9,zh;q=0.8") == "en"
    assert choose_language("fr") == "zh"
    assert choose_language("en;q=0") == "zh"


def test_without_the_extra_the_command_names_it() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "from ability2.cli import main\n"
        "raise SystemExit(main(['serve', '--port', '9']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "pip install 'ability2[serve]'" in done.stderr and "Traceback" not in done.stderr
    english = subprocess.run(
        [sys.executable, "-c", code.replace("'9']", "'9', '--lang', 'en']")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "the HTTP service needs the serve extra (starlette is not installed)" in english.stderr


def test_import_ability2_does_not_import_the_web_stack() -> None:
    code = "import sys, json, ability2; ability2.load_registry(); print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    modules = set(json.loads(done.stdout))
    assert not {"starlette", "uvicorn", "multipart", "python_multipart", "httpx", "ability2.service"} & modules


def test_serve_refuses_an_address_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        [line] = cli_error(["serve", "--port", str(port)], capsys)
    assert line.startswith(f"ability2: 错误: 无法在 127.0.0.1:{port} 上监听：地址已被占用")


def test_rosters_read_in_threads_from_a_cold_start(tmp_path: Path) -> None:
    # the service reads rosters in threads; the first reads of a fresh process import polars
    # and pandas while other threads look for them in sys.modules (half-imported, without DataFrame)
    code = (
        "import sys, threading\n"
        "import ability2\n"
        "from ability2.demo import sample_roster_path\n"
        "path, errors, start = str(sample_roster_path()), [], threading.Barrier(4)\n"
        "def read():\n"
        "    start.wait()\n"
        "    try:\n"
        "        ability2.read_roster(path)\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=read) for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(errors)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]", done.stdout


# --------------------------------------------------------------------------- review fixes (issue 15)


def test_the_time_limit_counts_the_run_not_the_wait() -> None:
    """A work that waited most of the limit for a thread still has the whole limit to run."""
    import threading
    import time

    gate = WorkGate(1, 2.0, {})
    started, release = threading.Event(), threading.Event()

    def holder() -> str:
        started.set()
        release.wait(30)
        return "held"

    def short() -> str:
        time.sleep(1.0)  # waited ~1.5 s + ran 1 s: past 2 s in all, well within 2 s of running
        return "done"

    async def both() -> list[Any]:
        first = asyncio.ensure_future(gate.run(holder))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
        second = asyncio.ensure_future(gate.run(short))
        await asyncio.sleep(1.5)
        release.set()
        return await asyncio.gather(first, second, return_exceptions=True)

    try:
        assert asyncio.run(both()) == ["held", "done"]
    finally:
        release.set()
        gate.close()


def test_timed_out_work_keeps_its_files_until_it_ends(tmp_path: Path) -> None:
    import threading

    gate = WorkGate(1, 0.5, {})
    release, ended = threading.Event(), threading.Event()
    folder = tmp_path / "request"
    folder.mkdir()
    (folder / "roster.csv").write_text("teacher_id\n", encoding="utf-8")
    seen: list[bool] = []

    def slow() -> None:
        release.wait(30)
        seen.append((folder / "roster.csv").exists())  # the work still reads its input

    def remove() -> None:
        import shutil

        shutil.rmtree(folder)
        ended.set()

    with pytest.raises(RequestProblem) as info:
        asyncio.run(gate.run(slow, cleanup=remove))
    assert info.value.code == "time_limit"
    assert folder.exists() and not ended.is_set()  # answered 413, the work still runs
    release.set()
    assert ended.wait(30)
    gate.close()
    assert seen == [True] and not folder.exists()


def test_a_request_leaves_no_temporary_folder(registry: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with TestClient(create_app(registry=registry)) as local:
        ok = local.post(f"/evaluate?region={YANZHOU}&on={ON}", files={"roster": ("s.csv", sample_bytes())})
        bad = local.post(f"/evaluate?region={YANZHOU}&on={ON}", files={"nope": ("s.csv", b"x")})
    assert ok.status_code == 200 and bad.status_code == 400
    assert list(tmp_path.iterdir()) == []


def _busy_client(registry: Any) -> tuple[Any, Any]:
    """A client of a server whose one work thread is taken, with a time limit of 0.5 s."""
    import threading

    app = create_app(ServiceConfig(max_concurrent=1, max_seconds=0.5), registry=registry)
    release = threading.Event()
    app.state.gate.pool.submit(release.wait, 30)
    return app, release


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/evaluate?region={YANZHOU}", b'{"rows": [' + b"{}," * 1000 + b"}"),  # malformed JSON
        (f"/compare?region={YANZHOU}&region=nowhere", b'{"rows": []}'),  # a region unknown
    ],
)
def test_json_and_policies_are_read_in_the_gated_work(registry: Any, path: str, body: bytes) -> None:
    """With every thread busy, even a body or regions the service would refuse wait their turn (503)."""
    app, release = _busy_client(registry)
    try:
        with TestClient(app) as busy:
            response = busy.post(path, content=body, headers={"Content-Type": "application/json"})
    finally:
        release.set()
    assert_problem(response, 503, "busy")
    with TestClient(create_app(registry=registry)) as free:
        answer = free.post(path, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 404)


def test_compare_takes_a_bounded_number_of_regions(registry: Any) -> None:
    assert ServiceConfig().max_compare_regions == 20  # as docs/serve.md says
    with TestClient(create_app(ServiceConfig(max_compare_regions=2), registry=registry)) as small:
        three = [f"{YANZHOU}@{ON}", "hebei@2023-09-01", "liaoning/tieling/kaiyuan@2024-05-01"]
        query = "&".join(f"region={name}" for name in three)
        refused = small.post(f"/compare?{query}", files={"roster": ("s.csv", sample_bytes())})
        body = assert_problem(refused, 400, "bad_input")
        assert body["message_code"] == "serve.too_many_regions" and "最多比较 2 个" in body["detail"]
        query = "&".join(f"region={name}" for name in three[:2])
        answer = small.post(f"/compare?{query}", files={"roster": ("s.csv", sample_bytes())})
        assert answer.status_code == 200, answer.text


def test_detail_and_problems_follow_accept_language(client: Any) -> None:
    text = "teacher_id,name,school,online_hours,offline_hours,abilities\nT1,张三,一小,abc,10,A1\n"
    files = {"roster": ("bad.csv", text.encode(), "text/csv")}
    params = {"region": YANZHOU, "on": ON}
    zh = assert_problem(client.post("/evaluate", params=params, files=files), 422, "roster_rejected")
    en = assert_problem(
        client.post("/evaluate", params=params, files=files, headers={"Accept-Language": "en"}), 422, "roster_rejected"
    )
    assert zh["detail"] == "花名册未通过检查：1 处问题" and en["detail"] == "roster rejected: 1 problem(s)"
    assert zh["message_code"] == en["message_code"] == "roster.rejected"
    [zh_problem], [en_problem] = zh["problems"], en["problems"]
    for problem in (zh_problem, en_problem):
        assert (problem["code"], problem["file"], problem["row"]) == ("roster.hours_not_number", "bad.csv", 2)
        assert (problem["column"], problem["alias"]) == ("online_hours", "线上学时")
    assert zh_problem["message"] == "不是数字：“abc”" and zh_problem["text"] == "bad.csv:2:线上学时: 不是数字：“abc”"
    assert (
        en_problem["message"] == "not a number: 'abc'"
        and en_problem["text"] == "bad.csv:2:online_hours: not a number: 'abc'"
    )


def test_a_date_before_the_rules_carries_its_dates(client: Any) -> None:
    body = assert_problem(
        client.get("/regions/370812/policy", params={"on": "2001-01-01"}, headers={"Accept-Language": "en"}),
        422,
        "policy_date",
    )
    assert body["region"] == YANZHOU and body["on"] == "2001-01-01" and body["effective_from"] > "2001-01-01"
    assert body["message_code"] == "policy_date.before" and body["detail"].startswith("no policy for")
