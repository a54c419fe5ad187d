"""Conformance checks of the row-gather kernels (Embedding lookups)."""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

import reference as ref
from kernel_checks import F64, FD, N, T, assert_dtype, call, conformance

ROWS = 7


def _indices(case):
    """Integer indices of shape (3, 4) with repeats (rows 2 and 5 several
    times), and rows that never occur."""
    idx = np.array([[2, 5, 0, 2], [5, 5, 6, 1], [2, 0, 5, 3]])
    return idx.astype(np.int64 if case == "int64" else np.int32)


@conformance("take_rows_forward", cases=["int32", "int64", "scalar_rows"])
def check_take_rows_forward(k, rng, case):
    feature_shape = () if case == "scalar_rows" else (3, 2)
    table = rng.normal(size=(ROWS, *feature_shape))
    idx = _indices(case)
    for dtype in (np.float32, np.float64):
        out = call(k.take_rows_forward, T(table.astype(dtype)), T(idx))
        assert_dtype(out, dtype)
        assert_array_equal(N(out), table.astype(dtype)[idx])


@conformance("take_rows_backward", cases=["int32", "int64", "scalar_rows"])
def check_take_rows_backward(k, rng, case):
    feature_shape = () if case == "scalar_rows" else (3, 2)
    idx = _indices(case)
    table = rng.normal(size=(ROWS, *feature_shape))
    dy = rng.normal(size=(*idx.shape, *feature_shape))
    expected = ref.numerical_vjp(lambda t: t[idx], [table], dy)[0]
    got = call(k.take_rows_backward, T(dy), T(idx), ROWS)
    assert N(got).shape == table.shape
    assert_allclose(N(got), expected, **FD)
    # Repeated rows accumulate, untouched rows are exactly zero.
    summed = np.zeros_like(table)
    for position, row in np.ndenumerate(idx):
        summed[row] += dy[position]
    assert_allclose(N(got), summed, **F64)
    assert_array_equal(N(got)[4], np.zeros(feature_shape))
    got32 = call(k.take_rows_backward, T(dy.astype(np.float32)), T(idx), ROWS)
    assert_dtype(got32, np.float32)
    assert_allclose(N(got32), summed, rtol=1e-5, atol=1e-6)
