"""Conformance checks of the attention kernels: the masked softmax."""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

import reference as ref
from kernel_checks import F32, F64, FD, GRAD32, N, T, assert_dtype, call, conformance


def masked_softmax_reference(x, mask, axis):
    """Softmax over the unmasked entries; masked entries and fully masked
    slices are 0 (written from the spec, in float64)."""
    x = ref.f64(x)
    if mask is None:
        return ref.softmax(x, axis)
    mask = np.broadcast_to(mask, x.shape)
    shifted = np.where(mask, x - np.where(mask, x, -np.inf).max(axis=axis, keepdims=True), 0)
    e = np.where(mask, np.exp(np.where(mask, shifted, 0)), 0)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total == 0, 1, total)


def masks(rng, shape):
    """A full-shape mask with one fully masked slice along the last axis, a
    broadcast mask, and None."""
    full = rng.uniform(size=shape) > 0.4
    full[0, 0, :] = False
    full[1, 1, :] = True
    return {"full": full, "broadcast": rng.uniform(size=(1,) + shape[1:]) > 0.3, "none": None}


CASES = [(axis, kind) for axis in (-1, 1, 0) for kind in ("full", "broadcast", "none")]


@conformance("masked_softmax_forward", cases=CASES)
def check_masked_softmax_forward(k, rng, case):
    axis, kind = case
    x = rng.normal(scale=3, size=(2, 3, 5))
    mask = masks(rng, x.shape)[kind]
    mask_t = T(mask)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        y = call(k.masked_softmax_forward, T(x.astype(dtype)), mask_t, axis)
        assert_dtype(y, dtype)
        assert_allclose(N(y), masked_softmax_reference(x.astype(dtype), mask, axis), **tol)
    if mask is not None:
        y = N(k.masked_softmax_forward(T(x), mask_t, axis))
        assert np.all(y[~np.broadcast_to(mask, x.shape)] == 0)
    # Huge logits stay finite.
    big = np.array([[1000.0, 0.0, -1000.0]], np.float32)
    y = N(call(k.masked_softmax_forward, T(big), T(np.array([[True, False, True]])), -1))
    assert_allclose(y, [[1.0, 0.0, 0.0]], **F32)
    # The backward pass is softmax_backward of the output: check it by finite differences.
    y64 = N(k.masked_softmax_forward(T(x), mask_t, axis))
    dy = rng.normal(size=x.shape)
    (want,) = ref.numerical_vjp(lambda a: masked_softmax_reference(a, mask, axis), [x], dy)
    assert_allclose(N(call(k.softmax_backward, T(dy), T(y64), axis)), want, **FD)
    dx32 = k.softmax_backward(T(dy.astype(np.float32)), T(y64.astype(np.float32)), axis)
    assert_allclose(N(dx32), want, **GRAD32)
