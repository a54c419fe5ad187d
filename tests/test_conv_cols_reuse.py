"""The NumPy backend's kernel gradient reuses the im2col rows its forward
left in the scratch buffer, only when they are exactly this input's rows."""
from __future__ import annotations

import numpy as np
import pytest

from brickwork import backend

GEOMETRY = ((1, 1), ((1, 0), (0, 1)), (1, 1), 1)   # strides, padding, dilation, groups


@pytest.fixture
def numpy_convolution():
    from brickwork_numpy.kernels import convolution
    if backend.get_backend().name != "numpy":
        pytest.skip("NumPy backend internals")
    return convolution


@pytest.fixture
def copies(numpy_convolution, monkeypatch):
    """Counts the im2col copies the kernels make."""
    calls = []
    original = numpy_convolution._im2col_block

    def counted(*args, **kwargs):
        calls.append(args[1:3])
        return original(*args, **kwargs)
    monkeypatch.setattr(numpy_convolution, "_im2col_block", counted)
    return calls


def _arrays(rng, batch=3):
    x = rng.normal(size=(batch, 7, 6, 5)).astype("float32")
    kernel = rng.normal(size=(3, 3, 5, 4)).astype("float32")
    return x, kernel


def _kernel_grad(convolution, x, dz, kernel):
    strides, padding, dilation, groups = GEOMETRY
    return convolution.conv_kernel_grad(x, dz, kernel.shape, strides, padding, dilation, groups)


def _fresh_kernel_grad(x, dz, kernel):
    """The kernel gradient from first principles, in float64."""
    strides, padding, dilation, groups = GEOMETRY
    xp = np.pad(x.astype("float64"), ((0, 0), padding[0], padding[1], (0, 0)))
    out_h, out_w = dz.shape[1:3]
    grad = np.zeros(kernel.shape)
    for i in range(3):
        for j in range(3):
            grad[i, j] = np.einsum("bhwc,bhwf->cf", xp[:, i:i + out_h, j:j + out_w], dz)
    return grad


def test_kernel_gradient_after_its_forward_takes_the_rows_left_behind(numpy_convolution, copies,
                                                                     rng):
    x, kernel = _arrays(rng)
    y = numpy_convolution.conv_linear(x, kernel, *GEOMETRY)
    dz = rng.normal(size=y.shape).astype("float32")
    assert len(copies) == 1
    grad = _kernel_grad(numpy_convolution, x, dz, kernel)
    assert len(copies) == 1, "the forward's rows should have been reused"
    np.testing.assert_allclose(grad, _fresh_kernel_grad(x, dz, kernel), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("between", ["another input's forward", "equal copy of the input",
                                     "scratch taken"])
def test_rows_of_anything_else_are_never_reused(numpy_convolution, copies, rng, between):
    from brickwork_numpy.kernels import _conv_utils
    x, kernel = _arrays(rng)
    y = numpy_convolution.conv_linear(x, kernel, *GEOMETRY)
    dz = rng.normal(size=y.shape).astype("float32")
    target = x
    if between == "another input's forward":
        numpy_convolution.conv_linear(x[::-1].copy(), kernel, *GEOMETRY)
    elif between == "equal copy of the input":
        target = x.copy()          # same values, another array: no identity, no reuse
    else:
        _conv_utils.scratch((10, 10), "float32")
    before = len(copies)
    grad = _kernel_grad(numpy_convolution, target, dz, kernel)
    assert len(copies) == before + 1
    np.testing.assert_allclose(grad, _fresh_kernel_grad(x, dz, kernel), rtol=1e-4, atol=1e-4)


def test_other_geometry_or_a_freed_input_is_not_reused(numpy_convolution, copies, rng):
    x, kernel = _arrays(rng)
    strides, padding, dilation, groups = GEOMETRY
    y = numpy_convolution.conv_linear(x, kernel, *GEOMETRY)
    dz = rng.normal(size=y.shape).astype("float32")
    other_padding = ((0, 1), (1, 0))          # same output shape, other rows
    numpy_convolution.conv_kernel_grad(x, dz, kernel.shape, strides, other_padding, dilation,
                                       groups)
    assert len(copies) == 2
    numpy_convolution.conv_linear(x, kernel, *GEOMETRY)
    del x                                      # a new array may take its address
    x2, _ = _arrays(np.random.default_rng(5))
    before = len(copies)
    grad = _kernel_grad(numpy_convolution, x2, dz, kernel)
    assert len(copies) == before + 1
    np.testing.assert_allclose(grad, _fresh_kernel_grad(x2, dz, kernel), rtol=1e-4, atol=1e-4)
