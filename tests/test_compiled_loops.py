"""The NumPy backend's optional compiled loops (numba): switching, reporting,
and the vectorizable tanh/sigmoid they are built on."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from brickwork_numpy import compiled


def test_disabled_switches_off_and_restores():
    before = compiled.enabled()
    with compiled.disabled():
        assert not compiled.enabled()
        assert compiled.module("mathfn") is None
    assert compiled.enabled() == before


def test_environment_switch_turns_compiled_loops_off_and_info_says_why():
    env = dict(os.environ, BRICKWORK_NUMBA="0")
    out = subprocess.run([sys.executable, "-m", "brickwork", "info"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "compiled loops off: disabled by BRICKWORK_NUMBA=0" in out


needs_numba = pytest.mark.skipif(not compiled.enabled(), reason=compiled.UNAVAILABLE_REASON or "")


@needs_numba
def test_info_reports_numba_version_and_threads():
    import numba
    assert compiled.describe() == f"compiled loops: numba {numba.__version__}, {numba.get_num_threads()} threads"


@pytest.fixture(scope="module")
def apply_both():
    """A compiled loop writing tanh(x) and sigmoid(x) for every element."""
    from brickwork_numpy.compiled.jit import jit
    from brickwork_numpy.compiled.mathfn import sigmoid, tanh

    @jit
    def apply(x, t, s):
        for k in range(x.shape[0]):
            t[k] = tanh(x[k])
            s[k] = sigmoid(x[k])
    return apply


@needs_numba
@pytest.mark.parametrize("dtype, tolerance", [("float32", 4e-7), ("float64", 1e-15)])
def test_tanh_and_sigmoid_match_float64_reference(apply_both, dtype, tolerance):
    x = np.concatenate([np.linspace(-12, 12, 20001), [0.0, 1e-30, -1e-30, 7.9, 7.91, -7.91]]).astype(dtype)
    t, s = np.empty_like(x), np.empty_like(x)
    apply_both(x, t, s)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(t, np.tanh(x64), rtol=0, atol=tolerance)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x64)), rtol=0, atol=tolerance)
    assert np.all(np.abs(t) <= 1) and np.all((s >= 0) & (s <= 1))
    assert t.dtype == np.dtype(dtype)


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tanh_and_sigmoid_propagate_nan_and_saturate_at_inf(apply_both, dtype):
    x = np.array([np.nan, np.inf, -np.inf], dtype)
    t, s = np.empty_like(x), np.empty_like(x)
    apply_both(x, t, s)
    assert np.isnan(t[0]) and np.isnan(s[0])
    np.testing.assert_allclose(t[1:], [1, -1], atol=4e-7)
    np.testing.assert_allclose(s[1:], [1, 0], atol=4e-7)
