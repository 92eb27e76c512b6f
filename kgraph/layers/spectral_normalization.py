"""``SpectralNormalization``: divides a wrapped layer's kernel by its
largest singular value, estimated by power iteration (Miyato et al., 2018).
"""

from __future__ import annotations

from typing import Any

from kgraph import initializers
from kgraph import ops
from kgraph.layers.layer import training_flag
from kgraph.layers.wrapper_base import Wrapper
from kgraph.tensor import SymbolicTensor

# Keras's ``backend.epsilon()``, the floor of the norms in the iteration.
_EPSILON = 1e-7


def _normalize(x: Any) -> Any:
    """``x`` over its L2 norm (all elements), as Keras's ``normalize``."""
    inv_norm = ops.divide(1.0, ops.sqrt(ops.sum(ops.square(x))))
    return ops.multiply(x, ops.minimum(inv_norm, 1.0 / _EPSILON))


class _OwnVariables:
    """The variables Keras's files keep under the wrapper's own ``vars``
    (its reference to the kernel, then ``vector_u``)."""

    def __init__(self, layer: SpectralNormalization) -> None:
        self.name = layer.name
        self.weights = [layer.kernel, layer.vector_u]


class SpectralNormalization(Wrapper):
    """Wraps a layer with a ``kernel`` (or ``embeddings``) and, in
    training, uses ``kernel / sigma``, ``sigma`` its largest singular value
    (of the kernel as a ``(-1, last axis)`` matrix) estimated by
    ``power_iterations`` steps of power iteration from the non-trainable
    ``vector_u``, which each training step updates.

    As Keras does under JAX, a training step computes with the normalized
    kernel and lets the optimizer update the kernel itself; an eager call
    with ``training=True`` writes the normalized kernel into the layer.
    Inference uses the kernel as it is.

    Args:
        layer: the layer to wrap (``Dense``, a convolution, ``Embedding``).
        power_iterations: the iterations per step (positive).
        **kwargs: the base layer's arguments.

    Raises:
        ValueError: for ``power_iterations`` below 1, or a layer with no
            ``kernel`` nor ``embeddings``.

    Example:

    >>> import numpy as np
    >>> from kgraph.layers import Dense
    >>> layer = SpectralNormalization(Dense(2))
    >>> layer(np.ones((1, 3), "float32")).shape
    (1, 2)
    """

    _passes_masks = True

    def __init__(self, layer: Any, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape: Any) -> None:
        """Builds the wrapped layer and creates ``vector_u``."""
        super().build(input_shape)
        self._kernel_name = next(
            (n for n in ("kernel", "embeddings") if hasattr(self.layer, n)), None
        )
        if self._kernel_name is None:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor "
                f"'embeddings'. Received: layer={self.layer.name}"
            )
        self.kernel = getattr(self.layer, self._kernel_name)
        # Keras tracks the kernel as the wrapper's own variable first.
        self._weights.append(self.kernel)
        self.vector_u = self.add_weight(
            (1, self.kernel.shape[-1]),
            initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
        )
        self.built = True

    def normalized_weights(self) -> tuple[Any, Any]:
        """The new ``vector_u`` and ``kernel / sigma`` (unchanged when the
        kernel is all zeros)."""
        shape = tuple(self.kernel.shape)
        weights = ops.reshape(self.kernel, (-1, shape[-1]))
        vector_u = ops.as_tensor(self.vector_u)
        vector_v = vector_u
        for _ in range(self.power_iterations):
            vector_v = _normalize(ops.matmul(vector_u, ops.transpose(weights)))
            vector_u = _normalize(ops.matmul(vector_v, weights))
        vector_u = ops.stop_gradient(vector_u)
        vector_v = ops.stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        kernel = ops.reshape(ops.divide(weights, sigma), shape)
        zero = ops.all(ops.equal(self.kernel, 0.0))
        return (
            ops.where(zero, self.vector_u, vector_u),
            ops.where(zero, self.kernel, kernel),
        )

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Calls the layer, with the normalized kernel in training."""
        if training is not None and not isinstance(training, SymbolicTensor):
            training = bool(training)
        if training is False:
            return self.layer(inputs)
        new_u, new_kernel = self.normalized_weights()
        if not isinstance(inputs, SymbolicTensor):
            self.vector_u.assign(new_u)
            self.kernel.assign(new_kernel)
            return self.layer(inputs)
        if training is not True:
            flag = training_flag(inputs, training)
            new_u = ops.where(flag, new_u, self.vector_u)
            new_kernel = ops.where(flag, new_kernel, self.kernel)
        self.vector_u.assign(new_u)
        setattr(self.layer, self._kernel_name, new_kernel)
        try:
            return self.layer(inputs)
        finally:
            setattr(self.layer, self._kernel_name, self.kernel)

    def keras_weight_groups(self) -> list[tuple[str, Any]]:
        """Where Keras's files keep the variables: the wrapper's own
        (kernel, ``vector_u``), then the layer's."""
        if not self.built:
            return [("layer", self.layer)]
        return [("", _OwnVariables(self)), ("layer", self.layer)]

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The wrapped layer's output shape."""
        return self.layer.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (the wrapped layer's entry)."""
        return {**super().get_config(), "power_iterations": self.power_iterations}
