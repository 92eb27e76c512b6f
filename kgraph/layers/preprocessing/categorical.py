"""Integer category layers: ``CategoryEncoding``, ``Discretization``,
``Hashing`` and ``IntegerLookup`` (Keras's formulas, numeric inputs only).

kgraph tensors are numbers, so the string forms of Keras's lookup layers
(``StringLookup``, string ``Hashing``) have no counterpart here. A lookup
compares each input with the whole vocabulary (the vocabulary becomes a
graph constant when the model is traced: adapt or set it before the first
``predict`` or ``fit``), so its cost grows with the vocabulary's size.
"""

from __future__ import annotations

import collections
import numbers
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph import ops
from kgraph.layers.layer import Layer

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def encode_categories(
    indices: Any, output_mode: str, depth: int, dtype: str, weights: Any = None
) -> Any:
    """Keras's ``encode_categorical_inputs``: ``"one_hot"`` (a trailing axis
    of size 1 replaced), ``"multi_hot"`` and ``"count"`` (reduced over axis 1,
    or axis 0 for a rank-1 input); indices outside ``[0, depth)`` give zeros.

    Args:
        indices: integer indices.
        output_mode: ``"int"`` (a cast), ``"one_hot"``, ``"multi_hot"`` or
            ``"count"``.
        depth: the number of categories.
        dtype: the output dtype.
        weights: per-index weights for ``"count"``.

    Returns:
        The encoded tensor.
    """
    indices = ops.as_tensor(indices)
    if output_mode == "int":
        return ops.cast(indices, dtype)
    if indices.ndim == 0:
        indices = ops.expand_dims(indices, -1)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = ops.squeeze(indices, -1)
        return ops.one_hot(indices, depth, dtype=dtype)
    axis = 1 if indices.ndim > 1 else 0
    encoded = ops.one_hot(indices, depth, dtype=dtype)
    if output_mode == "multi_hot":
        return ops.max(encoded, axis=axis)
    if weights is not None:
        encoded = ops.multiply(encoded, ops.expand_dims(weights, -1))
    return ops.sum(encoded, axis=axis)


def _encoded_shape(shape: Sequence[Any], output_mode: str, depth: int) -> tuple:
    shape = tuple(shape)
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    if len(shape) == 1:
        return (depth,)
    return (shape[0], *shape[2:], depth)


def _check_not_sparse(layer: str, sparse: Any) -> None:
    if sparse:
        raise ValueError(
            f"{layer}: kgraph has no sparse tensors; `sparse` must be False. "
            f"Received: sparse={sparse!r}"
        )


