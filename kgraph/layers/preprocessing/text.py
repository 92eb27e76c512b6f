"""`StringLookup` and `TextVectorization`: strings to integer indices.

kgraph's tensors hold numbers, so these layers run eagerly, on NumPy
arrays or lists of Python strings, before the model: turn texts into
indices (``x = vectorize(texts)``) and feed the indices to a model whose
`Input` takes integers. Called on a model's symbolic tensor they raise an
error saying so. Vocabularies, index layout, output modes and TF-IDF
weights follow Keras's.
"""

from __future__ import annotations

import collections
import re
import zlib
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

import numpy as np

from kgraph.layers.layer import Layer
from kgraph.ops.tensor import SymbolicTensor

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


def _eager_only(layer: Layer, inputs: Any) -> None:
    if isinstance(inputs, SymbolicTensor):
        raise TypeError(
            f'Layer "{layer.name}" ({type(layer).__name__}) maps strings, and kgraph '
            "tensors hold numbers: call it on your data before the model "
            "(x = layer(texts)) and give the model the integer indices. "
            f"Received: a symbolic tensor of dtype {inputs.dtype}"
        )


def _strings(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=object)


class _EagerLayer(Layer):
    """A layer called on NumPy data directly: strings are not tensors."""

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        _eager_only(self, inputs)
        kwargs.pop("training", None)
        return self.call(inputs, *args, **kwargs)


