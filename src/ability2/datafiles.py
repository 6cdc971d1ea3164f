"""Reading data files: policy, framework and sheet files as UTF-8 text, and their bibliography.

The lowest layer of loading: both the national framework and the regional policy files are
read through :func:`read_source_text`, so that every file error names the file.
"""

from __future__ import annotations

import os
from importlib.resources.abc import Traversable
from pathlib import Path

from ability2.errors import PolicyFileError, Problem
from ability2.model import Document
from ability2.schema import RawDocument

__all__ = ["SourceLike", "read_source_text", "to_document"]

#: a data file: a path, or a traversable inside an installed package
SourceLike = str | os.PathLike[str] | Traversable


def read_source_text(source: SourceLike) -> tuple[str, str]:
    """Read a data file as UTF-8 text; returns ``(text, name)`` or raises PolicyFileError."""
    name = str(source)
    try:
        data = source.read_bytes() if isinstance(source, Traversable) else Path(source).read_bytes()
    except FileNotFoundError:
        raise PolicyFileError([Problem(name, "", "file not found")]) from None
    except IsADirectoryError:
        raise PolicyFileError([Problem(name, "", "is a folder, expected a YAML file")]) from None
    except OSError as exc:
        raise PolicyFileError([Problem(name, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        return data.decode("utf-8-sig"), name
    except UnicodeDecodeError as exc:
        raise PolicyFileError(
            [Problem(name, "", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
        ) from None


def to_document(key: str, raw: RawDocument) -> Document:
    """A :class:`Document` from its raw file entry."""
    return Document(key, raw.title, raw.number, raw.issuer, raw.date, raw.date_note, raw.url, raw.note)
