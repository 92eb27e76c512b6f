"""``kgraph dump``/``viz`` on the stages of every kind of loss, and their
arguments checked in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kgraph as kg


@pytest.fixture(params=["sparse_categorical_crossentropy", "sparse_logits", "mse"])
def saved(request, tmp_path):
    loss = request.param
    if loss == "sparse_logits":
        loss = kg.losses.SparseCategoricalCrossentropy(from_logits=True)
    model = kg.Sequential([kg.Input((4,)), kg.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    path = tmp_path / "model.kgraph"
    model.save(path)
    return path


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "kgraph.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_train_step_dumps_for_every_loss(saved):
    result = _cli("dump", str(saved), "--stage", "train-step")
    assert result.returncode == 0, result.stderr
    assert "return" in result.stdout


def test_bad_stage_and_batch_size_are_one_line_errors(saved):
    for args in (("--stage", "bogus"), ("--stage", "train-step", "--batch-size", "0")):
        result = _cli("dump", str(saved), *args)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr


def test_debug_shows_the_traceback(saved, tmp_path):
    broken = tmp_path / "broken.kgraph"
    broken.write_bytes(saved.read_bytes()[:200])
    result = _cli("dump", str(broken))
    assert result.returncode == 2 and "broken.kgraph" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    debug = _cli("dump", str(broken), "--debug")
    assert "Traceback" in debug.stderr and "FileFormatError" in debug.stderr