class CategoryEncoding(Layer):
    """Encodes integer categories in ``[0, num_tokens)`` as one-hot,
    multi-hot or count vectors, as Keras's ``CategoryEncoding``.

    Args:
        num_tokens: the number of categories.
        output_mode: ``"multi_hot"`` (whether each category occurs in a
            sample), ``"one_hot"`` (one vector per index) or ``"count"``
            (how often; weighted by ``count_weights`` when given).
        sparse: ``False`` (kgraph has no sparse tensors).
        **kwargs: base layer arguments (``dtype``: the output dtype).

    Call arguments:
        inputs: integer indices, ``(batch, indices)`` or ``(batch,)``.
        count_weights: weights of the indices, for ``"count"``.

    Example:

    >>> CategoryEncoding(4, output_mode="count")([[0, 1, 1], [3, 3, 0]]).numpy()
    array([[1., 2., 0., 0.],
           [1., 0., 0., 2.]], dtype=float32)
    """

    def __init__(
        self,
        num_tokens: int | None = None,
        output_mode: str = "multi_hot",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"CategoryEncoding: unknown arg for output_mode: {output_mode!r}. "
                f"Expected one of {OUTPUT_MODES}. Received: output_mode="
                f"{output_mode!r}"
            )
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: num_tokens must be set to use this layer. If the "
                "number of tokens is not known beforehand, use the IntegerLookup "
                "layer instead. Received: num_tokens=None"
            )
        if (
            isinstance(num_tokens, bool)
            or not isinstance(num_tokens, numbers.Integral)
            or num_tokens < 1
        ):
            raise ValueError(
                f"CategoryEncoding: `num_tokens` must be >= 1. Received: "
                f"num_tokens={num_tokens!r}"
            )
        _check_not_sparse("CategoryEncoding", sparse)
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        """Returns the encoded categories."""
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "CategoryEncoding: `count_weights` is not used when "
                    "`output_mode` is not 'count'. Received: count_weights and "
                    f"output_mode={self.output_mode!r}"
                )
            count_weights = ops.cast(ops.as_tensor(count_weights), self.dtype)
        return encode_categories(
            inputs, self.output_mode, self.num_tokens, self.dtype, count_weights
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape with the categories' axis."""
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


# -- Discretization ------------------------------------------------------------------


def summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Keras's quantile summary of one batch: every ``step``-th sorted value
    (``step = max(n * epsilon, 1)``) with weight ``step``."""
    ordered = np.sort(np.reshape(values, [-1]))
    step = max(ordered.size / (1.0 / epsilon), 1)
    picked = ordered[int(step - 1) :: int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Keras's summary compression: the values at cumulative-weight
    fractions ``epsilon, 2 epsilon, ..., 1``, interpolated."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    share = cumulative / cumulative[-1]
    values = np.interp(fractions, share, summary[0])
    cumulative = np.interp(fractions, share, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((values, weights)).astype("float32")


def merge_summaries(
    first: np.ndarray, second: np.ndarray, epsilon: float
) -> np.ndarray:
    """Two summaries merged in value order, then compressed."""
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return compress_summary(merged, epsilon)


class Discretization(Layer):
    """Buckets numbers by boundaries, as Keras's ``Discretization``: bucket
    ``i`` holds ``boundaries[i - 1] <= x < boundaries[i]`` (``digitize``).

    Args:
        bin_boundaries: the sorted boundaries; or ``None`` with ``num_bins``
            and ``adapt``.
        num_bins: how many buckets ``adapt`` makes (from approximate
            quantiles).
        epsilon: the quantile summary's tolerance (``0.01``).
        output_mode: ``"int"`` (int32 bucket indices), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"``.
        sparse: ``False``.
        dtype: the dtype of encoded outputs.
        name: the layer's name.
        **kwargs: base layer arguments.

    Example:

    >>> Discretization([0.0, 1.0, 2.0])([[-1.5, 1.0, 3.4, 0.5]]).numpy()
    array([[0, 2, 3, 1]], dtype=int32)
    """

    def __init__(
        self,
        bin_boundaries: Sequence[float] | None = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        dtype: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, **kwargs)
        _check_not_sparse("Discretization", sparse)
        if output_mode not in ("int", *OUTPUT_MODES):
            raise ValueError(
                "Discretization: invalid value for argument `output_mode`. "
                f"Expected one of ('int', *{OUTPUT_MODES}). Received: "
                f"output_mode={output_mode!r}"
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                "Discretization: `num_bins` must be greater than or equal to 0. "
                f"Received: num_bins={num_bins}"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Discretization: both `num_bins` and `bin_boundaries` should not be "
                f"set. Received: num_bins={num_bins} and "
                f"bin_boundaries={bin_boundaries}"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                "Discretization: you need to set either `num_bins` or "
                "`bin_boundaries`. Received: neither"
            )
        self.bin_boundaries = (
            None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        )
        self.num_bins = num_bins
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = False
        self.summary = np.array([[], []], dtype="float32")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Recreates the layer; an adapted layer's config holds both
        ``num_bins`` and the learned ``bin_boundaries``."""
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in boundaries]
            return layer
        return cls(**config)

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Sets ``num_bins - 1`` boundaries at approximate quantiles of the
        data, as Keras does.

        Args:
            data: a NumPy array, or an iterable of batches.
            steps: how many batches of an iterable to read (all when
                ``None``).

        Raises:
            ValueError: for a layer built with ``bin_boundaries``.
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized "
                "with `bin_boundaries`, use `num_bins` instead. Received: "
                f"bin_boundaries={self.bin_boundaries}"
            )
        self.summary = np.array([[], []], dtype="float32")
        if isinstance(data, Iterable) and not hasattr(data, "shape"):
            for index, batch in enumerate(data):
                if steps is not None and index >= steps:
                    break
                self._update(batch)
        else:
            self._update(data)
        boundaries = compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1]
        self.bin_boundaries = boundaries.tolist()

    def _update(self, data: Any) -> None:
        values = np.array(data).astype("float32")
        self.summary = merge_summaries(
            summarize(values, self.epsilon), self.summary, self.epsilon
        )

    def _depth(self) -> int:
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return int(self.num_bins or 0)

    def call(self, inputs: Any) -> Any:
        """Returns the bucket of each value, encoded by ``output_mode``."""
        if self.bin_boundaries is None:
            raise ValueError(
                f'Layer "{self.name}" (Discretization): you need to either pass the '
                "`bin_boundaries` argument at construction time or call "
                "`adapt(dataset)` before you can start using the layer. Received: "
                "no boundaries"
            )
        x = ops.as_tensor(inputs)
        if x.dtype != "float32":
            x = ops.cast(x, "float32")
        boundaries = np.asarray(self.bin_boundaries, dtype="float32")
        above = ops.greater_equal(ops.expand_dims(x, -1), boundaries)
        indices = ops.sum(ops.cast(above, "int32"), axis=-1)
        dtype = "int32" if self.output_mode == "int" else self.dtype
        return encode_categories(indices, self.output_mode, self._depth(), dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape, with the buckets' axis when encoded."""
        if self.output_mode == "int":
            return tuple(input_shape)
        return _encoded_shape(input_shape, self.output_mode, self._depth())

    def get_config(self) -> dict[str, Any]:
        """Returns Keras's config keys (Keras's constructor takes no
        ``trainable``)."""
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype,
        }


