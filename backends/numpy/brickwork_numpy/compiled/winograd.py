"""Winograd F(2x2, 3x3) for 3x3, stride-1, undilated, ungrouped 2-D
convolutions (channels last): the forward, and the kernel gradient.

Each 2x2 block ("tile") of outputs needs a 4x4 patch of input. With the
transforms of Lavin & Gray (2015),

    Y = A^T [ (G w G^T) . (B^T d B) ] A,

the 36 multiplies per tile and channel pair become 16, and summing over
input channels turns the 16 elementwise products into 16 matrix products
``(tiles, cin) @ (cin, filters)``, done by BLAS. The transforms are compiled
loops over the channel axis (contiguous, so they vectorize); the filter
transform touches only the weights and stays in NumPy. The kernel gradient
is the adjoint of the same computation:
``dw = G^T [ sum over tiles (B^T d B)^T (A dY A^T) ] G``.

Tiles are numbered row-major over ``(batch, tile row, tile column)`` and
worked through in blocks small enough that a block's transformed input and
products stay in a core's L2 cache and that OpenBLAS multiplies them on the
calling thread; each of the two cores takes half of the blocks
(:mod:`.split`). Convolutions with so many channels that such a block would
hold only a few tiles run their blocks on one thread, with larger blocks
whose products BLAS spreads over the cores itself.
"""
from __future__ import annotations

import numpy as np

from ..kernels._conv_utils import scratch
from .jit import jit, prange
from .split import run_split

#: Bytes of transformed input plus products per block (one core's L2 share).
BLOCK_BYTES = 512 << 10

#: OpenBLAS runs a product ``(m, k) @ (k, n)`` on the calling thread when
#: ``m * n * k`` is at most this (65536 * GEMM_MULTITHREAD_THRESHOLD, 4 by
#: default); two threads each calling larger products would contend for
#: OpenBLAS's one thread pool.
SINGLE_THREAD_GEMM_SIZE = 65536 * 4

#: Fewest tiles per block worth splitting over the cores; with more
#: channels than that allows, blocks of WIDE_BLOCK_BYTES run on one thread.
MIN_SPLIT_BLOCK_TILES = 32
WIDE_BLOCK_BYTES = 8 << 20

# Filter transform G (4x3): U = G w G^T.
_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def applies(kernel_shape, strides, dilation_rate, groups):
    """Whether a convolution can take the Winograd path."""
    return (len(kernel_shape) == 4 and tuple(kernel_shape[:2]) == (3, 3)
            and tuple(strides) == (1, 1) and tuple(dilation_rate) == (1, 1) and groups == 1)


# ---------------------------------------------------------------------------
# The 1-D transforms (inlined into the loops below)
# ---------------------------------------------------------------------------


@jit(inline=True)
def _bt(d0, d1, d2, d3):
    """B^T applied to 4 values (input transform along one axis)."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@jit(inline=True)
def _at(m0, m1, m2, m3):
    """A^T applied to 4 values (output transform along one axis)."""
    return m0 + m1 + m2, m1 - m2 - m3


@jit(inline=True)
def _a(y0, y1):
    """A applied to 2 values: the adjoint of :func:`_at`."""
    return y0, y0 + y1, y0 - y1, -y1


@jit(inline=True)
def _tile_origin(t, tiles_h, tiles_w):
    """Sample, output row and output column of tile ``t``'s top-left corner."""
    row = t // tiles_w
    return row // tiles_h, 2 * (row % tiles_h), 2 * (t - row * tiles_w)


# The loops below are ``prange`` loops, run on one numba thread each by
# ``run_split``: numba marks a parallel loop's arrays as not aliasing, and
# only then does LLVM vectorize over channels. Helpers that take arrays are
# inlined (``inline=True``) for the same reason; tiles on the border, where
# reads or writes leave the frame, go to ordinary compiled functions.

# ---------------------------------------------------------------------------
# Input transform: V[p, tile, c] = (B^T d B)[p] for the tile's 4x4 patch d
# ---------------------------------------------------------------------------


