"""Conformance checks of the max and average pooling kernels (1, 2 and 3
spatial dimensions, valid and padded windows, overlapping and not).

The float64 references loop over output positions and reduce each window's
real (unpadded) cells directly.
"""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

import reference as ref
from kernel_checks import F32, F64, FD, GRAD32, N, T, assert_dtype, call, conformance

# (spatial, pool size, strides, padding pairs)
POOL_CASES = {
    "1d": ((7,), (2,), (2,), ((0, 0),)),
    "1d-same-overlap": ((7,), (3,), (2,), ((1, 1),)),
    "2d-tiled": ((6, 4), (2, 2), (2, 2), ((0, 0), (0, 0))),
    "2d-remainder": ((7, 5), (2, 2), (2, 2), ((0, 0), (0, 0))),
    "2d-same": ((5, 6), (3, 2), (1, 2), ((1, 1), (0, 0))),
    "2d-uneven-same": ((6, 5), (4, 3), (2, 3), ((1, 1), (1, 0))),
    "3d": ((4, 3, 5), (2, 2, 3), (2, 1, 2), ((0, 0), (0, 1), (1, 1))),
    # Enough output rows for the compiled gradient to split them over two
    # threads (windows apart), or to keep them on one (windows overlap).
    "2d-tiled-many-rows": ((12, 6), (2, 2), (2, 2), ((0, 0), (0, 0))),
    "2d-overlap-many-rows": ((10, 5), (3, 3), (2, 1), ((1, 1), (1, 1))),
}
BATCH, CHANNELS = 2, 3


def _windows(x, pool_size, strides, padding):
    """Yield (output index, real cells of that window as (batch, cells, channels))."""
    spatial = x.shape[1:-1]
    out = tuple((n + lo + hi - p) // s + 1 for n, p, s, (lo, hi)
                in zip(spatial, pool_size, strides, padding))
    for o in np.ndindex(*out):
        ranges = tuple(slice(max(i * s - lo, 0), min(i * s - lo + p, n)) for i, s, (lo, _), p, n
                       in zip(o, strides, padding, pool_size, spatial))
        cells = x[(slice(None),) + ranges]
        yield out, o, cells.reshape(x.shape[0], -1, x.shape[-1])


def ref_pool(x, pool_size, strides, padding, reduce):
    x = ref.f64(x)
    y = None
    for out, o, cells in _windows(x, pool_size, strides, padding):
        if y is None:
            y = np.zeros((x.shape[0],) + out + (x.shape[-1],))
        y[(slice(None),) + o] = reduce(cells, axis=1)
    return y


def ref_max_pool(x, pool_size, strides, padding):
    return ref_pool(x, pool_size, strides, padding, np.max)


def ref_avg_pool(x, pool_size, strides, padding):
    return ref_pool(x, pool_size, strides, padding, np.mean)


def distinct_input(rng, spatial):
    """Values with no ties, so the max of each window is unique and finite
    differences never straddle a change of winner."""
    size = BATCH * int(np.prod(spatial)) * CHANNELS
    values = rng.permutation(size).astype(np.float64) * 0.1
    return values.reshape((BATCH,) + spatial + (CHANNELS,))


def _check_forward(kernel_fn, reference, rng, case):
    spatial, pool, strides, padding = POOL_CASES[case]
    x = distinct_input(rng, spatial)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        y = call(kernel_fn, T(x.astype(dtype)), pool, strides, padding)
        assert_dtype(y, dtype)
        want = reference(x.astype(dtype), pool, strides, padding)
        assert N(y).shape == want.shape
        assert_allclose(N(y), want, **tol)


@conformance("max_pool_forward", cases=list(POOL_CASES))
def check_max_pool_forward(k, rng, case):
    _check_forward(k.max_pool_forward, ref_max_pool, rng, case)
    # Negative inputs: padded cells must never win.
    spatial, pool, strides, padding = POOL_CASES[case]
    x = -1.0 - distinct_input(rng, spatial)
    assert_allclose(N(call(k.max_pool_forward, T(x), pool, strides, padding)),
                    ref_max_pool(x, pool, strides, padding), **F64)


@conformance("max_pool_backward", cases=list(POOL_CASES))
def check_max_pool_backward(k, rng, case):
    spatial, pool, strides, padding = POOL_CASES[case]
    x = distinct_input(rng, spatial)
    y = ref_max_pool(x, pool, strides, padding)
    dy = rng.normal(size=y.shape)
    (want,) = ref.numerical_vjp(lambda a: ref_max_pool(a, pool, strides, padding), [x], dy,
                                eps=1e-3)
    dx = call(k.max_pool_backward, T(dy), T(x), T(y), pool, strides, padding)
    assert_allclose(N(dx), want, **FD)
    dx32 = call(k.max_pool_backward, *(T(a.astype(np.float32)) for a in (dy, x, y)),
                pool, strides, padding)
    assert_dtype(dx32, np.float32)
    assert_allclose(N(dx32), want, **GRAD32)
    check_max_pool_ties(k)


def check_max_pool_ties(k):
    """A window whose maximum appears twice sends its gradient to the first one."""
    x = np.array([[[[1.0], [3.0]], [[3.0], [0.0]]]])           # (1, 2, 2, 1)
    y = N(k.max_pool_forward(T(x), (2, 2), (2, 2), ((0, 0), (0, 0))))
    dx = N(k.max_pool_backward(T(np.ones_like(y)), T(x), T(y), (2, 2), (2, 2),
                               ((0, 0), (0, 0))))
    assert_allclose(dx[0, :, :, 0], [[0.0, 1.0], [0.0, 0.0]])


@conformance("avg_pool_forward", cases=list(POOL_CASES))
def check_avg_pool_forward(k, rng, case):
    _check_forward(k.avg_pool_forward, ref_avg_pool, rng, case)


@conformance("avg_pool_backward", cases=list(POOL_CASES))
def check_avg_pool_backward(k, rng, case):
    spatial, pool, strides, padding = POOL_CASES[case]
    x = rng.normal(size=(BATCH,) + spatial + (CHANNELS,))
    y = ref_avg_pool(x, pool, strides, padding)
    dy = rng.normal(size=y.shape)
    (want,) = ref.numerical_vjp(lambda a: ref_avg_pool(a, pool, strides, padding), [x], dy)
    dx = call(k.avg_pool_backward, T(dy), T(x), pool, strides, padding)
    assert_allclose(N(dx), want, **FD)
    dx32 = call(k.avg_pool_backward, T(dy.astype(np.float32)), T(x.astype(np.float32)),
                pool, strides, padding)
    assert_dtype(dx32, np.float32)
    assert_allclose(N(dx32), want, **GRAD32)
