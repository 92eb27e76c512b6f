"""The compile cache trusts nothing it cannot check: a forged or incomplete
loop record is rebuilt, a FIFO in place of an entry is skipped (no hang),
a link is not followed, and a folder others can write or another user owns
is bypassed with a warning."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import kgraph as kg
from kgraph.backends.llvm import jit

X = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)


def _predict(cache):
    assert os.environ["KGRAPH_CACHE_DIR"] == str(cache)
    jit.trusted_cache_dir.cache_clear()
    kg.utils.clear_session()  # the same layer names: the same programs
    kg.utils.set_random_seed(0)
    model = kg.Sequential([kg.Input((3,)), kg.layers.Dense(2)])
    model.compile(loss="mse")
    out = model.predict(X, verbose=0)
    loops = next(iter(model._executables.values())).loops
    return out, next(iter(loops.values()))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("KGRAPH_CACHE_DIR", str(folder))
    yield folder
    jit.trusted_cache_dir.cache_clear()


def _rewrite_record(cache, key, change):
    path = cache / f"{key}.o"
    body = jit.read_index(key)
    change(body)
    path.unlink()
    jit.write_index(key, body)


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["spec"].pop("state"),
        lambda r: r["spec"].update(arena_sizes=[1, 1]),
        lambda r: r["spec"].update(results=[["nope", 0, 5]]),
        lambda r: r.update(modules=["../../etc/passwd"]),
        lambda r: r.update(spec="forged"),
    ],
)
def test_a_forged_or_incomplete_record_is_rebuilt(cache, change):
    expected, loop = _predict(cache)
    _rewrite_record(cache, loop.library.key, change)
    again, rebuilt = _predict(cache)
    np.testing.assert_array_equal(again, expected)
    assert rebuilt.ir_text  # generated again, not taken from the record
    # The rebuild wrote a good record back: the next run loads it.
    _, third = _predict(cache)
    assert third.library.cached and not third.ir_text


def test_a_fifo_in_place_of_an_entry_is_skipped(cache):
    expected, _ = _predict(cache)
    for entry in cache.glob("*.o"):
        entry.unlink()
        os.mkfifo(entry)
    again, rebuilt = _predict(cache)
    np.testing.assert_array_equal(again, expected)
    assert not rebuilt.library.cached


def test_a_folder_others_can_write_is_bypassed(cache):
    _predict(cache)
    os.chmod(cache, 0o777)
    try:
        with pytest.warns(RuntimeWarning, match="cannot be trusted"):
            _, loop = _predict(cache)
        assert not loop.library.cached
    finally:
        os.chmod(cache, 0o700)
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700


def test_a_folder_of_another_user_is_bypassed(cache, monkeypatch):
    _predict(cache)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache).st_uid + 1)
    with pytest.warns(RuntimeWarning, match="cannot be trusted"):
        _, loop = _predict(cache)
    assert not loop.library.cached


def test_a_link_in_place_of_an_entry_is_not_followed(cache, tmp_path):
    expected, _ = _predict(cache)
    for entry in cache.glob("*.o"):
        target = tmp_path / f"elsewhere-{entry.name}"
        entry.rename(target)
        entry.symlink_to(target)
    again, rebuilt = _predict(cache)
    np.testing.assert_array_equal(again, expected)
    assert not rebuilt.library.cached


def test_a_new_cache_folder_is_private(tmp_path, monkeypatch):
    folder = tmp_path / "fresh" / "cache"
    monkeypatch.setenv("KGRAPH_CACHE_DIR", str(folder))
    _predict(folder)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
