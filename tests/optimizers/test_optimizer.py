"""The base optimizer: clipping, weight decay, variables, learning rate,
validation, and ``get``/``serialize``/``deserialize``."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph import ops
from kgraph import optimizers
from kgraph.backends import interpreter
from kgraph.ops.verify import verify_graph
from kgraph.optimizers import SGD
from kgraph.optimizers import Adagrad
from kgraph.optimizers import Adam
from kgraph.optimizers import AdamW
from kgraph.optimizers import Optimizer
from kgraph.optimizers import RMSprop
from kgraph.optimizers import schedules

# -- NumPy transcriptions of Keras 3's clipping and weight decay --------------


def clip_reference(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    grads = [g.astype(np.float64) for g in grads]
    if clipnorm:
        return [g * clipnorm / max(np.sqrt(np.sum(g**2)), clipnorm) for g in grads]
    if global_clipnorm:
        norm = np.sqrt(sum(np.sum(g**2) for g in grads))
        scale = global_clipnorm * min(1.0 / norm, 1.0 / global_clipnorm)
        return [g * scale for g in grads]
    if clipvalue:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


def plain_sgd_reference(params, grads_per_step, lr, weight_decay=None, **clipping):
    """Keras 3's order: clip, decay (``w -= w * wd * lr``), then ``w -= lr * g``."""
    weights = [p.astype(np.float64) for p in params]
    history = []
    for grads in grads_per_step:
        for i, grad in enumerate(clip_reference(grads, **clipping)):
            if weight_decay is not None:
                weights[i] = weights[i] - weights[i] * weight_decay * lr
            weights[i] = weights[i] - lr * grad
        history.append(([w.copy() for w in weights], [{} for _ in weights]))
    return history


def scaled_problem(problem, factor):
    params, grads = problem
    return params, [[g * np.float32(factor) for g in step] for step in grads]


@pytest.mark.parametrize(
    "clipping",
    [
        {"clipvalue": 0.5},
        {"clipnorm": 1.0},
        {"global_clipnorm": 1.0},
        {"clipnorm": 100.0},
        {"global_clipnorm": 100.0},
    ],
    ids=[
        "clipvalue",
        "clipnorm",
        "global_clipnorm",
        "clipnorm-inactive",
        "global-inactive",
    ],
)
def test_clipping_matches_reference(
    clipping, mode, problem, run_steps, assert_trajectory
):
    params, grads = scaled_problem(problem, 3.0)
    opt = SGD(learning_rate=0.1, **clipping)
    actual = run_steps(opt, params, grads, mode)
    assert_trajectory(actual, plain_sgd_reference(params, grads, 0.1, **clipping))


def test_clipping_happens_before_the_update_rule(
    mode, problem, run_steps, assert_trajectory
):
    params, grads = scaled_problem(problem, 5.0)
    opt = SGD(learning_rate=0.1, momentum=0.9, global_clipnorm=0.5)
    actual = run_steps(opt, params, grads, mode)
    weights = [p.astype(np.float64) for p in params]
    velocities = [np.zeros_like(w) for w in weights]
    expected = []
    for step in grads:
        for i, grad in enumerate(clip_reference(step, global_clipnorm=0.5)):
            velocities[i] = 0.9 * velocities[i] - 0.1 * grad
            weights[i] = weights[i] + velocities[i]
        expected.append(
            ([w.copy() for w in weights], [{"momentum": v.copy()} for v in velocities])
        )
    assert_trajectory(actual, expected)


def test_clipnorm_by_hand(mode, run_steps):
    # g = [3, 4] has norm 5; clipnorm 1 gives [0.6, 0.8]; w = 0 - 1 * g.
    opt = SGD(learning_rate=1.0, clipnorm=1.0)
    history = run_steps(opt, [np.zeros(2, "float32")], [[np.float32([3, 4])]], mode)
    np.testing.assert_allclose(history[0][0][0], [-0.6, -0.8], rtol=1e-6)


