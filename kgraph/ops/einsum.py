"""``einsum``: Einstein summation, composed from ``sum``, ``transpose``,
``reshape`` and ``matmul`` (no rules of its own).

Operands are contracted two at a time, left to right. For a pair, labels
found in one operand only and needed nowhere after are summed out first;
the others are batch labels (in both operands and the result), contracted
labels (in both, not the result) and free labels (in one operand and the
result). Each operand is laid out as ``(batch..., free, contracted)`` (a
transpose only when its labels are not in that order already; the
``matmul`` transpose flags absorb the rest), its free and contracted
labels merged by a reshape, one batched ``matmul`` computes the pair, and
a reshape and a transpose give the labels their final order.
"""

from __future__ import annotations

import math
import string
from collections.abc import Sequence
from typing import Any

from kgraph.ops import builder
from kgraph.ops import elementwise as ew
from kgraph.ops import history
from kgraph.ops import linalg_primitives as linalg_ops
from kgraph.ops import reduce
from kgraph.ops import shaping as shape_ops

_LETTERS = set(string.ascii_letters)
# Labels standing for the axes an ellipsis covers (never user letters).
_ELLIPSIS_LABELS = "0123456789!#$%&*+/:;<=>?@^_|~"


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Any:
    """Evaluates the Einstein summation ``subscripts`` over ``operands``, as
    ``keras.ops.einsum`` and ``numpy.einsum`` do.

    Each operand gets one letter per axis; letters in the output (after
    ``->``) are kept in that order, the others are summed over. An
    ellipsis (``...``) stands for the axes not named, broadcast across
    operands. Without ``->``, the output holds the letters that appear
    once, in alphabetical order, after the ellipsis axes.

    Args:
        subscripts: the equation, e.g. ``"ab,bc->ac"`` or ``"...ij,...jk"``.
        *operands: the tensors, one per comma-separated term.
        **kwargs: accepted for Keras compatibility (none is used).

    Returns:
        The result tensor.

    Raises:
        ValueError: for a malformed equation, a term whose letter count does
            not match its operand's rank, a repeated letter within one
            term, or sizes of one letter that differ.

    Example:

    >>> einsum("ij,jk->ik", [[1.0, 2.0]], [[3.0], [4.0]]).numpy()
    array([[11.]], dtype=float32)
    >>> einsum("ij->j", [[1.0, 2.0], [3.0, 4.0]]).numpy()
    array([4., 6.], dtype=float32)
    """
    del kwargs
    if history.any_keras(list(operands)):
        return history.record_function(einsum, (subscripts, *operands), {})
    if not operands:
        raise ValueError(
            f"einsum: needs at least one operand. Received: subscripts={subscripts!r}"
        )
    tensors = [shape_ops.as_tensor(x) for x in ew.promote(*operands)]
    terms, output = _parse(subscripts, [t.ndim for t in tensors])
    _check_sizes(subscripts, terms, tensors)
    current, labels = tensors[0], terms[0]
    for index in range(1, len(tensors)):
        later = set(output).union(*terms[index + 1 :])
        current, labels = _contract_pair(
            current, labels, tensors[index], terms[index], later, output
        )
    current, labels = _sum_out(current, labels, set(output))
    return _arrange(current, labels, output)


# -- parsing ------------------------------------------------------------------------


def _parse(subscripts: str, ranks: Sequence[int]) -> tuple[list[str], str]:
    """The labels of every operand and of the output, ellipses expanded."""
    if not isinstance(subscripts, str):
        raise ValueError(
            f"einsum: `subscripts` must be a string. Received: {subscripts!r}"
        )
    equation = subscripts.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    raw_terms = inputs.split(",")
    if len(raw_terms) != len(ranks):
        raise ValueError(
            f"einsum: the equation has {len(raw_terms)} operand terms but "
            f"{len(ranks)} operands were given. Received: subscripts={subscripts!r}"
        )
    ellipsis_rank = 0
    for term, rank in zip(raw_terms, ranks, strict=True):
        named = len(term.replace("...", ""))
        if "..." in term:
            ellipsis_rank = max(ellipsis_rank, rank - named)
    if ellipsis_rank > len(_ELLIPSIS_LABELS):
        raise ValueError(
            f"einsum: an ellipsis may cover at most {len(_ELLIPSIS_LABELS)} axes. "
            f"Received: subscripts={subscripts!r}"
        )
    terms = [
        _expand(term, rank, ellipsis_rank, subscripts)
        for term, rank in zip(raw_terms, ranks, strict=True)
    ]
    if arrow:
        result = _expand(output, None, ellipsis_rank, subscripts)
        everywhere = set().union(*terms)
        missing = [c for c in result if c not in everywhere]
        if missing or len(set(result)) != len(result):
            raise ValueError(
                f"einsum: every output letter must appear once in the output and "
                f"in some operand. Received: subscripts={subscripts!r}"
            )
    else:
        counts: dict[str, int] = {}
        for term in terms:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        dots = _ELLIPSIS_LABELS[:ellipsis_rank] if "..." in inputs else ""
        once = sorted(c for c, n in counts.items() if n == 1 and c in _LETTERS)
        result = dots + "".join(once)
    return terms, result


