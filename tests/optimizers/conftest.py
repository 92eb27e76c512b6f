"""Shared harness of the optimizer tests.

``run_steps`` runs an optimizer's ``apply`` for a few steps in one of three
modes: eagerly on NumPy arrays, eagerly on ``kgraph.Tensor``s, or as one graph
built from placeholders and run by the interpreter at every step (the way the
compiled training step uses it). ``assert_trajectory`` compares the result
with a float64 NumPy transcription of Keras's formula written in each test.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

import kgraph
from kgraph import ops
from kgraph.backends import interpreter
from kgraph.ops.verify import verify_graph

RTOL = 1e-5
ATOL = 1e-8
MODES = ("eager_numpy", "eager_tensor", "graph")

# One step's result: the parameters and, per parameter, its slots by name.
StepResult = tuple[list[np.ndarray], list[dict[str, np.ndarray]]]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """Each test using ``mode`` runs eagerly (arrays, tensors) and as a graph."""
    return request.param


def make_problem(
    seed: int = 0, steps: int = 3
) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Returns float32 parameters (a kernel and a bias) and gradients per step.

    Each gradient element keeps its sign over the steps and stays away from
    0, so no slot or parameter passes near 0, where float32 rounding would be
    large relative to the value.
    """
    rng = np.random.default_rng(seed)
    shapes = [(3, 2), (2,)]
    params = [
        (rng.uniform(0.5, 1.5, s) * rng.choice([-1, 1], s)).astype("float32")
        for s in shapes
    ]
    signs = [rng.choice([-1, 1], s) for s in shapes]
    grads = [
        [
            (rng.uniform(0.2, 1.0, s) * sign).astype("float32")
            for s, sign in zip(shapes, signs, strict=True)
        ]
        for _ in range(steps)
    ]
    return params, grads


def host_learning_rate(optimizer: Any) -> np.float32:
    """What the host feeds as ``lr``: the float rate, or a decoy for schedules."""
    if optimizer.learning_rate_schedule is not None:
        # NOTE: ignored by apply; a wild value makes any use of it visible.
        return np.float32(123.0)
    return np.float32(optimizer.learning_rate)


def _variables(params: Sequence[np.ndarray]) -> list[kgraph.Variable]:
    names = ["kernel", "bias"]
    return [
        kgraph.Variable(value, name=names[i % 2], path=f"dense_{i // 2}/{names[i % 2]}")
        for i, value in enumerate(params)
    ]


def _initial_slots(optimizer: Any, variables: Sequence[kgraph.Variable]) -> list[dict]:
    return [
        {name: slot.numpy() for name, slot in optimizer.slots(v).items()}
        for v in variables
    ]


def _to_numpy(
    params: Sequence[Any], slots: Sequence[dict], old: Sequence[dict]
) -> StepResult:
    """The step's values as arrays; a slot the step leaves out keeps its value."""
    return (
        [np.array(p) for p in params],
        [
            {name: np.array(s.get(name, before[name])) for name in before}
            for s, before in zip(slots, old, strict=True)
        ],
    )


def _state_values(optimizer: Any) -> dict[str, np.ndarray]:
    return {name: var.numpy() for name, var in optimizer.state().items()}


class _EagerStepper:
    """Runs ``apply_with_state`` eagerly, on values wrapped by ``wrap``,
    carrying the optimizer's state variables (Nadam's) from step to step."""

    def __init__(self, optimizer: Any, wrap: Callable[[Any], Any]) -> None:
        self.wrap = wrap
        self.state = _state_values(optimizer)

    def __call__(
        self, optimizer: Any, t: int, lr: Any, params: Any, grads: Any, slots: Any
    ) -> StepResult:
        wrap = self.wrap
        new_params, new_slots, new_state = optimizer.apply_with_state(
            wrap(np.int64(t)),
            wrap(lr),
            [wrap(p) for p in params],
            [wrap(g) for g in grads],
            [{k: wrap(v) for k, v in s.items()} for s in slots],
            {k: wrap(v) for k, v in self.state.items()},
        )
        self.state = {k: np.array(v) for k, v in new_state.items()}
        for value in [*new_params, *(v for s in new_slots for v in s.values())]:
            assert isinstance(value, kgraph.Tensor), type(value)
        return _to_numpy(new_params, new_slots, slots)


