"""Winograd convolutions, F(m x m, 3x3) with m = 2 or 4: a tile of m x m
outputs of a 3x3 window in (m + 2)^2 products per channel pair instead of
9 m^2 (16 instead of 36 for m = 2, 36 instead of 144 for m = 4).

For a 3x3 window with unit strides and dilation, the outputs of one output
channel come in m x m *tiles*, each read from an a x a *patch* of the
padded input (a = m + 2; patches overlap their neighbours by two rows and
columns)::

    Y = A^T [ sum over ci of (G g G^T) * (B^T d B) ] A

with ``g`` the 3x3 kernel of ``(ci, co)``, ``d`` the patch of input
channel ``ci`` and ``*`` the elementwise product of two a x a matrices
(``Transform`` holds G, B^T and A^T). Per transformed position
``k = a * i + j`` the sum over ``ci`` is a matrix product:
``M_k = V_k @ U_k`` with ``V_k[tile, ci] = (B^T d B)[i, j]`` and
``U_k[ci, co] = (G g G^T)[i, j]``. So one kernel call

1. transforms the kernel into ``U`` (``a^2 x in_channels x out_channels``,
   the columns this thread computes), in the thread's workspace;
2. for each block of tiles: transforms their patches into ``V``
   (``a^2 x tiles x in_channels``), runs the a^2 products on the GEMM
   generator into ``M`` (``a^2 x tiles x out_channels``), and transforms
   ``M`` into the tiles' outputs, which go through the epilogue (the bias,
   a fused body) as they are stored; outputs past the edge of a map whose
   size is not a multiple of m are not stored.

F(4x4) does 44% of F(2x2)'s multiplications per output; it takes maps
big enough for its bigger tiles (``transform``).

Threads take contiguous runs of blocks, or, with too few blocks to go
round, each block's column panels (then each transforms only its columns
of the kernel). Each output is computed the same way whoever computes it,
so results do not depend on the thread count. The sums run in another
order than a direct convolution's, through the transforms' additions:
results agree with it within the float tolerance (F(2x2)'s constants
are 0, +-1 and 1/2, exact in binary; F(4x4)'s include 1/6 and 1/12, and
its larger ones make its rounding error a few times F(2x2)'s, still about
1e-6 of the outputs' scale in float32).

The workspace is ``workspace_bytes`` per thread, in the step's arena; a
kernel compiled for ``slots`` workspaces leaves threads past them idle.

A kernel whose ``g`` are parameters the loop does not update can keep
``U`` *prepared* (``Prepared``): in a region of the arena that outlives
steps and calls, with a word that says whether it holds the current
weights. The kernel transforms them only while the word is 0 (all threads
sharing the input channels, then a barrier); the step sets it after its
first run, the runtime clears it when the weights may have changed. Its
workspace then holds only ``V`` and ``M``, and a prepared ``U_k`` is laid
out as the GEMM packs it (``gemm.PackedB``: column panels one after
another), so the products read it as it is instead of packing it again
on every call.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass

from llvmlite import ir

from kgraph.backends.llvm.kernels.gemm import Epilogue
from kgraph.backends.llvm.kernels.gemm import GemmPlan
from kgraph.backends.llvm.kernels.gemm import PackedB
from kgraph.backends.llvm.kernels.gemm import choose_plan
from kgraph.backends.llvm.kernels.gemm import emit_gemm
from kgraph.backends.llvm.kernels.gemm import host_vector_bytes
from kgraph.backends.llvm.kernels.gemm import packed_elements
from kgraph.backends.llvm.kernels.gemm import panel_count
from kgraph.backends.llvm.kernels.gemm import panel_layout
from kgraph.backends.llvm.kernels.geometry import Geometry
from kgraph.backends.llvm.kernels.prepared import Prepared
from kgraph.backends.llvm.kernels.prepared import unless_ready
from kgraph.ir.types import TensorType
from kgraph.ops import lowering
from kgraph.ops.lowering import Buffer
from kgraph.ops.lowering import Emitter


@dataclass(frozen=True)
class Transform:
    """The matrices of F(m x m, 3x3).

    Args:
        size: ``m``, outputs per tile side.
        filter: ``G`` (``a x 3``, ``a = m + 2``).
        input: ``B^T`` (``a x a``).
        output: ``A^T`` (``m x a``).
    """

    size: int
    filter: tuple[tuple[float, ...], ...]
    input: tuple[tuple[float, ...], ...]
    output: tuple[tuple[float, ...], ...]

    @property
    def patch(self) -> int:
        """``a``: patch rows (and columns) per tile."""
        return self.size + 2

    @property
    def positions(self) -> int:
        """Products per channel pair: ``a^2``."""
        return self.patch**2


# Interpolation at 0, +-1 and infinity.
F2 = Transform(
    size=2,
    filter=((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0)),
    input=((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1)),
    output=((1, 1, 1, 0), (0, 1, -1, -1)),
)
# Interpolation at 0, +-1, +-2 and infinity.
F4 = Transform(
    size=4,
    filter=(
        (1 / 4, 0.0, 0.0),
        (-1 / 6, -1 / 6, -1 / 6),
        (-1 / 6, 1 / 6, -1 / 6),
        (1 / 24, 1 / 12, 1 / 6),
        (1 / 24, -1 / 12, 1 / 6),
        (0.0, 0.0, 1.0),
    ),
    input=(
        (4, 0, -5, 0, 1, 0),
        (0, -4, -4, 1, 1, 0),
        (0, 4, -4, -1, 1, 0),
        (0, -2, -1, 2, 1, 0),
        (0, 2, -1, -2, 1, 0),
        (0, 4, 0, -5, 0, 1),
    ),
    output=(
        (1, 1, 1, 1, 1, 0),
        (0, 1, -1, 2, -2, 0),
        (0, 1, 1, 4, 4, 0),
        (0, 1, -1, 8, -8, 1),
    ),
)
# Bytes of V and M per block: a block's 16 products then stay in L2.
_BLOCK_BYTES = 1 << 20
# Tiles from which a block's products reuse U_k enough.
_REUSE_TILES = 96
# A map of at most this many tiles is one block, while its V and M take at
# most this many bytes.
_SINGLE_BLOCK_TILES = 256
_SINGLE_BLOCK_BYTES = 16 << 20
# Fewest channels for which the products pay.
_MIN_CHANNELS = 16
# Blocks below which threads split a block's column panels instead.
_MIN_SHARED_BLOCKS = 8
# Fewest tiles for which the products pay for transforming the kernel on
# every call (measured on ResNet50's and VGG16's layers, Sapphire Rapids).
_MIN_TILES = 64
# With the kernel prepared (and packed for the products), fewest tiles and
# output positions: measured on Zen 4 at batch 1, F(2x2) takes 48-75% of
# the direct kernel's time from 4x4 maps of 512 channels and 5x5 maps of
# 32 up to 7x7 ones (65% on ResNet50's 7x7x512), but 110% on 3x3 maps
# (4 tiles, 9 of their 16 outputs used), 120% on 2x2 and 195% on 1x1.
_MIN_PREPARED_TILES = 4
_MIN_PREPARED_OUTPUTS = 16
# F(4x4) beats F(2x2) from this many of its tiles (_MIN_PREPARED_F4_TILES
# with the kernel prepared), with at least _MIN_F4_COLUMNS output channels
# (fewer make a single column panel, which one thread computes while the
# other waits), or from _MANY_F4_TILES tiles whatever the channels
# (measured on VGG16's and ResNet50's layers at batch 1 and 32, Sapphire
# Rapids: F(4x4) takes 70-80% of F(2x2)'s time from 56x56 maps on one image
# and 14x14 maps of 32, 125% on one image's 56x56x64 maps; on 28x28x512
# maps, 115% transforming the kernel every call, 70% prepared).
_MIN_F4_TILES = 64
_MIN_PREPARED_F4_TILES = 32
_MIN_F4_COLUMNS = 128
_MANY_F4_TILES = 768


def tiles(geo: Geometry, form: Transform = F2) -> int:
    """Output tiles of a geometry (``kernels.conv.Geometry``) under a
    transform."""
    rows, columns = geo.out_spatial
    size = form.size
    return geo.batch * -(-rows // size) * -(-columns // size)


def transform(geo: Geometry, prepared: bool = False) -> Transform:
    """The transform a geometry that ``applies`` takes: F(4x4) when it has
    enough of its tiles to go round the threads, else F(2x2) (``prepared``:
    with the kernel prepared, see ``Prepared``)."""
    count = tiles(geo, F4)
    if count >= _MANY_F4_TILES:
        return F4
    least = _MIN_PREPARED_F4_TILES if prepared else _MIN_F4_TILES
    if count >= least and geo.out_channels >= _MIN_F4_COLUMNS:
        return F4
    return F2


def applies(geo: Geometry, dtype: str, prepared: bool = False) -> bool:
    """Whether a ``conv`` of this geometry takes the Winograd kernel: a
    float32 2-D convolution with a 3x3 window, unit strides and dilation,
    enough channels, and enough tiles to pay for transforming the kernel
    on every call (fewer when it is ``prepared``)."""
    if dtype != "float32" or geo.window != (3, 3):
        return False
    if geo.strides != (1, 1) or geo.dilation != (1, 1):
        return False
    cin, cout = geo.channels, geo.out_channels
    if min(cin, cout) < _MIN_CHANNELS:
        return False
    if prepared:
        outputs = geo.batch * geo.out_spatial[0] * geo.out_spatial[1]
        return tiles(geo) >= _MIN_PREPARED_TILES and outputs >= _MIN_PREPARED_OUTPUTS
    return tiles(geo) >= _MIN_TILES


def block_tiles(geo: Geometry, dtype: str, prepared: bool = False) -> int:
    """Tiles per block. A small map is one block (its threads split the
    column panels) while its V and M fit ``_SINGLE_BLOCK_BYTES``: each
    product then streams its U_k once. Otherwise blocks of at least
    ``_REUSE_TILES`` tiles (so U_k serves many rows), more while V and M
    fit ``_BLOCK_BYTES``, but at least ``_MIN_SHARED_BLOCKS`` blocks to go
    round the threads; whole 12-row register tiles of the GEMM."""
    cin, cout = geo.channels, geo.out_channels
    form = transform(geo, prepared)
    per_tile = form.positions * (cin + cout) * lowering.itemsize(dtype)
    total = tiles(geo, form)
    if total <= _SINGLE_BLOCK_TILES and total * per_tile <= _SINGLE_BLOCK_BYTES:
        return total
    count = max(_REUSE_TILES, _BLOCK_BYTES // per_tile)
    count = min(count, max(_REUSE_TILES // 2, total // _MIN_SHARED_BLOCKS), total)
    return count - count % 12 if count >= 12 else count


def gemm_plan(geo: Geometry, dtype: str, prepared: bool = False) -> GemmPlan:
    """The plan of every block's products (one for all, so a thread's
    column panels are the same in each, and a prepared ``U`` has one
    layout)."""
    block = block_tiles(geo, dtype, prepared)
    return choose_plan(block, geo.out_channels, geo.channels, False, False, dtype)


def prepared_bytes(geo: Geometry, dtype: str) -> int:
    """Bytes of a prepared ``U`` (each position's matrix packed for the
    products, ``gemm.PackedB``), 64-byte aligned."""
    plan = gemm_plan(geo, dtype, True)
    count = packed_elements(plan, geo.out_channels, geo.channels)
    return _align(transform(geo, True).positions * count * lowering.itemsize(dtype))


def workspace_bytes(geo: Geometry, dtype: str, prepared: bool = False) -> int:
    """Bytes of workspace a thread needs: U (unless ``prepared``), V and M,
    each 64-byte aligned."""
    cin, cout = geo.channels, geo.out_channels
    size = lowering.itemsize(dtype)
    block = block_tiles(geo, dtype, prepared)
    parts = (
        (block * cin, block * cout)
        if prepared
        else (cin * cout, block * cin, block * cout)
    )
    positions = transform(geo, prepared).positions
    return sum(_align(positions * n * size) for n in parts)


def _align(nbytes: int) -> int:
    return -(-nbytes // 64) * 64


def emit(
    em: Emitter,
    geo: Geometry,
    inputs: Sequence[Buffer],
    output: Buffer,
    workspace: ir.Value,
    slots: int,
    epilogue: Epilogue | None = None,
    prepared: Prepared | None = None,
) -> None:
    """Emits the kernel of a ``conv`` node that ``applies`` accepts (see
    the module docstring); ``epilogue`` (``row`` being the output position)
    applies to the results before they are stored; with ``prepared`` the
    kernel keeps ``U`` there (``workspace_bytes(..., prepared=True)``)."""
    _Winograd(em, geo, inputs, output, workspace, slots, epilogue, prepared).emit()


class _Winograd:
    """The state of one emission."""

    def __init__(
        self,
        em: Emitter,
        geo: Geometry,
        inputs: Sequence[Buffer],
        output: Buffer,
        workspace: ir.Value,
        slots: int,
        epilogue: Epilogue | None,
        prepared: Prepared | None,
    ) -> None:
        self.em = em
        self.builder = em.builder
        self.geo = geo
        self.x, self.w = inputs[:2]
        self.bias = inputs[2] if len(inputs) == 3 else None
        self.output = output
        self.dtype = output.dtype
        self.cin = geo.channels
        self.cout = geo.out_channels
        self.height, self.width = geo.out_spatial
        self.form = transform(geo, prepared is not None)
        self.size = self.form.size
        self.patch = self.form.patch
        self.positions = self.form.positions
        self.across = -(-self.width // self.size)
        self.down = -(-self.height // self.size)
        self.tiles = tiles(geo, self.form)
        self.block = block_tiles(geo, self.dtype, prepared is not None)
        self.workspace = workspace
        self.slots = slots
        self.epilogue = epilogue
        self.prepared = prepared
        self.lanes = max(1, host_vector_bytes() // lowering.itemsize(self.dtype))
        self.plan = gemm_plan(geo, self.dtype, prepared is not None)
        # Elements of one position's packed U_k (when prepared).
        self.packed = packed_elements(self.plan, self.cout, self.cin)

    # -- structure ---------------------------------------------------------------

    def emit(self) -> None:
        em, builder = self.em, self.builder
        if self.prepared is not None:
            self._prepare()
        split = em.split
        if split is not None:
            tid, threads = split
            # Threads past the workspaces sit this kernel out.
            workers = lowering.minimum_index(builder, threads, em.index(self.slots))
            em.split = (tid, workers)
            active = builder.icmp_unsigned("<", tid, workers)
            with builder.if_then(active):
                self._run(tid)
            em.split = split
            return
        self._run(em.index(0))

    def _prepare(self) -> None:
        """Transforms the kernel into the prepared ``U`` unless it is ready:
        every thread its share of the input channels, then a barrier (all
        threads read the same word, so all take the same branch)."""
        em = self.em
        prepared = self.prepared
        assert prepared is not None
        count = self.positions * self.packed
        self.u = Buffer(prepared.region, TensorType((count,), self.dtype))
        with unless_ready(em, prepared):
            channels = em.share(self.cin)
            self._transform_kernel(em.index(0), em.index(self.cout), channels)
            self._zero_padding(channels)

    def _zero_padding(self, channels: tuple[ir.Value, ir.Value]) -> None:
        """Zeros the lanes of the packed tail panel past the last column
        (the products read whole vectors) in the rows ``channels``."""
        layout = panel_layout(self.plan, self.cout)
        start_column = layout.full * layout.width
        stride, valid = layout.tail, self.cout - start_column
        if stride == valid:
            return
        em, builder = self.em, self.builder
        zero = em.const(0, self.dtype)
        with (
            em.loop(self.positions, "zk") as k,
            em.loop(channels[1], "zci", channels[0]) as ci,
        ):
            start = builder.add(
                builder.mul(k, em.index(self.packed)),
                builder.add(
                    em.index(start_column * self.cin), builder.mul(ci, em.index(stride))
                ),
            )
            with em.loop(em.index(stride), "zc", em.index(valid)) as c:
                em.store(self.u, builder.add(start, c), zero)

    def _u_index(self, position: int, ci: ir.Value, co: ir.Value) -> ir.Value:
        """Where ``U[position, ci, co]`` is: row-major in the workspace, or
        packed for the products when prepared (a vector of columns from a
        multiple of the lanes stays inside one panel)."""
        em, builder = self.em, self.builder
        if self.prepared is None:
            return builder.add(
                em.index(position * self.cin * self.cout),
                builder.add(builder.mul(ci, em.index(self.cout)), co),
            )
        layout = panel_layout(self.plan, self.cout)
        panel, full_columns = layout.width, layout.full * layout.width
        first = builder.mul(builder.udiv(co, em.index(panel)), em.index(panel))
        stride: ir.Value = em.index(panel)
        if layout.tail:
            is_full = builder.icmp_unsigned("<", first, em.index(full_columns))
            stride = builder.select(is_full, stride, em.index(layout.tail))
        column = builder.sub(co, first)
        return builder.add(
            em.index(position * self.packed),
            builder.add(
                builder.mul(first, em.index(self.cin)),
                builder.add(builder.mul(ci, stride), column),
            ),
        )

    def _run(self, tid: ir.Value) -> None:
        em, builder = self.em, self.builder
        size = lowering.itemsize(self.dtype)
        prepared = self.prepared is not None
        step = workspace_bytes(self.geo, self.dtype, prepared)
        base = builder.gep(
            self.workspace,
            [builder.mul(tid, em.index(step))],
            source_etype=ir.IntType(8),
        )
        positions = self.positions
        u_bytes = 0 if prepared else _align(positions * self.cin * self.cout * size)
        v_bytes = _align(positions * self.block * self.cin * size)
        if not prepared:
            self.u = self._buffer(base, 0, positions * self.cin * self.cout)
        self.v = self._buffer(base, u_bytes, positions * self.block * self.cin)
        self.m = self._buffer(
            base, u_bytes + v_bytes, positions * self.block * self.cout
        )
        full, rest = divmod(self.tiles, self.block)
        blocks = full + (1 if rest else 0)
        by_columns = em.split is not None and blocks < _MIN_SHARED_BLOCKS
        # One plan for every block (gemm_plan): a thread's columns of U are
        # the ones it transformed.
        if by_columns:
            width = em.index(self.plan.nr * self.plan.width)
            panels = em.share(panel_count(self.plan, self.cout))
            columns = (
                builder.mul(panels[0], width),
                lowering.minimum_index(
                    builder, builder.mul(panels[1], width), em.index(self.cout)
                ),
            )
            if not prepared:
                self._transform_kernel(*columns)
            self._blocks(full, rest, False, panels, columns)
            return
        columns = (em.index(0), em.index(self.cout))
        if not prepared:
            self._transform_kernel(*columns)
        self._blocks(full, rest, True, None, columns)

    def _blocks(
        self,
        full: int,
        rest: int,
        shared: bool,
        panels: tuple[ir.Value, ir.Value] | None,
        columns: tuple[ir.Value, ir.Value],
    ) -> None:
        """The full blocks (a contiguous run of them per thread when
        ``shared``), then the shorter last one (on the last thread)."""
        em, builder = self.em, self.builder
        split = em.split if shared else None
        if full:
            start, stop = em.share(full) if split is not None else (0, full)
            with em.loop(stop, "wblock", start) as index:
                tile0 = builder.mul(index, em.index(self.block))
                self._tiles(tile0, self.block, panels, columns)
        if not rest:
            return
        tile0 = em.index(full * self.block)
        if split is None:
            self._tiles(tile0, rest, panels, columns)
            return
        tid, workers = split
        last = builder.icmp_unsigned("==", tid, builder.sub(workers, em.index(1)))
        with builder.if_then(last):
            self._tiles(tile0, rest, panels, columns)

    def _tiles(
        self,
        tile0: ir.Value,
        count: int,
        panels: tuple[ir.Value, ir.Value] | None,
        columns: tuple[ir.Value, ir.Value],
    ) -> None:
        """One block: ``count`` tiles from ``tile0``."""
        self._transform_input(tile0, count)
        em, builder = self.em, self.builder
        prepared = self.prepared is not None
        u_step = self.packed if prepared else self.cin * self.cout
        with em.loop(self.positions, "wk") as k:
            a = self._at(self.v, builder.mul(k, em.index(count * self.cin)))
            b = self._at(self.u, builder.mul(k, em.index(u_step)))
            out = self._at(self.m, builder.mul(k, em.index(count * self.cout)))
            emit_gemm(
                em,
                a,
                b,
                out,
                count,
                self.cout,
                self.cin,
                False,
                False,
                self.dtype,
                panels=panels,
                plan=self.plan,
                packed_b=PackedB(b, self.cin) if prepared else None,
            )
        self._transform_output(tile0, count, columns)

    # -- the three transforms ------------------------------------------------------

    def _transform_kernel(
        self,
        first: ir.Value,
        stop: ir.Value,
        channels: tuple[ir.Value, ir.Value] | None = None,
    ) -> None:
        """U[k, ci, co] = (G g G^T)[k] for columns ``[first, stop)`` (and
        input channels ``channels``, default all)."""
        em = self.em
        w_steps = lowering.strides(self.w.shape)
        low, high = channels or (em.index(0), em.index(self.cin))
        with em.loop(high, "uci", low) as ci:

            def body(co: ir.Value, lanes: int | None) -> None:
                g = [
                    [
                        lowering.load_lanes(
                            em,
                            self.w,
                            em.flat_index([em.index(r), em.index(s), ci, co], w_steps),
                            lanes,
                        )
                        for s in range(3)
                    ]
                    for r in range(3)
                ]
                patch, matrix = self.patch, self.form.filter
                rows = [self._combine(matrix[a], g) for a in range(patch)]
                for a in range(patch):
                    for b in range(patch):
                        value = self._combine(matrix[b], [[x] for x in rows[a]])[0]
                        index = self._u_index(a * patch + b, ci, co)
                        lowering.store_lanes(em, self.u, index, value)

            self._columns(first, stop, body)

    def _transform_input(self, tile0: ir.Value, count: int) -> None:
        """V[k, t, ci] = (B^T d B)[k] for the block's tiles."""
        em, builder = self.em, self.builder
        geo = self.geo
        (top, _), (left, _) = geo.padding
        rows_in, columns_in = geo.spatial
        x_steps = lowering.strides(self.x.shape)
        with em.loop(count, "vt") as t:
            batch, row, column = self._position(builder.add(tile0, t))
            patch = self.patch
            ys = [self._coordinate(row, r, top, rows_in) for r in range(patch)]
            xs = [self._coordinate(column, s, left, columns_in) for s in range(patch)]

            def body(ci: ir.Value, lanes: int | None) -> None:
                d = []
                for y, y_inside in ys:
                    line = []
                    for x, x_inside in xs:
                        inside = builder.and_(y_inside, x_inside)
                        flat = em.flat_index([batch, y, x, ci], x_steps)
                        flat = builder.select(inside, flat, ci)
                        value = lowering.load_lanes(em, self.x, flat, lanes)
                        zero = em.const(0, self.dtype, value if lanes else None)
                        if lanes:
                            inside = lowering.splat(em, inside, lanes)
                        line.append(builder.select(inside, value, zero))
                    d.append(line)
                matrix = self.form.input
                rows = [self._combine(matrix[a], d) for a in range(patch)]
                for a in range(patch):
                    columns = [[x] for x in rows[a]]
                    for b in range(patch):
                        value = self._combine(matrix[b], columns)[0]
                        index = builder.add(
                            em.index((a * patch + b) * count * self.cin),
                            builder.add(builder.mul(t, em.index(self.cin)), ci),
                        )
                        lowering.store_lanes(em, self.v, index, value)

            self._columns(em.index(0), em.index(self.cin), body)

    def _transform_output(
        self, tile0: ir.Value, count: int, columns: tuple[ir.Value, ir.Value]
    ) -> None:
        """The tiles' outputs, A^T M A, through the bias and epilogue."""
        em, builder = self.em, self.builder
        with em.loop(count, "yt") as t:
            batch, row, column = self._position(builder.add(tile0, t))

            def body(co: ir.Value, lanes: int | None) -> None:
                patch, size, matrix = self.patch, self.size, self.form.output
                m = [
                    [
                        lowering.load_lanes(
                            em,
                            self.m,
                            builder.add(
                                em.index((a * patch + b) * count * self.cout),
                                builder.add(builder.mul(t, em.index(self.cout)), co),
                            ),
                            lanes,
                        )
                        for b in range(patch)
                    ]
                    for a in range(patch)
                ]
                rows = [self._combine(matrix[i], m) for i in range(size)]
                for i in range(size):
                    y = builder.add(builder.mul(row, em.index(size)), em.index(i))
                    for j in range(size):
                        value = self._combine(matrix[j], [[x] for x in rows[i]])[0]
                        x = builder.add(
                            builder.mul(column, em.index(size)), em.index(j)
                        )
                        self._store(batch, y, x, i, j, co, value)

            self._columns(columns[0], columns[1], body)

    def _store(
        self,
        batch: ir.Value,
        y: ir.Value,
        x: ir.Value,
        i: int,
        j: int,
        co: ir.Value,
        value: ir.Value,
    ) -> None:
        """Stores one output vector, when it is inside the map (only the
        last tile row or column of a size that is not a multiple of the
        tile's can stick out, from row or column ``size % tile`` on)."""
        em, builder = self.em, self.builder
        checks = []
        if self.height % self.size and i >= self.height % self.size:
            checks.append(builder.icmp_unsigned("<", y, em.index(self.height)))
        if self.width % self.size and j >= self.width % self.size:
            checks.append(builder.icmp_unsigned("<", x, em.index(self.width)))
        position = em.flat_index(
            [batch, y, x], [self.height * self.width, self.width, 1]
        )

        def store() -> None:
            result = value
            if self.bias is not None:
                lanes = lowering.lanes(value)
                result = builder.fadd(
                    result, lowering.load_lanes(em, self.bias, co, lanes)
                )
            if self.epilogue is not None:
                result = self.epilogue(result, position, co)
                if result is None:
                    return
            index = builder.add(builder.mul(position, em.index(self.cout)), co)
            lowering.store_lanes(em, self.output, index, result)

        if not checks:
            store()
            return
        inside = checks[0] if len(checks) == 1 else builder.and_(*checks)
        with builder.if_then(inside):
            store()

    # -- helpers ------------------------------------------------------------------

    def _combine(
        self, weights: Sequence[float], terms: list[list[ir.Value]]
    ) -> list[ir.Value]:
        """``sum over r of weights[r] * terms[r]``, entry by entry (weights
        of 0 skipped, +-1 as additions, others as multiplications)."""
        builder = self.builder
        results = []
        for q in range(len(terms[0])):
            total = None
            for weight, line in zip(weights, terms, strict=True):
                if weight == 0:
                    continue
                term = line[q]
                if abs(weight) != 1:
                    term = builder.fmul(
                        term, self.em.const(abs(weight), self.dtype, term)
                    )
                if total is None:
                    total = term if weight > 0 else builder.fneg(term)
                elif weight > 0:
                    total = builder.fadd(total, term)
                else:
                    total = builder.fsub(total, term)
            results.append(total)
        return results

    def _position(self, tile: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
        """A tile's image, tile row and tile column (tiles run row-major)."""
        em, builder = self.em, self.builder
        column = builder.urem(tile, em.index(self.across))
        rest = builder.udiv(tile, em.index(self.across))
        row = builder.urem(rest, em.index(self.down))
        return builder.udiv(rest, em.index(self.down)), row, column

    def _coordinate(
        self, tile: ir.Value, offset: int, low: int, size: int
    ) -> tuple[ir.Value, ir.Value]:
        """The input coordinate of patch row (or column) ``offset`` of a
        tile, and whether it is inside the input (unsigned compare: a
        coordinate in the low padding wraps around to a huge value)."""
        em, builder = self.em, self.builder
        step = em.index(self.size)
        coordinate = builder.sub(
            builder.add(builder.mul(tile, step), em.index(offset)), em.index(low)
        )
        return coordinate, builder.icmp_unsigned("<", coordinate, em.index(size))

    def _columns(
        self,
        first: ir.Value,
        stop: ir.Value,
        body: Callable[[ir.Value, int | None], None],
    ) -> None:
        """``body(column, lanes)`` over ``[first, stop)``: whole vectors,
        then single elements."""
        em, builder = self.em, self.builder
        lanes = self.lanes
        # A thread without panels has first past stop: no columns.
        first = lowering.minimum_index(builder, first, stop)
        span = builder.sub(stop, first)
        vectors = builder.udiv(span, em.index(lanes))
        with em.loop(vectors, "wv") as q:
            body(builder.add(first, builder.mul(q, em.index(lanes))), lanes)
        with em.loop(
            stop, "ws", builder.add(first, builder.mul(vectors, em.index(lanes)))
        ) as c:
            body(c, None)

    def _buffer(self, base: ir.Value, offset: int, count: int) -> Buffer:
        pointer = self.builder.gep(
            base, [self.em.index(offset)], source_etype=ir.IntType(8)
        )
        return Buffer(pointer, TensorType((count,), self.dtype))

    def _at(self, buffer: Buffer, elements: ir.Value) -> ir.Value:
        return self.em.element_ptr(buffer, elements)
