"""`ability2 serve` with a broken plugin installed: its regions are the server's fault, said without paths.

A region left out because its plugin failed to load is not a region the client got wrong
(404): the server cannot serve it (503, ``region_unavailable``). Its problem names the
region and the plugin, never a file of the server; ``/health`` names the broken plugins
and still answers 200, since every other region is served. The command line keeps its
exit code 2 and its full message (the person at the terminal is the operator).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

pytest.importorskip("starlette")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import ability2
from ability2.cli import main
from ability2.failures import HTTP_STATUS, classify
from ability2.service import create_app
from test_broken_plugins import BROKEN, CHILD, GOOD, Install, install  # noqa: F401

ROSTER = "teacher_id,school\nT1,S1\n"


def _client(install: Install) -> tuple[Any, ability2.Registry, str]:  # noqa: F811
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    install("zzchild", {"city.yaml": CHILD})
    install("zzgood", {"zzgood.yaml": GOOD})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        registry = ability2.load_registry()
    [bad_file] = {p.file for p in registry.problems if p.file}
    return TestClient(create_app(registry=registry)), registry, bad_file


def _no_server_path(text: str, bad_file: str) -> None:
    assert bad_file not in text
    assert "zzbroken.yaml" not in text and "site" not in text and "/tmp" not in text


def test_a_broken_plugins_region_is_503_naming_region_and_plugin_only(install: Install) -> None:  # noqa: F811
    client, _, bad_file = _client(install)
    with client:
        for path in ("/regions/zzbroken/policy", "/regions/980000/timeline", "/regions/zzbroken/city/forms"):
            response = client.get(path, params={"on": "2022-01-01"})
            assert response.status_code == 503, response.text
            body = response.json()
            assert body["code"] == "region_unavailable" and body["exit_code"] == 2
            assert "zzbroken" in body["detail"]  # the plugin (and, for the city, the plugin it inherits from)
            _no_server_path(response.text, bad_file)
        for method, path in (("POST", "/evaluate?region=zzbroken"), ("POST", "/compare?region=zzbroken&region=zzgood")):
            response = client.request(method, path, content=ROSTER, headers={"Content-Type": "text/csv"})
            assert response.status_code == 503 and response.json()["code"] == "region_unavailable", response.text
            _no_server_path(response.text, bad_file)
        # a region no plugin declares is still the client's mistake
        assert client.get("/regions/zznowhere/policy").status_code == 404
        # the sound plugin is served
        assert client.get("/regions/zzgood/policy", params={"on": "2021-01-01"}).status_code == 200


def test_english_title_for_the_unavailable_region(install: Install) -> None:  # noqa: F811
    client, _, _ = _client(install)
    with client:
        body = client.get("/regions/zzbroken/policy", headers={"Accept-Language": "en"}).json()
    assert body["title"].startswith("Region unavailable") and body["detail"].startswith("region 'zzbroken'")


def test_health_names_the_broken_plugins_and_stays_200(install: Install) -> None:  # noqa: F811
    client, registry, bad_file = _client(install)
    with client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["regions"] == len(registry.regions()) and body["regions"] > 0
    assert body["plugin_problems"]["count"] == len(registry.problems) >= 2  # the broken one, and its child
    assert set(body["plugin_problems"]["plugins"]) == {"zzbroken", "zzchild"}
    _no_server_path(response.text, bad_file)


def test_the_classification_keeps_exit_2_and_http_503(install: Install) -> None:  # noqa: F811
    _, registry, bad_file = _client(install)
    with pytest.raises(ability2.RegionUnavailableError) as info:
        registry.policy("zzbroken")
    failure = classify(info.value)
    assert (failure.code, failure.exit_code, HTTP_STATUS[failure.code]) == ("region_unavailable", 2, 503)
    assert bad_file not in failure.message and "“zzbroken”" in failure.message


def test_the_cli_still_prints_the_whole_reason_with_exit_2(
    install: Install,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    install("zzbroken", {"zzbroken.yaml": BROKEN})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["policy", "zzbroken", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "region 'zzbroken' is not available" in err and "zzbroken.yaml:8" in err  # the operator sees where
