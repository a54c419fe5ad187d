"""Sparse cross-entropy on probabilities is one taped operation; it must give
the values and gradients of Keras' op chain (normalise, clip, log, pick),
clipped entries included."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from brickwork import losses, ops
from brickwork.autodiff import GradientTape
from brickwork.variables import Variable


def chain(y_pred, labels):
    """The op-by-op form the fused operation replaces."""
    log_prob = losses._clipped_log_probs(y_pred, -1)
    flat = ops.reshape(log_prob, (-1, log_prob.shape[-1]))
    picked = ops.getitem(flat, (np.arange(flat.shape[0]), labels.reshape(-1)))
    return ops.negative(ops.reshape(picked, labels.shape))


def loss_and_gradient(fn, probs, labels, weights):
    variable = Variable(probs)
    with GradientTape() as tape:
        loss = fn(variable, labels)
        total = ops.sum(ops.multiply(loss, weights))
    return ops.convert_to_numpy(loss), ops.convert_to_numpy(tape.gradient(total, variable))


def probabilities(rng, shape, dtype):
    probs = rng.uniform(0, 1, size=shape)
    probs[0, 0, :] = 0.0          # total 0 -> nan, as in the chain
    probs[0, 1, 0] = 1e-12        # labelled 0: the ratio is clipped from below
    probs[1, 0, :] = [1.0] + [0.0] * (shape[-1] - 1)  # labelled 0: clipped from above
    return probs.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_sparse_crossentropy_equals_the_op_chain(dtype, rng):
    probs = probabilities(rng, (3, 4, 5), dtype)
    labels = rng.integers(0, 5, size=(3, 4))
    labels[0, 1], labels[1, 0] = 0, 0
    weights = rng.normal(size=(3, 4)).astype(dtype)
    with np.errstate(all="ignore"):
        got = loss_and_gradient(losses._sparse_crossentropy_from_probabilities, probs, labels, weights)
        want = loss_and_gradient(chain, probs, labels, weights)
    for g, w in zip(got, want):
        assert g.dtype == dtype and g.shape == w.shape
        assert_allclose(g, w, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=0)


def test_fused_sparse_crossentropy_gradient_by_finite_differences(rng):
    probs = rng.uniform(0.05, 1, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    weights = rng.normal(size=6)
    _, gradient = loss_and_gradient(losses._sparse_crossentropy_from_probabilities, probs, labels,
                                    weights)

    def total(p):
        return float(np.sum(weights * losses._sparse_crossentropy_from_probabilities(p, labels)))
    step = 1e-6
    numeric = np.zeros_like(probs)
    for index in np.ndindex(probs.shape):
        up, down = probs.copy(), probs.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (total(up) - total(down)) / (2 * step)
    assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)


def test_untracked_predictions_give_a_plain_array(rng):
    probs = rng.uniform(0.1, 1, size=(4, 3)).astype(np.float32)
    result = losses._sparse_crossentropy_from_probabilities(probs, np.array([0, 1, 2, 1]))
    assert isinstance(result, np.ndarray) and result.shape == (4,)
