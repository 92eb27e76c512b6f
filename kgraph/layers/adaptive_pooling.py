"""Adaptive pooling layers, channels last: ``AdaptiveAveragePooling1D/2D/3D``
and ``AdaptiveMaxPooling1D/2D/3D``.

They pool any input to a fixed spatial ``output_size`` with Keras's bins
(``ops.adaptive_average_pool`` / ``ops.adaptive_max_pool``): along an axis
of ``size`` elements, bin ``i`` starts at ``floor(i * size / out)``.
"""

from __future__ import annotations

from typing import Any

from kgraph import ops
from kgraph.layers.convolutional import describe
from kgraph.layers.convolutional import is_int
from kgraph.layers.convolutional import standardize_data_format
from kgraph.layers.layer import InputSpec
from kgraph.layers.layer import Layer


class BaseAdaptivePooling(Layer):
    """Pools each spatial axis into a fixed number of bins.

    Args:
        rank: the number of spatial axes.
        mode: ``"max"`` or ``"average"``.
        output_size: an int or one per spatial axis.
        data_format: ``None`` or ``"channels_last"``.

    Raises:
        ValueError: for a bad ``output_size`` or data format, or an input of
            the wrong rank or with unknown spatial sizes.
    """

    def __init__(
        self,
        rank: int,
        mode: str,
        output_size: Any,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = describe(self)
        sizes = (output_size,) * rank if is_int(output_size) else output_size
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = ()
        if len(sizes) != rank or not all(is_int(n) and n > 0 for n in sizes):
            raise ValueError(
                f"{where}: `output_size` must be a positive integer or a tuple of "
                f"{rank} positive integers. Received: output_size={output_size!r}"
            )
        self.rank = rank
        self.mode = mode
        self.output_size = tuple(int(n) for n in sizes)
        self.data_format = standardize_data_format(data_format, where)
        self.input_spec = InputSpec(ndim=rank + 2)

    def build(self, input_shape: Any) -> None:
        """Checks the input's rank and that its spatial sizes are known."""
        self.input_spec.check(self, input_shape)
        if any(size is None for size in input_shape[1:-1]):
            raise ValueError(
                f"{describe(self)} needs the spatial sizes of its input to be "
                f"known. Received: input_shape={tuple(input_shape)}"
            )
        self.built = True

    def call(self, inputs: Any) -> Any:
        """Pools to ``output_size``."""
        pool = (
            ops.adaptive_max_pool if self.mode == "max" else ops.adaptive_average_pool
        )
        return pool(inputs, self.output_size)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments."""
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    """The mean over each of a fixed number of bins along steps,
    channels last.

    Args:
        output_size: the bins, an int or a 1-tuple.
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, steps, channels)``, spatial sizes known.

    Output shape:
        ``(batch_size, *output_size, channels)``.

    Example:

    >>> import numpy as np
    >>> AdaptiveAveragePooling1D(3)(np.ones((1, 5, 1), "float32")).shape
    (1, 3, 1)
    """

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(1, "average", output_size, data_format, **kwargs)


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """The mean over each of a fixed number of bins along height, width,
    channels last.

    Args:
        output_size: the bins, an int or a pair.
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, height, width, channels)``, spatial sizes known.

    Output shape:
        ``(batch_size, *output_size, channels)``.

    Example:

    >>> import numpy as np
    >>> AdaptiveAveragePooling2D((2, 3))(np.ones((1, 6, 7, 2), "float32")).shape
    (1, 2, 3, 2)
    """

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(2, "average", output_size, data_format, **kwargs)


class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    """The mean over each of a fixed number of bins along depth, height, width,
    channels last.

    Args:
        output_size: the bins, an int or a triple.
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, depth, height, width, channels)``, spatial sizes known.

    Output shape:
        ``(batch_size, *output_size, channels)``.

    Example:

    >>> import numpy as np
    >>> AdaptiveAveragePooling3D(2)(np.ones((1, 4, 4, 4, 1), "float32")).shape
    (1, 2, 2, 2, 1)
    """

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(3, "average", output_size, data_format, **kwargs)


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """The maximum over each of a fixed number of bins along steps,
    channels last.

    Args:
        output_size: the bins, an int or a 1-tuple.
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, steps, channels)``, spatial sizes known.

    Output shape:
        ``(batch_size, *output_size, channels)``.

    Example:

    >>> import numpy as np
    >>> AdaptiveMaxPooling1D(3)(np.ones((1, 5, 1), "float32")).shape
    (1, 3, 1)
    """

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(1, "max", output_size, data_format, **kwargs)


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    """The maximum over each of a fixed number of bins along height, width,
    channels last.

    Args:
        output_size: the bins, an int or a pair.
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, height, width, channels)``, spatial sizes known.

    Output shape:
        ``(batch_size, *output_size, channels)``.

    Example:

    >>> import numpy as np
    >>> AdaptiveMaxPooling2D((2, 3))(np.ones((1, 6, 7, 2), "float32")).shape
    (1, 2, 3, 2)
    """

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(2, "max", output_size, data_format, **kwargs)


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """The maximum over each of a fixed number of bins along depth, height, width,
    channels last.

    Args:
        output_size: the bins, an int or a triple.
        data_format: ``None`` or ``"channels_last"``.

    Input shape:
        ``(batch_size, depth, height, width, channels)``, spatial sizes known.

    Output shape:
        ``(batch_size, *output_size, channels)``.

    Example:

    >>> import numpy as np
    >>> AdaptiveMaxPooling3D(2)(np.ones((1, 4, 4, 4, 1), "float32")).shape
    (1, 2, 2, 2, 1)
    """

    def __init__(
        self, output_size: Any, data_format: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(3, "max", output_size, data_format, **kwargs)
