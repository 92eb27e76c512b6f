"""Tensors: eager ``Tensor`` (NumPy-backed), ``SymbolicTensor`` (a graph node),
``KerasTensor`` (a symbolic tensor of a model definition, which remembers
the call that made it) and ``Variable`` (a named, mutable array a layer owns).

All three take Python operators; the operators call the ``kgraph.ops``
functions, which evaluate eagerly or add a graph node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ir.types import TensorType

if TYPE_CHECKING:
    from kgraph.ir.graph import Graph


def _ops() -> Any:
    # kgraph.ops builds on this module, so the operators import it on use.
    from kgraph import ops

    return ops


class _Operators:
    """Python operators for every tensor-like class, via ``kgraph.ops``."""

    def __add__(self, other: Any) -> Any:
        return _ops().add(self, other)

    def __radd__(self, other: Any) -> Any:
        return _ops().add(other, self)

    def __sub__(self, other: Any) -> Any:
        return _ops().subtract(self, other)

    def __rsub__(self, other: Any) -> Any:
        return _ops().subtract(other, self)

    def __mul__(self, other: Any) -> Any:
        return _ops().multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        return _ops().multiply(other, self)

    def __truediv__(self, other: Any) -> Any:
        return _ops().divide(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _ops().divide(other, self)

    def __matmul__(self, other: Any) -> Any:
        return _ops().matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _ops().matmul(other, self)

    def __pow__(self, other: Any) -> Any:
        return _ops().power(self, other)

    def __rpow__(self, other: Any) -> Any:
        return _ops().power(other, self)

    def __neg__(self) -> Any:
        return _ops().negative(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _ops().abs(self)

    def __lt__(self, other: Any) -> Any:
        return _ops().less(self, other)

    def __le__(self, other: Any) -> Any:
        return _ops().less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return _ops().greater(self, other)

    def __ge__(self, other: Any) -> Any:
        return _ops().greater_equal(self, other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return _ops().equal(self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return _ops().not_equal(self, other)

    def __getitem__(self, key: Any) -> Any:
        return _ops().get_item(self, key)

    __hash__ = object.__hash__


class Tensor(_Operators):
    """An eager tensor: a NumPy array with kgraph's operators and dtypes.

    Args:
        value: anything ``numpy.asarray`` takes.
        dtype: optional dtype; by default Python ints become ``int32`` and
            floats ``float32``, and NumPy arrays keep theirs.

    Example:

    >>> t = Tensor([[1, 2, 3], [4, 5, 6]])
    >>> t[1, :].numpy()
    array([4, 5, 6], dtype=int32)
    """

    __array_priority__ = 100

    def __init__(self, value: Any, dtype: Any = None) -> None:
        if isinstance(value, Tensor):
            value = value.numpy()
        kind = dtypes.of_value(value) if dtype is None else dtypes.canonical(dtype)
        self._value = np.asarray(value, dtype=dtypes.to_numpy(kind))

    def numpy(self) -> np.ndarray:
        """Returns the value as a NumPy array."""
        return self._value

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, as a tuple of ints."""
        return tuple(self._value.shape)

    @property
    def dtype(self) -> str:
        """The dtype's name (``"float32"``)."""
        return self._value.dtype.name

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._value.ndim

    @property
    def type(self) -> TensorType:
        """The ``TensorType`` of this tensor."""
        return TensorType.of(self._value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is None:
            return self._value
        return self._value.astype(dtype)

    def __len__(self) -> int:
        return len(self._value)

    def __iter__(self) -> Any:
        for index in range(len(self)):
            yield self[index]

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __repr__(self) -> str:
        body = np.array2string(self._value, separator=", ")
        return f"<Tensor shape={self.shape}, dtype={self.dtype}, numpy=\n{body}>"


class SymbolicTensor(_Operators):
    """A node of a graph being built, as the handle layers and ops hold.

    Args:
        graph: the graph the node belongs to.
        node_id: the node's id.
    """

    def __init__(self, graph: Graph, node_id: int) -> None:
        self.graph = graph
        self.node_id = node_id

    @property
    def type(self) -> TensorType:
        """The node's ``TensorType``."""
        return self.graph.node(self.node_id).type

    @property
    def shape(self) -> tuple[int | None, ...]:
        """The static shape; ``None`` for the batch dimension."""
        return self.type.shape

    @property
    def dtype(self) -> str:
        """The dtype's name."""
        return self.type.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.type.rank

    def __bool__(self) -> bool:
        raise TypeError(
            f"{_tracing_where()}cannot branch on a symbolic tensor's value: the "
            "model is traced once into a static graph, so a Python `if`, `while` "
            "or `and` on a tensor has no value to test. Use kgraph.ops.where "
            "to choose between values. Received: a truth test of "
            f"{self!r}"
        )

    # NumPy's operators on tensors (``np.float32(2) * x``) reach
    # ``__array_ufunc__``: those become kgraph ops; other NumPy functions
    # cannot compute on a graph node and say so.
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kw: Any) -> Any:
        name = _NUMPY_OPERATORS.get(ufunc.__name__)
        if method == "__call__" and name is not None and not kw and len(inputs) == 2:
            return getattr(_ops(), name)(*inputs)
        raise TypeError(_numpy_message(ufunc.__name__))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func.__name__ in ("shape", "ndim", "size"):
            shape = self.shape
            if func.__name__ == "shape":
                return shape
            return len(shape) if func.__name__ == "ndim" else _size(shape)
        raise TypeError(_numpy_message(func.__name__))

    def __repr__(self) -> str:
        return f"<SymbolicTensor %{self.node_id} {self.type}>"


