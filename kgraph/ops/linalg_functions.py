"""Keras's linear algebra (``keras.ops.linalg``): norms and distances
composed from primitives (eager and symbolic), decompositions and solvers
computed eagerly with NumPy's LAPACK.

kgraph's graph has no decomposition ops (no native LAPACK in the LLVM
backend), so ``det``, ``inv``, ``solve``, ``cholesky``, ``qr``, ``svd`` and
the rest run on arrays and eager tensors only, and name themselves in the
error when given a tensor of a model or of a layer's call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kgraph import dtypes
from kgraph.ops import composite
from kgraph.ops import elementwise as ew
from kgraph.ops import reduce
from kgraph.ops import shaping as shape_ops
from kgraph.ops.history import recorded
from kgraph.ops.reduce import normalize_axes
from kgraph.ops.tensor import SymbolicTensor


def _float(x: Any) -> Any:
    x = shape_ops.as_tensor(x)
    return x if dtypes.is_float(x.dtype) else ew.cast(x, "float32")


# ---------------------------------------------------------------- composed


@recorded
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm, as ``numpy.linalg.norm`` and Keras's
    ``ops.norm``.

    With one axis (or a 1-D ``x`` and ``axis=None``), a vector norm:
    ``ord=None``/``2`` Euclidean, ``inf``/``-inf`` the largest/smallest
    ``|x|``, ``0`` the count of nonzeros, any other number ``p``
    ``sum(|x|**p)**(1/p)``. With two axes (or a 2-D ``x``), a matrix norm:
    ``None``/``"fro"`` Frobenius, ``1``/``-1`` the largest/smallest column
    sum of ``|x|``, ``inf``/``-inf`` the same over rows; ``2``, ``-2`` and
    ``"nuc"`` need singular values and run eagerly only. ``axis=None`` with
    ``ord=None`` is the 2-norm of all elements.

    Args:
        x: input tensor (ints become float32).
        ord: the order of the norm.
        axis: ``None``, an int or a pair of ints.
        keepdims: keep the reduced axes with size 1.

    Raises:
        ValueError: for an ``ord`` that does not fit the axes.

    Example:

    >>> norm([3.0, 4.0]).numpy()
    array(5., dtype=float32)
    """
    x = _float(x)
    if axis is None:
        if ord is None:
            result = ew.sqrt(reduce.sum(ew.square(x)))
            return _keep(result, x.ndim) if keepdims else result
        if x.ndim not in (1, 2):
            raise ValueError(
                "norm: with `axis=None` and an `ord`, `x` must be 1-D or 2-D. "
                f"Received: x.shape={x.shape}, ord={ord!r}"
            )
        axes = tuple(range(x.ndim))
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
    normalize_axes("norm", axes, x.ndim)  # checks the range
    axes = tuple(a % x.ndim for a in axes)  # in order: rows, then columns
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: `axis` must name one or two axes. Received: axis={axis}")


def _keep(result: Any, ndim: int) -> Any:
    return shape_ops.reshape(result, (1,) * ndim)


