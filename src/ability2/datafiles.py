"""Reading data files: policy, framework and sheet files as UTF-8 text, and their bibliography.

The lowest layer of loading: both the national framework and the regional policy files are
read through :func:`read_source_text`, so that every file error names the file.
"""

from __future__ import annotations

import os
from importlib.machinery import SourceFileLoader, SourcelessFileLoader
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from ability2.errors import PolicyFileError, Problem
from ability2.messages import msg

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from ability2.model import Document
    from ability2.schema import RawDocument

    #: a data file: a path, or a traversable inside an installed package
    SourceLike = str | os.PathLike[str] | Traversable

__all__ = ["SourceLike", "package_folder", "read_source_text", "to_document"]


def __getattr__(name: str) -> Any:
    """``SourceLike``, made when first asked for (its Traversable costs importing importlib.resources)."""
    if name == "SourceLike":
        from importlib.resources.abc import Traversable

        return str | os.PathLike[str] | Traversable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def package_folder(package: str) -> Traversable:
    """``importlib.resources.files(package)``: for a package on the file system, its folder as a :class:`~pathlib.Path`.

    That is what ``files`` returns for it (its reader is a ``FileReader``), read here without
    importing :mod:`importlib.resources`; any other package (zipped, namespace, another
    loader) is left to ``files`` itself.
    """
    import importlib

    spec = importlib.import_module(package).__spec__
    loader = spec.loader if spec is not None else None
    if (
        spec is not None
        and spec.submodule_search_locations is not None
        and type(loader) in (SourceFileLoader, SourcelessFileLoader)
    ):
        return Path(loader.path).parent  # type: ignore[union-attr]
    from importlib.resources import files

    return files(package)


def read_source_text(source: SourceLike) -> tuple[str, str]:
    """Read a data file as UTF-8 text; returns ``(text, name)`` or raises PolicyFileError."""
    name = str(source)
    try:
        if isinstance(source, str | PurePath):  # a Path reads itself as Path(source) does
            data = Path(source).read_bytes()
        else:
            from importlib.resources.abc import Traversable

            data = source.read_bytes() if isinstance(source, Traversable) else Path(source).read_bytes()
    except FileNotFoundError:
        raise PolicyFileError([Problem(name, "", msg("datafile.not_found"))]) from None
    except IsADirectoryError:
        raise PolicyFileError([Problem(name, "", msg("datafile.is_folder"))]) from None
    except OSError as exc:
        raise PolicyFileError(
            [Problem(name, "", msg("datafile.unreadable", reason=exc.strerror or str(exc)))]
        ) from None
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        raise PolicyFileError([Problem(name, "", msg("datafile.not_utf8", byte=exc.start))]) from None


def to_document(key: str, raw: RawDocument) -> Document:
    """A :class:`Document` from its raw file entry."""
    from ability2.model import Document  # here: a plugin's hook (package_files) needs none of the model

    return Document(key, raw.title, raw.number, raw.issuer, raw.date, raw.date_note, raw.url, raw.note)