_NUMPY_OPERATORS = {
    "add": "add",
    "subtract": "subtract",
    "multiply": "multiply",
    "true_divide": "divide",
    "divide": "divide",
    "power": "power",
    "matmul": "matmul",
    "less": "less",
    "less_equal": "less_equal",
    "greater": "greater",
    "greater_equal": "greater_equal",
    "equal": "equal",
    "not_equal": "not_equal",
}


def _size(shape: tuple[int | None, ...]) -> int | None:
    if any(d is None for d in shape):
        return None
    return int(np.prod(shape))


def _tracing_where() -> str:
    layer = _ops().builder.current_layer()
    return f"Layer '{layer}' " if layer else "Model code "


def _numpy_message(function: str) -> str:
    return (
        f"NumPy's {function} cannot compute on a symbolic tensor "
        f"({_tracing_where().strip()} is being traced into a graph, where "
        "tensors have no values yet). Use the kgraph.ops function of the same "
        f"name instead (kgraph.ops.{function} if it exists). Received: "
        f"numpy.{function} on a symbolic tensor"
    )


class KerasTensor(SymbolicTensor):
    """A symbolic tensor of a model definition: a type and the call that
    made it, in no graph.

    ``kg.Input`` returns one; layers and ops called on them return new ones
    whose ``history`` records the call (Keras's ``_keras_history``). A model
    walks these histories back from its outputs and traces the calls into
    a graph of its own, so a definition leaves nothing behind in any shared
    graph, and one layer can take part in several models.

    Args:
        type: the tensor's ``TensorType`` (``None`` for the batch dimension).
        history: ``(operation, node_index, tensor_index)``: the layer or op
            call that made the tensor, which of the operation's calls, and
            which of that call's outputs.
        name: an optional name (the input's, for ``kg.Input``).
    """

    def __init__(
        self, type: TensorType, history: Any = None, name: str | None = None
    ) -> None:
        super().__init__(None, -1)  # type: ignore[arg-type]
        self._type = type
        self.history = history
        self.name = name

    @property
    def type(self) -> TensorType:
        """The tensor's ``TensorType``."""
        return self._type

    @property
    def node(self) -> Any:
        """The call (``kgraph.ops.history.CallNode``) that made the tensor."""
        if self.history is None:
            return None
        operation, node_index, _ = self.history
        return operation.inbound_nodes[node_index]

    def __repr__(self) -> str:
        named = f" name={self.name}" if self.name else ""
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}{named}>"


