"""``custom_gradient`` and ``jvp`` (``ops/differentiation.py``): the custom
rule is what training uses on both backends (weight updates against NumPy),
and forward-mode products match analytic derivatives and finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import kgraph as kg
from kgraph import layers
from kgraph import ops

BACKENDS = ("numpy", "llvm")
RNG = np.random.default_rng(0)


@ops.custom_gradient
def clip_gradient(x):
    """The identity, whose gradient is clipped to [-0.01, 0.01] (Keras's
    documented ``grad(*args, upstream=None)`` form)."""

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.clip(upstream, -0.01, 0.01)

    return x, grad


@ops.custom_gradient
def odd_product(x, w):
    """``x * w`` with deliberately wrong gradients that read a residual:
    ``3 u w`` for ``x`` and ``sum(u x exp(x))`` for ``w``."""
    e = ops.exp(x)

    def grad(upstream):
        return upstream * w * 3.0, ops.sum(upstream * x * e, axis=0)

    return x * w, grad


class OddScale(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return odd_product(x, self.w)


# -- custom_gradient ---------------------------------------------------------------


def test_eagerly_it_returns_the_value():
    x = np.array([1.0, -2.0], "float32")
    np.testing.assert_array_equal(np.asarray(clip_gradient(x)), x)
    np.testing.assert_array_equal(np.asarray(odd_product(x, 2.0)), x * 2.0)
    assert clip_gradient.__name__ == "clip_gradient"


def test_a_function_not_returning_a_pair_is_refused():
    @ops.custom_gradient
    def broken(x):
        return x

    with pytest.raises(ValueError, match=r"must return a pair \(y, grad_fn\)"):
        broken(np.ones(2, "float32"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_uses_the_clipped_gradient(backend):
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = RNG.normal(size=(8, 2)).astype("float32")
    kernel = RNG.normal(size=(3, 2)).astype("float32")
    inputs = kg.Input(shape=(3,))
    outputs = layers.Lambda(clip_gradient)(layers.Dense(2, use_bias=False)(inputs))
    model = kg.Model(inputs, outputs)
    model.compile(optimizer=kg.optimizers.SGD(1.0), loss="mse", backend=backend)
    model.set_weights([kernel])
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel, rtol=1e-5)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    upstream = 2.0 * (x @ kernel - y) / y.size
    clipped = np.clip(upstream, -0.01, 0.01)
    assert not np.allclose(clipped, upstream)  # the clip matters here
    np.testing.assert_allclose(
        model.get_weights()[0], kernel - x.T @ clipped, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_inputs_a_weight_and_a_residual(backend):
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = RNG.normal(size=(8, 3)).astype("float32")
    kernel = RNG.normal(size=(3, 3)).astype("float32")
    w0 = np.array([1.0, 2.0, 0.5], "float32")
    inputs = kg.Input(shape=(3,))
    model = kg.Model(inputs, OddScale()(layers.Dense(3, use_bias=False)(inputs)))
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend=backend)
    model.set_weights([kernel, w0])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    h = x @ kernel
    upstream = 2.0 * (h * w0 - y) / y.size
    new_kernel = kernel - 0.1 * x.T @ (upstream * w0 * 3.0)
    new_w = w0 - 0.1 * np.sum(upstream * h * np.exp(h), axis=0)
    got_kernel, got_w = model.get_weights()
    np.testing.assert_allclose(got_kernel, new_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_w, new_w, rtol=1e-5, atol=1e-6)


def test_on_keras_tensors_it_records_one_call():
    x = RNG.normal(size=(4, 3)).astype("float32")
    w = np.array([1.0, 2.0, 0.5], "float32")
    inputs = kg.Input(shape=(3,))
    outputs = odd_product(inputs, w)
    assert outputs.shape == (None, 3)
    names = [n.operation.name for n in kg.ops.history.walk([outputs], [inputs])]
    assert names == ["odd_product"]
    model = kg.Model(inputs, outputs)
    model.compile(loss="mse", backend="llvm")
    np.testing.assert_allclose(model.predict(x, verbose=0), x * w, rtol=1e-6)


def test_a_structured_output_sums_the_gradient_of_each_part():
    @ops.custom_gradient
    def pair(x):
        def grad(upstream):
            first, second = upstream
            return first * 2.0 + second * 5.0

        return (x, x * 1.0), grad

    x = RNG.normal(size=(8, 2)).astype("float32")
    y = RNG.normal(size=(8, 2)).astype("float32")
    kernel = RNG.normal(size=(2, 2)).astype("float32")
    inputs = kg.Input(shape=(2,))

    def both(t):
        first, second = pair(t)
        return first + second * 3.0

    outputs = layers.Lambda(both)(layers.Dense(2, use_bias=False)(inputs))
    model = kg.Model(inputs, outputs)
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend="llvm")
    model.set_weights([kernel])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    upstream = 2.0 * (4.0 * (x @ kernel) - y) / y.size
    # The cotangents of the parts are u and 3u: 2u + 5 * 3u = 17u.
    expected = kernel - 0.1 * x.T @ (17.0 * upstream)
    np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5, atol=1e-6)


# -- jvp ---------------------------------------------------------------------------


def test_jvp_of_analytic_functions():
    x = np.array([0.5, 1.0, -2.0], "float32")
    t = np.array([1.0, 0.5, 2.0], "float32")
    out, tangent = ops.jvp(lambda v: v * v, (x,), (t,))
    np.testing.assert_allclose(out.numpy(), x * x, rtol=1e-6)
    np.testing.assert_allclose(tangent.numpy(), 2.0 * x * t, rtol=1e-6)
    out, tangent = ops.jvp(lambda v: ops.sin(v), [x], [t])
    np.testing.assert_allclose(tangent.numpy(), np.cos(x) * t, rtol=1e-6)


def test_jvp_of_several_primals_and_outputs():
    x = np.array([0.5, 1.0], "float32")
    s = np.float32(2.0)
    (prod, total), (d_prod, d_total) = ops.jvp(
        lambda a, b: (ops.sin(a) * b, ops.sum(a)),
        (x, s),
        (np.array([1.0, 0.0], "float32"), np.float32(1.0)),
    )
    np.testing.assert_allclose(prod.numpy(), np.sin(x) * s, rtol=1e-6)
    np.testing.assert_allclose(
        d_prod.numpy(), np.cos(x) * s * np.array([1.0, 0.0]) + np.sin(x), rtol=1e-6
    )
    assert float(total.numpy()) == pytest.approx(1.5)
    assert float(d_total.numpy()) == pytest.approx(1.0)


def test_jvp_matches_finite_differences():
    a = RNG.normal(size=(3, 4))
    m = RNG.normal(size=(4, 2))
    ta, tm = RNG.normal(size=a.shape), RNG.normal(size=m.shape)

    def fun(a, m):
        return ops.softmax(ops.tanh(ops.matmul(a, m)), axis=-1)

    _, tangent = ops.jvp(fun, (a, m), (ta, tm))
    step = 1e-6
    upper = fun(a + step * ta, m + step * tm).numpy()
    lower = fun(a - step * ta, m - step * tm).numpy()
    np.testing.assert_allclose(tangent.numpy(), (upper - lower) / (2 * step), atol=1e-7)


def test_jvp_with_aux_an_integer_primal_and_a_constant_output():
    x = np.array([1.0, 2.0], "float32")

    def fun(v, n):
        return (v * 3.0, ops.ones((2,))), {"n": n + 1}

    (out, const), (d_out, d_const), aux = ops.jvp(
        fun, (x, np.int32(4)), (np.ones(2, "float32"), np.int32(0)), has_aux=True
    )
    np.testing.assert_allclose(out.numpy(), [3.0, 6.0])
    np.testing.assert_allclose(d_out.numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(const.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(d_const.numpy(), [0.0, 0.0])
    assert int(aux["n"].numpy()) == 5


def test_jvp_refuses_mismatched_tangents_and_symbolic_primals():
    x = np.ones(2, "float32")
    with pytest.raises(ValueError, match="one to one"):
        ops.jvp(lambda v: v, (x,), ())
    with pytest.raises(ValueError, match=r"primal's shape \(2,\)"):
        ops.jvp(lambda v: v, (x,), (np.ones(3, "float32"),))
    with pytest.raises(ValueError, match="tuples or lists"):
        ops.jvp(lambda v: v, x, x)
    with pytest.raises(ValueError, match="runs eagerly"):
        ops.jvp(lambda v: v, (kg.Input(shape=(2,)),), (x,))


@pytest.mark.parametrize("backend", BACKENDS)
def test_inside_a_scan_body(backend):
    @ops.custom_gradient
    def triple_gradient(x):
        return x, lambda upstream: upstream * 3.0

    class RunningSum(layers.Layer):
        def call(self, sequence):
            def step(total, x):
                total = total + triple_gradient(x)
                return total, total

            steps = ops.transpose(sequence, (1, 0, 2))
            final, _ = ops.scan(step, ops.zeros_like(sequence[:, 0]), steps)
            return final

    x = RNG.normal(size=(4, 5, 2)).astype("float32")
    y = RNG.normal(size=(4, 2)).astype("float32")
    kernel = RNG.normal(size=(2, 2)).astype("float32")
    inputs = kg.Input(shape=(5, 2))
    outputs = RunningSum()(layers.Dense(2, use_bias=False)(inputs))
    model = kg.Model(inputs, outputs)
    model.compile(optimizer=kg.optimizers.SGD(0.1), loss="mse", backend=backend)
    model.set_weights([kernel])
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    upstream = 2.0 * ((x @ kernel).sum(axis=1) - y) / y.size
    expected = kernel - 0.1 * np.einsum("bti,bo->io", x, 3.0 * upstream)
    np.testing.assert_allclose(model.get_weights()[0], expected, rtol=1e-5, atol=1e-6)
