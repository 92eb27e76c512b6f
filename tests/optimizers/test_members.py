"""Keras's variable-handling members of Optimizer (``members.py``):
creating, assigning, saving and loading variables, weight-decay
exclusion, loss scaling and the stateless update."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph
from kgraph.optimizers import SGD
from kgraph.optimizers import Adam
from kgraph.optimizers import AdamW
from kgraph.optimizers import Nadam
from kgraph.optimizers import schedules


def _vars():
    kernel = kgraph.Variable(
        np.arange(6, dtype="float32").reshape(3, 2), "kernel", "dense/kernel"
    )
    bias = kgraph.Variable(np.ones(2, "float32"), "bias", "dense/bias")
    return kernel, bias


def test_iterations_is_a_variable():
    opt = SGD()
    assert isinstance(opt.iterations, kgraph.Variable)
    assert opt.iterations is opt.iterations_variable


def test_add_variable_and_from_reference():
    opt = SGD()
    total = opt.add_variable((2,), initializer="ones", name="total")
    assert total.path == "sgd/total"
    np.testing.assert_array_equal(total.numpy(), [1.0, 1.0])
    kernel, _ = _vars()
    slot = opt.add_variable_from_reference(kernel, "extra")
    assert (slot.name, slot.shape, slot.dtype) == (
        "dense_kernel_extra",
        (3, 2),
        "float32",
    )
    assert opt.variables[-2:] == [total, slot]


def test_add_optimizer_variables():
    opt = SGD()
    kernel, bias = _vars()
    one = opt.add_optimizer_variables([kernel, bias], "m")
    assert [v.name for v in one] == ["dense_kernel_m", "dense_bias_m"]
    m, v = opt.add_optimizer_variables(
        [kernel], ["a", "b"], initializer=["zeros", "ones"]
    )
    assert float(v[0].numpy()[0, 0]) == 1.0 and m[0].name == "dense_kernel_a"
    with pytest.raises(ValueError, match="number of provided names"):
        opt.add_optimizer_variables([kernel], ["a", "b"], initializer=["zeros"])


def test_assign_members():
    opt = SGD()
    kernel, _ = _vars()
    opt.assign(kernel, np.zeros((3, 2)))
    opt.assign_add(kernel, np.ones((3, 2)))
    opt.assign_sub(kernel, np.full((3, 2), 0.5))
    np.testing.assert_array_equal(kernel.numpy(), np.full((3, 2), 0.5))


def test_exclude_from_weight_decay():
    kernel, bias = _vars()
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    zero = np.zeros((3, 2), "float32")
    opt.apply_gradients([(zero, kernel), (np.zeros(2, "float32"), bias)])
    np.testing.assert_allclose(bias.numpy(), [1.0, 1.0])  # Not decayed.
    np.testing.assert_allclose(kernel.numpy(), np.arange(6).reshape(3, 2) * 0.95)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_list=[kernel])


def test_exclude_by_variable_in_a_compiled_step(backend):
    model = kgraph.Sequential([kgraph.Input((2,)), kgraph.layers.Dense(1)])
    model.set_weights([np.ones((2, 1), "float32"), np.ones(1, "float32")])
    opt = SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[model.layers[-1].kernel])
    model.compile(optimizer=opt, loss="mse")
    x = np.zeros((4, 2), "float32")
    model.fit(x, np.ones((4, 1), "float32"), batch_size=4, epochs=1, verbose=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, np.ones((2, 1)))  # No decay, no gradient.
    np.testing.assert_allclose(bias, [0.95], rtol=1e-6)  # Decayed; the error is 0.


def test_scale_loss():
    assert SGD().scale_loss(2.0) == 2.0
    assert float(SGD(loss_scale_factor=8.0).scale_loss(2.0)) == 16.0


def test_keras_order_set_weights_save_and_load_own_variables():
    kernel, bias = _vars()
    opt = Adam(learning_rate=0.01)
    opt.build([kernel, bias])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(6)]
    assert float(store["1"]) == pytest.approx(0.01)  # Keras keeps the rate 2nd.
    opt.apply_gradients(
        [(np.ones((3, 2), "float32"), kernel), (np.ones(2, "float32"), bias)]
    )
    assert int(opt.iterations.numpy()) == 1
    opt.load_own_variables(store)
    assert int(opt.iterations.numpy()) == 0
    assert not opt.slots(kernel)["momentum"].numpy().any()
    values = [np.asarray(store[str(i)]) for i in range(6)]
    values[1] = np.float32(0.5)
    opt.set_weights(values)
    assert opt.learning_rate == 0.5
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        opt.load_own_variables({"0": np.int64(3)})
    with pytest.raises(ValueError, match="has shape"):
        opt.set_weights([np.zeros(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        SGD().set_weights([])


def test_schedule_optimizer_saves_no_learning_rate():
    kernel, _ = _vars()
    opt = SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5), momentum=0.9)
    opt.build([kernel])
    store = {}
    opt.save_own_variables(store)
    assert len(store) == 2  # iterations, momentum.


def test_stateless_apply_changes_nothing():
    kernel, bias = _vars()
    opt = Nadam(learning_rate=0.1)
    opt.build([kernel, bias])
    before = [v.numpy() for v in opt.variables]
    grads = [np.ones((3, 2), "float32"), np.ones(2, "float32")]
    params, values = opt.stateless_apply(
        [v.numpy() for v in opt.variables], grads, [kernel.numpy(), bias.numpy()]
    )
    for var, value in zip(opt.variables, before, strict=True):
        np.testing.assert_array_equal(var.numpy(), value)
    # The same as the stateful update.
    opt.apply_gradients(list(zip(grads, [kernel, bias], strict=True)))
    np.testing.assert_allclose(params[0], kernel.numpy())
    np.testing.assert_allclose(params[1], bias.numpy())
    for var, value in zip(opt.variables, values, strict=True):
        np.testing.assert_allclose(var.numpy(), value)
    with pytest.raises(ValueError, match="one value per optimizer variable"):
        opt.stateless_apply([], grads, [kernel.numpy(), bias.numpy()])
    with pytest.raises(ValueError, match="must be built"):
        SGD().stateless_apply([], [], [])
