"""``ability2 serve``: the library as an HTTP service, for platforms not written in Python.

An ASGI application (Starlette, served by uvicorn) over the public API: the regions, a
region's policy, timeline and scoring forms, the evaluation of a roster and the comparison
of policies, in the JSON the command line's ``--json`` prints (contract §3), or as the
xlsx and html reports by the ``Accept`` header. Errors are RFC 9457 problem details with
the command line's codes and ``FILE:ROW:COLUMN`` problems (:mod:`ability2.failures`).

It needs the optional extra ``ability2[serve]`` (``pip install 'ability2[serve]'``);
``import ability2`` never imports it. The modules, each with one job:

* :mod:`ability2.service.config`: the settings (:class:`ServiceConfig`), passed to worker processes;
* :mod:`ability2.service.app`: the application factory and its endpoints;
* :mod:`ability2.service.problems`: errors as problem details, in Chinese or English;
* :mod:`ability2.service.negotiation`: ``Accept`` and ``Accept-Language``;
* :mod:`ability2.service.limits`: the request's size, the time and the work in progress;
* :mod:`ability2.service.inputs`: a roster from an upload, a CSV or XLSX body or JSON rows;
* :mod:`ability2.service.openapi`: the OpenAPI document (``openapi.yaml``, data beside the code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ability2.errors import Ability2Error

if TYPE_CHECKING:
    from ability2.service.config import ServiceConfig

__all__ = ["SERVE_EXTRA", "ServeExtraMissing", "create_app", "require_extra"]

#: how to install what the service needs
SERVE_EXTRA = "pip install 'ability2[serve]'"

#: the modules of the extra, by the distribution that brings them
_EXTRA_MODULES = {"starlette": "starlette", "uvicorn": "uvicorn", "python_multipart": "python-multipart"}


class ServeExtraMissing(Ability2Error):
    """The extra ``ability2[serve]`` is not installed (Starlette, uvicorn or python-multipart is missing)."""

    def __init__(self, missing: str, lang: str | None = None) -> None:
        from ability2.messages import msg

        self.missing = missing  #: the distribution that is missing
        # lang: kept for callers that pass it; the message is shown in the reader's language
        super().__init__(msg("serve.extra_missing", missing=missing, extra=SERVE_EXTRA))

    def fields(self, lang: str | None = None) -> dict[str, Any]:
        """``missing``: the distribution that is not installed."""
        return {"missing": self.missing}


def require_extra(lang: str = "zh") -> None:
    """Raise :class:`ServeExtraMissing` naming ``ability2[serve]`` when a module of the extra is missing."""
    import importlib

    for module, distribution in _EXTRA_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            raise ServeExtraMissing(distribution, lang) from None


def create_app(config: ServiceConfig | None = None, *, registry: Any = None) -> Any:
    """The ASGI application (a Starlette app) with ``config`` (default: :class:`ServiceConfig`'s defaults).

    ``registry`` is the :class:`~ability2.Registry` to serve (default: loaded once, when the
    application starts). Raises :class:`ServeExtraMissing` when the extra is not installed.
    """
    require_extra()
    from ability2.service.app import build_app

    return build_app(config, registry=registry)
