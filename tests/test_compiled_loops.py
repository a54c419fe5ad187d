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


def _float16_model(kind):
    import brickwork as bw
    from brickwork import layers
    f16 = "float16"
    if kind == "embedding":
        body = [layers.Input((5,), dtype="int32"), layers.Embedding(10, 4, dtype=f16),
                layers.Flatten(dtype=f16)]
    elif kind in ("lstm", "gru"):
        recurrent = layers.LSTM if kind == "lstm" else layers.GRU
        body = [layers.Input((5, 3)), recurrent(4, dtype=f16)]
    else:
        channels = 2 if kind == "conv_direct" else 4   # direct loops: <= 3 input channels
        body = [layers.Input((9, 9, channels)), layers.Conv2D(8, 3, activation="relu", dtype=f16),
                layers.MaxPooling2D(dtype=f16), layers.Flatten(dtype=f16)]
    model = bw.Sequential(body + [layers.Dense(1, dtype=f16)])
    model.compile(optimizer="sgd", loss="mse")
    return model


@pytest.mark.parametrize("kind", ["lstm", "gru", "conv_direct", "conv_winograd", "embedding"])
def test_float16_layers_take_the_numpy_paths(kind, monkeypatch):
    """numba has no float16 arithmetic: float16 layers must train through the
    NumPy paths (the same numbers as with compiled loops switched off)."""
    from brickwork_numpy.kernels import convolution
    monkeypatch.setattr(convolution, "WINOGRAD_MIN_OUTPUT", 1)
    rng = np.random.default_rng(0)
    x = (rng.integers(0, 10, (2, 5)) if kind == "embedding"
         else rng.normal(size={"lstm": (2, 5, 3), "gru": (2, 5, 3), "conv_direct": (2, 9, 9, 2)}
                         .get(kind, (2, 9, 9, 4))).astype("float16"))
    y = np.ones((2, 1), "float16")
    results = []
    for off in (False, True):
        import brickwork as bw
        bw.utils.set_random_seed(3)
        model = _float16_model(kind)
        with (compiled.disabled() if off else _no_change()):
            model.train_on_batch(x, y)
            out = model.predict_on_batch(x)
        assert out.dtype == np.float16
        results.append((out, [w.copy() for w in model.get_weights()]))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


def _no_change():
    import contextlib
    return contextlib.nullcontext()


@pytest.mark.parametrize("geometry", [
    ((2, 2), (2, 2), ((0, 0), (0, 0))),      # tiles: each cell written once
    ((3, 3), (3, 2), ((1, 1), (0, 1))),      # padded, rows apart: split, added into
])
@pytest.mark.parametrize("shape", [(3, 17, 15, 5), (4, 21, 6)])
def test_max_pooling_gradient_split_over_two_threads_matches_numpy(shape, geometry,
                                                                  monkeypatch):
    """With the split threshold at zero, the compiled max-pooling gradient
    runs in pieces on both threads and still gives the NumPy path's numbers,
    including the first-maximum rule on ties (and a NaN window)."""
    from brickwork import backend
    from brickwork_numpy.compiled import pooling, split
    monkeypatch.setattr(pooling, "MIN_SPLIT_CELLS", 0)
    monkeypatch.setattr(split, "MIN_SPLIT_ROWS", 1)
    kernels = backend.get_backend().kernels
    rank = len(shape) - 2
    pool, strides, padding = (g[:rank] if rank == 1 else g for g in geometry)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=shape).astype("float32")      # many ties
    x.flat[7] = np.nan
    results = []
    for off in (False, True):
        with (compiled.disabled() if off else _no_change()):
            y = kernels.max_pool_forward(x, pool, strides, padding)
            dy = np.arange(y.size, dtype="float32").reshape(y.shape)
            dx = kernels.max_pool_backward(dy, x, y, pool, strides, padding)
        results.append((y, dx))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert np.isnan(results[0][0]).sum() == 1


