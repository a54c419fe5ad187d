"""Values of the statistics and FFT ops rewritten to be differentiable
(quantiles with NaNs, corrcoef, segment_prod, irfft, istft), against NumPy
in float64 on every method, axis and keepdims combination."""
import warnings

import numpy as np
import pytest

from brickwork import ops

_r = np.random.default_rng(2016)
X = _r.normal(size=(4, 6, 5))
X_NAN = X.copy()
X_NAN[0, 1, :] = np.nan  # an all-NaN row along axis 2
X_NAN[1, 2, 3] = np.nan
X_NAN[2, :, 1] = np.nan  # an all-NaN column along axis 1


def as_numpy(value):
    return np.asarray(ops.convert_to_numpy(value))


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("q", [0.5, [0.1, 0.3, 0.95]])
def test_quantiles_match_numpy(method, axis, keepdims, q):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices, as NumPy warns
        expected_nan = np.nanquantile(X_NAN, q, axis=axis, method=method, keepdims=keepdims)
        actual_nan = as_numpy(ops.nanquantile(X_NAN, q, axis=axis, method=method,
                                              keepdims=keepdims))
    np.testing.assert_allclose(actual_nan, expected_nan, rtol=1e-12, atol=1e-12)
    expected = np.quantile(X, q, axis=axis, method=method, keepdims=keepdims)
    actual = as_numpy(ops.quantile(X, q, axis=axis, method=method, keepdims=keepdims))
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def test_nanmedian_and_nanpercentile_match_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(as_numpy(ops.nanmedian(X_NAN, axis=2)),
                                   np.nanmedian(X_NAN, axis=2))
        np.testing.assert_allclose(as_numpy(ops.nanpercentile(X_NAN, [20, 70], axis=0)),
                                   np.nanpercentile(X_NAN, [20, 70], axis=0))


def test_quantile_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="nanquantile: `method` must be"):
        ops.nanquantile(X, 0.5, method="cubic")


def test_corrcoef_matches_numpy_and_keeps_float32():
    np.testing.assert_allclose(as_numpy(ops.corrcoef(X[0])), np.corrcoef(X[0]), atol=1e-12)
    assert as_numpy(ops.corrcoef(X[0].astype("float32"))).dtype == np.float32
    np.testing.assert_allclose(as_numpy(ops.corrcoef(X[0, 0])), 1.0)


def test_segment_prod_matches_a_loop():
    data = _r.normal(size=(7, 3))
    data[2, 1] = 0.0
    ids = np.array([0, 2, 2, 1, 0, 2, -1])  # -1 is dropped, as Keras drops it
    expected = np.ones((4, 3))
    for row, segment in zip(data, ids):
        if segment >= 0:
            expected[segment] *= row
    np.testing.assert_allclose(as_numpy(ops.segment_prod(data, ids, 4)), expected)


@pytest.mark.parametrize("fft_length", [None, 7, 12])
def test_irfft_matches_numpy(fft_length):
    real, imag = _r.normal(size=(2, 5)), _r.normal(size=(2, 5))
    np.testing.assert_allclose(as_numpy(ops.irfft((real, imag), fft_length)),
                               np.fft.irfft(real + 1j * imag, n=fft_length), atol=1e-12)


@pytest.mark.parametrize("sequence_length,stride,fft_length,center",
                         [(8, 4, 8, True), (6, 3, 8, False), (8, 2, 8, True)])
def test_istft_inverts_stft(sequence_length, stride, fft_length, center):
    signal = _r.normal(size=(2, 40))
    spectrum = ops.stft(signal, sequence_length, stride, fft_length, center=center)
    restored = as_numpy(ops.istft(spectrum, sequence_length, stride, fft_length, length=40,
                                  center=center))
    # Without centring the first and last partial windows cannot be undone.
    inner = slice(fft_length, 40 - fft_length) if not center else slice(None)
    np.testing.assert_allclose(restored[:, inner], signal[:, inner], atol=1e-9)


def test_gaussian_blur_takes_rows_from_the_second_size_and_sigma_as_keras():
    # Keras's numpy/jax/tensorflow code builds outer(kernel(size[1], sigma[1]),
    # kernel(size[0], sigma[0])): an impulse spreads over size[1] rows and size[0] columns.
    impulse = np.zeros((1, 9, 9, 1))
    impulse[0, 4, 4, 0] = 1.0
    blurred = as_numpy(ops.image.gaussian_blur(impulse, (3, 5), (0.8, 1.5)))[0, :, :, 0]
    rows, columns = np.nonzero(blurred > 1e-12)
    assert (rows.max() - rows.min() + 1, columns.max() - columns.min() + 1) == (5, 3)
    column_profile = blurred[4, 3:6] / blurred[4, 3:6].sum()
    expected = np.exp(-0.5 * (np.arange(-1, 2) / 0.8) ** 2)
    np.testing.assert_allclose(column_profile, expected / expected.sum(), rtol=1e-9)
