"""Writing files safely: all or nothing, through symlinks, never over devices or folders.

Every report, calendar and scaffold ability2 writes goes through :func:`write_atomic`: the
content is written to a new file beside the target and moved into place only when complete,
so a failure leaves nothing half-written and an existing file untouched. Once
:func:`stop_writes` is called (the command line does on SIGTERM), a write that finishes
is not moved into place: :class:`Stopped` is raised instead, even where a native library
swallowed the signal's own exception while the file was being written. A symlink is
written through (its target is replaced, the link kept); a target that exists and is not a
regular file (a folder, a FIFO, a device) is refused. The new file gets the mode a plain
``open`` would give it (or keeps the mode of the file it replaces). Every ``OSError`` becomes
an :class:`~ability2.errors.Ability2Error` naming the path.
"""

from __future__ import annotations

import os
import secrets
import stat
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from ability2.errors import Ability2Error
from ability2.messages import msg

__all__ = ["Stopped", "check_writable", "open_temporary", "stop_writes", "write_atomic", "write_text_atomic"]

_STOP = threading.Event()


class Stopped(BaseException):
    """The process was asked to stop (SIGTERM): unwind, removing half-written files."""


def stop_writes(stop: bool = True) -> None:
    """From now on, abandon every write instead of moving it into place (``stop=False``: write again)."""
    if stop:
        _STOP.set()
    else:
        _STOP.clear()


def writes_stopped() -> bool:
    """Whether :func:`stop_writes` was called (and not undone)."""
    return _STOP.is_set()


def check_writable(path: str | os.PathLike[str]) -> Path:
    """The real path ``path`` will be written at; refuses, before any work, what cannot be written."""
    given = Path(path)
    target = Path(os.path.realpath(given))
    folder = target.parent
    if not folder.exists():
        raise Ability2Error(msg("cli.no_such_folder", path=given, folder=given.parent))
    if not folder.is_dir():
        raise Ability2Error(msg("files.parent_not_folder", path=given, folder=given.parent))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Ability2Error(msg("files.not_writable", path=given, folder=given.parent))
    if target.exists():
        mode = target.stat().st_mode
        if stat.S_ISDIR(mode):
            raise Ability2Error(msg("cli.output_is_folder", path=given))
        if not stat.S_ISREG(mode):
            raise Ability2Error(msg("files.not_regular", path=given))
    return target


def _new_mode(target: Path) -> int:
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary path)`` beside ``path``, then move the result into place; returns the path written."""
    target = check_writable(path)
    mode = _new_mode(target)
    temporary: Path | None = None
    try:
        for _ in range(100):
            # named before it is made: a signal's exception right after the file is made still
            # finds it to remove (48 random bits: no other file has the name)
            temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
            try:
                handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                temporary = None
                continue
            os.close(handle)
            break
        if temporary is None:  # pragma: no cover - 100 collisions of 48 random bits
            raise Ability2Error(msg("files.no_temporary", path=path, folder=target.parent))
        write(temporary)
        if _STOP.is_set():  # asked to stop while writing: the file may be whole, it is still not kept
            raise Stopped
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as exc:
        # removed even when a second signal's exception arrives meanwhile (polars, cancelling
        # its query on SIGINT, raises the interrupt again): this loop is entered without a
        # call, where a pending signal could raise before any cleanup began
        while temporary is not None:
            try:
                with suppress(OSError):
                    temporary.unlink()
                temporary = None
            except (KeyboardInterrupt, Stopped):
                pass
        if isinstance(exc, OSError):
            from ability2.failures import os_reason

            raise Ability2Error(msg("files.cannot_write", path=path, reason=os_reason(exc))) from exc
        raise
    return Path(path)


def open_temporary(temporary: Path) -> BinaryIO:
    """The new, empty file :func:`write_atomic` hands to ``write``, opened for writing bytes without truncating it.

    ``open(path, "wb")`` truncates, and on ext4 a file truncated to nothing is flushed to
    disk when closed (``auto_da_alloc``): about a second for a report of 2 GB, spent
    waiting. The temporary file is new and empty, so there is nothing to truncate.
    """
    return open(os.open(temporary, os.O_WRONLY), "wb")


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 text to ``path`` atomically."""

    def write(temporary: Path) -> None:
        temporary.write_text(text, encoding="utf-8", newline="")

    return write_atomic(path, write)