class Variable(_Operators):
    """A named array owned by a layer or an optimizer: weights and slots.

    In a graph a variable is a ``parameter`` (or ``slot``) placeholder named
    by its ``path``; eagerly it acts as its current value.

    Args:
        value: the initial value.
        name: the variable's name inside its owner (``"kernel"``).
        path: the unique name across the model (``"dense/kernel"``).
        trainable: whether gradients update it.
        dtype: the dtype (default: the value's, floats as ``float32``).
    """

    def __init__(
        self,
        value: Any,
        name: str,
        path: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
    ) -> None:
        kind = dtypes.canonical(dtype) if dtype else dtypes.of_value(value)
        # Always a C-contiguous copy of its own: native code reads and updates
        # it in place (a backend may move it where it wants it: ``relocate``).
        self._value = np.array(value, dtype=dtypes.to_numpy(kind), order="C")
        self.name = name
        self.path = path or name
        self.trainable = trainable

    # Keras's per-variable settings: kgraph has one device and one replica,
    # so ``aggregation`` and ``synchronization`` only keep Keras's values;
    # gradients always update a trainable variable through the optimizer.
    constraint: Any = None
    regularizer: Any = None
    aggregation: str = "none"
    synchronization: str = "auto"
    overwrite_with_gradient: bool = False

    # Writes any variable has seen: ``assign`` and ``relocate`` count one,
    # and so does each native run that updates state in place (its caller
    # calls ``note_writes``). Compiled code keeps what it derives from the
    # weights (a convolution's transformed kernel) while this stays put.
    _writes = 0
    # Moves of any variable's storage (``relocate``): plans that hold the
    # arrays' addresses (``models.serving``) are made again when it changes.
    _moves = 0

    @staticmethod
    def writes() -> int:
        """How many writes variables have seen: the version of every
        variable's value (see ``Executable.predict``'s ``version``)."""
        return Variable._writes

    @staticmethod
    def note_writes() -> None:
        """Counts a write made without ``assign`` (a native loop's in-place
        updates)."""
        Variable._writes += 1

    @staticmethod
    def moves() -> int:
        """How many times any variable's storage has moved (``relocate``)."""
        return Variable._moves

    @property
    def name(self) -> str:
        """The variable's name inside its owner (``"kernel"``)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    @property
    def path(self) -> str:
        """The unique name across the model (``"dense/kernel"``)."""
        return self._path

    @path.setter
    def path(self, value: str) -> None:
        self._path = value

    @property
    def trainable(self) -> bool:
        """Whether gradients update the variable."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)

    @property
    def handle(self) -> np.ndarray:
        """The storage native code reads and updates: the value's array
        itself (Keras's backend variable handle)."""
        return self._value

    def numpy(self) -> np.ndarray:
        """Returns a copy of the current value."""
        return self._value.copy()

    @property
    def value(self) -> np.ndarray:
        """The current value (the array itself, not a copy)."""
        return self._value

    def assign(self, value: Any) -> Any:
        """Replaces the value, keeping shape and dtype.

        Called while a layer or metric is traced (``value`` symbolic, or any
        value inside a symbolic call), it records a state update instead:
        the compiled step writes the new value after each batch, and later
        reads in the same trace see it. Eagerly it assigns at once.

        Args:
            value: the new value, of the variable's shape.

        Returns:
            ``value``.

        Raises:
            ValueError: when the shape differs.
        """
        builder = _ops().builder
        if builder.records_updates(value):
            builder.record_update(self, value)
            return value
        array = np.asarray(value, dtype=self._value.dtype)
        if array.shape != self._value.shape:
            raise ValueError(
                f"Variable '{self.path}' has shape {self._value.shape}; cannot "
                f"assign a value of shape {array.shape}. Received: "
                f"shape={array.shape}"
            )
        self._value[...] = array
        Variable.note_writes()
        return value

    def assign_add(self, delta: Any) -> Any:
        """Adds ``delta`` to the value (a state update while traced).

        Returns:
            The new value.
        """
        if _ops().builder.records_updates(delta):
            return self.assign(_ops().add(self, delta))
        return self.assign(self._value + np.asarray(delta, dtype=self._value.dtype))

    def assign_sub(self, delta: Any) -> Any:
        """Subtracts ``delta`` from the value (a state update while traced).

        Returns:
            The new value.
        """
        if _ops().builder.records_updates(delta):
            return self.assign(_ops().subtract(self, delta))
        return self.assign(self._value - np.asarray(delta, dtype=self._value.dtype))

    def relocate(self, storage: np.ndarray) -> None:
        """Moves the value into ``storage`` and keeps it there: a backend
        places the arrays its native code updates in place where it wants
        them (the LLVM backend: on a cache line).

        Args:
            storage: a writable C-contiguous array of the variable's shape
                and dtype.

        Raises:
            ValueError: when the shape, dtype or layout differs.
        """
        if (
            storage.shape != self._value.shape
            or storage.dtype != self._value.dtype
            or not storage.flags.c_contiguous
            or not storage.flags.writeable
        ):
            raise ValueError(
                f"Variable '{self.path}' can only move into a writable "
                f"C-contiguous array of shape {self._value.shape} and dtype "
                f"{self._value.dtype}. Received: shape={storage.shape}, "
                f"dtype={storage.dtype}"
            )
        storage[...] = self._value
        self._value = storage
        Variable._moves += 1
        Variable.note_writes()

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape."""
        return tuple(self._value.shape)

    @property
    def dtype(self) -> str:
        """The dtype's name."""
        return self._value.dtype.name

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._value.ndim

    @property
    def type(self) -> TensorType:
        """The ``TensorType``."""
        return TensorType.of(self._value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._value if dtype is None else self._value.astype(dtype)

    def __repr__(self) -> str:
        return f"<Variable path={self.path} shape={self.shape} dtype={self.dtype}>"


def constant(value: Any, dtype: Any = None) -> Tensor:
    """Creates an eager tensor.

    Args:
        value: a Python scalar, nested list or array.
        dtype: optional dtype; Python ints give ``int32``, floats ``float32``.

    Returns:
        A ``Tensor``.

    Example:

    >>> constant([[1, 2, 3], [4, 5, 6]]).shape
    (2, 3)
    """
    return Tensor(value, dtype)
