"""``get_file``: a data file in the local cache, as ``keras.utils.get_file``
finds it, without downloading.

kgraph never opens network connections. ``origin`` may be a local path or
a ``file://`` URL (the file is copied into the cache), or any URL whose
file is already in the cache (placed there by hand or by Keras, whose
cache folder ``cache_dir="~/.keras"`` names); other URLs raise, saying
where to put the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.parse
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import Any

from kgraph import config


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
    force_download: bool = False,
) -> str:
    """Returns the path of a data file in the cache, copying it there from
    a local ``origin`` (a path or ``file://`` URL) when needed.

    Args:
        fname: the file's name in the cache (default: ``origin``'s).
        origin: where the file comes from: a local path, a ``file://`` URL,
            or a URL whose file must already be in the cache.
        untar: deprecated; ``extract=True`` with ``archive_format="tar"``.
        md5_hash: deprecated; ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: the expected SHA-256 or MD5 hash of the file.
        cache_subdir: the folder under ``cache_dir``.
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (by the hash's
            length).
        extract: extract the file as a tar or zip archive.
        archive_format: ``"auto"`` (``["tar", "zip"]``), ``"tar"``,
            ``"zip"``, a list of them, or ``None`` (do not extract).
        cache_dir: the cache folder (default: kgraph's cache folder,
            ``kgraph.config.cache_dir()``).
        force_download: copy the file again even if it is in the cache.

    Returns:
        The cached file's path; with ``extract=True`` the extracted folder.

    Raises:
        ValueError: for a URL whose file is not in the cache (kgraph does
            not download), a missing local file, a hash that does not match,
            or a ``fname`` holding a folder.

    Example:

    >>> import tempfile, pathlib
    >>> folder = tempfile.mkdtemp()
    >>> source = pathlib.Path(folder, "data.txt")
    >>> _ = source.write_text("1 2 3")
    >>> path = get_file(origin=source.as_uri(), cache_dir=folder)
    >>> pathlib.Path(path).read_text()
    '1 2 3'
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = _cache_folder(cache_dir) / cache_subdir
    datadir.mkdir(parents=True, exist_ok=True)
    given_name = fname
    fname = os.fspath(fname) if fname else _name_of(origin)
    if os.sep in fname:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify "
            f"the file's parent directory, use `cache_dir`. Received: fname={fname}"
        )
    target, extraction = _targets(datadir, fname, bool(given_name), extract or untar)
    if (
        force_download
        or not target.exists()
        or not _valid(target, file_hash, hash_algorithm)
    ):
        _copy_local(origin, target)
        if file_hash is not None and not _valid(target, file_hash, hash_algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file "
                f"hash does not match the provided value of {file_hash}. "
                f"Received: {origin}"
            )
    if extract or untar:
        if not extract_archive(target, extraction, "tar" if untar else archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
        return str(extraction)
    return str(target)


def _cache_folder(cache_dir: Any) -> Path:
    base = Path(os.path.expanduser(cache_dir)) if cache_dir else config.cache_dir()
    with contextlib.suppress(OSError):
        base.mkdir(parents=True, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir()) / ".kgraph"
    return base


def _name_of(origin: str) -> str:
    name = os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(
            "Can't parse the file name from the origin provided: "
            f"'{origin}'. Please specify the `fname` argument."
        )
    return name


def _targets(
    datadir: Path, fname: str, given: bool, extract: bool
) -> tuple[Path, Path]:
    """Where the file goes and where it extracts to, as Keras names them."""
    if not extract:
        return datadir / fname, datadir / fname
    if given and "." in fname:
        return datadir / fname, datadir / f"{fname[: fname.find('.')]}_extracted"
    return datadir / f"{fname}_archive", datadir / fname


def _copy_local(origin: str, target: Path) -> None:
    parts = urllib.parse.urlsplit(origin)
    if parts.scheme in ("", "file") or len(parts.scheme) == 1:  # "C:" paths
        source = (
            Path(urllib.request.url2pathname(parts.path))
            if parts.scheme == "file"
            else Path(origin)
        )
        if not source.is_file():
            raise ValueError(
                f"The file to get does not exist. Received: origin={origin!r}"
            )
        shutil.copyfile(source, target)
        return
    raise ValueError(
        f"kgraph does not download files: {origin} is not in the cache. Download "
        f"it yourself and place it at {target} (or pass a local path or a "
        f"file:// URL as `origin`). Received: origin={origin!r}"
    )


def _valid(path: Path, file_hash: str | None, algorithm: str) -> bool:
    if file_hash is None:
        return True
    return hash_file(path, _algorithm(algorithm, file_hash)) == str(file_hash)


def _algorithm(algorithm: str, file_hash: str) -> str:
    if algorithm in ("sha256", "md5"):
        return algorithm
    return "sha256" if len(str(file_hash)) == 64 else "md5"


def hash_file(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Returns a file's SHA-256 (or MD5) hash as hex digits.

    Example:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp(), "empty")
    >>> path.write_bytes(b"")
    0
    >>> hash_file(path)[:16]
    'e3b0c44298fc1c14'
    """
    hasher = hashlib.md5() if algorithm == "md5" else hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(65535), b""):
            hasher.update(block)
    return hasher.hexdigest()


def extract_archive(
    path: str | os.PathLike[str],
    into: str | os.PathLike[str],
    archive_format: str | list[str] | None = "auto",
) -> bool:
    """Extracts a tar or zip archive into a folder.

    Returns:
        Whether ``path`` was an archive of one of the formats.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                _extract_tar(archive, Path(into))
            return True
        if kind == "zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                archive.extractall(into)
            return True
    return False


def _extract_tar(archive: tarfile.TarFile, into: Path) -> None:
    """Extracts members that stay inside ``into`` (no links out, no
    absolute paths), as Python's ``"data"`` filter does."""
    if hasattr(tarfile, "data_filter"):
        archive.extractall(into, filter="data")
        return
    root = into.resolve()
    for member in archive.getmembers():
        destination = (into / member.name).resolve()
        if (
            root not in (destination, *destination.parents)
            or member.islnk()
            or member.issym()
        ):
            raise ValueError(
                f"Refusing to extract {member.name!r} outside {into}. "
                f"Received: an archive member {member.name!r}"
            )
    archive.extractall(into)


__all__ = ["extract_archive", "get_file", "hash_file"]
