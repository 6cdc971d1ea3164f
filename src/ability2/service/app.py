"""The application: its endpoints, built once per worker process around one registry.

Every endpoint answers from the library's public API and its serialisers, in the JSON the
command line's ``--json`` prints (contract §3): nothing is kept between requests but the
registry, loaded when the application is built. The heavy work of ``/evaluate`` and
``/compare`` runs in the :class:`~ability2.service.limits.WorkGate`'s threads, under the
request's reader limits; the rest is quick and runs in Starlette's thread pool.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ability2.errors import Ability2Error
from ability2.messages import msg
from ability2.service.config import ServiceConfig
from ability2.service.inputs import Inputs, receive
from ability2.service.limits import BodyLimit, WorkGate
from ability2.service.negotiation import (
    CALENDAR,
    HTML,
    JSON,
    XLSX,
    choose_language,
    choose_media_type,
)
from ability2.service.problems import VARY as _VARY
from ability2.service.problems import RequestProblem, json_bytes, problem_response

__all__ = ["build_app", "create_app_from_environment"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: the file name of each report format, as Content-Disposition gives it
_REPORT_NAMES = {XLSX: "xlsx", HTML: "html"}


# --------------------------------------------------------------------------- responses


def _language(headers: Any) -> str:
    return choose_language(headers.get("accept-language"))


def _respond(content: bytes, media_type: str, lang: str | None = None, filename: str | None = None) -> Response:
    headers = {"Vary": _VARY}
    if lang is not None:
        headers["Content-Language"] = "zh-CN" if lang == "zh" else "en"
    if filename is not None:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if media_type.startswith("text/"):
        media_type += "; charset=utf-8"
    return Response(content, media_type=media_type, headers=headers)


def _json(data: Any, lang: str | None = None) -> Response:
    return _respond(json_bytes(data), JSON, lang)


async def _on_library_error(request: Request, exc: Exception) -> Response:
    return problem_response(exc, request)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        problem = RequestProblem("not_found", msg("serve.not_found", path=request.url.path))
    elif exc.status_code == 405:
        problem = RequestProblem(
            "method_not_allowed", msg("serve.method", method=request.method, path=request.url.path)
        )
        response = problem_response(problem, request)
        if exc.headers and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    else:
        problem = RequestProblem("bad_input", msg("serve.http_error", status=exc.status_code, detail=str(exc.detail)))
    return problem_response(problem, request)


async def _on_internal_error(request: Request, exc: Exception) -> Response:
    # Starlette raises the exception again once this response is sent: the server logs its traceback
    return problem_response(exc, request)


# --------------------------------------------------------------------------- request parts


def _date(text: str | None, name: str = "on") -> dt.date | None:
    """An ISO date query parameter, or ``None`` when absent (400 for anything else)."""
    if text is None or text == "":
        return None
    if _DATE.fullmatch(text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise Ability2Error(msg("serve.not_date", name=name, text=text))


def _region_param(request: Request) -> str:
    region = request.query_params.get("region")
    if not region:
        raise Ability2Error(msg("serve.needs_region"))
    return region


def _accepted(request: Request, offered: tuple[str, ...]) -> str:
    chosen = choose_media_type(request.headers.get("accept"), offered)
    if chosen is None:
        raise RequestProblem(
            "not_acceptable",
            msg("serve.not_acceptable", offered=offered),
        )
    return chosen


def _registry(request: Request) -> Any:
    return request.app.state.registry


def _policy(request: Request) -> Any:
    return _registry(request).policy(request.path_params["region"], on=_date(request.query_params.get("on")))


async def _received_and_run(request: Request, work: Any, *, what_if: bool = False) -> bytes:
    """``work(inputs, folder)`` in the work gate, on the request's inputs received into a private folder.

    The folder is removed when the work is over, not when the request is answered: work that
    ran past the time limit (answered 413) still reads its files until it ends.
    """
    folder = Path(tempfile.mkdtemp(prefix="ability2-serve-"))

    def remove() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    try:
        inputs = await receive(request, folder, what_if=what_if)
    except BaseException:
        remove()
        raise
    content: bytes = await request.app.state.gate.run(lambda: work(inputs, folder), cleanup=remove)
    return content


# --------------------------------------------------------------------------- endpoints


def health(request: Request) -> Response:
    """``GET /health``: the service is up, with its registry loaded, and which plugins failed to load.

    Still 200 when a plugin is broken: the other regions are served (the broken plugin's are
    answered 503 ``region_unavailable``). Plugin names only: their problems name server paths.
    """
    registry = _registry(request)
    problems = tuple(getattr(registry, "problems", ()))
    plugins = list(dict.fromkeys(p.plugin for p in problems))
    return _json(
        {
            "status": "degraded" if problems else "ok",
            "regions": len(registry.regions()),
            "plugin_problems": {"count": len(problems), "plugins": plugins},
        }
    )


def version(request: Request) -> Response:
    """``GET /version``: ability2's version and every plugin's."""
    from ability2.service.openapi import installed_version

    plugins = [
        {
            "name": plugin.name,
            "distribution": plugin.distribution,
            "version": plugin.version,
            "regions": list(plugin.regions),
        }
        for plugin in _registry(request).plugins()
    ]
    return _json({"ability2": installed_version(), "plugins": plugins})


def regions(request: Request) -> Response:
    """``GET /regions``: every region (contract §3.3)."""
    from ability2.serialize import region_to_dict

    return _json([region_to_dict(region) for region in _registry(request).regions()])


def region(request: Request) -> Response:
    """``GET /regions/{region}``: one region, by id or code (contract §3.3's fields)."""
    from ability2.serialize import region_to_dict

    return _json(region_to_dict(_registry(request).region(request.path_params["region"])))


def policy(request: Request) -> Response:
    """``GET /regions/{region}/policy?on=DATE``: the effective policy, every rule with its source."""
    from ability2.serialize import policy_to_dict

    return _json(policy_to_dict(_policy(request)))


def timeline(request: Request) -> Response:
    """``GET /regions/{region}/timeline?on=DATE``: JSON (contract §3.2) or ``text/calendar``."""
    from ability2.timeline import timeline as timeline_of
    from ability2.timeline import to_ics

    media = _accepted(request, (JSON, CALENDAR))
    chosen = _policy(request)
    if media == CALENDAR:
        name = chosen.region.id.replace("/", "-")
        return _respond(
            to_ics(chosen, lang=_language(request.headers)).encode("utf-8"), CALENDAR, filename=f"{name}.ics"
        )
    return _json(timeline_of(chosen).to_dict())


def forms(request: Request) -> Response:
    """``GET /regions/{region}/forms?on=DATE``: the region's scoring forms (contract §3.4)."""
    from ability2.forms import forms as forms_of

    return _json(forms_of(_policy(request)))


async def evaluate(request: Request) -> Response:
    """``POST /evaluate?region=&on=``: a roster's evaluation, JSON (contract §3.1), xlsx or html."""
    from ability2.evaluation import evaluate as evaluate_roster
    from ability2.reports import report_bytes

    lang = _language(request.headers)
    media = _accepted(request, (JSON, XLSX, HTML))
    chosen = _registry(request).policy(_region_param(request), on=_date(request.query_params.get("on")))
    fmt = "json" if media == JSON else _REPORT_NAMES[media]

    def work(inputs: Inputs, folder: Path) -> bytes:
        received = inputs.parsed()
        roster = received.roster(chosen.framework)
        result = evaluate_roster(roster, chosen, schools=received.schools())
        return report_bytes(result, fmt, lang=lang)

    content = await _received_and_run(request, work)
    name = None if fmt == "json" else f"evaluation.{fmt}"
    return _respond(content, media, lang, filename=name)


def _compare_items(request: Request, most: int) -> tuple[list[Any], Any]:
    """The regions of ``/compare`` (``REGION`` or ``REGION@DATE``, at most ``most``) and its ``on``."""
    items: list[Any] = []
    given = request.query_params.getlist("region")
    if len(given) > most:
        raise Ability2Error(msg("serve.too_many_regions", given=len(given), most=most))
    for text in given:
        name, at, day = text.rpartition("@")
        if not at:
            items.append(text)
        elif not name:
            raise Ability2Error(msg("serve.region_before_at", text=text))
        else:
            items.append((name, _date(day, "region")))
    if not items:
        raise Ability2Error(msg("serve.needs_regions"))
    on_text = request.query_params.get("on")
    on: Any = "documents" if on_text == "documents" else _date(on_text)
    return items, on


def _refuse_unavailable(items: list[Any], registry: Any) -> None:
    """Raise :class:`~ability2.errors.RegionUnavailableError` for the first region of ``items`` a broken plugin keeps out.

    :func:`~ability2.comparison.resolve_policies` folds every region's problem into one
    message (which names the broken plugin's files): a region the server cannot serve is
    the server's fault (503), said without its paths, before the client's own mistakes.
    """
    from ability2.errors import RegionUnavailableError

    for item in items:
        name = item[0] if isinstance(item, tuple) else item
        try:
            registry.region(name)
        except RegionUnavailableError:
            raise
        except Ability2Error:
            pass  # an unknown region: resolve_policies lists it with the others


async def compare(request: Request) -> Response:
    """``POST /compare?region=R1&region=R2@DATE&on=``: one roster under several policies, or a what-if."""
    from ability2.comparison import compare as compare_policies
    from ability2.comparison import resolve_policies

    lang = _language(request.headers)
    media = _accepted(request, (JSON, XLSX, HTML))
    registry = _registry(request)
    items, on = _compare_items(request, request.app.state.config.max_compare_regions)

    def work(inputs: Inputs, folder: Path) -> bytes:
        from ability2.whatif import WhatIfWarning

        received = inputs.parsed()
        _refuse_unavailable(items, registry)
        chosen = list(resolve_policies(items, on=on, registry=registry))
        notes: list[str] = []
        changes = received.what_if()
        if changes is not None:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", WhatIfWarning)
                chosen.append(chosen[0].with_changes(changes, note=received.what_if_name, source="what_if", lang=lang))
            notes = [str(w.message) for w in caught if issubclass(w.category, WhatIfWarning)]
        comparison = compare_policies(
            received.roster(registry.framework), chosen, registry=registry, schools=received.schools()
        )
        if media == JSON:
            data = comparison.to_dict()
            if notes:
                data["notes"] = notes
            return json_bytes(data)
        if media == HTML:
            from ability2.reports.comparison import render_comparison_html

            return render_comparison_html(comparison, lang).encode("utf-8")
        from ability2.reports.comparison import write_comparison

        target = folder / "comparison.xlsx"
        write_comparison(comparison, target, "xlsx", lang=lang)
        return target.read_bytes()

    content = await _received_and_run(request, work, what_if=True)
    name = None if media == JSON else f"comparison.{_REPORT_NAMES[media]}"
    return _respond(content, media, lang, filename=name)


def openapi(request: Request) -> Response:
    """``GET /openapi.json``: the OpenAPI document of this service."""
    from ability2.service.openapi import document

    return _json(document())


# --------------------------------------------------------------------------- the application


#: what a request's work imports: imported when the application is built, so that the first
#: requests neither wait for the imports nor run them in several threads at once
_WORK_MODULES = (
    "polars",
    "pandas",
    "ability2.io.roster",
    "ability2.io.schools",
    "ability2.evaluation",
    "ability2.comparison",
    "ability2.resultjson",
    "ability2.reports.html",
    "ability2.reports.xlsx",
    "ability2.reports.comparison",
    "ability2.timeline",
    "ability2.forms",
    "ability2.serialize",
)


def _warm_up() -> None:
    import importlib

    for name in _WORK_MODULES:
        importlib.import_module(name)


def build_app(config: ServiceConfig | None = None, *, registry: Any = None) -> Starlette:
    """The application: ``config``'s limits and CORS around the endpoints, ``registry`` (default: loaded now)."""
    config = config or ServiceConfig()
    if registry is None:
        from ability2.registry import load_registry

        registry = load_registry()
    _warm_up()
    gate = WorkGate(config.max_concurrent, config.max_seconds, config.reader_limits())
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/regions", regions, methods=["GET"]),
        Route("/regions/{region:path}/policy", policy, methods=["GET"]),
        Route("/regions/{region:path}/timeline", timeline, methods=["GET"]),
        Route("/regions/{region:path}/forms", forms, methods=["GET"]),
        Route("/regions/{region:path}", region, methods=["GET"]),
        Route("/evaluate", evaluate, methods=["POST"]),
        Route("/compare", compare, methods=["POST"]),
    ]
    middleware = []
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(
            Middleware(
                CORSMiddleware,  # type: ignore[arg-type, unused-ignore]
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Accept", "Accept-Language", "Content-Type"],
                expose_headers=["Content-Disposition", "Content-Language"],
            )
        )
    middleware.append(Middleware(BodyLimit, limit=config.max_body_bytes))  # type: ignore[arg-type, unused-ignore]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            Ability2Error: _on_library_error,
            HTTPException: _on_http_error,
            Exception: _on_internal_error,
        },
    )
    app.state.registry = registry
    app.state.config = config
    app.state.gate = gate
    return app


def create_app_from_environment() -> Starlette:
    """The application with the settings of ``ABILITY2_SERVE_CONFIG`` (what each uvicorn worker builds)."""
    return build_app(ServiceConfig.from_environment())
