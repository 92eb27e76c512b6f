"""Pooling layers, channels last: ``MaxPooling1D/2D/3D``,
``AveragePooling1D/2D/3D``, ``GlobalAveragePooling1D/2D/3D`` and
``GlobalMaxPooling1D/2D/3D`` (and Keras's ``MaxPool*``, ``AvgPool*``,
``GlobalAvgPool*`` and ``GlobalMaxPool*`` aliases).

Windowed pooling calls ``ops.max_pool`` / ``ops.average_pool`` (the gradient
of max pooling goes to each window's first maximum; average pooling with
``padding="same"`` divides by the input elements a window holds, as in
Keras). Global pooling is a ``mean`` or ``max`` over the spatial axes.
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.layers.convolutional import check_window_fits
from kgraph.layers.convolutional import describe
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.convolutional import standardize_padding
from kgraph.layers.convolutional import standardize_tuple
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer


class BasePooling(Layer):
    """Max or average pooling over ``rank`` spatial axes.

    Args:
        rank: the number of spatial axes.
        mode: ``"max"`` or ``"average"``.
        pool_size: the window, an int or one per spatial axis.
        strides: the steps, an int or one per spatial axis; ``None`` means
            ``pool_size``.
        padding: ``"valid"`` or ``"same"``.
        data_format: ``None`` or ``"channels_last"``.

    Raises:
        ValueError: for a bad argument, an input of the wrong rank, or a
            window larger than the input with ``"valid"`` padding.
    """

    def __init__(
        self,
        rank: int,
        mode: str,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = describe(self)
        self.rank = rank
        self.mode = mode
        self.pool_size = standardize_tuple(pool_size, rank, "pool_size", where)
        self.strides = (
            self.pool_size
            if strides is None
            else standardize_tuple(strides, rank, "strides", where)
        )
        self.padding = standardize_padding(padding, False, where)
        self.data_format = standardize_data_format(data_format, where)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        """Checks the input: its rank, and that a window fits."""
        self.input_spec.check(self, input_shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Pools each window."""
        check_window_fits(
            self,
            tuple(inputs.shape),
            self.pool_size,
            (1,) * self.rank,
            self.padding,
            "pool_size",
        )
        pool = ops.max_pool if self.mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


class MaxPooling1D(BasePooling):
    """Max pooling over steps, channels last.

    Args:
        pool_size: the window length, an int or a 1-tuple.
        strides: the step, an int or a 1-tuple; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padding never wins a window).
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, pooled_steps, channels)``: ``(steps - pool_size) //
        strides + 1`` with ``"valid"``, ``(steps - 1) // strides + 1`` with
        ``"same"``.

    Example:

    >>> MaxPooling1D(2)([[[1.0], [3.0], [2.0], [5.0], [4.0]]]).numpy()[0, :, 0]
    array([3., 5.], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(1, "max", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Max pooling over height and width, channels last.

    Args:
        pool_size: the window, an int or a pair.
        strides: the steps, an int or a pair; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padding never wins a window).
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, pooled_height, pooled_width, channels)``: per spatial
        axis ``(size - pool_size) // strides + 1`` with ``"valid"``,
        ``(size - 1) // strides + 1`` with ``"same"``.

    Example:

    >>> x = [[[[1.0], [2.0]], [[4.0], [3.0]]]]
    >>> MaxPooling2D()(x).numpy()
    array([[[[4.]]]], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(2, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Average pooling over steps, channels last.

    Args:
        pool_size: the window length, an int or a 1-tuple.
        strides: the step, an int or a 1-tuple; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (a window averages the input
            elements it holds, not the padding).
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, pooled_steps, channels)``, as ``MaxPooling1D``.

    Example:

    >>> layer = AveragePooling1D(2, padding="same")
    >>> layer([[[1.0], [3.0], [2.0], [5.0], [4.0]]]).numpy()[0, :, 0]
    array([2. , 3.5, 4. ], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, "average", pool_size, strides, padding, data_format, **kwargs
        )


class AveragePooling2D(BasePooling):
    """Average pooling over height and width, channels last.

    Args:
        pool_size: the window, an int or a pair.
        strides: the steps, an int or a pair; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (a window averages the input
            elements it holds, not the padding).
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, pooled_height, pooled_width, channels)``, as
        ``MaxPooling2D``.

    Example:

    >>> x = [[[[1.0], [2.0]], [[4.0], [3.0]]]]
    >>> AveragePooling2D()(x).numpy()
    array([[[[2.5]]]], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, "average", pool_size, strides, padding, data_format, **kwargs
        )


