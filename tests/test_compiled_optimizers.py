"""The NumPy backend's optimizer kernels take a compiled one-pass loop where
they can (contiguous arrays of one float dtype) and NumPy expressions
elsewhere; both must give the same values. The conformance suite checks each
path against the float64 spec on small arrays; here the two paths are run
side by side on layer-sized arrays, on views that force the NumPy path, and
on non-finite values."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from brickwork_numpy import compiled
from brickwork_numpy.kernels import optimizers

needs_numba = pytest.mark.skipif(not compiled.enabled(), reason=compiled.UNAVAILABLE_REASON or "")

# kernel, number of state arrays, the arguments after them (a leading None:
# optional state left out) and a function giving the per-step ones.
UPDATES = {
    "sgd": (optimizers.sgd_update, 0, (None, 0.05, 0.0, False), None),
    "sgd_momentum": (optimizers.sgd_update, 1, (0.05, 0.9, False), None),
    "sgd_nesterov": (optimizers.sgd_update, 1, (0.05, 0.9, True), None),
    "adam": (optimizers.adam_update, 2, (None, 1e-3, 0.9, 0.999, 1e-7), lambda t: (t,)),
    "amsgrad": (optimizers.adam_update, 3, (1e-3, 0.9, 0.999, 1e-7), lambda t: (t,)),
    "rmsprop": (optimizers.rmsprop_update, 1, (None, None, 1e-3, 0.9, 0.0, 1e-7), None),
    "rmsprop_centered_momentum": (optimizers.rmsprop_update, 3, (1e-3, 0.9, 0.9, 1e-7), None),
    "adagrad": (optimizers.adagrad_update, 1, (0.01, 1e-7), None),
    "adadelta": (optimizers.adadelta_update, 2, (1.0, 0.95, 1e-7), None),
    "adamax": (optimizers.adamax_update, 2, (1e-3, 0.9, 0.999, 1e-7), lambda t: (t,)),
    "nadam": (optimizers.nadam_update, 2, (1e-3, 0.9, 0.999, 1e-7),
              lambda t: (t, float(np.prod([0.9 * (1 - 0.5 * 0.96**i) for i in range(1, t + 1)])))),
    "lion": (optimizers.lion_update, 1, (1e-3, 0.9, 0.99), None),
    "ftrl": (optimizers.ftrl_update, 2, (0.1, -0.5, 0.01, 0.02, 0.03, 0.5), None),
    "ftrl_power": (optimizers.ftrl_update, 2, (0.1, -0.7, 0.0, 0.0, 0.0, 0.0), None),
}


def initial_arrays(rng, name, shape, dtype, state_count):
    variable = rng.normal(size=shape).astype(dtype)
    # State starts positive (accumulators are square roots' arguments) ...
    state = [rng.uniform(0.5, 1.0, size=shape).astype(dtype) for _ in range(state_count)]
    if name == "rmsprop_centered_momentum":
        state[2] *= 0.5  # ... and centered RMSprop keeps velocity >= average**2.
    return variable, state


def run(name, variable, state, gradients):
    kernel, _, arguments, per_step = UPDATES[name]
    for step, gradient in enumerate(gradients, start=1):
        assert kernel(variable, gradient, *state, *arguments,
                      *(per_step(step) if per_step else ())) is None


def run_both_paths(name, variable, state, gradients):
    results = {}
    for mode in ("compiled", "ufuncs"):
        v, s = variable.copy(), [a.copy() for a in state]
        if mode == "compiled":
            run(name, v, s, gradients)
        else:
            with compiled.disabled():
                run(name, v, s, gradients)
        results[mode] = [v, *s]
    return results


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_compiled_update_matches_numpy_path(name, dtype, rng):
    _, state_count, _, _ = UPDATES[name]
    variable, state = initial_arrays(rng, name, (300, 70), dtype, state_count)
    gradients = [(scale * rng.normal(size=variable.shape)).astype(dtype)
                 for scale in (3.0, 1.0, 0.1, 0.01)]
    results = run_both_paths(name, variable, state, gradients)
    # Rounding differences scale with the largest value an update combines
    # (FTRL's variable is a difference of its ``linear`` state).
    scale = max(1.0, *(float(np.abs(a).max()) for a in results["ufuncs"]))
    tol = (dict(rtol=2e-5, atol=1e-6 * scale) if dtype == np.float32
           else dict(rtol=1e-12, atol=1e-13 * scale))
    for got, want in zip(results["compiled"], results["ufuncs"]):
        assert got.dtype == dtype
        assert_allclose(got, want, **tol)
    assert not np.array_equal(results["compiled"][0], variable), "the variable did not move"


@needs_numba
@pytest.mark.parametrize("name", ["adam", "amsgrad", "sgd_momentum", "rmsprop_centered_momentum"])
def test_views_and_transposed_gradients_update_in_place(name, rng):
    """A strided variable takes the NumPy path; a transposed gradient is
    copied into a flat one. Either way the caller's arrays change in place."""
    _, state_count, _, _ = UPDATES[name]
    base, state = initial_arrays(rng, name, (40, 60), np.float32, state_count)
    gradient = rng.normal(size=(60, 40)).astype(np.float32).T
    want_variable, *want_state = run_both_paths(name, base, state, [gradient])["ufuncs"]

    strided_base = np.zeros((40, 120), np.float32)
    strided = strided_base[:, ::2]
    strided[...] = base
    strided_state = [a.copy() for a in state]
    run(name, strided, strided_state, [gradient])
    assert_allclose(strided_base[:, ::2], want_variable, rtol=2e-5, atol=1e-6)
    assert_array_equal(strided_base[:, 1::2], 0)

    contiguous, contiguous_state = base.copy(), [a.copy() for a in state]
    run(name, contiguous, contiguous_state, [gradient])
    assert_allclose(contiguous, want_variable, rtol=2e-5, atol=1e-6)
    for got, want in zip(contiguous_state, want_state):
        assert_allclose(got, want, rtol=2e-5, atol=1e-6)


@needs_numba
@pytest.mark.parametrize("name", sorted(UPDATES))
def test_non_finite_gradients_propagate_as_in_numpy(name, rng):
    _, state_count, _, _ = UPDATES[name]
    variable, state = initial_arrays(rng, name, (4, 5), np.float32, state_count)
    gradient = rng.normal(size=(4, 5)).astype(np.float32)
    gradient[0, 0], gradient[1, 1] = np.nan, np.inf
    with np.errstate(all="ignore"):
        results = run_both_paths(name, variable, state, [gradient])
    for got, want in zip(results["compiled"], results["ufuncs"]):
        assert_array_equal(np.isnan(got), np.isnan(want))
        assert_array_equal(np.isinf(got), np.isinf(want))