class _GraphStepper:
    """Builds the update graph once, then runs it on the interpreter per step."""

    def __init__(self, optimizer: Any, variables: Sequence[kgraph.Variable]) -> None:
        graph = kgraph.Graph(name="update")
        step = ops.placeholder(graph, "step", (), "int64", "scalar")
        lr = ops.placeholder(graph, "learning_rate", (), "float32", "scalar")
        params = [
            ops.placeholder(graph, v.path, v.shape, v.dtype, "parameter")
            for v in variables
        ]
        grads = [
            ops.placeholder(graph, f"gradient/{v.path}", v.shape, v.dtype, "data")
            for v in variables
        ]
        self.slot_names = [list(optimizer.slots(v)) for v in variables]
        slots = [
            {
                name: ops.placeholder(graph, slot.path, slot.shape, slot.dtype, "slot")
                for name, slot in optimizer.slots(v).items()
            }
            for v in variables
        ]
        state = {
            name: ops.placeholder(graph, var.path, var.shape, var.dtype, "slot")
            for name, var in optimizer.state().items()
        }
        new_params, new_slots, new_state = optimizer.apply_with_state(
            step, lr, params, grads, slots, state
        )
        for i, value in enumerate(new_params):
            graph.set_output(f"param/{i}", value.node_id)
        self.updated = []
        for i, group in enumerate(new_slots):
            assert set(group) <= set(self.slot_names[i])
            self.updated.append(sorted(group))
            for name, value in group.items():
                graph.set_output(f"slot/{i}/{name}", value.node_id)
        for name, value in new_state.items():
            graph.set_output(f"state/{name}", value.node_id)
        verify_graph(graph)
        self.graph = graph
        self.variables = variables
        self.slot_paths = [
            {name: s.path for name, s in optimizer.slots(v).items()} for v in variables
        ]
        self.state_paths = {name: v.path for name, v in optimizer.state().items()}
        self.state = _state_values(optimizer)

    def __call__(
        self, optimizer: Any, t: int, lr: Any, params: Any, grads: Any, slots: Any
    ) -> StepResult:
        feeds: dict[str, Any] = {"step": np.int64(t), "learning_rate": lr}
        for v, p, g, s, paths in zip(
            self.variables, params, grads, slots, self.slot_paths, strict=True
        ):
            feeds[v.path] = p
            feeds[f"gradient/{v.path}"] = g
            feeds.update({paths[name]: value for name, value in s.items()})
        feeds.update({self.state_paths[k]: v for k, v in self.state.items()})
        out = interpreter.run(self.graph, feeds)
        self.state = {k: out[f"state/{k}"] for k in self.state}
        new_params = [out[f"param/{i}"] for i in range(len(params))]
        new_slots = [
            {name: out[f"slot/{i}/{name}"] for name in names}
            for i, names in enumerate(self.updated)
        ]
        return _to_numpy(new_params, new_slots, slots)


def _run_steps(
    optimizer: Any,
    params: Sequence[np.ndarray],
    grads_per_step: Sequence[Sequence[np.ndarray]],
    mode: str,
    before_step: Callable[[int], None] | None = None,
) -> list[StepResult]:
    variables = _variables(params)
    optimizer.build(variables)
    if mode == "graph":
        stepper: Callable = _GraphStepper(optimizer, variables)
    elif mode == "eager_tensor":
        stepper = _EagerStepper(optimizer, kgraph.Tensor)
    else:
        stepper = _EagerStepper(optimizer, lambda x: x)
    values = [np.array(p) for p in params]
    slots = _initial_slots(optimizer, variables)
    history = []
    for t, grads in enumerate(grads_per_step):
        if before_step is not None:
            before_step(t)
        lr = host_learning_rate(optimizer)
        values, slots = stepper(optimizer, t, lr, values, grads, slots)
        history.append((values, slots))
    return history


@pytest.fixture
def run_steps() -> Callable[..., list[StepResult]]:
    """``run_steps(optimizer, params, grads_per_step, mode, before_step=None)``.

    Builds the optimizer on ``Variable``s holding ``params``, then runs
    ``apply`` once per entry of ``grads_per_step`` with the step counter
    0, 1, ... and the host learning rate read from the optimizer before each
    step (after ``before_step(t)``, which may change it). Returns each step's
    parameters and slots as float arrays.
    """
    return _run_steps


