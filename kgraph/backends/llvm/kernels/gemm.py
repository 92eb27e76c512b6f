"""A register-blocked GEMM generator over LLVM vector types.

``emit_gemm`` writes, at an ``Emitter``'s position, native code for

    out[i, j] = epilogue(sum_kk op(a)[i, kk] * op(b)[kk, j], i, j)

with row-major operands and static shapes. The design is the classic
Goto/BLIS one, specialized at compile time (``choose_plan``):

* The output is cut into column *panels* of ``NR`` vectors (``NR * W``
  columns, ``W`` lanes per vector: 16 floats with AVX-512, 8 with AVX/AVX2,
  4 otherwise) and each panel into row blocks of ``MR`` rows. One
  ``MR x NR``-vector tile of accumulators lives in registers (loop-carried
  SSA values) for the whole k loop: per k step the kernel loads ``NR``
  vectors of ``op(b)``, broadcasts ``MR`` elements of ``op(a)`` and issues
  ``MR * NR`` ``llvm.fmuladd`` (FMA) calls. With AVX-512 a tile is 12 x 2
  vectors (24 of the 32 registers); products with fewer rows take more
  vectors per panel (up to 24 x 1 row), so a GEMV-like product still
  streams long contiguous runs of ``op(b)``.
* ``op(b)`` is *packed* per panel into a contiguous, zero-padded stack
  buffer (``kc x NR*W``, at most 64 KiB, shared by the GEMMs of a function):
  always when ``transpose_b`` (a register transpose of ``W x W`` blocks, in
  one small out-of-line function per block shape, turns rows of ``b`` into
  rows of ``op(b)``), and when at least four row blocks reuse it otherwise.
  The kernel then streams it with aligned loads and needs no mask. A plain
  ``b`` of at least 512 KiB (a big layer's weights, beyond L2) is fetched a
  panel ahead: packing a panel's rows prefetches the next panel's columns
  of them, which arrive while this panel's tiles run.
* k is split into blocks of at most ``kc`` so a packed panel stays in L1;
  blocks after the first resume from the partial sums in ``out``, and the
  epilogue runs once, after the last block.
* A plain ``a`` with a transposed ``b`` (or ``n == 1``) and few rows (at
  most 16) or few columns (fewer than ``W``) skips packing: each result is a
  dot product along k (vectors over k, tiles of rows x up to 8 columns,
  reduced across lanes with a shuffle tree at the end).
* Tails are static: the last panel has fewer vectors, its last vector may be
  narrower (a power of two) or masked (``llvm.masked.load``, lanes past ``n``
  are zero); a static row remainder gets its own exact kernel; a run-time
  ``rows`` range ends with kernels of 8, 4, 2, 1 rows chosen by its bits.
  Stores (and the epilogue) see only lanes inside the matrix: a masked
  vector is stored as power-of-two pieces.

Shapes, transposes and the plan are compile-time constants; the only
run-time values are the pointers and the optional row range. On the panel
path every result accumulates over k in ascending order, whatever the
tiling, k blocking or row range; the dot path adds W interleaved partial
sums as a tree.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace

from llvmlite import ir

from kgraph.backends.llvm import target
from kgraph.ops.lowering import F32
from kgraph.ops.lowering import F64
from kgraph.ops.lowering import I1
from kgraph.ops.lowering import I32
from kgraph.ops.lowering import I64
from kgraph.ops.lowering import PTR
from kgraph.ops.lowering import Emitter
from kgraph.ops.lowering import splat

# (values, row, col) -> values to store, or None when the epilogue stored
# its results itself.
Epilogue = Callable[[ir.Value, ir.Value, ir.Value], ir.Value | None]

_ELEMENT = {"float32": (F32, 4, "f32"), "float64": (F64, 8, "f64")}
# Bytes of scratch a packed panel may take on the stack.
_PACK_BYTES = 64 * 1024
# All of op(b) packed at once up to this size (within L1), for row blocks
# that sweep every panel (see _Gemm._rows_first).
_ROWS_FIRST_BYTES = 32 * 1024
# A transposed b is packed once its panels serve more rows than this; fewer
# rows (or fewer columns than a vector) use dot products along k instead
# (measured on Zen 5: dot products win up to 16 rows, packing from 32).
_DOT_MAX_ROWS = 16
# Rows from which an AVX-512 product takes the 6 x 4 tile (see choose_plan).
_TALL_ROWS = 48
# An unpacked op(b) of at least this many bytes is streamed (see
# choose_plan): k blocks of _STREAM_KC rows, panels of at most
# _STREAM_NR vectors.
_STREAM_BYTES = 512 * 1024
_STREAM_KC = 16
_STREAM_NR = 8
# A packed op(b) of at least this many bytes comes from beyond L2 (the
# weights of a big layer, read once per call): packing a panel prefetches
# the next panel's rows (see _Gemm._pack).
_PREFETCH_BYTES = 512 * 1024
_LINE_BYTES = 64


def host_vector_bytes() -> int:
    """Bytes per SIMD register of the target: 64 (AVX-512), 32 (AVX) or 16;
    this CPU's unless code is generated for another (``target``)."""
    other = target.current()
    return _this_cpu_vector_bytes() if other is None else other.vector_bytes


@functools.cache
def _this_cpu_vector_bytes() -> int:
    from kgraph.backends.llvm import jit

    features = jit.host_cpu_features()
    if features.get("avx512f"):
        return 64
    if features.get("avx2") or features.get("avx"):
        return 32
    return 16


@dataclass(frozen=True)
class GemmPlan:
    """The compile-time schedule of one GEMM.

    Args:
        width: lanes per vector (``W``).
        mr: rows per register tile of a full panel.
        nr: vectors per full column panel.
        kc: the largest k block.
        unroll: k steps per iteration of the k loop.
        pack_b: whether ``op(b)`` is copied into a contiguous panel (always
            true with ``transpose_b``).
        tail_mr: the most rows a tile of a narrower (tail) panel takes.
        dot: compute each result as a dot product along k instead (vectors
            over k, summed across lanes at the end; for a plain ``a`` with a
            transposed ``b`` or ``n == 1``, when too few rows would reuse a
            packed ``b``). A tile is then ``mr`` rows by ``nr`` columns.
        prefetch: whether packing a panel of a plain ``b`` prefetches the
            same rows of the next panel.
    """

    width: int
    mr: int
    nr: int
    kc: int
    unroll: int
    pack_b: bool
    tail_mr: int
    dot: bool = False
    prefetch: bool = False