@jit(inline=True)
def _input_tile(src, b, r, s, v, t):
    """Transform the 4x4 patch of ``src[b]`` at row ``r``, column ``s`` into
    ``v[:, t, :]``."""
    for c in range(src.shape[3]):
        e00, e01, e02, e03 = _bt(src[b, r, s, c], src[b, r, s + 1, c], src[b, r, s + 2, c],
                                 src[b, r, s + 3, c])
        e10, e11, e12, e13 = _bt(src[b, r + 1, s, c], src[b, r + 1, s + 1, c],
                                 src[b, r + 1, s + 2, c], src[b, r + 1, s + 3, c])
        e20, e21, e22, e23 = _bt(src[b, r + 2, s, c], src[b, r + 2, s + 1, c],
                                 src[b, r + 2, s + 2, c], src[b, r + 2, s + 3, c])
        e30, e31, e32, e33 = _bt(src[b, r + 3, s, c], src[b, r + 3, s + 1, c],
                                 src[b, r + 3, s + 2, c], src[b, r + 3, s + 3, c])
        v[0, t, c], v[4, t, c], v[8, t, c], v[12, t, c] = _bt(e00, e10, e20, e30)
        v[1, t, c], v[5, t, c], v[9, t, c], v[13, t, c] = _bt(e01, e11, e21, e31)
        v[2, t, c], v[6, t, c], v[10, t, c], v[14, t, c] = _bt(e02, e12, e22, e32)
        v[3, t, c], v[7, t, c], v[11, t, c], v[15, t, c] = _bt(e03, e13, e23, e33)


@jit
def _input_border_tile(x, b, r, s, v, t):
    """:func:`_input_tile` for a patch that leaves ``x``: zeros outside."""
    _, height, width, channels = x.shape
    patch = np.zeros((1, 4, 4, channels), dtype=x.dtype)
    for a in range(max(0, -r), min(4, height - r)):
        for e in range(max(0, -s), min(4, width - s)):
            patch[0, a, e, :] = x[b, r + a, s + e, :]
    _input_tile(patch, 0, 0, 0, v, t)


@jit(parallel=True)
def input_transform(first, last, x, top, left, tiles_h, tiles_w, v):
    """Transform tiles ``first:last`` of ``x`` (batch, h, w, c) into ``v``
    (16, last - first, c). Tile ``(b, i, j)`` reads rows ``2i - top ..`` and
    columns ``2j - left ..`` of sample ``b``, zeros outside ``x``."""
    _, height, width, _ = x.shape
    for t in prange(first, last):
        b, r, s = _tile_origin(t, tiles_h, tiles_w)
        r -= top
        s -= left
        if r >= 0 and r + 4 <= height and s >= 0 and s + 4 <= width:
            _input_tile(x, b, r, s, v, t - first)
        else:
            _input_border_tile(x, b, r, s, v, t - first)


# ---------------------------------------------------------------------------
# Output transform: y = A^T M A per tile, bias and ReLU fused
# ---------------------------------------------------------------------------


@jit(inline=True)
def _output_tile(m, t, f, bias, relu, zero):
    """The 2x2 outputs of tile ``t``, filter ``f``: A^T M A + bias, then ReLU
    (NaN passes through, as with ``np.maximum``)."""
    g00, g01 = _at(m[0, t, f], m[1, t, f], m[2, t, f], m[3, t, f])
    g10, g11 = _at(m[4, t, f], m[5, t, f], m[6, t, f], m[7, t, f])
    g20, g21 = _at(m[8, t, f], m[9, t, f], m[10, t, f], m[11, t, f])
    g30, g31 = _at(m[12, t, f], m[13, t, f], m[14, t, f], m[15, t, f])
    y00, y10 = _at(g00, g10, g20, g30)
    y01, y11 = _at(g01, g11, g21, g31)
    y00 += bias[f]
    y01 += bias[f]
    y10 += bias[f]
    y11 += bias[f]
    if relu:
        y00 = zero if y00 < zero else y00
        y01 = zero if y01 < zero else y01
        y10 = zero if y10 < zero else y10
        y11 = zero if y11 < zero else y11
    return y00, y01, y10, y11