# -- IntegerLookup -------------------------------------------------------------------


class IntegerLookup(Layer):
    """Maps integer tokens to contiguous indices (or back, with ``invert``),
    as Keras's ``IntegerLookup``.

    Indices are laid out as Keras does: the mask token's index 0 (when
    ``mask_token`` is set and ``output_mode="int"``), then
    ``num_oov_indices`` indices for out-of-vocabulary tokens (a token ``t``
    goes to ``t mod num_oov_indices`` among them), then the vocabulary.

    Args:
        max_tokens: the largest vocabulary ``adapt`` keeps, special indices
            included.
        num_oov_indices: how many out-of-vocabulary indices (``1``); with 0,
            unknown tokens map to -1 (Keras raises an error at run time).
        mask_token: a token meaning "padding" (index 0; dropped by the
            encoded modes), or ``None``.
        oov_token: what ``invert`` returns for out-of-vocabulary indices
            (``-1``).
        vocabulary: the tokens, or ``None`` to ``adapt``.
        vocabulary_dtype: ``"int64"``.
        idf_weights: one weight per vocabulary index, for ``"tf_idf"``.
        invert: map indices back to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        sparse: ``False``.
        pad_to_max_tokens: encode with ``max_tokens`` categories.
        oov_method: ``"floormod"`` (Keras's ``"farmhash"`` hashes strings).
        salt: only for ``"farmhash"``: must be ``None``.
        name: the layer's name.
        **kwargs: base layer arguments.

    Example:

    >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer([[12, 1138, 42], [42, 1000, 36]]).numpy()
    array([[1, 3, 4],
           [4, 0, 2]])
    """

    # Keys of Keras's config that its constructor takes through ``**kwargs``
    # (``kgraph.saving`` accepts them when loading).
    keras_config_keys = ("vocabulary_size", "has_input_vocabulary")

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: int | None = None,
        oov_token: int = -1,
        vocabulary: Any = None,
        vocabulary_dtype: str = "int64",
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        sparse: bool = False,
        pad_to_max_tokens: bool = False,
        oov_method: str = "floormod",
        salt: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        self._check_arguments(
            max_tokens, num_oov_indices, vocabulary_dtype, invert, output_mode
        )
        _check_not_sparse("IntegerLookup", sparse)
        if oov_method != "floormod" or salt is not None:
            raise ValueError(
                "IntegerLookup: kgraph supports oov_method='floormod' without a "
                "salt (Keras's 'farmhash' hashes the tokens' strings). Received: "
                f"oov_method={oov_method!r}, salt={salt!r}"
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = None if mask_token is None else int(mask_token)
        self.oov_token = int(oov_token)
        self.vocabulary_dtype = vocabulary_dtype
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.hash_salt = None  # Keras's `salt` (farmhash only)
        self.input_vocabulary = vocabulary
        self.input_idf_weights = idf_weights
        self.tokens: np.ndarray | None = None
        self.idf_weights: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif output_mode == "tf_idf" and idf_weights is not None:
            raise ValueError(
                "IntegerLookup: `idf_weights` need a `vocabulary`. Received: "
                "idf_weights without vocabulary"
            )

    @staticmethod
    def _check_arguments(
        max_tokens: Any,
        num_oov_indices: Any,
        vocabulary_dtype: Any,
        invert: Any,
        output_mode: Any,
    ) -> None:
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater "
                f"than 1. Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must "
                f">= 0. Received: num_oov_indices={num_oov_indices}"
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. "
                f"Received: vocabulary_dtype={vocabulary_dtype}"
            )
        modes = ("int", *OUTPUT_MODES, "tf_idf")
        if output_mode not in modes:
            raise ValueError(
                f"IntegerLookup: invalid value for argument `output_mode`. Expected "
                f"one of {modes}. Received: output_mode={output_mode!r}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. Received: "
                f"output_mode={output_mode}"
            )

    # -- the vocabulary ---------------------------------------------------------

    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the tokens (optionally preceded by the special tokens, as
        ``get_vocabulary`` returns them).

        Args:
            vocabulary: a list or 1-D array of integer tokens.
            idf_weights: for ``"tf_idf"``, one weight per index.

        Raises:
            ValueError: for an empty or repeated vocabulary, a misplaced mask
                token, or idf weights with another output mode.
        """
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                f"Received: output_mode={self.output_mode} and idf_weights"
            )
        tokens = np.asarray(vocabulary).reshape(-1)
        if tokens.size == 0:
            raise ValueError(
                f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}"
            )
        if not np.issubdtype(tokens.dtype, np.integer):
            raise ValueError(
                "IntegerLookup takes integer tokens (kgraph tensors are numbers). "
                f"Received: a vocabulary of dtype {tokens.dtype}"
            )
        tokens = tokens.astype(np.int64)
        start = self._token_start()
        special = [self.mask_token] * self._oov_start() + [
            self.oov_token
        ] * self.num_oov_indices
        found_special = (
            len(tokens) >= start and [int(t) for t in tokens[:start]] == special
        )
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, n in collections.Counter(tokens.tolist()).items() if n > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please "
                f"uniquify your dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. "
                f"Received: mask_token={self.mask_token}"
            )
        if self.invert and self.oov_token in tokens:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. "
                f"Received: oov_token={self.oov_token}"
            )
        self.tokens = tokens
        if idf_weights is not None:
            weights = np.asarray(idf_weights, dtype="float64").reshape(-1)
            if len(weights) != len(np.asarray(vocabulary).reshape(-1)):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. "
                    f"Received: len(idf_weights)={len(weights)}"
                )
            if not found_special:
                # Keras gives the special indices the mean weight.
                weights = np.pad(
                    weights, (start, 0), constant_values=np.average(weights)
                )
            self.idf_weights = weights.astype("float32")

    def vocabulary_size(self) -> int:
        """The number of indices: special ones and the tokens."""
        return self._token_start() + (0 if self.tokens is None else len(self.tokens))

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[int]:
        """The token of each index (``oov_token`` for the OOV indices, the
        mask token at 0)."""
        tokens = [] if self.tokens is None else [int(t) for t in self.tokens]
        special = [self.oov_token] * self._token_start()
        if self.mask_token is not None and self.output_mode == "int":
            special[0] = self.mask_token
        return special + tokens if include_special_tokens else tokens

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Builds the vocabulary from the tokens in the data: the most frequent
        first, ties broken by the larger token, as Keras does.

        Args:
            data: a NumPy array, or an iterable of batches.
            steps: how many batches of an iterable to read.

        Raises:
            ValueError: for ``"tf_idf"`` (kgraph does not adapt idf weights).
        """
        if self.output_mode == "tf_idf":
            raise ValueError(
                "IntegerLookup: kgraph does not adapt 'tf_idf' weights; pass "
                "`vocabulary` and `idf_weights`. Received: output_mode='tf_idf'"
            )
        counts: collections.Counter[int] = collections.Counter()
        batches = (
            [data] if hasattr(data, "shape") or not isinstance(data, Iterable) else data
        )
        for index, batch in enumerate(batches):
            if steps is not None and index >= steps:
                break
            counts.update(np.asarray(batch).reshape(-1).astype(np.int64).tolist())
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        ordered = sorted(counts.items(), key=lambda item: (item[1], item[0]))[::-1]
        if self.max_tokens:
            ordered = ordered[: self.max_tokens - self._token_start()]
        self.input_vocabulary = None
        self.tokens = np.array([token for token, _ in ordered], dtype=np.int64)

    # -- the computation --------------------------------------------------------

    def call(self, inputs: Any) -> Any:
        """Returns the indices of the tokens (or the tokens of the indices)."""
        if self.tokens is None or not len(self.tokens):
            raise ValueError(
                f'Layer "{self.name}" (IntegerLookup) has no vocabulary: pass '
                "`vocabulary` or call `adapt` first. Received: an empty vocabulary"
            )
        x = ops.as_tensor(inputs)
        if not dtypes.is_int(x.dtype):
            raise TypeError(
                f'Layer "{self.name}" (IntegerLookup) takes integer tokens; kgraph '
                f"has no string tensors. Received: inputs of dtype {x.dtype}"
            )
        if x.dtype != "int64":
            x = ops.cast(x, "int64")
        if self.invert:
            return self._tokens_of(x)
        indices = self._indices_of(x)
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        encoded = encode_categories(indices, mode, int(depth or 0), self.dtype)
        if self.output_mode == "tf_idf":
            assert self.idf_weights is not None
            weights = np.zeros(encoded.shape[-1], dtype="float32")
            weights[: len(self.idf_weights)] = self.idf_weights
            encoded = ops.multiply(encoded, weights)
        return encoded

    def _indices_of(self, x: Any) -> Any:
        assert self.tokens is not None
        positions = np.arange(len(self.tokens), dtype=np.int64) + self._token_start()
        hits = ops.equal(ops.expand_dims(x, -1), self.tokens)
        found = ops.any(hits, axis=-1)
        index = ops.sum(ops.where(hits, positions, np.int64(0)), axis=-1)
        if self.num_oov_indices == 0:
            missing: Any = np.int64(-1)
        elif self.num_oov_indices == 1:
            missing = np.int64(self._oov_start())
        else:
            count = float(self.num_oov_indices)
            as_float = ops.cast(x, "float64")
            wrapped = ops.subtract(
                as_float, ops.multiply(ops.floor(ops.divide(as_float, count)), count)
            )
            missing = ops.add(ops.cast(wrapped, "int64"), np.int64(self._oov_start()))
        result = ops.where(found, index, missing)
        if self.mask_token is not None:
            masked = np.int64(0 if self.output_mode == "int" else -1)
            result = ops.where(ops.equal(x, np.int64(self.mask_token)), masked, result)
        return result

    def _tokens_of(self, x: Any) -> Any:
        vocabulary = np.asarray(self.get_vocabulary(), dtype=np.int64)
        size = len(vocabulary)
        inside = ops.logical_and(
            ops.greater_equal(x, np.int64(self._token_start())),
            ops.less(x, np.int64(size)),
        )
        safe = ops.where(inside, x, np.int64(0))
        result = ops.where(inside, ops.take(vocabulary, safe), np.int64(self.oov_token))
        if self.mask_token is not None:
            mask = np.int64(self.mask_token)
            result = ops.where(ops.equal(x, np.int64(0)), mask, result)
        return result

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape, with the categories' axis when encoded."""
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        return _encoded_shape(input_shape, mode, int(depth or 0))

    def get_config(self) -> dict[str, Any]:
        """Returns Keras's config keys; the vocabulary is always included
        (Keras keeps an adapted one in the file's assets)."""
        vocabulary = None if self.tokens is None else [int(t) for t in self.tokens]
        weights = self.input_idf_weights
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": None if weights is None else np.asarray(weights).tolist(),
            "vocabulary": vocabulary,
            "vocabulary_size": self.vocabulary_size() if vocabulary else None,
            "oov_method": self.oov_method,
            "salt": self.hash_salt,
        }