def _expand(term: str, rank: int | None, ellipsis_rank: int, subscripts: str) -> str:
    """One term with its ellipsis replaced by ellipsis labels (right-aligned,
    as NumPy broadcasts)."""
    head, dots, tail = term.partition("...")
    letters = head + tail
    if any(c not in _LETTERS for c in letters) or "..." in tail:
        raise ValueError(
            f"einsum: terms hold letters and at most one ellipsis. "
            f"Received: subscripts={subscripts!r}"
        )
    if len(set(letters)) != len(letters):
        raise ValueError(
            f"einsum: a letter repeated within one term (a diagonal) is not "
            f"supported. Received: subscripts={subscripts!r}"
        )
    if dots:
        count = ellipsis_rank if rank is None else rank - len(letters)
        if count < 0:
            raise ValueError(
                f"einsum: term {term!r} names more axes than its operand's rank "
                f"{rank}. Received: subscripts={subscripts!r}"
            )
        fill = _ELLIPSIS_LABELS[ellipsis_rank - count : ellipsis_rank]
        return head + fill + tail
    if rank is not None and len(letters) != rank:
        raise ValueError(
            f"einsum: term {term!r} names {len(letters)} axes but its operand has "
            f"rank {rank}. Received: subscripts={subscripts!r}"
        )
    return letters


def _check_sizes(subscripts: str, terms: Sequence[str], tensors: Sequence[Any]) -> None:
    sizes: dict[str, int] = {}
    for term, tensor in zip(terms, tensors, strict=True):
        for label, size in zip(term, tensor.shape, strict=True):
            if size is None or size == 1:
                continue
            known = sizes.setdefault(label, size)
            if known != size:
                raise ValueError(
                    f"einsum: the axes labelled {label!r} have sizes {known} and "
                    f"{size}. Received: subscripts={subscripts!r}, shapes "
                    f"{[tuple(t.shape) for t in tensors]}"
                )


# -- contraction ----------------------------------------------------------------------


def _sum_out(x: Any, labels: str, keep: set[str]) -> tuple[Any, str]:
    """Sums the axes whose labels are not in ``keep``."""
    axes = tuple(i for i, c in enumerate(labels) if c not in keep)
    if not axes:
        return x, labels
    return reduce.sum(x, axis=axes), "".join(c for c in labels if c in keep)


def _arrange(x: Any, labels: str, order: str) -> Any:
    """Transposes ``x`` (labelled ``labels``) into ``order``."""
    if labels == order:
        return x
    return linalg_ops.transpose(x, tuple(labels.index(c) for c in order))


def _contract_pair(
    a: Any, a_labels: str, b: Any, b_labels: str, later: set[str], output: str
) -> tuple[Any, str]:
    """Contracts two operands, keeping the labels in ``later``."""
    a, a_labels = _sum_out(a, a_labels, later | set(b_labels))
    b, b_labels = _sum_out(b, b_labels, later | set(a_labels))
    shared = [c for c in a_labels if c in b_labels]
    batch = [c for c in shared if c in later]
    # Batch labels in the output's order where they appear there.
    batch.sort(key=lambda c: output.index(c) if c in output else len(output))
    contracted = [c for c in shared if c not in later]
    a_free = [c for c in a_labels if c not in b_labels]
    b_free = [c for c in b_labels if c not in a_labels]
    # The operand whose free labels come first in the output goes left.
    if _first_position(b_free, output) < _first_position(a_free, output):
        a, a_labels, a_free, b, b_labels, b_free = (
            b,
            b_labels,
            b_free,
            a,
            a_labels,
            a_free,
        )
    sizes = _label_sizes((a, a_labels), (b, b_labels))
    a_lead, a_rows = _split_free(a_free, sizes)
    b_lead, b_columns = _split_free(b_free, sizes)
    pair = _Pair(batch, a_lead, b_lead, contracted, sizes)
    left, transpose_a = pair.operand(a, a_labels, a_rows, left=True)
    right, transpose_b = pair.operand(b, b_labels, b_columns, left=False)
    product = linalg_ops.matmul_t(left, right, transpose_a, transpose_b)
    kept = [*batch, *a_lead, *b_lead]
    entries = [("keep", [c]) for c in kept]
    entries += [("split", a_rows), ("split", b_columns)]
    product = _reshape_to(product, entries, sizes)
    return product, "".join(kept + a_rows + b_columns)


