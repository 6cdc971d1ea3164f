"""The OpenAPI document: the committed copy is the service's, and the service keeps to it.

schemathesis generates requests from the document (valid ones and, for bodies, arbitrary
rosters) and checks every response: never a 5xx, a status the document lists, the content
type it lists, a body that matches its schema. The examples per operation are bounded so
the run takes a minute or two.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

import ability2  # noqa: E402
from ability2.service import create_app  # noqa: E402
from ability2.service.config import ServiceConfig  # noqa: E402
from ability2.service.openapi import document, document_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "openapi.json"


def test_the_committed_document_is_the_services() -> None:
    # regenerate: python -c "from ability2.service.openapi import document_text as d; open('docs/openapi.json','w').write(d())"
    assert COMMITTED.read_text(encoding="utf-8") == document_text()


def test_every_route_is_documented_and_every_documented_path_routed() -> None:
    from starlette.routing import Route

    app = create_app(registry=ability2.load_registry())
    routed = {route.path.replace(":path", "") for route in app.routes if isinstance(route, Route)}
    assert routed == set(document()["paths"])


def test_the_document_names_ability2s_version() -> None:
    from importlib.metadata import version

    assert document()["info"]["version"] == version("ability2")


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def _workbook_bytes(ctx: Any, value: Any) -> bytes:
    """A body the document types as a binary string: sent as its bytes (the reader decides what it is)."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


APP = create_app(ServiceConfig(max_seconds=60), registry=ability2.load_registry())
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_the_service_keeps_to_its_document(case: Any) -> None:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    response = case.call()
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
    if response.status_code >= 400:
        body = json.loads(response.content)
        assert body["status"] == response.status_code and body["code"]


def _documented(schema: dict[str, Any]) -> set[str]:
    """The property names a schema (or the parts of its ``allOf``) documents, ``$ref`` followed."""
    schemas = document()["components"]["schemas"]
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        names |= _documented(part)
    return names


def _items(schema: dict[str, Any], key: str) -> dict[str, Any]:
    return dict(document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema)[
        "properties"
    ][key]["items"]


def test_every_key_the_cli_prints_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    """``timeline --json`` and ``policy --json`` of 徐水 (set-aside phases and rules, labelled clauses)."""
    from ability2.cli import main

    schemas = document()["components"]["schemas"]
    region = ["hebei/baoding/xushui", "--on", "2020-06-01", "--json"]
    assert main(["timeline", *region]) == 0
    timeline = json.loads(capsys.readouterr().out)
    assert main(["policy", *region]) == 0
    policy = json.loads(capsys.readouterr().out)
    assert timeline["superseded"] and policy["superseded"] and policy["not_encoded"]  # the keys are exercised
    assert set(timeline) <= _documented(schemas["Timeline"])
    for key in ("phases", "current", "superseded"):
        documented = _documented(_items(schemas["Timeline"], key))
        for phase in timeline[key]:
            assert set(phase) <= documented, key
    assert set(policy) <= _documented(schemas["Policy"])
    for key in ("superseded", "not_encoded"):
        documented = _documented(_items(schemas["Policy"], key))
        for item in policy[key]:
            assert set(item) <= documented, key