@jit
def _output_border_tile(m, t, bias, relu, y, b, r, s):
    """:func:`output_transform` for a tile that leaves ``y``: only the
    outputs inside are written."""
    _, height, width, filters = y.shape
    zero = y.dtype.type(0)
    for f in range(filters):
        y00, y01, y10, y11 = _output_tile(m, t, f, bias, relu, zero)
        y[b, r, s, f] = y00
        if s + 1 < width:
            y[b, r, s + 1, f] = y01
        if r + 1 < height:
            y[b, r + 1, s, f] = y10
            if s + 1 < width:
                y[b, r + 1, s + 1, f] = y11


@jit(parallel=True)
def output_transform(first, last, m, tiles_h, tiles_w, bias, relu, y):
    """Write tiles ``first:last`` of ``y`` (batch, h, w, f) from ``m`` (16,
    last - first, f); ``bias`` (f,) is added (zeros for none), then ReLU
    when ``relu``."""
    _, height, width, filters = y.shape
    zero = y.dtype.type(0)
    for t in prange(first, last):
        b, r, s = _tile_origin(t, tiles_h, tiles_w)
        k = t - first
        if r + 1 < height and s + 1 < width:
            for f in range(filters):
                y00, y01, y10, y11 = _output_tile(m, k, f, bias, relu, zero)
                y[b, r, s, f] = y00
                y[b, r, s + 1, f] = y01
                y[b, r + 1, s, f] = y10
                y[b, r + 1, s + 1, f] = y11
        else:
            _output_border_tile(m, k, bias, relu, y, b, r, s)


# ---------------------------------------------------------------------------
# Output-gradient transform: dM = A dY A^T per tile (adjoint of the above)
# ---------------------------------------------------------------------------


@jit(inline=True)
def _output_gradient_tile(y00, y01, y10, y11, dm, t, f):
    g00, g10, g20, g30 = _a(y00, y10)
    g01, g11, g21, g31 = _a(y01, y11)
    dm[0, t, f], dm[1, t, f], dm[2, t, f], dm[3, t, f] = _a(g00, g01)
    dm[4, t, f], dm[5, t, f], dm[6, t, f], dm[7, t, f] = _a(g10, g11)
    dm[8, t, f], dm[9, t, f], dm[10, t, f], dm[11, t, f] = _a(g20, g21)
    dm[12, t, f], dm[13, t, f], dm[14, t, f], dm[15, t, f] = _a(g30, g31)


@jit
def _output_gradient_border_tile(dy, b, r, s, dm, t):
    _, height, width, filters = dy.shape
    zero = dy.dtype.type(0)
    for f in range(filters):
        y00 = dy[b, r, s, f]
        y01 = dy[b, r, s + 1, f] if s + 1 < width else zero
        y10 = dy[b, r + 1, s, f] if r + 1 < height else zero
        y11 = dy[b, r + 1, s + 1, f] if r + 1 < height and s + 1 < width else zero
        _output_gradient_tile(y00, y01, y10, y11, dm, t, f)


@jit(parallel=True)
def output_gradient_transform(first, last, dy, tiles_h, tiles_w, dm):
    """``dm`` (16, last - first, f) for tiles ``first:last`` of ``dy``
    (batch, h, w, f), reading zeros outside ``dy``."""
    _, height, width, filters = dy.shape
    for t in prange(first, last):
        b, r, s = _tile_origin(t, tiles_h, tiles_w)
        k = t - first
        if r + 1 < height and s + 1 < width:
            for f in range(filters):
                _output_gradient_tile(dy[b, r, s, f], dy[b, r, s + 1, f], dy[b, r + 1, s, f],
                                      dy[b, r + 1, s + 1, f], dm, k, f)
        else:
            _output_gradient_border_tile(dy, b, r, s, dm, k)


# ---------------------------------------------------------------------------
# Drivers
# ---------------------------------------------------------------------------


def filter_transform(kernel, dtype):
    """``(3, 3, cin, f)`` -> ``(16, cin, f)``: G w G^T per channel pair."""
    u = np.einsum("ai,ijcf,bj->abcf", _G, kernel.astype(np.float64), _G)
    return np.ascontiguousarray(u.reshape(16, *kernel.shape[2:]), dtype=dtype)


