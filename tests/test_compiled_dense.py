"""The NumPy backend's dense kernels run their epilogues (bias + activation;
activation gradient + bias gradient) as compiled loops for some activations
and as NumPy passes otherwise; both paths must agree. The conformance suite
checks each path against float64 references on small inputs; here they run
side by side on layer-sized blocks, with non-finite values and with a
non-contiguous upstream gradient."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brickwork_numpy import compiled
from brickwork_numpy.kernels import dense

needs_numba = pytest.mark.skipif(not compiled.enabled(), reason=compiled.UNAVAILABLE_REASON or "")
ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid"]


def both_paths(kernel, *args):
    got = kernel(*args)
    with compiled.disabled():
        want = kernel(*args)
    return got, want


def tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_compiled_epilogues_match_numpy(activation, dtype, rng):
    x = rng.normal(size=(128, 96)).astype(dtype)
    kernel = (rng.normal(size=(96, 200)) / 10).astype(dtype)
    bias = rng.normal(size=200).astype(dtype)
    for b in (bias, None):
        got, want = both_paths(dense.dense_forward, x, kernel, b, activation)
        assert got.dtype == dtype
        assert_allclose(got, want, **tolerance(dtype))
    y = want
    dy = rng.normal(size=y.shape).astype(dtype)
    got, want = both_paths(dense.dense_backward, dy, x, kernel, y, activation, True)
    for name, g, w in zip(("dx", "dkernel", "dbias"), got, want):
        assert g.dtype == dtype, name
        # dbias sums 128 rows: float32 rounding grows with the sum.
        assert_allclose(g, w, **tolerance(dtype), err_msg=name)


@needs_numba
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_non_finite_values_propagate_as_in_numpy(activation):
    values = np.array([[np.nan, np.inf, -np.inf, -1.0, 0.0, 2.0]], np.float32)
    eye = np.eye(6, dtype=np.float32)
    with np.errstate(all="ignore"):
        got, want = both_paths(dense.dense_forward, values, eye, np.zeros(6, np.float32), activation)
        assert_array_equal(np.isnan(got), np.isnan(want))
        assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-6, atol=1e-7)
        y = np.array([[0.5, 0.0, 1.0, -0.5, 0.25, 2.0]], np.float32)
        x = np.ones((1, 6), np.float32)
        (_, _, got_db), (_, _, want_db) = both_paths(dense.dense_backward, values, x, eye, y,
                                                      activation, False)
    assert_array_equal(np.isnan(got_db), np.isnan(want_db))
    assert_array_equal(np.isinf(got_db), np.isinf(want_db))


@needs_numba
def test_strided_gradient_and_batch_axes(rng):
    x = rng.normal(size=(4, 8, 16)).astype(np.float32)
    kernel = rng.normal(size=(16, 12)).astype(np.float32)
    y = dense.dense_forward(x, kernel, None, "relu")
    assert y.shape == (4, 8, 12)
    dy = rng.normal(size=(4, 8, 24)).astype(np.float32)[..., ::2]  # not contiguous
    got, want = both_paths(dense.dense_backward, dy, x, kernel, y, "relu", True)
    for g, w in zip(got, want):
        assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_other_activations_and_mixed_dtypes_take_the_numpy_path(rng):
    x = rng.normal(size=(5, 4)).astype(np.float32)
    kernel = rng.normal(size=(4, 3)).astype(np.float32)
    bias64 = rng.normal(size=3)
    for activation, bias in (("elu", None), ("relu", bias64)):
        y = dense.dense_forward(x, kernel, bias, activation)
        with compiled.disabled():
            assert_array_equal(y, dense.dense_forward(x, kernel, bias, activation))