def test_global_clipnorm_by_hand(mode, run_steps):
    # Norm of ([3], [4]) together is 5; global_clipnorm 2.5 halves both.
    opt = SGD(learning_rate=1.0, global_clipnorm=2.5)
    params = [np.zeros(1, "float32"), np.zeros(1, "float32")]
    history = run_steps(opt, params, [[np.float32([3]), np.float32([4])]], mode)
    np.testing.assert_allclose(history[0][0][0], [-1.5], rtol=1e-6)
    np.testing.assert_allclose(history[0][0][1], [-2.0], rtol=1e-6)


@pytest.mark.parametrize("clipping", [{"clipnorm": 1.0}, {"global_clipnorm": 1.0}])
def test_zero_gradients_stay_finite(clipping, mode, run_steps):
    opt = SGD(learning_rate=1.0, **clipping)
    params = [np.ones(2, "float32"), np.ones(1, "float32")]
    history = run_steps(
        opt, params, [[np.zeros(2, "float32"), np.zeros(1, "float32")]], mode
    )
    np.testing.assert_array_equal(history[0][0][0], [1.0, 1.0])
    np.testing.assert_array_equal(history[0][0][1], [1.0])


def test_global_clipnorm_non_finite_norm_gives_nan(mode, run_steps):
    # Keras 3: a non-finite global norm makes every clipped gradient NaN.
    opt = SGD(learning_rate=1.0, global_clipnorm=1.0)
    params = [np.ones(2, "float32"), np.ones(1, "float32")]
    grads = [[np.float32([np.inf, 1.0]), np.float32([1.0])]]
    history = run_steps(opt, params, grads, mode)
    assert np.isnan(history[0][0][1]).all()


@pytest.mark.parametrize("optimizer_class", [SGD, RMSprop, Adagrad])
def test_weight_decay_on_any_optimizer(optimizer_class, mode, problem, run_steps):
    # Decay is applied to w before the update rule: with g = 0 for SGD the
    # result is exactly w * (1 - wd * lr) per step.
    params, _ = problem
    zeros = [[np.zeros_like(p) for p in params]] * 3
    opt = optimizer_class(learning_rate=0.1, weight_decay=0.2)
    history = run_steps(opt, params, zeros, mode)
    for t, (values, _) in enumerate(history):
        for got, start in zip(values, params, strict=True):
            np.testing.assert_allclose(
                got, start * (1 - 0.2 * 0.1) ** (t + 1), rtol=1e-6
            )


def test_weight_decay_with_gradients(mode, problem, run_steps, assert_trajectory):
    params, grads = problem
    opt = SGD(learning_rate=0.1, weight_decay=0.3, clipvalue=0.5)
    actual = run_steps(opt, params, grads, mode)
    expected = plain_sgd_reference(params, grads, 0.1, weight_decay=0.3, clipvalue=0.5)
    assert_trajectory(actual, expected)


# -- variables ------------------------------------------------------------------


def _dense_variables():
    kernel = kgraph.Variable(
        np.ones((3, 2), "float32"), name="kernel", path="dense/kernel"
    )
    bias = kgraph.Variable(np.zeros(2, "float32"), name="bias", path="dense/bias")
    return kernel, bias


def test_iterations_variable():
    opt = Adam(name="my_adam")
    assert opt.iterations.path == "my_adam/iterations"
    assert opt.iterations.name == "iterations"
    assert opt.iterations.dtype == "int64"
    assert opt.iterations.shape == ()
    assert opt.iterations.trainable is False
    assert int(opt.iterations.numpy()) == 0
    assert opt.variables == [opt.iterations]
    assert opt.built is False


def test_build_is_idempotent_and_skips_frozen_params():
    kernel, bias = _dense_variables()
    frozen = kgraph.Variable(
        np.zeros(4, "float32"), name="moving_mean", path="bn/mean", trainable=False
    )
    opt = Adam()
    opt.build([kernel, bias, frozen])
    first = opt.variables
    assert len(first) == 5
    opt.build([kernel, bias, frozen])
    assert opt.variables == first
    assert opt.built is True
    with pytest.raises(
        ValueError, match=r"no slots for variable 'bn/mean'.*Received: param='bn/mean'$"
    ):
        opt.slots(frozen)


def test_build_appends_new_params():
    kernel, bias = _dense_variables()
    opt = Adam()
    opt.build([kernel])
    opt.build([kernel, bias])
    assert [v.path for v in opt.variables[1:]] == [
        "adam/dense/kernel/momentum",
        "adam/dense/kernel/velocity",
        "adam/dense/bias/momentum",
        "adam/dense/bias/velocity",
    ]
    assert opt.slots("dense/bias")["velocity"] is opt.variables[-1]