# -- Hashing -----------------------------------------------------------------------


class Hashing(Layer):
    """Hashes integers into ``num_bins`` buckets, as Keras's ``Hashing`` does
    with integer inputs: FarmHash ``Fingerprint64`` of each number's decimal
    string (with a ``salt``, SipHash-2-4 keyed by it) modulo the number of
    bins (``kgraph.ops.hash_bucket``; float inputs are truncated to integers
    first, as Keras does). kgraph tensors are numbers: string inputs are not
    supported.

    Args:
        num_bins: the number of buckets, the mask's included.
        mask_value: a value that goes to bucket 0 (the others then hash into
            buckets ``1..num_bins - 1``), or ``None``.
        salt: ``None`` (FarmHash), or one or two integers keying SipHash.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: ``False``.
        **kwargs: base layer arguments (``dtype``: ``"int64"`` for ``"int"``,
            else ``"float32"``).

    Example:

    >>> Hashing(num_bins=3)([[1], [2], [3]]).numpy().ravel().tolist()
    [0, 1, 0]
    """

    def __init__(
        self,
        num_bins: int,
        mask_value: Any = None,
        salt: Any = None,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if (
            num_bins is None
            or isinstance(num_bins, bool)
            or not isinstance(num_bins, numbers.Integral)
            or num_bins <= 0
        ):
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive "
                f"values. Received: num_bins={num_bins}"
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                'When `output_mode="int"`, `dtype` should be an integer type, '
                f"'int32' or 'int64'. Received: dtype={self.dtype}"
            )
        if output_mode not in ("int", *OUTPUT_MODES):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"('int', *{OUTPUT_MODES}). Received: output_mode={output_mode}"
            )
        _check_not_sparse("Hashing", sparse)
        if salt is not None:
            if isinstance(salt, list | tuple) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, numbers.Integral) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size "
                    f"2 integers, or a single integer. Received: salt={salt!r}"
                )
        if mask_value is not None and not isinstance(mask_value, numbers.Real):
            raise ValueError(
                "Hashing: kgraph tensors are numbers, so `mask_value` must be a "
                f"number or None. Received: mask_value={mask_value!r}"
            )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.hash_salt = salt
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs: Any) -> Any:
        """Returns the bucket of each value, encoded by ``output_mode``."""
        values = ops.as_tensor(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = ops.squeeze(values, -1)
        integers = values if dtypes.is_int(values.dtype) else ops.cast(values, "int64")
        bins = self.num_bins
        masked = self.mask_value is not None and bins > 1
        buckets = ops.hash_bucket(
            integers, bins - 1 if masked else bins, key=self.hash_salt
        )
        if masked:
            is_mask = ops.equal(values, self.mask_value)
            buckets = ops.where(is_mask, np.int64(0), ops.add(buckets, np.int64(1)))
        return encode_categories(buckets, self.output_mode, bins, self.dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape, with the buckets' axis when encoded."""
        if self.output_mode == "int":
            return tuple(input_shape)
        if not input_shape:
            return (self.num_bins,)
        return (*tuple(input_shape)[:-1], self.num_bins)

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (Keras's keys)."""
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.hash_salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