def choose_plan(
    m: int,
    n: int,
    k: int,
    transpose_a: bool,
    transpose_b: bool,
    dtype: str = "float32",
    vector_bytes: int | None = None,
    stream: bool = False,
) -> GemmPlan:
    """The schedule ``emit_gemm`` uses for a shape on this host.

    Args:
        m, n, k, transpose_a, transpose_b, dtype: the product.
        vector_bytes: the SIMD register size to plan for (default: the
            host's, ``host_vector_bytes()``).
        stream: whether a few rows against a big unpacked ``op(b)`` may
            stream it in short k blocks (see below). Only for callers whose
            epilogue needs no product to be one k block (a convolution's
            accumulating chunks do).
    """
    vector_bytes = host_vector_bytes() if vector_bytes is None else vector_bytes
    itemsize = _ELEMENT[dtype][1]
    width = max(vector_bytes // itemsize, 1)
    # AVX-512 has 32 vector registers, AVX2 and SSE 16. The accumulator
    # tile takes about three quarters of them; the rest hold the vectors of
    # op(b) and a broadcast element of op(a).
    budget = 24 if vector_bytes >= 64 else 12
    if _dot_applies(m, n, k, transpose_a, transpose_b) and (
        m <= _DOT_MAX_ROWS or n < width
    ):
        columns = min(n, 8, width)
        rows = max(1, min(budget // columns, 16))
        return GemmPlan(width, rows, columns, k, 1, False, rows, dot=True)
    # Tiles are mr = 12 rows x nr = 2 vectors (6 x 2 with AVX2 and SSE).
    # A tall product with AVX-512 takes 6 x 4, two k steps per iteration:
    # 10 loads per 24 FMAs instead of 14 (measured on Sapphire Rapids: 5-20%
    # faster from 96 rows, most on short k; slower on 32 rows, whose last
    # tile would have 2). Fewer rows than a tile take more vectors instead,
    # so a short (GEMV-like) product still streams long contiguous runs of
    # op(b) and keeps enough FMAs in flight.
    tall = vector_bytes >= 64 and m >= _TALL_ROWS
    nr = max(1, min(max(4 if tall else 2, budget // max(m, 1)), -(-n // width)))
    mr = min(budget // nr, 16)
    # A packed panel (kc rows of nr vectors) takes at most 64 KiB; the
    # kernel streams it sequentially (L1, or L2 with the prefetchers).
    panel_bytes = nr * width * itemsize
    row_blocks = -(-m // mr)
    # Packing costs one pass over op(b); it pays when several row blocks
    # reuse the panel (and is how a transposed b gets contiguous rows).
    pack_b = transpose_b or (row_blocks >= 4 and k > 0)
    kc = max(16, min(512, _PACK_BYTES // panel_bytes)) if pack_b else max(k, 1)
    if stream and not pack_b and k * n * itemsize >= _STREAM_BYTES:
        # A few rows against a big op(b) (a dense layer on one sample) are
        # bound by reading op(b) from memory. Short k blocks make every
        # block sweep whole rows of op(b) across the panels, so the reads
        # run sequentially through memory (a panel walking down all of k
        # reads a short run from every row: half the bandwidth, measured
        # on Sapphire Rapids); the partial sums stay in L1. Narrower
        # panels split evenly among threads.
        kc = _STREAM_KC
        nr = min(nr, _STREAM_NR)
        mr = min(budget // nr, 16)
    return GemmPlan(
        width=width,
        mr=mr,
        nr=nr,
        kc=kc,
        unroll=2 if tall else 1,
        pack_b=pack_b,
        tail_mr=min(budget, 2 * mr),
        # Measured on Zen 4 at batch 1: ResNet50 2% faster; MobileNetV2's
        # small, cache-resident weights a little slower with it.
        prefetch=pack_b and not transpose_b and k * n * itemsize >= _PREFETCH_BYTES,
    )


def panel_count(plan: GemmPlan, n: int) -> int:
    """Column panels of an ``n``-column product under ``plan`` (the last may
    be narrower): the units of ``emit_gemm``'s ``panels`` range."""
    return -(-n // (plan.nr * plan.width))


def _dot_applies(m: int, n: int, k: int, transpose_a: bool, transpose_b: bool) -> bool:
    """Whether rows of op(a) and columns of op(b) are contiguous in k."""
    return not transpose_a and (transpose_b or n == 1) and k > 0


@dataclass(frozen=True)
class _Segment:
    """One vector of a column panel: its first column within the panel, its
    lane count, and how many of its lanes are inside the matrix."""

    offset: int
    width: int
    valid: int


@functools.cache
def _mask(width: int, valid: int) -> ir.Constant:
    """The ``i1`` lane mask of a vector's first ``valid`` lanes, made once
    (llvmlite makes a constant per lane; the masks repeat thousands of
    times)."""
    return ir.Constant(ir.VectorType(I1, width), [int(i < valid) for i in range(width)])


def _pow2_at_least(value: int) -> int:
    return 1 << max(value - 1, 0).bit_length()


def _pieces(count: int) -> list[tuple[int, int]]:
    """(offset, width) power-of-two pieces covering ``count`` lanes."""
    pieces, offset = [], 0
    for bit in reversed(range(count.bit_length())):
        if count & (1 << bit):
            pieces.append((offset, 1 << bit))
            offset += 1 << bit
    return pieces


@dataclass(frozen=True)
class PackedB:
    """``op(b)`` packed ahead of the product (``emit_pack``), as a kernel
    keeps its parameter's panels between calls: every column panel's rows
    one after another, each row a panel's width apart (zeros past ``n``).

    Args:
        ptr: the packed matrix (``packed_elements`` elements).
        depth: its rows, the whole ``op(b)``'s k.
        row: the row this product's k 0 is (a product over a run of k).
    """

    ptr: ir.Value
    depth: int
    row: ir.Value | int = 0


@dataclass(frozen=True)
class PanelLayout:
    """How ``n`` columns sit in ``plan``'s packed panels (``panel_layout``).

    Args:
        width: the columns of a full panel (``nr`` vectors).
        full: the full panels.
        tail: the tail panel's packed row, whole vectors (0: no tail); its
            first ``n - full * width`` columns are stored, zeros after.
    """

    width: int
    full: int
    tail: int

    @property
    def padded(self) -> int:
        """The packed columns, every panel's together."""
        return self.full * self.width + self.tail


def panel_layout(plan: GemmPlan, n: int) -> PanelLayout:
    """The column panels an ``n``-column ``op(b)`` packs into for ``plan``."""
    panel = plan.nr * plan.width
    full, rest = divmod(n, panel)
    tail = sum(s.width for s in _tail_segments(rest, plan.width))
    return PanelLayout(panel, full, tail)


def padded_columns(plan: GemmPlan, n: int) -> int:
    """Columns of an ``n``-column ``op(b)`` packed for ``plan``: the full
    panels' and the tail panel's, padded to whole vectors."""
    return panel_layout(plan, n).padded


def packed_elements(plan: GemmPlan, n: int, depth: int) -> int:
    """Elements of an ``n``-column, ``depth``-row ``op(b)`` packed for
    ``plan`` (see ``PackedB``)."""
    return depth * padded_columns(plan, n)


def _tail_segments(rest: int, width: int) -> list[_Segment]:
    """The vectors of a narrower last panel of ``rest`` columns: whole
    vectors, then a power of two holding the last columns."""
    segments: list[_Segment] = []
    offset = 0
    while rest > 0:
        if rest >= width:
            segments.append(_Segment(offset, width, width))
            rest -= width
            offset += width
        else:
            segments.append(_Segment(offset, _pow2_at_least(rest), rest))
            rest = 0
    return segments


def emit_pack(
    em: Emitter,
    b: ir.Value,
    packed: ir.Value,
    n: int,
    depth: int,
    transpose_b: bool,
    plan: GemmPlan,
    dtype: str = "float32",
    panels: tuple[ir.Value, ir.Value] | None = None,
) -> None:
    """Packs ``op(b)`` (``depth x n``) for ``plan`` into ``packed`` (see
    ``PackedB``): the column panels in ``panels`` (``panel_count`` of them,
    the narrower tail last), all of them by default.

    Example (a kernel keeping its weights packed, then each product)::

        emit_pack(em, weights, region, n, k, False, plan)
        emit_gemm(em, a, weights, out, m, n, k, False, False, plan=plan,
                  packed_b=PackedB(region, k))
    """
    if dtype not in _ELEMENT:
        raise ValueError(f"emit_pack: unsupported dtype {dtype!r}")
    plan = replace(plan, prefetch=False, dot=False, pack_b=True)
    shape = (1, n, depth, False, transpose_b)
    gemm = _Gemm(em, (b, b, packed), shape, plan, dtype, None, panels, None, False)
    gemm.pack_everything(packed)


def emit_gemm(
    em: Emitter,
    a: ir.Value,
    b: ir.Value,
    out: ir.Value,
    m: int,
    n: int,
    k: int,
    transpose_a: bool,
    transpose_b: bool,
    dtype: str = "float32",
    rows: tuple[ir.Value, ir.Value] | None = None,
    epilogue: Epilogue | None = None,
    overlap: bool = False,
    panels: tuple[ir.Value, ir.Value] | None = None,
    plan: GemmPlan | None = None,
    a_stride: int | None = None,
    packed_b: PackedB | None = None,
) -> None:
    """Emits ``out = epilogue(op(a) @ op(b))`` at the emitter's position.

    Args:
        em: the emitter, positioned inside the function being built.
        a: pointer to ``a``: ``m x k`` row-major, or ``k x m`` with
            ``transpose_a``.
        b: pointer to ``b``: ``k x n`` row-major, or ``n x k`` with
            ``transpose_b``.
        out: pointer to the ``m x n`` row-major output.
        m, n, k: the static shape (``k`` may be 0: ``out = epilogue(0)``).
        transpose_a, transpose_b: whether the operand is stored transposed.
        dtype: ``"float32"`` or ``"float64"``.
        rows: ``(start, stop)`` ``i64`` values: only output rows in
            ``[start, stop)`` are computed and written.
        epilogue: ``(values, row, col) -> values`` applied to every result
            before it is stored, once per element after the whole k sum.
            ``values`` is a ``<w x float>`` vector of the columns
            ``col .. col + w - 1`` of ``row`` (``row`` and ``col`` are
            ``i64``), or a scalar when ``w == 1``. ``w`` varies: the host's
            vector width (16 floats with AVX-512) for whole vectors, smaller
            powers of two (8, 4, 2, 1) at the right edge of the matrix and
            on the dot-product path, so an epilogue must take its width
            from ``values.type``. Only in-bounds lanes are ever passed. An
            epilogue that returns ``None`` has stored its results itself:
            nothing is written to ``out`` (after the last k block).
        overlap: run the epilogue of each full tile during the next tile's
            k loop, a vector per k step, so an epilogue bound by the
            divider (``sqrt``, division) overlaps the FMAs (when all of
            ``op(b)`` is packed at once; results are the same).
        panels: ``(start, stop)`` ``i64`` values: only the column panels in
            ``[start, stop)`` are computed and written (``panel_count``
            panels, the narrower tail last; not on the dot-product path).
        a_stride: elements between rows of a plain ``a`` (default ``k``):
            ``a`` may be the first ``k`` columns of a wider matrix.
        packed_b: ``op(b)`` already packed for this ``plan`` (``emit_pack``):
            the product reads its panels there and packs nothing (``b`` is
            not read). The results are the same, bit for bit.

    The code uses up to 64 KiB (plus one vector) of stack for a packed
    panel of ``op(b)``, shared by all GEMMs emitted into one function.
    ``plan`` replaces ``choose_plan``'s schedule (for tuning and tests).
    """
    if dtype not in _ELEMENT:
        raise ValueError(f"emit_gemm: unsupported dtype {dtype!r}")
    if min(m, n, k) < 0:
        raise ValueError(f"emit_gemm: negative shape m={m} n={n} k={k}")
    if m == 0 or n == 0:
        return
    if plan is None:
        plan = choose_plan(m, n, k, transpose_a, transpose_b, dtype)
    if plan.dot and not _dot_applies(m, n, k, transpose_a, transpose_b):
        plan = replace(plan, dot=False)
    if transpose_b and not plan.pack_b and not plan.dot:
        plan = replace(plan, pack_b=True)
    if packed_b is not None:
        plan = replace(plan, dot=False, pack_b=True, prefetch=False)
    if panels is not None and plan.dot:
        raise ValueError("emit_gemm: a panel range needs the panel path")
    if a_stride is not None and (transpose_a or a_stride < k):
        raise ValueError(
            "emit_gemm: a_stride needs a plain a and at least k elements. "
            f"Received: a_stride={a_stride}, k={k}, transpose_a={transpose_a}"
        )
    shape = (m, n, k, transpose_a, transpose_b)
    _Gemm(
        em,
        (a, b, out),
        shape,
        plan,
        dtype,
        rows,
        panels,
        epilogue,
        overlap,
        a_stride,
        packed_b,
    ).emit()


def _scratch(em: Emitter, element: ir.Type, count: int) -> ir.Value:
    """A 64-byte aligned stack buffer of ``count`` elements, shared by every
    GEMM emitted into the same function (they run one after another)."""
    builder = em.builder
    function = builder.function
    slots = getattr(function, "_kgraph_gemm_scratch", None)
    if slots is None:
        slots = {}
        function._kgraph_gemm_scratch = slots
    nbytes = count * (8 if element == F64 else 4)
    best = min((size for size in slots if size >= nbytes), default=None)
    if best is not None:
        return slots[best]
    slots[nbytes] = _stack_buffer(em, nbytes)
    return slots[nbytes]


def _stack_buffer(em: Emitter, nbytes: int) -> ir.Value:
    """A 64-byte aligned stack buffer of its own, as an opaque ``ptr``."""
    builder = em.builder
    with builder.goto_entry_block():
        slot = builder.alloca(ir.ArrayType(ir.IntType(8), nbytes))
        slot.align = 64
        # llvmlite types an alloca as a typed pointer (which it considers
        # equal to ``ptr``, so ``bitcast`` is skipped); an explicit no-op cast
        # gives the opaque ``ptr`` the loads and stores expect.
        cast = ir.instructions.CastInstr(builder.block, "bitcast", slot, PTR)
        builder._insert(cast)
    return cast


class _Gemm:
    """Holds the state of one emission (see ``emit_gemm``)."""

    def __init__(
        self,
        em: Emitter,
        pointers: tuple[ir.Value, ir.Value, ir.Value],
        shape: tuple[int, int, int, bool, bool],
        plan: GemmPlan,
        dtype: str,
        rows: tuple[ir.Value, ir.Value] | None,
        panels: tuple[ir.Value, ir.Value] | None,
        epilogue: Epilogue | None,
        overlap: bool,
        a_stride: int | None = None,
        prepacked: PackedB | None = None,
    ) -> None:
        self.em = em
        self.builder = em.builder
        self.a, self.b, self.out = pointers
        m, n, k, self.ta, self.tb = shape
        self.m, self.n, self.k = m, n, k
        # Elements between rows of a plain a (emit_gemm's a_stride).
        self.a_stride = k if a_stride is None else a_stride
        self.plan = plan
        self.element, self.itemsize, self.suffix = _ELEMENT[dtype]
        self.rows = rows
        self.panels = panels
        self.epilogue = epilogue
        self.overlap = overlap and epilogue is not None
        # The tile whose epilogue is pending (see _defer): its raw results,
        # first row and column, and vector count (0: none).
        self.pending: tuple[ir.Value, ir.Value, ir.Value, ir.Value] | None = None
        width = plan.width
        self.layout = panel_layout(plan, n)
        self.panel_width = panel = self.layout.width
        self.full_panels = self.layout.full
        self.full_segments = [_Segment(s * width, width, width) for s in range(plan.nr)]
        self.tail_segments = _tail_segments(n - self.full_panels * panel, width)
        # k blocks of equal length (the last one may be shorter), none
        # longer than the plan's kc.
        self.k_blocks = max(1, -(-k // max(plan.kc, 1)))
        self.kc = -(-k // self.k_blocks)
        self.packed: ir.Value | None = None
        # op(b) packed ahead (emit_gemm's packed_b): nothing to pack.
        self.prepacked = prepacked

    def emit(self) -> None:
        """Emits the whole product."""
        plan, width, panel, k = self.plan, self.plan.width, self.panel_width, self.k
        if plan.dot:
            self._emit_dot()
            return
        if self._rows_first_applies():
            if self.prepacked is None:
                padded = self.layout.padded
                self.packed = _scratch(self.em, self.element, k * padded + width)
            self._rows_first()
            return
        if plan.pack_b and k > 0 and self.prepacked is None:
            self.packed = _scratch(self.em, self.element, self.kc * panel + width)
        self._emit()

    def pack_everything(self, packed: ir.Value) -> None:
        """Packs every column panel of ``op(b)`` (those in the panel range)
        whole, into ``packed`` laid out as ``PackedB`` says."""
        k = self.k
        if k == 0:
            return
        if self.full_panels:
            with self._my_panels("gemm.pp") as panel:
                j0 = self.mul(panel, self.panel_width)
                self.packed = self.gep(packed, self.mul(j0, k))
                self._pack(j0, self.full_segments, 0, k)
        if self.tail_segments:
            j0 = self.full_panels * self.panel_width
            with self._tail_is_mine():
                self.packed = self.gep(packed, j0 * k)
                self._pack(j0, self.tail_segments, 0, k)

    def _use_prepacked(
        self, j0: ir.Value | int, k0: ir.Value | int, segments: list[_Segment]
    ) -> None:
        """Points the k loops at the prepacked rows from ``k0`` of the panel
        at column ``j0`` (its rows start ``j0 * depth`` elements in)."""
        prepacked = self.prepacked
        assert prepacked is not None
        stride = sum(s.width for s in segments)
        row = self.add(prepacked.row, k0)
        offset = self.add(self.mul(j0, prepacked.depth), self.mul(row, stride))
        self.packed = self.gep(prepacked.ptr, offset)

    # -- small IR helpers ------------------------------------------------------

    def index(self, value: int) -> ir.Constant:
        return ir.Constant(I64, int(value))

    def vector(self, width: int) -> ir.VectorType:
        return ir.VectorType(self.element, width)

    def gep(self, base: ir.Value, offset: ir.Value | int) -> ir.Value:
        if isinstance(offset, int):
            if offset == 0:
                return base
            offset = self.index(offset)
        return self.builder.gep(
            base, [offset], inbounds=True, source_etype=self.element
        )

    def add(self, x: ir.Value | int, y: ir.Value | int) -> ir.Value:
        if isinstance(x, int) and isinstance(y, int):
            return self.index(x + y)
        if isinstance(y, int):
            x, y = y, x
        if isinstance(x, int):
            return y if x == 0 else self.builder.add(y, self.index(x))
        return self.builder.add(x, y)

    def mul(self, x: ir.Value | int, factor: int) -> ir.Value:
        if isinstance(x, int):
            return self.index(x * factor)
        return x if factor == 1 else self.builder.mul(x, self.index(factor))

    def function(self, name: str, result: ir.Type, args: list[ir.Type]) -> ir.Function:
        module = self.builder.module
        existing = module.globals.get(name)
        if existing is not None:
            return existing
        return ir.Function(module, ir.FunctionType(result, args), name=name)

    def mask(self, width: int, valid: int) -> ir.Constant:
        return _mask(width, valid)

    def shuffle(self, x: ir.Value, y: ir.Value, lanes: Sequence[int]) -> ir.Value:
        mask = ir.Constant(ir.VectorType(I32, len(lanes)), list(lanes))
        return self.builder.shuffle_vector(x, y, mask)

    def load_vector(self, ptr: ir.Value, width: int, valid: int) -> ir.Value:
        """Loads ``valid`` elements into a ``width``-lane vector (zeros past)."""
        kind = self.vector(width)
        if valid == width:
            return self.builder.load(ptr, typ=kind, align=self.itemsize)
        name = f"llvm.masked.load.v{width}{self.suffix}.p0"
        fn = self.function(name, kind, [PTR, I32, ir.VectorType(I1, width), kind])
        return self.builder.call(
            fn,
            [
                ptr,
                ir.Constant(I32, self.itemsize),
                self.mask(width, valid),
                ir.Constant(kind, None),
            ],
        )

    def fma(self, x: ir.Value, y: ir.Value, z: ir.Value) -> ir.Value:
        kind = z.type
        # ``fmuladd`` is one FMA where the CPU has one (AVX2, AVX-512) and a
        # multiply and an add where it does not (plain AVX, SSE).
        name = f"llvm.fmuladd.v{kind.count}{self.suffix}"
        fn = self.function(name, kind, [kind] * 3)
        return self.builder.call(fn, [x, y, z])

    @contextlib.contextmanager
    def counted(self, trips: int | ir.Value, name: str) -> Iterator[ir.Value]:
        """``for (t = 0; t < trips; t++)``; yields ``t``. A static trip count
        of 1 emits the body once; of 0, into an unreachable block."""
        builder = self.builder
        if isinstance(trips, int) and trips == 1:
            yield self.index(0)
            return
        before = builder.block
        body = builder.append_basic_block(f"{name}.body")
        done = builder.append_basic_block(f"{name}.done")
        if isinstance(trips, int) and trips <= 0:
            builder.branch(done)
            builder.position_at_end(body)
            yield self.index(0)
            builder.branch(done)
            builder.position_at_end(done)
            return
        if isinstance(trips, int):
            builder.branch(body)
        else:
            check = builder.icmp_signed(">", trips, self.index(0))
            builder.cbranch(check, body, done)
        builder.position_at_end(body)
        counter = builder.phi(I64, name=name)
        counter.add_incoming(self.index(0), before)
        yield counter
        following = builder.add(counter, self.index(1))
        counter.add_incoming(following, builder.block)
        limit = self.index(trips) if isinstance(trips, int) else trips
        builder.cbranch(builder.icmp_signed("<", following, limit), body, done)
        builder.position_at_end(done)

    def carried_loop(
        self,
        trips: int,
        values: list[ir.Value],
        body: Callable[[ir.Value, list[ir.Value]], list[ir.Value]],
        name: str,
    ) -> list[ir.Value]:
        """A static-count loop whose body maps the carried ``values`` to
        their next versions (phis); returns the values after it."""
        builder = self.builder
        if trips == 0:
            return values
        if trips == 1:
            return body(self.index(0), values)
        before = builder.block
        loop = builder.append_basic_block(f"{name}.body")
        done = builder.append_basic_block(f"{name}.done")
        builder.branch(loop)
        builder.position_at_end(loop)
        counter = builder.phi(I64, name=name)
        counter.add_incoming(self.index(0), before)
        phis = []
        for value in values:
            phi = builder.phi(value.type)
            phi.add_incoming(value, before)
            phis.append(phi)
        following = body(counter, phis)
        nxt = builder.add(counter, self.index(1))
        end = builder.block
        counter.add_incoming(nxt, end)
        for phi, value in zip(phis, following, strict=True):
            phi.add_incoming(value, end)
        builder.cbranch(builder.icmp_signed("<", nxt, self.index(trips)), loop, done)
        builder.position_at_end(done)
        return following

    # -- structure ---------------------------------------------------------------

    def _emit(self) -> None:
        k = self.k
        if k == 0:
            self._phase(0, 0, first=True, final=True)
            return
        kc, blocks = self.kc, self.k_blocks
        last = k - (blocks - 1) * kc
        assert 0 < last <= kc
        if blocks == 1:
            self._phase(0, k, first=True, final=True)
            return
        self._phase(0, kc, first=True, final=False)
        if blocks > 2:
            with self.counted(blocks - 2, "gemm.kb") as block:
                self._phase(
                    self.mul(self.add(block, 1), kc), kc, first=False, final=False
                )
        self._phase((blocks - 1) * kc, last, first=False, final=True)

    def _rows_first_applies(self) -> bool:
        """Whether all of ``op(b)`` packs into L1 at once (one k block): then
        each row block runs across every panel, so the results (and an
        epilogue's operands) go through memory row after row."""
        return (
            self.plan.pack_b
            and self.k > 0
            and self.k_blocks == 1
            and self.k * self.layout.padded * self.itemsize <= _ROWS_FIRST_BYTES
        )

    def _rows_first(self) -> None:
        """Packs every panel of ``op(b)``, then runs each row block across
        them (a tail panel takes the full panels' ``mr`` rows: it has no
        more vectors than they do)."""
        k, width = self.k, self.panel_width
        if self.prepacked is None:
            # Packed here, then read as if packed ahead.
            base = self.packed
            assert base is not None
            self.pack_everything(base)
            self.prepacked = PackedB(base, k)

        if self.overlap and self.full_panels:
            self._start_deferring()

        def tile(i: ir.Value | int, count: int) -> None:
            if self.full_panels:
                with self._my_panels("gemm.jt") as panel:
                    j0 = self.mul(panel, width)
                    self._use_prepacked(j0, 0, self.full_segments)
                    self._tile(i, count, j0, self.full_segments, 0, k, True, True)
            if self.tail_segments:
                j0 = self.full_panels * width
                with self._tail_is_mine():
                    self._use_prepacked(j0, 0, self.tail_segments)
                    self._tile(i, count, j0, self.tail_segments, 0, k, True, True)

        self._row_blocks(self.plan.mr, tile)
        if self.pending is not None:
            count = self.builder.load(self.pending[3], typ=I64)
            with self.counted(count, "gemm.flush") as q:
                self._finish_vector(q)

    # -- overlapped epilogues ------------------------------------------------

    def _start_deferring(self) -> None:
        """Stack slots for the pending tile: its results (one full tile) and
        its first row, first column and vector count (none yet)."""
        em = self.em
        vectors = self.plan.mr * self.plan.nr
        values = _stack_buffer(em, vectors * self.plan.width * self.itemsize)
        row = em.variable("int64", self.index(0))
        column = em.variable("int64", self.index(0))
        count = em.variable("int64", self.index(0))
        self.pending = (values, row, column, count)

    def _defer(self, i: ir.Value, j0: ir.Value | int, values: list[ir.Value]) -> None:
        """Leaves a full tile's results for the next k loop to finish."""
        builder = self.builder
        saved, row, column, count = self.pending  # type: ignore[misc]
        width = self.plan.width
        for q, value in enumerate(values):
            builder.store(value, self.gep(saved, q * width), align=64)
        builder.store(i, row)
        builder.store(self.index(j0) if isinstance(j0, int) else j0, column)
        builder.store(self.index(len(values)), count)

    def _finish_vector(self, q: ir.Value) -> None:
        """Runs the epilogue on vector ``q`` of the pending tile and stores
        it (the caller checks ``q`` against the pending count)."""
        builder = self.builder
        saved, row_slot, column_slot, _ = self.pending  # type: ignore[misc]
        width, segments = self.plan.width, len(self.full_segments)
        value = builder.load(
            self.gep(saved, self.mul(q, width)), typ=self.vector(width)
        )
        row = builder.add(
            builder.load(row_slot, typ=I64), builder.udiv(q, self.index(segments))
        )
        column = builder.add(
            builder.load(column_slot, typ=I64),
            self.mul(builder.urem(q, self.index(segments)), width),
        )
        row_ptr = self.gep(self.out, builder.add(self.mul(row, self.n), column))
        self._store(row_ptr, _Segment(0, width, width), value, row, column, True)

    def _finish_during(self, t: ir.Value | int) -> None:
        """The part of the pending tile's epilogue due at k step ``t``."""
        if self.pending is None:
            return
        builder = self.builder
        count = builder.load(self.pending[3], typ=I64)
        vectors = self.plan.mr * self.plan.nr
        share = -(-vectors // max(self.k, 1))
        for u in range(share):
            q = self.add(self.mul(t, share), u)
            with builder.if_then(builder.icmp_signed("<", q, count)):
                self._finish_vector(q)

    def _phase(self, k0: ir.Value | int, length: int, first: bool, final: bool) -> None:
        """Every column panel over one k block."""
        if self.full_panels:
            with self._my_panels("gemm.jp") as panel:
                j0 = self.mul(panel, self.panel_width)
                self._panel(
                    j0, self.full_segments, self.plan.mr, k0, length, first, final
                )
        if self.tail_segments:
            budget = self.plan.mr * self.plan.nr
            tail_mr = min(self.plan.tail_mr, budget // len(self.tail_segments))
            j0 = self.full_panels * self.panel_width
            with self._tail_is_mine():
                self._panel(
                    j0, self.tail_segments, max(tail_mr, 1), k0, length, first, final
                )

    @contextlib.contextmanager
    def _my_panels(self, name: str) -> Iterator[ir.Value]:
        """Loops over the full panels this call computes; yields the index."""
        if self.panels is None:
            with self.counted(self.full_panels, name) as panel:
                yield panel
            return
        builder = self.builder
        last = self.index(self.full_panels)
        start, stop = (
            builder.select(builder.icmp_signed("<", value, last), value, last)
            for value in self.panels
        )
        with self.counted(builder.sub(stop, start), name) as t:
            yield builder.add(start, t)

    @contextlib.contextmanager
    def _tail_is_mine(self) -> Iterator[None]:
        """Runs the body if this call computes the tail panel."""
        if self.panels is None:
            yield
            return
        builder = self.builder
        tail = self.index(self.full_panels)
        start, stop = self.panels
        mine = builder.and_(
            builder.icmp_signed("<=", start, tail), builder.icmp_signed("<", tail, stop)
        )
        with builder.if_then(mine):
            yield

    def _panel(
        self,
        j0: ir.Value | int,
        segments: list[_Segment],
        mr: int,
        k0: ir.Value | int,
        length: int,
        first: bool,
        final: bool,
    ) -> None:
        """Packs a panel's ``op(b)`` (when planned) and runs its row tiles."""
        if self.prepacked is not None:
            self._use_prepacked(j0, k0, segments)
        elif self.packed is not None and length > 0:
            self._pack(j0, segments, k0, length)

        def tile(i: ir.Value | int, count: int) -> None:
            self._tile(i, count, j0, segments, k0, length, first, final)

        self._row_blocks(mr, tile)

    def _row_blocks(self, mr: int, tile: Callable[[ir.Value | int, int], None]) -> None:
        """Calls ``tile(first_row, rows)`` over the rows to compute (all of
        ``m``, or the ``rows`` range): blocks of ``mr`` rows, then the
        remainder (one static tile; with a run-time range, tiles of 8, 4, 2,
        1 rows picked by its bits)."""
        if self.rows is None:
            blocks, rest = divmod(self.m, mr)
            if blocks:
                with self.counted(blocks, "gemm.ib") as block:
                    tile(self.mul(block, mr), mr)
            if rest:
                tile(blocks * mr, rest)
            return
        builder = self.builder
        start, stop = self.rows
        span = builder.sub(stop, start)
        span = builder.select(
            builder.icmp_signed("<", span, self.index(0)), self.index(0), span
        )
        blocks = builder.udiv(span, self.index(mr))
        with self.counted(blocks, "gemm.ib") as block:
            tile(builder.add(start, self.mul(block, mr)), mr)
        base = builder.add(start, self.mul(blocks, mr))
        rest = builder.sub(span, self.mul(blocks, mr))
        for bit in reversed(range((mr - 1).bit_length())):
            size = 1 << bit
            taken = builder.and_(rest, self.index(size))
            run = builder.append_basic_block(f"gemm.rows{size}")
            after = builder.append_basic_block(f"gemm.rows{size}.done")
            builder.cbranch(
                builder.icmp_unsigned("!=", taken, self.index(0)), run, after
            )
            builder.position_at_end(run)
            higher = builder.and_(rest, self.index(~(2 * size - 1)))
            tile(builder.add(base, higher), size)
            builder.branch(after)
            builder.position_at_end(after)

    # -- dot products along k ----------------------------------------------------

    def _emit_dot(self) -> None:
        columns = max(1, min(self.plan.nr, self.plan.width))
        blocks, rest = divmod(self.n, columns)
        if blocks:
            with self.counted(blocks, "gemm.jd") as block:
                j0 = self.mul(block, columns)
                self._row_blocks(
                    self.plan.mr,
                    lambda i, count: self._dot_tile(i, count, j0, columns),
                )
        if rest:
            j0 = blocks * columns
            self._row_blocks(
                self.plan.mr, lambda i, count: self._dot_tile(i, count, j0, rest)
            )

    def _dot_tile(
        self, i: ir.Value | int, count: int, j0: ir.Value | int, columns: int
    ) -> None:
        """``count`` rows x ``columns`` columns of results, each a vector of
        partial sums along k, reduced across lanes at the end."""
        width = self.plan.width
        i = self.index(i) if isinstance(i, int) else i
        rows = [self.add(i, r) for r in range(count)]
        a_rows = [self.gep(self.a, self.mul(row, self.a_stride)) for row in rows]
        b_columns = [
            self.gep(self.b, self.mul(self.add(j0, c), self.k)) for c in range(columns)
        ]
        zero = ir.Constant(self.vector(width), None)

        def chunk(
            kk: ir.Value | int, valid: int, acc: list[ir.Value]
        ) -> list[ir.Value]:
            lefts = [
                self.load_vector(self.gep(row, kk), width, valid) for row in a_rows
            ]
            result = list(acc)
            for c, column in enumerate(b_columns):
                right = self.load_vector(self.gep(column, kk), width, valid)
                for r in range(count):
                    at = r * columns + c
                    result[at] = self.fma(lefts[r], right, result[at])
            return result

        chunks, rest = divmod(self.k, width)
        accumulators = self.carried_loop(
            chunks,
            [zero] * (count * columns),
            lambda t, acc: chunk(self.mul(t, width), width, acc),
            "gemm.kd",
        )
        if rest:
            accumulators = chunk(chunks * width, rest, accumulators)
        padded = _pow2_at_least(columns)
        segment = _Segment(0, padded, columns)
        for r in range(count):
            sums = self._lane_sums(
                accumulators[r * columns : (r + 1) * columns]
                + [zero] * (padded - columns)
            )
            out_row = self.gep(self.out, self.add(self.mul(rows[r], self.n), j0))
            self._store(out_row, segment, sums, rows[r], self.add(j0, 0), True)

    def _lane_sums(self, vectors: list[ir.Value]) -> ir.Value:
        """The lane sums of ``C`` (a power of two, at most W) vectors of W
        lanes, as a ``C``-lane vector in order. Each level merges pairs of
        vectors, folding every column's partial sums in half, until one
        vector holds all columns; then that vector folds in place."""
        width = self.plan.width
        builder = self.builder
        groups = 1  # columns per vector
        while len(vectors) > 1:
            part = width // groups  # lanes per column
            half = part // 2
            low = [g * part + q for g in range(groups) for q in range(half)]
            low += [width + lane for lane in low]
            high = [lane + half for lane in low]
            vectors = [
                builder.fadd(
                    self.shuffle(vectors[v], vectors[v + 1], low),
                    self.shuffle(vectors[v], vectors[v + 1], high),
                )
                for v in range(0, len(vectors), 2)
            ]
            groups *= 2
        (value,) = vectors
        lanes = width
        while lanes > groups:
            part = lanes // groups
            half = part // 2
            low = [g * part + q for g in range(groups) for q in range(half)]
            high = [lane + half for lane in low]
            value = builder.fadd(
                self.shuffle(value, value, low), self.shuffle(value, value, high)
            )
            lanes //= 2
        return value

    # -- packing ---------------------------------------------------------------

    def _pack(
        self,
        j0: ir.Value | int,
        segments: list[_Segment],
        k0: ir.Value | int,
        length: int,
    ) -> None:
        """Copies ``op(b)[k0:k0+length, j0:j0+panel]`` into the packed buffer
        (row stride = the panel's width, lanes past ``n`` zero)."""
        stride = sum(s.width for s in segments)
        packed = self.packed
        if not self.tb:
            with self.counted(length, "gemm.pk") as t:
                row = self.gep(self.b, self.add(self.mul(self.add(k0, t), self.n), j0))
                target = self.gep(packed, self.mul(t, stride))
                if self.plan.prefetch:
                    # The next panel packs these rows' next columns: they
                    # come from memory while this panel's tiles run (after
                    # the last panel the hint reads on along the rows).
                    for line in range(0, stride * self.itemsize, _LINE_BYTES):
                        offset = self.panel_width + line // self.itemsize
                        self._prefetch(row, offset)
                for segment in segments:
                    value = self.load_vector(
                        self.gep(row, segment.offset), segment.width, segment.valid
                    )
                    self.builder.store(
                        value, self.gep(target, segment.offset), align=self.itemsize
                    )
            return
        width = self.plan.width
        chunks, rest = divmod(length, width)
        if chunks:
            with self.counted(chunks, "gemm.pt") as chunk:
                self._pack_transposed(
                    j0, segments, k0, self.mul(chunk, width), width, stride
                )
        if rest:
            self._pack_transposed(j0, segments, k0, chunks * width, rest, stride)

    def _prefetch(self, base: ir.Value, offset: int) -> None:
        """A read prefetch into L2 of the cache line of element ``offset``
        from ``base``. A hint: the address may lie past the matrix (its
        GEP is not ``inbounds``, and a prefetch does not fault)."""
        fn = self.function("llvm.prefetch.p0", ir.VoidType(), [PTR, I32, I32, I32])
        ptr = self.builder.gep(base, [self.index(offset)], source_etype=self.element)
        read, locality, data = (ir.Constant(I32, v) for v in (0, 2, 1))
        self.builder.call(fn, [ptr, read, locality, data])

    def _pack_transposed(
        self,
        j0: ir.Value | int,
        segments: list[_Segment],
        k0: ir.Value | int,
        t0: ir.Value | int,
        count: int,
        stride: int,
    ) -> None:
        """Packs ``count`` (<= W) k steps from ``t0`` of a transposed ``b``,
        one segment at a time (see ``_transposer``)."""
        kk = self.add(k0, t0)
        target = self.gep(self.packed, self.mul(t0, stride))
        for segment in segments:
            column = self.add(j0, segment.offset)
            source = self.gep(self.b, self.add(self.mul(column, self.k), kk))
            function = self._transposer(segment, count, stride)
            self.builder.call(function, [source, self.gep(target, segment.offset)])

    def _transposer(self, segment: _Segment, count: int, stride: int) -> ir.Function:
        """``void (ptr source, ptr target)``: loads ``segment.valid`` rows of
        ``b`` (``count`` elements each, row stride ``k``), transposes them in
        registers and stores ``count`` rows of ``segment.width`` lanes (row
        stride ``stride``; lanes past ``valid`` are zero). One out-of-line
        function per shape keeps the 16 x 16 shuffle networks from being
        copied into every panel and k block."""
        width = self.plan.width
        module = self.builder.module
        name = (
            f"kgraph_gemm_transpose_{self.suffix}_w{width}_k{self.k}_s{stride}"
            f"_{segment.width}x{segment.valid}x{count}"
        )
        existing = module.globals.get(name)
        if existing is not None:
            return existing
        function = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, PTR]), name)
        function.linkage = "internal"
        function.attributes.add("noinline")
        function.attributes.add("nounwind")
        for argument in function.args:
            argument.add_attribute("noalias")
        source, target = function.args
        outer = self.builder
        self.builder = ir.IRBuilder(function.append_basic_block("entry"))
        try:
            zero = ir.Constant(self.vector(width), None)
            lines = [
                self.load_vector(self.gep(source, c * self.k), width, count)
                if c < segment.valid
                else zero
                for c in range(width)
            ]
            columns = self._transpose(lines)
            for q in range(count):
                value = columns[q]
                if segment.width < width:
                    value = self.shuffle(value, value, range(segment.width))
                ptr = self.gep(target, q * stride)
                self.builder.store(value, ptr, align=self.itemsize)
            self.builder.ret_void()
        finally:
            self.builder = outer
        return function

    def _transpose(self, lines: list[ir.Value]) -> list[ir.Value]:
        """Transposes W vectors of W lanes (a perfect-shuffle network of
        log2(W) stages of interleaves)."""
        width = len(lines)
        if width == 1:
            return lines
        half = width // 2
        low = [x for i in range(half) for x in (i, i + width)]
        high = [x for i in range(half, width) for x in (i, i + width)]
        for _ in range(width.bit_length() - 1):
            merged = []
            for i in range(half):
                x, y = lines[i], lines[i + half]
                merged.append(self.shuffle(x, y, low))
                merged.append(self.shuffle(x, y, high))
            lines = merged
        return lines

    # -- the micro-kernel ----------------------------------------------------------

    def _a_pointer(self, row: ir.Value, k0: ir.Value | int) -> ir.Value:
        """Address of ``op(a)[row, k0]``."""
        if self.ta:
            return self.gep(self.a, self.add(self.mul(k0, self.m), row))
        return self.gep(self.a, self.add(self.mul(row, self.a_stride), k0))

    def _tile(
        self,
        i: ir.Value | int,
        count: int,
        j0: ir.Value | int,
        segments: list[_Segment],
        k0: ir.Value | int,
        length: int,
        first: bool,
        final: bool,
    ) -> None:
        i = self.index(i) if isinstance(i, int) else i
        row_index = [self.add(i, r) for r in range(count)]
        out_rows = [
            self.gep(self.out, self.add(self.mul(row, self.n), j0)) for row in row_index
        ]
        accumulators: list[ir.Value] = []
        for r in range(count):
            for segment in segments:
                if first:
                    accumulators.append(ir.Constant(self.vector(segment.width), None))
                else:
                    accumulators.append(
                        self.load_vector(
                            self.gep(out_rows[r], segment.offset),
                            segment.width,
                            segment.valid,
                        )
                    )
        if length:
            accumulators = self._k_loop(
                i, count, j0, segments, k0, length, accumulators
            )
        if self.pending is not None:
            if segments is self.full_segments:
                self._defer(i, j0, accumulators)
                return
            self.builder.store(self.index(0), self.pending[3])
        for r in range(count):
            for s, segment in enumerate(segments):
                value = accumulators[r * len(segments) + s]
                column = self.add(j0, segment.offset)
                self._store(out_rows[r], segment, value, row_index[r], column, final)

    def _k_loop(
        self,
        i: ir.Value,
        count: int,
        j0: ir.Value | int,
        segments: list[_Segment],
        k0: ir.Value | int,
        length: int,
        accumulators: list[ir.Value],
    ) -> list[ir.Value]:
        builder = self.builder
        unroll = max(1, min(self.plan.unroll, length))
        if self.packed is not None:
            b_base = self.packed
            b_stride = sum(s.width for s in segments)
        else:
            b_base = self.gep(self.b, self.add(self.mul(k0, self.n), j0))
            b_stride = self.n
        if self.ta:
            a_bases = [self._a_pointer(i, k0)]
        else:
            a_bases = [self._a_pointer(self.add(i, r), k0) for r in range(count)]

        def step(t: ir.Value | int, acc: list[ir.Value]) -> list[ir.Value]:
            self._finish_during(t)
            b_row = self.gep(b_base, self.mul(t, b_stride))
            vectors = []
            for segment in segments:
                ptr = self.gep(b_row, segment.offset)
                if self.packed is not None:
                    vectors.append(
                        builder.load(
                            ptr, typ=self.vector(segment.width), align=self.itemsize
                        )
                    )
                else:
                    vectors.append(self.load_vector(ptr, segment.width, segment.valid))
            if self.ta:
                a_row = self.gep(a_bases[0], self.mul(t, self.m))
            result = []
            for r in range(count):
                if self.ta:
                    ptr = self.gep(a_row, r)
                else:
                    ptr = self.gep(a_bases[r], t)
                scalar = builder.load(ptr, typ=self.element, align=self.itemsize)
                splats: dict[int, ir.Value] = {}
                for s, segment in enumerate(segments):
                    if segment.width not in splats:
                        splats[segment.width] = splat(self.em, scalar, segment.width)
                    result.append(
                        self.fma(
                            splats[segment.width],
                            vectors[s],
                            acc[r * len(segments) + s],
                        )
                    )
            return result

        trips, rest = divmod(length, unroll)

        def body(t: ir.Value, acc: list[ir.Value]) -> list[ir.Value]:
            base = self.mul(t, unroll)
            for u in range(unroll):
                acc = step(self.add(base, u), acc)
            return acc

        accumulators = self.carried_loop(trips, accumulators, body, "gemm.k")
        for u in range(rest):
            accumulators = step(trips * unroll + u, accumulators)
        return accumulators

    def _store(
        self,
        row_ptr: ir.Value,
        segment: _Segment,
        value: ir.Value,
        row: ir.Value,
        column: ir.Value,
        final: bool,
    ) -> None:
        builder = self.builder
        apply = self.epilogue if final else None
        if segment.valid == segment.width:
            pieces = [(0, segment.width)]
        else:
            pieces = _pieces(segment.valid)
        for offset, width in pieces:
            piece = value
            if width != segment.width:
                piece = self.shuffle(value, value, range(offset, offset + width))
            ptr = self.gep(row_ptr, segment.offset + offset)
            if width == 1:
                piece = builder.extract_element(piece, ir.Constant(I32, 0))
            if apply is not None:
                piece = apply(piece, row, self.add(column, offset))
            if piece is not None:
                builder.store(piece, ptr, align=self.itemsize)