def test_slots_follow_the_param_dtype_and_shape():
    wide = kgraph.Variable(np.ones((2, 2), "float64"), name="w", path="layer/w")
    opt = RMSprop(momentum=0.5)
    opt.build([wide])
    for slot in opt.slots(wide).values():
        assert slot.dtype == "float64"
        assert slot.shape == (2, 2)
        assert slot.trainable is False


def test_build_rejects_arrays():
    with pytest.raises(TypeError, match=r"kgraph.Variable objects. Received: param="):
        Adam().build([np.zeros(3)])


def test_float64_params_update_in_float64():
    opt = SGD(learning_rate=0.1, momentum=0.9)
    params, slots = opt.apply(
        np.int64(0),
        np.float32(0.1),
        [np.ones(2, "float64")],
        [np.full(2, 0.5, "float32")],
        [{"momentum": np.zeros(2, "float64")}],
    )
    assert params[0].dtype == "float64"
    assert slots[0]["momentum"].dtype == "float64"
    # As in Keras, the float32 learning rate is cast to the parameter's dtype.
    expected = 1.0 - float(np.float32(0.1)) * 0.5
    np.testing.assert_allclose(params[0].numpy(), [expected, expected], rtol=1e-15)


def test_apply_checks_lengths():
    with pytest.raises(
        ValueError, match=r"Received: len\(params\)=2, len\(grads\)=1, len\(slots\)=2$"
    ):
        SGD().apply(0, 0.1, [np.ones(1)] * 2, [np.ones(1)], [{}, {}])


def test_apply_gradients_counts_steps():
    kernel, bias = _dense_variables()
    opt = Adam(learning_rate=0.1)
    opt.apply_gradients(
        [(np.ones((3, 2), "float32"), kernel), (np.ones(2, "float32"), bias)]
    )
    opt.apply_gradients(
        [(np.ones((3, 2), "float32"), kernel), (np.ones(2, "float32"), bias)]
    )
    assert int(opt.iterations.numpy()) == 2
    # Two Adam steps with a constant gradient move each weight by 2 * lr
    # (up to epsilon), since m / sqrt(v) is 1 after bias correction.
    np.testing.assert_allclose(kernel.numpy(), np.full((3, 2), 0.8), atol=1e-5)
    np.testing.assert_allclose(bias.numpy(), np.full(2, -0.2), atol=1e-5)
    np.testing.assert_allclose(
        opt.slots(bias)["momentum"].numpy(), [0.19, 0.19], rtol=1e-6
    )


# -- the learning rate ------------------------------------------------------------


def test_learning_rate_is_settable():
    opt = Adam()
    opt.learning_rate = 0.0005
    assert opt.learning_rate == 0.0005
    opt.learning_rate = np.float32(0.25)
    assert opt.learning_rate == 0.25
    assert isinstance(opt.learning_rate, float)
    assert opt.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match=r"Received: learning_rate=-1.0$"):
        opt.learning_rate = -1.0


def test_schedule_learning_rate_is_not_settable_to_a_number():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.9)
    opt = SGD(learning_rate=schedule)
    assert opt.learning_rate_schedule is schedule
    with pytest.raises(
        TypeError, match=r"cannot be set to a number. .*Received: learning_rate=0.1$"
    ):
        opt.learning_rate = 0.1
    other = schedules.CosineDecay(0.1, 10)
    opt.learning_rate = other
    assert opt.learning_rate_schedule is other


def test_schedule_learning_rate_reads_as_its_current_value():
    # Keras: `optimizer.learning_rate` is the schedule at `iterations`.
    opt = SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
    assert isinstance(opt.learning_rate, float)
    assert opt.learning_rate == pytest.approx(0.1)
    opt.iterations.assign(10)
    assert opt.learning_rate == pytest.approx(0.05)
    assert SGD(learning_rate=0.2).learning_rate_schedule is None