def _vector_norm(x: Any, ord: Any, axis: int, keepdims: bool) -> Any:
    magnitude = ew.abs(x)
    if ord is None or ord == 2:
        return ew.sqrt(reduce.sum(ew.square(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(
            f"norm: the order {ord!r} is a matrix norm; give two axes. "
            f"Received: ord={ord!r}, axis={axis}"
        )
    if ord == np.inf:
        return reduce.max(magnitude, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return composite.min(magnitude, axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = ew.cast(ew.not_equal(x, 0.0), x.dtype)
        return reduce.sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return reduce.sum(magnitude, axis=axis, keepdims=keepdims)
    power = float(ord)
    total = reduce.sum(ew.power(magnitude, power), axis=axis, keepdims=keepdims)
    return ew.power(total, 1.0 / power)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    row, col = axes
    if row == col:
        raise ValueError(f"norm: the two axes must differ. Received: axis={axes}")
    if ord is None or ord == "fro":
        return ew.sqrt(reduce.sum(ew.square(x), axis=axes, keepdims=keepdims))
    if ord in (2, -2, "nuc"):
        return _singular_norm(x, ord, axes, keepdims)
    if ord in (1, -1):
        summed, other = row, col  # column sums: over the rows
    elif ord in (np.inf, -np.inf):
        summed, other = col, row
    else:
        raise ValueError(
            "norm: invalid order for a matrix norm; expected None, 'fro', "
            f"'nuc', 1, -1, 2, -2, inf or -inf. Received: ord={ord!r}"
        )
    sums = reduce.sum(ew.abs(x), axis=summed, keepdims=True)
    pick = reduce.max if ord in (1, np.inf) else composite.min
    result = pick(sums, axis=other, keepdims=True)
    return result if keepdims else shape_ops.squeeze(result, tuple(axes))


def _singular_norm(x: Any, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    array = _eager(f"norm(ord={ord!r})", x)
    result = np.linalg.norm(array, ord=ord, axis=axes, keepdims=keepdims)
    return _tensor(result, array.dtype)


@recorded
def cdist(x: Any, y: Any) -> Any:
    """Euclidean distances between the rows of ``x`` and ``y``: for
    ``x (..., m, d)`` and ``y (..., n, d)``, a ``(..., m, n)`` tensor.

    Raises:
        ValueError: for inputs of rank < 2 or of different last dimensions.

    Example:

    >>> cdist([[0.0, 0.0]], [[3.0, 4.0], [0.0, 1.0]]).numpy()
    array([[5., 1.]], dtype=float32)
    """
    x, y = ew.promote(_float(x), _float(y))
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(
            f"cdist: inputs must have rank >= 2. Received: x.shape={x.shape}, "
            f"y.shape={y.shape}"
        )
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "cdist: the last dimension of the inputs must match. Received: "
            f"x.shape={x.shape}, y.shape={y.shape}"
        )
    diff = ew.subtract(shape_ops.expand_dims(x, -2), shape_ops.expand_dims(y, -3))
    return ew.sqrt(reduce.sum(ew.multiply(diff, diff), axis=-1))


# ---------------------------------------------------------------- eager


def _eager(name: str, *values: Any) -> Any:
    """The values as float NumPy arrays (ints become float32).

    Raises:
        ValueError: for a symbolic tensor (of a model or a layer's call).
    """
    arrays = []
    for value in values:
        if isinstance(value, SymbolicTensor):
            raise ValueError(
                f"kgraph.ops.{name} runs eagerly only: it is computed by NumPy's "
                "LAPACK and kgraph's graph has no such op, so it cannot be part "
                "of a model or of a layer's call. Call it on arrays or eager "
                f"tensors. Received: a symbolic tensor {value!r}"
            )
        array = np.asarray(shape_ops.as_tensor(value))  # lists: float32
        if array.dtype.kind not in "f" or array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float32)
        arrays.append(array)
    return arrays[0] if len(arrays) == 1 else arrays


def _tensor(array: Any, dtype: Any) -> Any:
    return shape_ops.as_tensor(np.asarray(array).astype(dtype, copy=False))


def _square(name: str, x: np.ndarray) -> None:
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{name}: expected square matrices in the last two axes. "
            f"Received: x.shape={x.shape}"
        )


def _matrices(name: str, x: np.ndarray) -> None:
    if x.ndim < 2:
        raise ValueError(
            f"{name}: expected an input of rank >= 2. Received: x.shape={x.shape}"
        )


def det(x: Any) -> Any:
    """Determinant of each square matrix in the last two axes (eager).

    Raises:
        ValueError: for non-square input or a symbolic tensor.

    Example:

    >>> round(float(det([[1.0, 2.0], [3.0, 4.0]]).numpy()), 4)
    -2.0
    """
    x = _eager("det", x)
    _square("det", x)
    return _tensor(np.linalg.det(x), x.dtype)


def inv(x: Any) -> Any:
    """Inverse of each square matrix in the last two axes (eager).

    Raises:
        ValueError: for non-square input or a symbolic tensor.
        numpy.linalg.LinAlgError: for a singular matrix.

    Example:

    >>> inv([[2.0, 0.0], [0.0, 4.0]]).numpy()
    array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    x = _eager("inv", x)
    _square("inv", x)
    return _tensor(np.linalg.inv(x), x.dtype)


def solve(a: Any, b: Any) -> Any:
    """Solves ``a @ x = b`` for ``x`` (eager).

    Example:

    >>> solve([[2.0, 0.0], [0.0, 4.0]], [2.0, 4.0]).numpy()
    array([1., 1.], dtype=float32)
    """
    a, b = _eager("solve", a, b)
    _square("solve", a)
    dtype = np.result_type(a, b)
    if b.ndim == a.ndim - 1:
        return _tensor(np.linalg.solve(a, b[..., None])[..., 0], dtype)
    return _tensor(np.linalg.solve(a, b), dtype)


def solve_triangular(a: Any, b: Any, lower: bool = False) -> Any:
    """Solves ``a @ x = b`` for a triangular ``a``, reading only its lower
    (``lower=True``) or upper triangle (eager).

    Example:

    >>> solve_triangular([[2.0, 5.0], [0.0, 4.0]], [2.0, 4.0]).numpy()
    array([-1.5,  1. ], dtype=float32)
    """
    a, b = _eager("solve_triangular", a, b)
    _square("solve_triangular", a)
    triangle = np.tril(a) if lower else np.triu(a)
    return solve(triangle, b)


def cholesky(x: Any, upper: bool = False) -> Any:
    """Cholesky factor of symmetric positive-definite matrices: ``L`` with
    ``x = L @ L.T`` (``upper=True``: ``U = L.T``) (eager).

    Raises:
        ValueError: when a matrix is not positive definite (as Keras).

    Example:

    >>> cholesky([[4.0, 2.0], [2.0, 2.0]]).numpy()
    array([[2., 0.],
           [1., 1.]], dtype=float32)
    """
    x = _eager("cholesky", x)
    _square("cholesky", x)
    try:
        factor = np.linalg.cholesky(x)
    except np.linalg.LinAlgError:
        raise ValueError(
            "Cholesky decomposition failed. The input might not be a valid "
            f"positive definite matrix. Received: x.shape={x.shape}"
        ) from None
    if upper:
        factor = np.swapaxes(factor, -1, -2)
    return _tensor(factor, x.dtype)


def cholesky_inverse(x: Any, upper: bool = False) -> Any:
    """Inverse of ``A`` given its Cholesky factor ``x`` (``A = x @ x.T``, or
    ``x.T @ x`` when ``upper``) (eager).

    Example:

    >>> cholesky_inverse([[2.0, 0.0], [1.0, 1.0]]).numpy()
    array([[ 0.5, -0.5],
           [-0.5,  1. ]], dtype=float32)
    """
    x = _eager("cholesky_inverse", x)
    _square("cholesky_inverse", x)
    identity = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
    triangle = np.triu(x) if upper else np.tril(x)
    factor_inverse = np.linalg.solve(triangle, identity)
    transposed = np.swapaxes(factor_inverse, -1, -2)
    if upper:
        return _tensor(factor_inverse @ transposed, x.dtype)
    return _tensor(transposed @ factor_inverse, x.dtype)


def qr(x: Any, mode: str = "reduced") -> Any:
    """QR decomposition ``x = q @ r`` (eager).

    Args:
        x: matrices in the last two axes.
        mode: ``"reduced"`` or ``"complete"``.

    Returns:
        A tuple ``(q, r)``.

    Example:

    >>> q, r = qr([[1.0, 0.0], [0.0, 1.0]])
    >>> q.shape, r.shape
    ((2, 2), (2, 2))
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(
            "`mode` argument value not supported. Expected one of "
            f"{{'reduced', 'complete'}}. Received: mode={mode}"
        )
    x = _eager("qr", x)
    _matrices("qr", x)
    q, r = np.linalg.qr(x, mode=mode)
    return _tensor(q, x.dtype), _tensor(r, x.dtype)


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition ``x = u @ diag(s) @ vh`` (eager).

    Returns:
        ``(u, s, vh)``, or ``s`` alone when ``compute_uv=False``.

    Example:

    >>> svd([[3.0, 0.0], [0.0, 2.0]], compute_uv=False).numpy()
    array([3., 2.], dtype=float32)
    """
    x = _eager("svd", x)
    _matrices("svd", x)
    if not compute_uv:
        return _tensor(np.linalg.svd(x, compute_uv=False), x.dtype)
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return _tensor(u, x.dtype), _tensor(s, x.dtype), _tensor(vh, x.dtype)


def eig(x: Any) -> Any:
    """Eigenvalues and right eigenvectors of square matrices (eager).

    kgraph has no complex dtype: matrices with real eigenvalues (symmetric
    ones, triangular ones...) work; complex eigenvalues raise an error.

    Returns:
        A tuple ``(w, v)``, ``v[..., :, i]`` the eigenvector of ``w[..., i]``.

    Raises:
        ValueError: when some eigenvalue is complex.

    Example:

    >>> w, v = eig([[2.0, 0.0], [0.0, 3.0]])
    >>> w.numpy()
    array([2., 3.], dtype=float32)
    """
    x = _eager("eig", x)
    _square("eig", x)
    w, v = np.linalg.eig(x)
    if np.iscomplexobj(w) or np.iscomplexobj(v):
        if np.any(np.imag(w) != 0) or np.any(np.imag(v) != 0):
            raise ValueError(
                "eig: the matrix has complex eigenvalues, and kgraph has no "
                "complex dtype. Use eigh for symmetric matrices. Received: "
                f"eigenvalues {w!r}"
            )
        w, v = np.real(w), np.real(v)
    return _tensor(w, x.dtype), _tensor(v, x.dtype)


def eigh(x: Any) -> Any:
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices, read
    from their lower triangle (eager).

    Example:

    >>> w, v = eigh([[2.0, 1.0], [1.0, 2.0]])
    >>> w.numpy()
    array([1., 3.], dtype=float32)
    """
    x = _eager("eigh", x)
    _square("eigh", x)
    w, v = np.linalg.eigh(x)
    return _tensor(w, x.dtype), _tensor(v, x.dtype)


def lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """Least-squares solution of ``a @ x = b`` (eager).

    Args:
        a: a ``(m, n)`` matrix.
        b: ``(m,)`` or ``(m, k)``.
        rcond: singular values below ``rcond * largest`` count as zero
            (default: machine precision times ``max(m, n)``).

    Example:

    >>> lstsq([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [1.0, 2.0, 3.0]).numpy()
    array([1., 2.], dtype=float32)
    """
    a, b = _eager("lstsq", a, b)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            "lstsq: expected `a` of shape (m, n) and `b` of shape (m,) or (m, k). "
            f"Received: a.shape={a.shape}, b.shape={b.shape}"
        )
    dtype = np.result_type(a, b)
    if rcond is None:
        rcond = np.finfo(dtype).eps * max(a.shape)
    return _tensor(np.linalg.lstsq(a, b, rcond=rcond)[0], dtype)


def lu_factor(x: Any) -> Any:
    """LU decomposition with partial pivoting, as SciPy's ``lu_factor``
    (eager): ``lu`` holds ``U`` in its upper triangle and ``L`` (unit
    diagonal) below it; row ``i`` was swapped with row ``pivots[i]``.

    Returns:
        A tuple ``(lu, pivots)``, ``pivots`` as int32.

    Example:

    >>> lu, pivots = lu_factor([[1.0, 2.0], [3.0, 4.0]])
    >>> pivots.numpy()
    array([1, 1], dtype=int32)
    """
    x = _eager("lu_factor", x)
    _matrices("lu_factor", x)
    m, n = x.shape[-2:]
    flat = x.reshape((-1, m, n)).astype(np.float64)
    pivots = np.zeros((flat.shape[0], min(m, n)), dtype=np.int32)
    for matrix, pivot in zip(flat, pivots, strict=True):
        _lu_in_place(matrix, pivot)
    lu = flat.reshape(x.shape)
    return _tensor(lu, x.dtype), _tensor(pivots.reshape((*x.shape[:-2], -1)), "int32")


def _lu_in_place(a: np.ndarray, pivots: np.ndarray) -> None:
    m, n = a.shape
    for k in range(min(m, n)):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        pivots[k] = p
        if p != k:
            a[[k, p]] = a[[p, k]]
        if a[k, k] != 0:
            a[k + 1 :, k] /= a[k, k]
            a[k + 1 :, k + 1 :] -= np.outer(a[k + 1 :, k], a[k, k + 1 :])


def slogdet(x: Any) -> Any:
    """Sign and natural log of the absolute determinant (eager).

    Example:

    >>> sign, logabs = slogdet([[2.0, 0.0], [0.0, -3.0]])
    >>> float(sign.numpy()), round(float(logabs.numpy()), 4)
    (-1.0, 1.7918)
    """
    x = _eager("slogdet", x)
    _square("slogdet", x)
    sign, logabs = np.linalg.slogdet(x)
    return _tensor(sign, x.dtype), _tensor(logabs, x.dtype)


def logdet(x: Any) -> Any:
    """``log |det(x)|``, computed stably (the second output of ``slogdet``,
    as Keras) (eager).

    Example:

    >>> round(float(logdet([[2.0, 0.0], [0.0, 3.0]]).numpy()), 4)
    1.7918
    """
    return slogdet(x)[1]


def pinv(x: Any, rcond: Any = None) -> Any:
    """Moore-Penrose pseudo-inverse (eager).

    Args:
        x: matrices in the last two axes.
        rcond: singular values below ``rcond * largest`` count as zero
            (default: machine precision times ``max(m, n)``, as JAX).

    Example:

    >>> pinv([[2.0, 0.0], [0.0, 0.0]]).numpy()
    array([[0.5, 0. ],
           [0. , 0. ]], dtype=float32)
    """
    x = _eager("pinv", x)
    _matrices("pinv", x)
    if rcond is None:
        rcond = np.finfo(x.dtype).eps * max(x.shape[-2:])
    return _tensor(np.linalg.pinv(x, rcond=rcond), x.dtype)


def matrix_rank(x: Any, tol: Any = None) -> Any:
    """Rank of matrices: the count of singular values above ``tol``
    (default: largest singular value times machine precision times
    ``max(m, n)``) (eager).

    Example:

    >>> matrix_rank([[1.0, 2.0], [2.0, 4.0]]).numpy()
    array(1, dtype=int32)
    """
    x = _eager("matrix_rank", x)
    _matrices("matrix_rank", x)
    return _tensor(np.linalg.matrix_rank(x, tol=tol), "int32")


__all__ = [
    "cdist",
    "cholesky",
    "cholesky_inverse",
    "det",
    "eig",
    "eigh",
    "inv",
    "logdet",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
]