def _assert_trajectory(
    actual: Sequence[StepResult],
    expected: Sequence[StepResult],
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    assert len(actual) == len(expected)
    for t, ((params, slots), (want_params, want_slots)) in enumerate(
        zip(actual, expected, strict=True)
    ):
        for i, (got, want) in enumerate(zip(params, want_params, strict=True)):
            assert got.dtype == np.float32
            np.testing.assert_allclose(
                got, want, rtol=rtol, atol=atol, err_msg=f"step {t}, param {i}"
            )
        for i, (got, want) in enumerate(zip(slots, want_slots, strict=True)):
            assert sorted(got) == sorted(want), f"step {t}, slots of param {i}"
            for name in want:
                np.testing.assert_allclose(
                    got[name],
                    want[name],
                    rtol=rtol,
                    atol=atol,
                    err_msg=f"step {t}, param {i}, slot {name}",
                )


@pytest.fixture
def assert_trajectory() -> Callable[..., None]:
    """``assert_trajectory(actual, expected, rtol=1e-5, atol=1e-8)``."""
    return _assert_trajectory


@pytest.fixture
def problem() -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """A kernel and a bias (float32) and three steps of gradients."""
    return make_problem()


# -- references as step objects, and training a model on each backend ---------


def _reference_trajectory(
    reference: Any, grads_per_step: Sequence[Sequence[np.ndarray]], lrs: Sequence[float]
) -> list[StepResult]:
    """Runs ``reference.step(t, lr, grads)`` per step; after each step
    records ``reference.params`` and ``reference.slots`` (copies)."""
    history = []
    for t, (rate, grads) in enumerate(zip(lrs, grads_per_step, strict=True)):
        reference.step(t, rate, [g.astype(np.float64) for g in grads])
        history.append(
            (
                [p.copy() for p in reference.params],
                [{k: np.array(v) for k, v in s.items()} for s in reference.slots],
            )
        )
    return history


@pytest.fixture
def reference_run() -> Callable[..., list[StepResult]]:
    """``reference_run(reference, grads_per_step, lrs)``: a NumPy reference
    object's trajectory, in ``run_steps``'s format."""
    return _reference_trajectory


def _linear_data() -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (8, 3)).astype("float32")
    y = rng.uniform(-1, 1, (8, 2)).astype("float32")
    params = [
        rng.uniform(-1, 1, (3, 2)).astype("float32"),
        rng.uniform(-1, 1, (2,)).astype("float32"),
    ]
    return x, y, params


def _mse_grads(params: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray) -> list:
    """Gradients of Keras's mean squared error of ``x @ W + b``."""
    kernel, bias = params
    error = 2 * (x @ kernel + bias - y) / y.size
    return [x.T @ error, error.sum(axis=0)]


def _fit_linear(
    optimizer: Any, make_reference: Callable[[list[np.ndarray]], Any], steps: int = 4
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Trains ``Dense(2)`` on one full batch for ``steps`` steps with
    ``optimizer`` (on the backend ``KGRAPH_BACKEND`` selects), and runs the
    NumPy reference on the same data. Returns ``(weights, expected)``."""
    x, y, params = _linear_data()
    model = kgraph.Sequential([kgraph.Input((3,)), kgraph.layers.Dense(2)])
    model.set_weights(params)
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, batch_size=8, epochs=steps, shuffle=False, verbose=0)
    reference = make_reference([p.astype(np.float64) for p in params])
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    for t in range(steps):
        reference.step(t, None, _mse_grads(reference.params, xd, yd))
    return model.get_weights(), reference.params


@pytest.fixture
def fit_linear() -> Callable[..., tuple[list[np.ndarray], list[np.ndarray]]]:
    """``fit_linear(optimizer, make_reference, steps=4)``: a model's weights
    after ``fit`` and a NumPy reference's (``make_reference(params)``, whose
    ``step(t, lr, grads)`` takes ``lr=None`` as its own learning rate)."""
    return _fit_linear
