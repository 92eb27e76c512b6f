"""The compiled training step, seen through kg.dump: the optimizer update is
part of the one graph."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import kgraph as kg
from kgraph.backends import interpreter


def _model(optimizer="adam"):
    kg.utils.set_random_seed(0)
    model = kg.Sequential(
        [
            kg.layers.Dense(4, activation="relu", input_shape=(3,)),
            kg.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", backend="numpy")
    return model


def _returns(text):
    last = text.strip().splitlines()[-1]
    assert last.startswith("return ")
    return dict(item.split("=") for item in last[len("return ") :].split(", "))


def test_train_step_holds_the_adam_update():
    model = _model()
    text = kg.dump(model, stage="train-step", batch_size=4)
    outputs = _returns(text)
    for variable in model.trainable_weights:
        assert f"new:{variable.path}" in outputs
        assert f"new:adam/{variable.path}/momentum" in outputs
        assert f"new:adam/{variable.path}/velocity" in outputs
    adam = [name for name in outputs if name.startswith("new:adam/")]
    assert len(adam) == 8  # momentum and velocity of four parameters
    assert "loss" in outputs
    # The square root of the velocity, in the optimizer's nodes (alone or
    # inside a fused node, whichever passes ran).
    sqrt_lines = [
        line for line in text.splitlines() if "= sqrt(" in line or '("sqrt"' in line
    ]
    assert len(sqrt_lines) >= 4
    assert all(line.endswith("# optimizer") for line in sqrt_lines)
    # The step is static: the batch size is in the shapes.
    assert re.search(r"f32\[4,3\]", text)
    # Scalars the host feeds.
    assert 'name="iterations"' in text
    assert 'name="learning_rate"' in text
    assert "grad:" not in text


def test_train_step_names_follow_the_model_weights():
    model = _model()
    outputs = _returns(kg.dump(model, stage="train-step"))
    for variable in model.trainable_weights:
        assert f"new:{variable.path}" in outputs
    for slot in model.optimizer.variables[1:]:
        assert f"new:{slot.path}" in outputs


def test_sgd_step_has_no_slots_and_no_sqrt():
    model = _model(optimizer=kg.optimizers.SGD(0.1))
    text = kg.dump(model, stage="train-step")
    outputs = _returns(text)
    assert sorted(k for k in outputs if k.startswith("new:")) == sorted(
        f"new:{v.path}" for v in model.trainable_weights
    )
    assert "sqrt(" not in text


def test_inline_optimizer_stage():
    model = _model()
    text = kg.dump(model, stage="inline_optimizer")
    outputs = _returns(text)
    # Right after the pass, before any fusion: the velocity slots come in and
    # each parameter's update takes a square root (of its new velocity).
    lines = text.splitlines()
    slots = [line for line in lines if 'role="slot"' in line]
    assert sum("/velocity" in line for line in slots) == 4
    assert sum("/momentum" in line for line in slots) == 4
    assert sum("= sqrt(" in line for line in lines) >= 4
    assert any(name.startswith("new:adam/") for name in outputs)
    assert not any(name.startswith("grad:") for name in outputs)
    before = _returns(kg.dump(model, stage="differentiate"))
    assert any(name.startswith("grad:") for name in before)


def test_other_stages_and_formats():
    model = _model()
    forward = kg.dump(model)
    assert "new:" not in forward
    assert kg.dump(model, stage="forward") == forward
    for stage in ("eval-step", "predict-step"):
        text = kg.dump(model, stage=stage, batch_size=5)
        assert "new:" not in text
        assert "f32[5,3]" in text
    dot = kg.dump(model, stage="train-step", format="dot")
    assert dot.lstrip().startswith("digraph")
    graph = json.loads(kg.dump(model, stage="train-step", format="json"))
    assert graph


def test_unknown_stage_lists_the_valid_ones():
    model = _model()
    with pytest.raises(ValueError, match="stage") as info:
        kg.dump(model, stage="nope")
    message = str(info.value)
    for valid in ("train-step", "inline_optimizer", "differentiate", "forward"):
        assert valid in message
    assert "nope" in message


def test_train_step_before_compile_raises():
    model = kg.Sequential([kg.layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="compile"):
        kg.dump(model, stage="train-step")


def test_the_dumped_step_is_what_fit_runs():
    """Running the train-step graph by hand gives train_on_batch's update."""
    model = _model(optimizer=kg.optimizers.Adam(0.01))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    program = model.compiled_program("train", 4)
    feeds = {v.path: v.numpy() for v in model.weights}
    feeds.update({v.path: v.numpy() for v in model.optimizer.variables})
    input_name = model.input_names[0]
    feeds.update(
        {
            input_name: x,
            f"target:{model.output_names[0]}": y,
            "sample_weight": np.ones(4, dtype="float32"),
            "iterations": np.int64(0),
            "learning_rate": np.float32(0.01),
            "seed": np.int64(0),
        }
    )
    needed = {node.name for node in program.graph.placeholders()}
    outputs = interpreter.run(program.graph, {k: feeds[k] for k in needed})
    loss = model.train_on_batch(x, y)
    assert float(outputs["loss"]) == pytest.approx(loss, rel=1e-6)
    for variable in model.trainable_weights:
        np.testing.assert_allclose(
            outputs[f"new:{variable.path}"], variable.numpy(), rtol=1e-6
        )