def test_learning_rate_at():
    opt = SGD(learning_rate=0.3)
    assert opt.learning_rate_at(5, None) == 0.3
    assert opt.learning_rate_at(5, 0.7) == 0.7
    opt = SGD(learning_rate=schedules.PiecewiseConstantDecay([2], [0.5, 0.25]))
    assert float(opt.learning_rate_at(np.int64(3), np.float32(9.0))) == 0.25
    assert opt.learning_rate_at(np.int64(3), None).dtype == "float32"


def _update_graph(opt):
    graph = kgraph.Graph()
    step = ops.placeholder(graph, "step", (), "int64", "scalar")
    lr = ops.placeholder(graph, "learning_rate", (), "float32", "scalar")
    param = ops.placeholder(graph, "w", (2,), "float32", "parameter")
    grad = ops.placeholder(graph, "g", (2,), "float32", "data")
    slot = ops.placeholder(graph, "m", (2,), "float32", "slot")
    (new_param,), (new_slots,) = opt.apply(
        step, lr, [param], [grad], [{"momentum": slot}]
    )
    graph.set_output("w", new_param.node_id)
    graph.set_output("m", new_slots["momentum"].node_id)
    verify_graph(graph)
    needed = graph.ancestors(graph.outputs.values())
    return graph, {
        graph.node(i).name for i in needed if graph.node(i).op == "placeholder"
    }


def test_graph_reads_the_fed_learning_rate():
    graph, inputs = _update_graph(SGD(learning_rate=0.1, momentum=0.9))
    assert inputs == {"learning_rate", "w", "g", "m"}
    feeds = {
        "learning_rate": np.float32(0.5),
        "w": np.ones(2),
        "g": np.ones(2),
        "m": np.zeros(2),
    }
    out = interpreter.run(graph, feeds)
    np.testing.assert_allclose(out["w"], [0.5, 0.5])


def test_graph_computes_a_schedule_from_the_step():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    graph, inputs = _update_graph(SGD(learning_rate=schedule, momentum=0.9))
    assert inputs == {"step", "w", "g", "m"}
    feeds = {"step": np.int64(2), "w": np.ones(2), "g": np.ones(2), "m": np.zeros(2)}
    out = interpreter.run(graph, feeds)
    np.testing.assert_allclose(out["m"], [-0.025, -0.025], rtol=1e-6)


# -- construction -------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clipnorm": 1.0, "global_clipnorm": 1.0},
        {"clipnorm": 1.0, "clipvalue": 1.0},
        {"clipvalue": 1.0, "global_clipnorm": 2.0},
    ],
)
def test_only_one_clipping(kwargs):
    with pytest.raises(
        ValueError,
        match=r"Only one of `clipnorm`, `clipvalue` and `global_clipnorm`.*Received: ",
    ):
        SGD(**kwargs)


@pytest.mark.parametrize(
    "name", ["clipnorm", "clipvalue", "global_clipnorm", "weight_decay"]
)
def test_negative_hyperparameters(name):
    with pytest.raises(
        ValueError,
        match=rf"`{name}` must be a float >= 0 or None. Received: {name}=-1.0$",
    ):
        Adam(**{name: -1.0})


@pytest.mark.parametrize("value", [-0.1, "0.1", None, float("inf"), True])
def test_invalid_learning_rate(value):
    with pytest.raises(
        ValueError, match=r"`learning_rate` must be a non-negative float or a"
    ):
        SGD(learning_rate=value)


def test_keras_only_arguments_at_defaults_are_accepted():
    opt = Adam(use_ema=False, ema_momentum=0.9, loss_scale_factor=None)
    assert opt.get_config()["ema_momentum"] == 0.9


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("ema_momentum", 1.5, r"`ema_momentum` must be a float in \[0, 1\]"),
        ("ema_overwrite_frequency", 0, r"`ema_overwrite_frequency` must be an integer"),
        ("gradient_accumulation_steps", 1, r"must be an integer >= 2"),
        ("gradient_accumulation_steps", 2.5, r"must be an integer >= 2"),
        ("loss_scale_factor", -1.0, r"`loss_scale_factor` must be a float >= 0"),
    ],
)
def test_invalid_keras_base_arguments(name, value, pattern):
    kwargs = {"use_ema": True} if name.startswith("ema") else {}
    with pytest.raises(ValueError, match=pattern) as info:
        Adam(**kwargs, **{name: value})
    assert str(info.value).endswith(f"Received: {name}={value!r}")