def _tile_grid(out_hw):
    return (out_hw[0] + 1) // 2, (out_hw[1] + 1) // 2


def _schedule(tiles, channels, filters, itemsize):
    """``(tiles per block, split over both cores?)`` for a convolution."""
    per_tile = 16 * (channels + filters) * itemsize
    single_thread = SINGLE_THREAD_GEMM_SIZE // (channels * filters)
    step = min(single_thread, BLOCK_BYTES // per_tile)
    if step >= MIN_SPLIT_BLOCK_TILES:
        return step, True
    return max(1, WIDE_BLOCK_BYTES // per_tile), False


def _run_blocks(function, tiles, channels, filters, itemsize, *args):
    step, split = _schedule(tiles, channels, filters, itemsize)
    if split:
        return run_split(function, tiles, step, *args, work=16 * tiles * channels * filters)
    return [function(0, tiles, step, *args)]


def _blocks(start, stop, step):
    for first in range(start, stop, step):
        yield first, min(stop, first + step)


def conv2d(x, kernel, top, left, out_hw, bias, relu):
    """``y[b, i, j, f] = sum over taps and c of xz[b, i + ti - top, j + tj - left, c]
    * kernel[ti, tj, c, f]`` (+ bias, ReLU when ``relu``), ``xz`` being ``x``
    extended by zeros; ``y`` has spatial shape ``out_hw``."""
    batch, _, _, channels = x.shape
    filters = kernel.shape[-1]
    tiles_h, tiles_w = _tile_grid(out_hw)
    u = filter_transform(kernel, x.dtype)
    bias = np.zeros(filters, x.dtype) if bias is None else bias.astype(x.dtype, copy=False)
    y = np.empty((batch,) + tuple(out_hw) + (filters,), dtype=x.dtype)
    _run_blocks(_forward_blocks, batch * tiles_h * tiles_w, channels, filters, x.itemsize,
                x, u, top, left, tiles_h, tiles_w, bias, relu, y)
    return y


def _forward_blocks(start, stop, step, x, u, top, left, tiles_h, tiles_w, bias, relu, y):
    channels, filters = u.shape[1:]
    for first, last in _blocks(start, stop, step):
        v = scratch((16, last - first, channels), x.dtype, slot="winograd-v")
        input_transform(first, last, x, top, left, tiles_h, tiles_w, v)
        m = scratch((16, last - first, filters), x.dtype, slot="winograd-m")
        np.matmul(v, u, out=m)
        output_transform(first, last, m, tiles_h, tiles_w, bias, relu, y)


def conv2d_kernel_grad(x, dy, top, left):
    """Gradient of :func:`conv2d`'s output (before bias and activation) with
    respect to its kernel, given the output gradient ``dy``: ``(3, 3, cin, f)``."""
    batch, _, _, channels = x.shape
    filters = dy.shape[-1]
    tiles_h, tiles_w = _tile_grid(dy.shape[1:3])
    parts = _run_blocks(_kernel_grad_blocks, batch * tiles_h * tiles_w, channels, filters,
                        x.itemsize, x, dy, top, left, tiles_h, tiles_w)
    du = sum(parts[1:], parts[0]).astype(np.float64)
    dw = np.einsum("ai,abcf,bj->ijcf", _G, du.reshape(4, 4, channels, filters), _G)
    return dw.astype(x.dtype)


def _kernel_grad_blocks(start, stop, step, x, dy, top, left, tiles_h, tiles_w):
    channels, filters = x.shape[-1], dy.shape[-1]
    du = np.zeros((16, channels, filters), dtype=x.dtype)
    part = np.empty_like(du)
    for first, last in _blocks(start, stop, step):
        v = scratch((16, last - first, channels), x.dtype, slot="winograd-v")
        input_transform(first, last, x, top, left, tiles_h, tiles_w, v)
        dm = scratch((16, last - first, filters), x.dtype, slot="winograd-m")
        output_gradient_transform(first, last, dy, tiles_h, tiles_w, dm)
        du += np.matmul(v.transpose(0, 2, 1), dm, out=part)
    return du
