"""Writing files safely: all or nothing."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ability2.errors import Ability2Error

__all__ = ["write_atomic", "write_text_atomic"]


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], None]) -> None:
    """Call ``write(temporary path)`` in ``path``'s folder, then move the result into place.

    A failure leaves nothing behind: no partial file, no stray temporary file.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise Ability2Error(f"cannot write {target}: folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=folder)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text to ``path`` atomically."""

    def write(temporary: Path) -> None:
        temporary.write_text(text, encoding="utf-8", newline="")

    write_atomic(path, write)