def test_unknown_argument():
    with pytest.raises(
        ValueError, match=r"not recognized: \['lr'\]. Received: lr=0.1$"
    ):
        Adam(lr=0.1)


def test_decay_argument_warns_like_keras():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        SGD(decay=0.01)


def test_invalid_name():
    with pytest.raises(ValueError, match=r"Received: name=''$"):
        SGD(name="")


def test_base_class_update_step_is_abstract():
    with pytest.raises(NotImplementedError, match="must implement `update_step"):
        Optimizer(0.1).apply(
            0, 0.1, [np.ones(1, "float32")], [np.ones(1, "float32")], [{}]
        )


class SignDescent(Optimizer):
    """A user optimizer: a counter slot starting at 1 and sign updates."""

    def slot_groups(self):
        return [("count",)]

    def slot_initial_value(self, slot_name):
        return 1.0

    def update_step(self, step, lr, param, grad, slots):
        count = ops.add(slots["count"], 1.0)
        return ops.subtract(param, ops.multiply(lr, ops.sign(grad))), {"count": count}


def test_user_optimizer(mode, run_steps):
    opt = SignDescent(learning_rate=0.5)
    assert opt.name == "sign_descent"
    grads = [[np.float32([2.0, -3.0])]] * 2
    history = run_steps(opt, [np.zeros(2, "float32")], grads, mode)
    np.testing.assert_array_equal(history[-1][0][0], [-1.0, 1.0])
    np.testing.assert_array_equal(history[-1][1][0]["count"], [3.0, 3.0])


# -- get, serialize, deserialize ------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("sgd", SGD),
        ("SGD", SGD),
        ("adam", Adam),
        ("Adam", Adam),
        ("adamw", AdamW),
        ("AdamW", AdamW),
        ("rmsprop", RMSprop),
        ("RMSprop", RMSprop),
        ("adagrad", Adagrad),
        ("ADAGRAD", Adagrad),
    ],
)
def test_get_by_name(identifier, cls):
    opt = optimizers.get(identifier)
    assert type(opt) is cls
    assert opt.get_config() == cls().get_config()
    assert optimizers.get(identifier) is not opt


def test_get_passes_instances_and_none_through():
    opt = Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None