@pytest.fixture(scope="module")
def sum_with_prefetch():
    from brickwork_numpy.compiled.jit import jit
    from brickwork_numpy.compiled.prefetch import LINE_FLOATS, prefetch

    @jit
    def total(a, ahead):
        s = 0.0
        for i in range(a.shape[0]):
            if i % LINE_FLOATS == 0:
                prefetch(a, i + ahead)  # past the end near the last lines
            s += a[i]
        return s
    return total


@needs_numba
@pytest.mark.parametrize("step", [1, 3])
def test_prefetch_changes_no_values_and_never_faults_past_the_end(sum_with_prefetch, step):
    a = np.arange(1000, dtype=np.float32)[::step]
    assert sum_with_prefetch(a, 4096) == pytest.approx(float(a.sum()))


@needs_numba
def test_prefetch_takes_only_one_dimensional_arrays():
    from numba.core.errors import TypingError
    from brickwork_numpy.compiled.jit import jit
    from brickwork_numpy.compiled.prefetch import prefetch

    @jit
    def on_a_matrix(a):
        prefetch(a, 0)
    with pytest.raises(TypingError):
        on_a_matrix(np.zeros((2, 2), np.float32))


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("rows", [1, 2, 6])  # 1 and 2: gemm's own loop (SMALL_ROWS)
def test_numpy_blas_gemm_matches_matmul_on_strided_rows(dtype, beta, rows):
    from brickwork_numpy.compiled import blas
    function = blas.gemm_function(dtype)
    if function is None:
        pytest.skip("NumPy is not built against scipy-openblas here")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((rows, 11)).astype(dtype)[:, 2:9]
    b = rng.standard_normal((7, 5)).astype(dtype)
    c = rng.standard_normal((rows, 8)).astype(dtype)[:, :5]
    expected = a @ b + beta * c
    blas.gemm(function, a, b, c, beta)
    np.testing.assert_allclose(c, expected, rtol=1e-5 if dtype == "float32" else 1e-12)
    assert blas.gemm_function("float16") is None


def _lstm_run(dtype, **options):
    """Forward and backward of the NumPy LSTM kernels on fixed random data."""
    from brickwork_numpy.kernels import recurrent
    rng = np.random.default_rng(2)
    B, T, F, U = 3, 6, 4, 5
    x = rng.standard_normal((B, T, F)).astype(dtype)
    kernel, recurrent_kernel = (rng.standard_normal((n, 4 * U)).astype(dtype) * 0.5 for n in (F, U))
    bias = rng.standard_normal(4 * U).astype(dtype)
    h0, c0 = (rng.standard_normal((B, U)).astype(dtype) for _ in range(2))
    mask = rng.random((B, T)) > 0.3 if options.get("mask") else None
    h_seq, c_last, workspace = recurrent.lstm_forward(
        x, kernel, recurrent_kernel, bias, h0, c0, mask, None, None, "tanh", "sigmoid",
        options.get("go_backwards", False))
    dh_seq = None if options.get("no_dh_seq") else rng.standard_normal((T, B, U)).astype(dtype)
    grads = recurrent.lstm_backward(dh_seq, h_seq[-1] * 0 + 1, c_last * 0 + 1, workspace, True)
    return [np.array(h_seq), np.array(c_last)] + [np.array(g) for g in grads]


@needs_numba
@pytest.mark.parametrize("options", [{}, {"mask": True}, {"go_backwards": True, "no_dh_seq": True},
                                     {"mask": True, "go_backwards": True, "no_dh_seq": True}])
def test_lstm_whole_sequence_call_matches_the_per_step_loop(monkeypatch, options):
    """The one-call sequence loops (BLAS from compiled code) and the Python
    loop they replace give the same values."""
    from brickwork_numpy.compiled import recurrent as loops
    if loops.gemm_function("float64") is None:
        pytest.skip("NumPy is not built against scipy-openblas here")
    whole = _lstm_run("float64", **options)
    monkeypatch.setattr(loops, "gemm_function", lambda dtype: None)
    per_step = _lstm_run("float64", **options)
    for a, b in zip(whole, per_step):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