class BaseGlobalPooling(Layer):
    """The mean or max over every spatial axis.

    Args:
        rank: the number of spatial axes.
        mode: ``"max"`` or ``"average"``.
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the spatial axes, with size 1.
    """

    def __init__(
        self,
        rank: int,
        mode: str,
        data_format: str | None = None,
        keepdims: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rank = rank
        self.mode = mode
        self.data_format = standardize_data_format(data_format, describe(self))
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        """Checks the input's rank."""
        self.input_spec.check(self, input_shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Reduces the spatial axes."""
        axes = tuple(range(1, self.rank + 1))
        reduce = ops.max if self.mode == "max" else ops.mean
        return reduce(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "keepdims": self.keepdims,
        }


class GlobalAveragePooling1D(BaseGlobalPooling):
    """The mean over steps, channels last.

    Args:
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the steps axis, with size 1.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, channels)``, or ``(batch_size, 1, channels)`` with
        ``keepdims``.

    Example:

    >>> GlobalAveragePooling1D()([[[1.0, 2.0], [3.0, 6.0]]]).numpy()
    array([[2., 4.]], dtype=float32)
    """

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(1, "average", data_format, keepdims, **kwargs)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The mean over the steps; with a ``(batch, steps)`` mask, over the
        unmasked steps only (as Keras)."""
        if mask is None:
            return super().call(inputs)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        total = ops.sum(ops.multiply(inputs, weights), axis=1, keepdims=self.keepdims)
        count = ops.sum(weights, axis=1, keepdims=self.keepdims)
        return ops.divide(total, count)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """No mask: the steps are gone."""
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """The mean over height and width, channels last.

    Args:
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the spatial axes, with size 1.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, channels)``, or ``(batch_size, 1, 1, channels)`` with
        ``keepdims``.

    Example:

    >>> GlobalAveragePooling2D()([[[[1.0], [2.0]], [[4.0], [3.0]]]]).numpy()
    array([[2.5]], dtype=float32)
    """

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(2, "average", data_format, keepdims, **kwargs)


class GlobalMaxPooling1D(BaseGlobalPooling):
    """The maximum over steps, channels last.

    Args:
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the steps axis, with size 1.

    Input shape:
        ``(batch_size, steps, channels)``.

    Output shape:
        ``(batch_size, channels)``, or ``(batch_size, 1, channels)`` with
        ``keepdims``.

    Example:

    >>> GlobalMaxPooling1D()([[[1.0, 2.0], [3.0, 6.0]]]).numpy()
    array([[3., 6.]], dtype=float32)
    """

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(1, "max", data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(BaseGlobalPooling):
    """The maximum over height and width, channels last.

    Args:
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the spatial axes, with size 1.

    Input shape:
        ``(batch_size, height, width, channels)``.

    Output shape:
        ``(batch_size, channels)``, or ``(batch_size, 1, 1, channels)`` with
        ``keepdims``.

    Example:

    >>> GlobalMaxPooling2D()([[[[1.0], [2.0]], [[4.0], [3.0]]]]).numpy()
    array([[4.]], dtype=float32)
    """

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(2, "max", data_format, keepdims, **kwargs)


class MaxPooling3D(BasePooling):
    """Max pooling over depth, height and width, channels last.

    Args:
        pool_size: the window, an int or a triple.
        strides: the steps, an int or a triple; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (padding never wins a window).
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, depth, height, width, channels)``.

    Output shape:
        ``(batch_size, pooled_depth, pooled_height, pooled_width,
        channels)``, per spatial axis as ``MaxPooling2D``.

    Example:

    >>> import numpy as np
    >>> x = np.arange(8.0, dtype="float32").reshape(1, 2, 2, 2, 1)
    >>> MaxPooling3D()(x).numpy()[0, 0, 0, 0]
    array([7.], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any = (2, 2, 2),
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(3, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """Average pooling over depth, height and width, channels last.

    Args:
        pool_size: the window, an int or a triple.
        strides: the steps, an int or a triple; ``None`` means ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (a window averages the input
            elements it holds, not the padding).
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, depth, height, width, channels)``.

    Output shape:
        As ``MaxPooling3D``.

    Example:

    >>> import numpy as np
    >>> x = np.arange(8.0, dtype="float32").reshape(1, 2, 2, 2, 1)
    >>> AveragePooling3D(2)(x).numpy()[0, 0, 0, 0]
    array([3.5], dtype=float32)
    """

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3, "average", pool_size, strides, padding, data_format, **kwargs
        )


class GlobalAveragePooling3D(BaseGlobalPooling):
    """The mean over depth, height and width, channels last.

    Args:
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the spatial axes, with size 1.

    Input shape:
        ``(batch_size, depth, height, width, channels)``.

    Output shape:
        ``(batch_size, channels)``, or ``(batch_size, 1, 1, 1, channels)``
        with ``keepdims``.

    Example:

    >>> import numpy as np
    >>> x = np.arange(8.0, dtype="float32").reshape(1, 2, 2, 2, 1)
    >>> GlobalAveragePooling3D()(x).numpy()
    array([[3.5]], dtype=float32)
    """

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(3, "average", data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(BaseGlobalPooling):
    """The maximum over depth, height and width, channels last.

    Args:
        data_format: ``None`` or ``"channels_last"``.
        keepdims: keep the spatial axes, with size 1.

    Input shape:
        ``(batch_size, depth, height, width, channels)``.

    Output shape:
        ``(batch_size, channels)``, or ``(batch_size, 1, 1, 1, channels)``
        with ``keepdims``.

    Example:

    >>> import numpy as np
    >>> x = np.arange(8.0, dtype="float32").reshape(1, 2, 2, 2, 1)
    >>> GlobalMaxPooling3D(keepdims=True)(x).shape
    (1, 1, 1, 1, 1)
    """

    def __init__(
        self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(3, "max", data_format, keepdims, **kwargs)


# Keras's aliases: the same classes under their short names.
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