def test_get_by_dict():
    opt = optimizers.get(
        {"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.9}}
    )
    assert isinstance(opt, SGD)
    assert (opt.learning_rate, opt.momentum) == (0.5, 0.9)


def test_get_unknown_name():
    pattern = (
        r"one of the names 'adadelta', 'adafactor', .*, 'sgd' "
        r"\(case-insensitive\). Received: optimizer='sgdw'$"
    )
    with pytest.raises(ValueError, match=pattern):
        optimizers.get("sgdw")


@pytest.mark.parametrize(
    "name",
    [
        "adadelta",
        "adafactor",
        "adamax",
        "ftrl",
        "lamb",
        "lion",
        "muon",
        "nadam",
        "schedulefreeadamw",
    ],
)
def test_get_new_optimizers_by_name(name):
    opt = optimizers.get(name)
    assert opt.name.replace("_", "") == name
    assert optimizers.get(optimizers.serialize(opt)).get_config() == opt.get_config()


def test_get_unknown_objects():
    with pytest.raises(ValueError, match=r"Received: optimizer=42$"):
        optimizers.get(42)
    with pytest.raises(ValueError, match=r"Received: optimizer=\{'class_name': 'SGDW'"):
        optimizers.get({"class_name": "SGDW", "config": {}})


@pytest.mark.parametrize(
    "opt",
    [
        SGD(learning_rate=0.2, momentum=0.5, nesterov=True, clipnorm=2.0),
        RMSprop(rho=0.8, momentum=0.1, centered=True, weight_decay=0.01),
        Adam(beta_1=0.8, amsgrad=True, global_clipnorm=1.0, name="adam_2"),
        AdamW(weight_decay=0.02, clipvalue=0.5),
        Adagrad(initial_accumulator_value=0.2, epsilon=1e-5),
        Adam(
            learning_rate=schedules.CosineDecay(
                0.1, 100, warmup_target=0.2, warmup_steps=5
            )
        ),
    ],
    ids=lambda o: type(o).__name__,
)
def test_serialize_round_trip(opt):
    data = optimizers.serialize(opt)
    assert data["module"] == "keras.optimizers"
    assert data["class_name"] == type(opt).__name__
    restored = optimizers.deserialize(data)
    assert type(restored) is type(opt)
    assert restored.get_config() == opt.get_config()
    assert optimizers.get(data).get_config() == opt.get_config()


def test_schedule_in_config():
    opt = SGD(learning_rate=schedules.PiecewiseConstantDecay([10], [0.1, 0.01]))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "PiecewiseConstantDecay"
    restored = SGD.from_config(config)
    assert isinstance(restored.learning_rate_schedule, schedules.PiecewiseConstantDecay)
    assert restored.learning_rate_schedule.boundaries == [10]


def test_deserialize_keras_config():
    # The optimizer entry of a Keras 3 model's config.json.
    config = {
        "module": "keras.optimizers",
        "class_name": "Adam",
        "config": {
            "name": "adam",
            "learning_rate": 0.0010000000474974513,
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "loss_scale_factor": None,
            "gradient_accumulation_steps": None,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-07,
            "amsgrad": False,
        },
        "registered_name": None,
    }
    opt = optimizers.deserialize(config)
    assert isinstance(opt, Adam)
    assert opt.get_config() == config["config"]


def test_deserialize_custom_object():
    data = optimizers.serialize(SignDescent(learning_rate=0.5))
    opt = optimizers.deserialize(data, custom_objects={"SignDescent": SignDescent})
    assert isinstance(opt, SignDescent)
    assert opt.learning_rate == 0.5


# -- optimizer state saved with the model -----------------------------------------


SAVED_OPTIMIZERS = [
    lambda: optimizers.Nadam(learning_rate=0.01),
    lambda: optimizers.Adamax(learning_rate=0.01),
    lambda: optimizers.Adadelta(learning_rate=1.0),
    lambda: optimizers.Adafactor(learning_rate=0.1),
    lambda: optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01),
    lambda: optimizers.Lamb(learning_rate=0.01),
    lambda: optimizers.Lion(learning_rate=0.01),
    lambda: Adam(learning_rate=0.01, use_ema=True, gradient_accumulation_steps=2),
    lambda: optimizers.LossScaleOptimizer(Adam(learning_rate=0.01)),
    lambda: optimizers.Muon(learning_rate=0.01),
    lambda: optimizers.ScheduleFreeAdamW(learning_rate=0.01),
]


def _trained_model(make_optimizer):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (12, 3)).astype("float32")
    y = rng.uniform(-1, 1, (12, 2)).astype("float32")
    model = kgraph.Sequential(
        [kgraph.Input((3,)), kgraph.layers.Dense(4), kgraph.layers.Dense(2)]
    )
    model.compile(optimizer=make_optimizer(), loss="mse", backend="numpy")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, x, y


@pytest.mark.parametrize("suffix", [".kgraph", ".weights.h5"])
@pytest.mark.parametrize("make_optimizer", SAVED_OPTIMIZERS)
def test_optimizer_state_is_saved_and_restored(make_optimizer, suffix, tmp_path):
    if suffix == ".weights.h5":
        pytest.importorskip("h5py")
    model, x, y = _trained_model(make_optimizer)
    path = tmp_path / f"model{suffix}"
    if suffix == ".kgraph":
        model.save(path)
        loaded = kgraph.models.load_model(path)
    else:
        model.save_weights(path)
        loaded, _, _ = _trained_model(make_optimizer)
        loaded.load_weights(path)
    saved = [v.numpy() for v in model.optimizer.variables]
    restored = [v.numpy() for v in loaded.optimizer.variables]
    assert len(saved) == len(restored) > 1
    for a, b in zip(saved, restored, strict=True):
        np.testing.assert_array_equal(a, b)
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "name", ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]
)
def test_legacy_optimizers_are_refused_as_in_keras_3(name):
    with pytest.raises(ImportError, match=f"Use `kgraph.optimizers.{name}` instead"):
        getattr(optimizers.legacy, name)(learning_rate=0.1)