class StringLookup(_EagerLayer):
    """Maps strings to contiguous integer indices (or back, with
    ``invert``), eagerly, with Keras's index layout: the mask token at 0
    (when ``mask_token`` is set and ``output_mode="int"``), then
    ``num_oov_indices`` out-of-vocabulary indices, then the vocabulary in
    order (``adapt`` orders it by frequency, ties by the token, descending).

    Args:
        max_tokens: The largest vocabulary ``adapt`` keeps, special indices
            included.
        num_oov_indices: Out-of-vocabulary indices; with more than one, a
            token's bucket is its CRC-32 modulo the number (Keras uses
            FarmHash, so buckets differ from Keras's).
        mask_token: The padding token (index 0), or ``None``.
        oov_token: What ``invert`` returns for out-of-vocabulary indices.
        vocabulary: The tokens (a list, an array, or a path to a text file
            with one token per line), or ``None`` to ``adapt``.
        idf_weights: For ``"tf_idf"``, one weight per vocabulary token.
        invert: Map indices back to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``
            or ``"tf_idf"``.
        pad_to_max_tokens: Encode with ``max_tokens`` categories.
        sparse: ``False`` (dense outputs only).
        encoding: The text encoding of bytes inputs.
        name: The layer's name.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for a bad argument or vocabulary.

    Example:

    >>> layer = StringLookup(vocabulary=["a", "b", "c"])
    >>> layer([["a", "c", "d"]])
    array([[1, 3, 0]])
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        mask_token: str | None = None,
        oov_token: str = "[UNK]",
        vocabulary: Any = None,
        idf_weights: Any = None,
        invert: bool = False,
        output_mode: str = "int",
        pad_to_max_tokens: bool = False,
        sparse: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        super().__init__(name=name, **kwargs)
        output_mode = "tf_idf" if output_mode == "tf-idf" else output_mode
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of "
                f"{OUTPUT_MODES}. Received: output_mode={output_mode!r}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}"
            )
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If set, `max_tokens` must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}"
            )
        if sparse:
            raise ValueError(
                "kgraph's lookups give dense outputs. Received: sparse=True"
            )
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.invert = bool(invert)
        self.output_mode = output_mode
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.sparse = False
        self.encoding = encoding
        self.input_vocabulary = vocabulary
        self.input_idf_weights = idf_weights
        self.tokens: list[str] = []
        self.idf_weights: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- the vocabulary ---------------------------------------------------

    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def _special(self) -> list[Any]:
        return [self.mask_token] * self._oov_start() + [
            self.oov_token
        ] * self.num_oov_indices

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The tokens by index (with the mask and OOV tokens first)."""
        special = self._special() if include_special_tokens else []
        return [*special, *self.tokens]

    def vocabulary_size(self) -> int:
        """The number of indices, special ones included."""
        return self._token_start() + len(self.tokens)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the tokens (optionally preceded by the special tokens, as
        `get_vocabulary` returns them) and, for ``"tf_idf"``, their weights.

        Raises:
            ValueError: for an empty or repeated vocabulary, misplaced
                special tokens, or idf weights that do not fit.
        """
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding=self.encoding) as file:
                vocabulary = [line.rstrip("\n") for line in file]
        tokens = [
            self._decode(t) for t in np.asarray(vocabulary, dtype=object).reshape(-1)
        ]
        if not tokens:
            raise ValueError(
                f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}"
            )
        start = self._token_start()
        found_special = tokens[:start] == self._special()
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify "
                f"your dataset. The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. "
                f"Received: mask_token={self.mask_token!r}"
            )
        self.tokens = tokens
        self.idf_weights = self._padded_idf(idf_weights, found_special)

    def _padded_idf(self, idf_weights: Any, found_special: bool) -> np.ndarray | None:
        if self.output_mode != "tf_idf":
            if idf_weights is not None:
                raise ValueError(
                    "`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                    f"Received: output_mode={self.output_mode}"
                )
            return None
        if idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        weights = np.asarray(idf_weights, dtype="float32").reshape(-1)
        if not found_special:
            weights = np.concatenate(
                [np.full(self._token_start(), weights.mean()), weights]
            )
        return weights.astype("float32")

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Builds the vocabulary from ``data`` (an array or list of strings,
        or an iterable of such batches): tokens by frequency, ties by the
        token in descending order, at most ``max_tokens`` indices."""
        counts: collections.Counter[str] = collections.Counter()
        documents: collections.Counter[str] = collections.Counter()
        rows = 0
        for batch in _batches(data, steps):
            for row in np.asarray(batch, dtype=object).reshape(len(batch), -1):
                tokens = [self._decode(t) for t in row if t is not None]
                counts.update(tokens)
                documents.update(set(tokens))
                rows += 1
        counts.pop(self.mask_token, None) if self.mask_token is not None else None
        ordered = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            ordered = ordered[: max(self.max_tokens - self._token_start(), 0)]
        self.tokens = ordered
        if self.output_mode == "tf_idf":
            idf = np.log(1.0 + rows / (1.0 + np.array([documents[t] for t in ordered])))
            self.idf_weights = np.concatenate(
                [np.full(self._token_start(), idf.mean() if idf.size else 0.0), idf]
            ).astype("float32")

    def _decode(self, token: Any) -> str:
        return token.decode(self.encoding) if isinstance(token, bytes) else str(token)

    # -- mapping ----------------------------------------------------------

    def _index(self, token: str, table: dict[str, int]) -> int:
        if self.mask_token is not None and token == self.mask_token:
            return 0 if self.output_mode == "int" else -1
        found = table.get(token)
        if found is not None:
            return found
        if self.num_oov_indices == 0:
            raise ValueError(
                f'Layer "{self.name}": token {token!r} is not in the vocabulary and '
                "num_oov_indices=0. Received: an out-of-vocabulary token"
            )
        bucket = zlib.crc32(token.encode(self.encoding)) % self.num_oov_indices
        return self._oov_start() + (bucket if self.num_oov_indices > 1 else 0)

    def lookup(self, tokens: Any) -> np.ndarray:
        """The indices of ``tokens`` (any shape), as int64."""
        start = self._token_start()
        table = {token: start + i for i, token in enumerate(self.tokens)}
        array = np.asarray(tokens, dtype=object)
        flat = [self._index(self._decode(t), table) for t in array.reshape(-1)]
        return np.asarray(flat, dtype="int64").reshape(array.shape)

    def call(self, inputs: Any) -> Any:
        """Looks the strings up (or, with ``invert``, the indices)."""
        _eager_only(self, inputs)
        if not self.tokens:
            raise ValueError(
                f'Layer "{self.name}" has no vocabulary: pass `vocabulary` or call '
                "`adapt` first. Received: an empty vocabulary"
            )
        if self.invert:
            vocabulary = np.asarray(self.get_vocabulary(), dtype=object)
            indices = np.asarray(inputs, dtype="int64")
            known = (indices >= 0) & (indices < len(vocabulary))
            out = np.where(
                known, vocabulary[np.clip(indices, 0, len(vocabulary) - 1)], ""
            )
            out[~known] = self.oov_token
            return out
        indices = self.lookup(_strings(inputs))
        if self.output_mode == "int":
            return indices
        return self._encode(indices)

    def _encode(self, indices: np.ndarray) -> np.ndarray:
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        rows = indices.reshape(-1, 1) if indices.ndim <= 1 else indices
        if self.output_mode == "one_hot":
            rows = indices.reshape(-1, 1)
        out = np.zeros((rows.shape[0], depth), dtype="float32")
        for row, values in enumerate(rows):
            for index in values[values >= 0]:
                out[row, index] += 1.0
        if self.output_mode in ("multi_hot", "one_hot"):
            out = np.minimum(out, 1.0)
        elif self.output_mode == "tf_idf":
            assert self.idf_weights is not None
            weights = np.zeros(depth, "float32")
            weights[: len(self.idf_weights)] = self.idf_weights[:depth]
            out = out * weights
        if self.output_mode == "one_hot" and indices.ndim >= 1:
            return out.reshape(*indices.shape, depth)
        return out

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (with the vocabulary)."""
        vocabulary = self.tokens if self.tokens else self.input_vocabulary
        idf = None
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            idf = self.idf_weights[self._token_start() :].tolist()
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "mask_token": self.mask_token,
            "oov_token": self.oov_token,
            "vocabulary": list(vocabulary) if vocabulary is not None else None,
            "idf_weights": idf,
            "invert": self.invert,
            "output_mode": self.output_mode,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "sparse": False,
            "encoding": self.encoding,
        }


def _batches(data: Any, steps: int | None) -> Iterable[Any]:
    """An array or list of strings is one batch; other iterables yield
    batches (``steps`` of them at most)."""
    if isinstance(data, np.ndarray | list | tuple | str):
        yield np.atleast_1d(np.asarray(data, dtype=object))
        return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            return
        if isinstance(batch, tuple):
            batch = batch[0]
        yield np.atleast_1d(np.asarray(batch, dtype=object))


def _ngrams(tokens: list[str], ngrams: Any) -> list[str]:
    widths = range(1, ngrams + 1) if isinstance(ngrams, int) else ngrams
    out: list[str] = []
    for width in widths:
        out.extend(
            " ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1)
        )
    return out


class TextVectorization(_EagerLayer):
    """Turns texts into token indices or bag-of-words vectors, eagerly, as
    Keras's ``TextVectorization``: standardize (lowercase, strip
    punctuation), split (on whitespace or into characters), form n-grams,
    look up (a `StringLookup` with mask ``""`` and OOV ``"[UNK]"``), and
    pad to ``output_sequence_length`` in ``"int"`` mode.

    Args:
        max_tokens: The vocabulary's size limit (special tokens included).
        standardize: ``"lower_and_strip_punctuation"``, ``"lower"``,
            ``"strip_punctuation"``, ``None``, or a function on a NumPy
            array of strings.
        split: ``"whitespace"``, ``"character"``, ``None``, or a function
            from a string to its tokens.
        ngrams: ``None``, an int ``n`` (1- to n-grams) or a tuple of widths.
        output_mode: ``"int"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: In ``"int"`` mode, the padded or truncated
            length (else the longest text of the batch).
        pad_to_max_tokens: Encode with ``max_tokens`` categories.
        vocabulary: Tokens or a path to a vocabulary file, or ``None``.
        idf_weights: For ``"tf_idf"`` with a vocabulary.
        sparse: ``False``.
        ragged: ``False`` (kgraph pads).
        encoding: The text encoding.
        name: The layer's name.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: for a bad argument.

    Example:

    >>> layer = TextVectorization(output_sequence_length=4)
    >>> layer.adapt(["The cat sat.", "The dog!"])
    >>> layer(["the dog sat on"])
    array([[2, 4, 3, 1]])
    """

    def __init__(
        self,
        max_tokens: int | None = None,
        standardize: str | Callable[..., Any] | None = "lower_and_strip_punctuation",
        split: str | Callable[..., Any] | None = "whitespace",
        ngrams: int | tuple[int, ...] | None = None,
        output_mode: str = "int",
        output_sequence_length: int | None = None,
        pad_to_max_tokens: bool = False,
        vocabulary: Any = None,
        idf_weights: Any = None,
        sparse: bool = False,
        ragged: bool = False,
        encoding: str = "utf-8",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        if output_mode not in ("int", "multi_hot", "count", "tf_idf", "tf-idf"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of 'int', "
                f"'multi_hot', 'count', 'tf_idf'. Received: output_mode={output_mode!r}"
            )
        if isinstance(standardize, str) and standardize not in (
            "lower_and_strip_punctuation",
            "lower",
            "strip_punctuation",
        ):
            raise ValueError(
                f"Invalid `standardize`. Received: standardize={standardize!r}"
            )
        if isinstance(split, str) and split not in ("whitespace", "character"):
            raise ValueError(f"Invalid `split`. Received: split={split!r}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not "
                f"'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if ragged:
            raise ValueError("kgraph pads sequences: ragged=True is not supported.")
        self.standardize = standardize
        self.split = split
        self.ngrams = ngrams
        self.output_sequence_length = output_sequence_length
        self.ragged = False
        self.lookup_layer = StringLookup(
            max_tokens=max_tokens,
            mask_token="",
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            encoding=encoding,
            name=f"{self.name}_lookup",
        )

    @property
    def output_mode(self) -> str:
        """The lookup's output mode."""
        return self.lookup_layer.output_mode

    def _tokens(self, text: Any) -> list[str]:
        text = self.lookup_layer._decode(text)
        if self.standardize in ("lower", "lower_and_strip_punctuation"):
            text = text.lower()
        if self.standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = PUNCTUATION.sub("", text)
        if self.split == "whitespace":
            tokens = text.split()
        elif self.split == "character":
            tokens = list(text)
        elif callable(self.split):
            tokens = [self.lookup_layer._decode(t) for t in self.split(text)]
        else:
            tokens = [text]
        return _ngrams(tokens, self.ngrams) if self.ngrams is not None else tokens

    def _tokenize(self, texts: Any) -> list[list[str]]:
        array = np.asarray(texts, dtype=object)
        if array.ndim > 1:
            if array.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input "
                    "rank must be 1 or the last shape dimension must be 1. "
                    f"Received: inputs.shape={array.shape}"
                )
            array = array.reshape(-1)
        array = np.atleast_1d(array)
        if callable(self.standardize):
            array = np.asarray(self.standardize(array), dtype=object)
        return [self._tokens(text) for text in array]

    def adapt(
        self, data: Any, batch_size: int | None = None, steps: int | None = None
    ) -> None:
        """Builds the vocabulary from texts (an array or list, or an
        iterable of batches of texts)."""
        del batch_size
        documents = [
            tokens
            for batch in _batches(data, steps)
            for tokens in self._tokenize(batch)
        ]
        width = max((len(tokens) for tokens in documents), default=1)
        padded = [tokens + [""] * (width - len(tokens)) for tokens in documents]
        self.lookup_layer.adapt(
            [np.asarray(row, dtype=object) for row in padded] or [[""]]
        )

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The tokens by index (``""`` and ``"[UNK]"`` first)."""
        return self.lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The number of indices, special ones included."""
        return self.lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the tokens (and their idf weights for ``"tf_idf"``)."""
        self.lookup_layer.set_vocabulary(vocabulary, idf_weights)

    def call(self, inputs: Any) -> Any:
        """Returns the indices, padded with 0 (``"int"``), or the encoded
        bags of tokens."""
        _eager_only(self, inputs)
        documents = self._tokenize(inputs)
        if self.output_mode != "int":
            width = max((len(d) for d in documents), default=1) or 1
            rows = [d + [""] * (width - len(d)) for d in documents]
            return self.lookup_layer(
                np.asarray(rows, dtype=object).reshape(len(rows), width)
            )
        length = self.output_sequence_length or max(
            (len(d) for d in documents), default=0
        )
        out = np.zeros((len(documents), length), dtype="int64")
        for row, tokens in enumerate(documents):
            indices = self.lookup_layer(np.asarray(tokens[:length], dtype=object))
            out[row, : len(indices)] = indices
        return out

    def get_config(self) -> dict[str, Any]:
        """Returns the constructor arguments (with the vocabulary)."""
        lookup = self.lookup_layer.get_config()
        for callable_argument in (self.standardize, self.split):
            if callable(callable_argument):
                raise ValueError(
                    f'Layer "{self.name}": a function as `standardize` or `split` '
                    "cannot be serialized. Received: a callable"
                )
        return {
            **super().get_config(),
            "max_tokens": lookup["max_tokens"],
            "standardize": self.standardize,
            "split": self.split,
            "ngrams": self.ngrams,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": lookup["pad_to_max_tokens"],
            "sparse": False,
            "ragged": False,
            "vocabulary": lookup["vocabulary"],
            "idf_weights": lookup["idf_weights"],
            "encoding": lookup["encoding"],
        }
