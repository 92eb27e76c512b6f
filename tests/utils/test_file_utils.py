"""kg.utils.get_file: local paths and file:// URLs into the cache, cached
files for any URL, hashes and archives; never a download."""

from __future__ import annotations

import hashlib
import tarfile
import zipfile
from pathlib import Path

import pytest

import kgraph as kg


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source" / "data.txt"
    path.parent.mkdir()
    path.write_text("1 2 3")
    return path


def test_a_local_path_or_file_url_is_copied_into_the_cache(source, tmp_path):
    cache = tmp_path / "cache"
    for origin in (str(source), source.as_uri()):
        path = kg.utils.get_file(origin=origin, cache_dir=cache, force_download=True)
        assert path == str(cache / "datasets" / "data.txt")
        assert Path(path).read_text() == "1 2 3"


def test_a_url_whose_file_is_cached_needs_no_network(tmp_path):
    cached = tmp_path / "datasets" / "mnist.npz"
    cached.parent.mkdir()
    cached.write_bytes(b"cached")
    path = kg.utils.get_file(
        "mnist.npz", origin="https://example.com/mnist.npz", cache_dir=tmp_path
    )
    assert Path(path).read_bytes() == b"cached"


def test_a_url_not_in_the_cache_raises_saying_kgraph_does_not_download(tmp_path):
    with pytest.raises(ValueError, match="does not download") as error:
        kg.utils.get_file(origin="https://example.com/x.csv", cache_dir=tmp_path)
    assert str(tmp_path / "datasets" / "x.csv") in str(error.value)


def test_hashes_are_checked(source, tmp_path):
    sha = hashlib.sha256(b"1 2 3").hexdigest()
    md5 = hashlib.md5(b"1 2 3").hexdigest()
    assert kg.utils.get_file(origin=str(source), file_hash=sha, cache_dir=tmp_path)
    assert kg.utils.get_file(origin=str(source), md5_hash=md5, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="hash does not match"):
        kg.utils.get_file(
            "other.txt", origin=str(source), file_hash="0" * 64, cache_dir=tmp_path
        )


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_archives_are_extracted(source, tmp_path, kind):
    archive = tmp_path / f"bundle.{kind}"
    if kind == "tar":
        with tarfile.open(archive, "w") as bundle:
            bundle.add(source, arcname="inner/data.txt")
    else:
        with zipfile.ZipFile(archive, "w") as bundle:
            bundle.write(source, arcname="inner/data.txt")
    cache = tmp_path / "cache"
    folder = kg.utils.get_file(origin=str(archive), extract=True, cache_dir=cache)
    assert folder == str(cache / "datasets" / f"bundle.{kind}")
    assert Path(folder, "inner", "data.txt").read_text() == "1 2 3"


def test_a_missing_local_file_and_a_folder_in_fname_raise(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        kg.utils.get_file(origin=str(tmp_path / "nope.txt"), cache_dir=tmp_path)
    with pytest.raises(ValueError, match="cache_dir"):
        kg.utils.get_file("a/b.txt", origin="x", cache_dir=tmp_path)
