"""``Dropout``: inverted dropout, active only in training."""

from __future__ import annotations

import numbers
import zlib
from collections.abc import Sequence
from typing import Any

from kgraph import errors
from kgraph import ops
from kgraph.layers.layer import Layer
from kgraph.layers.layer import random_key
from kgraph.layers.layer import training_flag
from kgraph.tensor import SymbolicTensor
from kgraph.utils import random as random_utils

SALT_BITS = (1 << 63) - 1


class Dropout(Layer):
    """Sets a fraction ``rate`` of the inputs to 0 during training and
    scales the rest by ``1 / (1 - rate)``; at inference it does nothing.

    The mask comes from kgraph's counter-based generator, keyed by the
    training step and salted per layer, so both backends draw the
    same mask.

    Args:
        rate: the fraction to drop, in ``[0, 1)``.
        noise_shape: the shape of the mask, broadcast over the input: one
            entry per input axis, each ``None`` (the input's size), ``1``
            (the same mask along that axis) or the input's size. For inputs
            ``(batch, timesteps, features)``, ``(None, 1, None)`` drops the
            same features at every timestep.
        seed: an optional seed, mixed into the layer's salt.

    Call arguments:
        inputs: the input tensor.
        training: ``True`` to drop, ``False`` to pass the input through;
            ``None`` in a model means "whatever the model runs": dropping in
            ``fit``, not in ``predict`` or ``evaluate``.

    Example:

    >>> Dropout(0.5)([1.0, 2.0]).numpy()  # not training: unchanged
    array([1., 2.], dtype=float32)
    >>> out = Dropout(0.5)([[1.0, 2.0, 3.0, 4.0]], training=True).numpy()
    >>> set(out.ravel().tolist()) <= {0.0, 2.0, 4.0, 6.0, 8.0}
    True
    """

    _passes_masks = True

    def __init__(
        self,
        rate: float,
        noise_shape: Sequence[int | None] | None = None,
        seed: int | None = None,
        salt: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (
            isinstance(rate, bool)
            or not isinstance(rate, numbers.Real)
            or not 0.0 <= float(rate) < 1.0
        ):
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float "
                f"value between 0 and 1 (1 excluded). Received: rate={rate!r}"
            )
        if noise_shape is not None:
            noise_shape = tuple(noise_shape)
            if any(
                d is not None and (isinstance(d, bool) or not isinstance(d, int))
                for d in noise_shape
            ):
                raise ValueError(
                    "Dropout: `noise_shape` holds ints or None. "
                    f"Received: noise_shape={noise_shape}"
                )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
        ):
            raise ValueError(
                f"Dropout: `seed` must be an integer or None. Received: seed={seed!r}"
            )
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = None if seed is None else int(seed)
        # The mask's stream: from the seed when given, else drawn from
        # kgraph's seeded generator (as Keras seeds a Dropout from its global
        # seed), so a model built after set_random_seed drops the same units.
        if salt is None:
            salt = (
                zlib.crc32(str(self.seed).encode())
                if self.seed is not None
                else int(random_utils.generator().integers(0, SALT_BITS))
            )
        self.mask_salt = int(salt) & SALT_BITS

    def call(self, inputs: Any, training: Any = None) -> Any:
        """Drops and rescales in training; passes inputs through otherwise."""
        if training is not None and not isinstance(training, SymbolicTensor):
            training = bool(training)
        if training is False or self.rate == 0.0:
            return inputs
        keep = ops.greater_equal(
            ops.random_uniform(
                random_key(inputs), self._mask_like(inputs), salt=self.mask_salt
            ),
            self.rate,
        )
        dropped = ops.where(keep, ops.divide(inputs, 1.0 - self.rate), 0.0)
        if training is True:
            return dropped
        return ops.where(training_flag(inputs, training), dropped, inputs)

    def _mask_like(self, inputs: Any) -> Any:
        """A tensor shaped like the mask: the input, or a slice of it for
        ``noise_shape``."""
        if self.noise_shape is None:
            return inputs
        shape = tuple(inputs.shape)
        if len(self.noise_shape) != len(shape):
            raise errors.ShapeError(
                f'Layer "{self.name}" (Dropout) needs one `noise_shape` entry per '
                f"input axis. Received: noise_shape={self.noise_shape} for an input "
                f"of shape {errors.format_shape(shape)}"
            )
        key = []
        for noise, size in zip(self.noise_shape, shape, strict=True):
            if noise is None or noise == size:
                key.append(slice(None))
            elif noise == 1:
                key.append(slice(0, 1))
            else:
                raise errors.ShapeError(
                    f'Layer "{self.name}" (Dropout): each `noise_shape` entry must '
                    "be None, 1 or the input's size on that axis. Received: "
                    f"noise_shape={self.noise_shape} for an input of shape "
                    f"{errors.format_shape(shape)}"
                )
        return ops.get_item(inputs, tuple(key))

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        config = {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }
        if self.seed is None:
            # kgraph's own: the random stream the masks come from, so a
            # reloaded model goes on drawing the same masks.
            config["salt"] = self.mask_salt
        return config
