"""The OpenAPI document of the service: ``openapi.yaml`` beside this module, with ability2's version.

The document is data, written by hand from the contract (§3), and the tests hold the
service to it: schemathesis sends requests generated from it and checks every response
against it. ``docs/openapi.json`` is a committed copy (a test checks it equals
:func:`document`), rendered on the docs page.
"""

from __future__ import annotations

import functools
import json
from typing import Any

__all__ = ["document", "document_text", "installed_version"]


def installed_version(distribution: str = "ability2") -> str:
    """The installed version of ``distribution`` (``"unknown"`` when it has no metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def _loaded() -> str:
    from importlib.resources import files

    import yaml

    data = yaml.safe_load(files("ability2.service").joinpath("openapi.yaml").read_text(encoding="utf-8"))
    data["info"]["version"] = installed_version()
    return json.dumps(data, ensure_ascii=False)


def document() -> dict[str, Any]:
    """The OpenAPI document as JSON-ready data (a fresh copy each call)."""
    data: dict[str, Any] = json.loads(_loaded())
    return data


def document_text() -> str:
    """The document as the committed ``docs/openapi.json`` holds it: indented, sorted as written, a final newline."""
    return json.dumps(document(), ensure_ascii=False, indent=2) + "\n"
