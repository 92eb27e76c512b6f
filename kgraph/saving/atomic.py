"""Atomic file writing: write a temporary file in the target's folder, then
rename it over the target, so an interrupted save never destroys the
previous file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def check_overwrite(path: Path, overwrite: bool) -> None:
    """Raises ``FileExistsError`` when ``path`` exists and must be kept."""
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} exists and `overwrite=False`. Received: filepath={path}"
        )


@contextlib.contextmanager
def atomic_path(filepath: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path next to ``filepath``; once the block ends
    without error the temporary file, synced to disk, replaces
    ``filepath``. On error it is deleted and ``filepath`` is untouched.

    Example:

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as temporary:
    ...     _ = temporary.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    # Through a symbolic link: the file it points to is replaced, the link
    # stays.
    path = Path(os.path.realpath(filepath))
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(path)
    handle, name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# A temporary file of a save older than this was left by a killed process.
STALE_SECONDS = 3600.0


def _remove_stale(path: Path) -> None:
    """Deletes temporary files of earlier saves of ``path`` that a killed
    process left behind (older than ``STALE_SECONDS``: a save in progress
    in another process is younger)."""
    import time

    now = time.time()
    for leftover in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and now - leftover.stat().st_mtime > STALE_SECONDS:
                leftover.unlink()


def glob_escape(name: str) -> str:
    """``name`` with the glob wildcards ``*?[`` taken literally."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _file_mode(path: Path) -> int:
    """The existing file's mode, else what ``open`` would give (0o666 less
    the umask); ``mkstemp`` makes files private."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