def _split_free(free: list[str], sizes: dict[str, int | None]) -> tuple[list, list]:
    """The free labels kept as broadcast batch axes and those merged into
    the product's rows (or columns): all merged, unless two or more sizes
    are unknown (a merged axis could not be split again), then all but the
    last kept."""
    if sum(sizes[c] is None for c in free) > 1:
        return free[:-1], free[-1:]
    return [], free


class _Pair:
    """The layout of two operands around one batched ``matmul``:
    ``(batch..., left lead..., right lead..., rows/columns, contracted)``,
    each operand with size-1 axes for the other's lead axes."""

    def __init__(
        self,
        batch: list[str],
        a_lead: list[str],
        b_lead: list[str],
        contracted: list[str],
        sizes: dict[str, int | None],
    ) -> None:
        self.batch, self.a_lead, self.b_lead = batch, a_lead, b_lead
        self.contracted, self.sizes = contracted, sizes

    def operand(
        self, x: Any, labels: str, matrix: list[str], left: bool
    ) -> tuple[Any, bool]:
        """``x`` laid out for the product, and whether ``matmul`` must
        transpose its last two axes."""
        lead = self.a_lead if left else self.b_lead
        head = [*self.batch, *lead]
        natural = [matrix, self.contracted] if left else [self.contracted, matrix]
        swapped = natural[::-1]
        if list(labels) == head + swapped[0] + swapped[1]:
            groups, flag = swapped, True
        else:
            groups, flag = natural, False
            x = _arrange(x, labels, "".join(head + natural[0] + natural[1]))
        entries: list[tuple[str, list[str]]] = [("keep", [c]) for c in self.batch]
        ones = [("one", [])] * len(self.b_lead if left else self.a_lead)
        own = [("keep", [c]) for c in lead]
        entries += own + ones if left else ones + own
        entries += [("merge", groups[0]), ("merge", groups[1])]
        return _reshape_to(x, entries, self.sizes), flag


def _reshape_to(
    x: Any, entries: list[tuple[str, list[str]]], sizes: dict[str, int | None]
) -> Any:
    """Reshapes ``x`` by ``entries``, read against its axes in order:
    ``keep`` one axis, ``one`` a new size-1 axis, ``merge`` consecutive axes
    into one, ``split`` one axis into several (of the labels' ``sizes``).
    Unknown sizes become axis codes (an axis kept whole) or ``-1`` (at
    most one)."""
    target: list[int] = []
    position = 0
    for kind, labels in entries:
        dims = [sizes[c] for c in labels]
        if kind == "one":
            target.append(1)
            continue
        if kind == "split":
            if len(labels) == 1 and dims[0] is None:
                target.append(shape_ops.axis_code(position))
            else:
                target.extend(-1 if d is None else int(d) for d in dims)
            position += 1
            continue
        width = 1 if kind == "keep" else len(labels)
        # Kept and merged axes are x's own (a batch axis may broadcast).
        dims = list(x.shape[position : position + width])
        if width == 1 and dims[0] is None:
            target.append(shape_ops.axis_code(position))
        elif any(d is None for d in dims):
            target.append(-1)
        else:
            target.append(int(math.prod(dims)))
        position += width
    if sum(d == -1 for d in target) > 1:
        raise ValueError(
            "einsum: more than one group of merged axes has a size known only "
            f"when the graph runs. Received: an operand of shape {tuple(x.shape)}"
        )
    target_tuple = tuple(target)
    if target_tuple == tuple(x.shape):
        return x
    return builder.apply("reshape", [x], {"shape": target_tuple})


def _first_position(labels: Sequence[str], output: str) -> int:
    positions = [output.index(c) for c in labels if c in output]
    return min(positions) if positions else len(output)


def _label_sizes(*pairs: tuple[Any, str]) -> dict[str, int | None]:
    sizes: dict[str, int | None] = {}
    for tensor, labels in pairs:
        for label, size in zip(labels, tensor.shape, strict=True):
            if sizes.get(label) in (None, 1):
                sizes[label] = size
    return sizes
