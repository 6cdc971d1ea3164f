"""Errors as RFC 9457 problem details (``application/problem+json``).

An error the library raises is classified by :func:`ability2.failures.classify`, the
mapping the command line prints from, so the service answers the same ``code`` (and the
command line's ``exit_code``) with the same message and the same ``FILE:ROW:COLUMN``
problems. Errors of HTTP itself (an unknown path, a body too large, an ``Accept`` the
endpoint cannot meet) are :class:`RequestProblem`. The ``title`` is in the client's
language; the ``detail`` and the problems are the library's messages, as the command line
prints them (in English). A 5xx never carries a traceback: the server's log has it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error
from ability2.failures import HTTP_STATUS, Failure, classify
from ability2.messages import Message, msg, render

if TYPE_CHECKING:
    from starlette.responses import Response

__all__ = [
    "TITLES",
    "VARY",
    "RequestProblem",
    "json_bytes",
    "problem_body",
    "problem_from_exception",
    "problem_response",
    "problem_type",
]

#: the request headers every answer depends on
VARY = "Accept, Accept-Language"

#: the ``title`` of each code: (Chinese, English)
TITLES: dict[str, tuple[str, str]] = {
    "roster_rejected": ("花名册有误，未评估", "Roster rejected"),
    "school_table_rejected": ("学校表有误，未评估", "School table rejected"),
    "change_set_rejected": ("政策改动有误", "Change set rejected"),
    "policy_file": ("政策文件有误", "Policy file rejected"),
    "unknown_region": ("未知地区", "Unknown region"),
    "region_unavailable": ("该地区暂不可用：其插件加载失败", "Region unavailable: its plugin failed to load"),
    "policy_date": ("该日期无有效政策", "No policy on that date"),
    "bad_input": ("请求有误", "Bad request"),
    "environment": ("服务器环境拒绝了操作", "The server's environment refused"),
    "internal": ("服务器内部错误", "Internal error"),
    "not_found": ("没有这个地址", "Not found"),
    "method_not_allowed": ("该地址不接受此方法", "Method not allowed"),
    "not_acceptable": ("无法提供所要求的格式", "Not acceptable"),
    "unsupported_media_type": ("不支持的请求内容类型", "Unsupported media type"),
    "body_too_large": ("请求内容过大", "Content too large"),
    "time_limit": ("处理超过时限", "Time limit exceeded"),
    "busy": ("服务器繁忙，请稍后重试", "Server busy, retry later"),
}

#: the HTTP status of the codes of HTTP itself (the library's are :data:`ability2.failures.HTTP_STATUS`)
REQUEST_STATUS: dict[str, int] = {
    "bad_input": 400,
    "not_found": 404,
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "unsupported_media_type": 415,
    "body_too_large": 413,
    "time_limit": 413,
    "busy": 503,
}


class RequestProblem(Ability2Error):
    """A request the service refuses for a reason of HTTP (a code of :data:`REQUEST_STATUS`)."""

    def __init__(self, code: str, detail: Message | str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.status = REQUEST_STATUS[code]
        self.headers = dict(headers or {})


def problem_type(code: str) -> str:
    """The problem's ``type``: a tag URI naming the code (RFC 9457 §3.1.1; not meant to be fetched)."""
    return f"tag:ability2,2026:problem:{code}"


def problem_body(code: str, status: int, detail: Message | str, lang: str, **extra: Any) -> dict[str, Any]:
    """The problem details of ``code``: ``type``, ``title`` (in ``lang``), ``status``, ``detail``, ``code``, extras."""
    zh, en = TITLES[code]
    return {
        "type": problem_type(code),
        "title": en if lang == "en" else zh,
        "status": status,
        "detail": render(detail, lang),
        "code": code,
        **extra,
    }


def _problem_dict(problem: Any, lang: str) -> dict[str, Any]:
    """A roster's problem: ``code``, ``file``, ``row``, ``column`` (canonical), ``alias``, ``message``, ``text``."""
    return {**problem.to_dict(lang), "text": problem.text(lang)}


#: keys of an error's data that the problem details already say in their own way
_OWN_KEYS = frozenset({"type", "title", "status", "detail", "code", "message", "exit_code", "problems"})


def problem_from_exception(exc: BaseException, lang: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, body, headers)`` of the problem an exception stands for."""
    if isinstance(exc, RequestProblem):
        said = exc.message
        code = said.code if isinstance(said, Message) else None
        body = problem_body(exc.code, exc.status, said, lang, exit_code=2, message_code=code)
        return exc.status, body, exc.headers
    failure: Failure = classify(exc, lang)
    status = HTTP_STATUS[failure.code]
    if failure.internal:
        detail: Message | str = msg("serve.internal", error=type(exc).__name__)
        fields: dict[str, Any] = {"message_code": "serve.internal"}
    else:
        detail = failure.message
        fields = {key: value for key, value in failure.data.items() if key not in _OWN_KEYS}
    body = problem_body(failure.code, status, detail, lang, exit_code=failure.exit_code, **fields)
    if failure.problems:
        body["problems"] = [_problem_dict(problem, lang) for problem in failure.problems]
    return status, body, {}


def json_bytes(data: Any) -> bytes:
    """``data`` as compact UTF-8 JSON (Chinese as it is; NaN refused: it is not JSON)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def problem_response(exc: BaseException, scope_or_request: Any) -> Response:
    """The Starlette response of the problem an exception stands for, in the request's language."""
    from starlette.datastructures import Headers
    from starlette.requests import Request
    from starlette.responses import Response

    from ability2.service.negotiation import PROBLEM_JSON, choose_language

    request_headers = (
        scope_or_request.headers if isinstance(scope_or_request, Request) else Headers(scope=scope_or_request)
    )
    lang = choose_language(request_headers.get("accept-language"))
    status, body, extra = problem_from_exception(exc, lang)
    headers = {"Content-Language": "zh-CN" if lang == "zh" else "en", "Vary": VARY, **extra}
    return Response(json_bytes(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)
