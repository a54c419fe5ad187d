"""The NumPy backend's compiled Winograd F(2x2, 3x3) convolution path: which
convolutions take it, every block schedule against a float64 reference,
float32 accuracy on a realistic layer, and Conv2D layers in both data formats
agreeing with the pure-NumPy path; and the other compiled convolution and
pooling loops split over two threads, as large layers run them. (The
conformance suite checks the kernels themselves both ways, with finite
differences, on shapes too small to split.)"""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from brickwork import backend, layers, ops
from brickwork_numpy import compiled
from brickwork_numpy.kernels import convolution

needs_numba = pytest.mark.skipif(not compiled.enabled(), reason=compiled.UNAVAILABLE_REASON or "")


def reference_conv(x, kernel, padding):
    """float64 cross-correlation, one shifted slice per kernel tap."""
    x = np.pad(np.asarray(x, np.float64), ((0, 0),) + tuple(padding) + ((0, 0),))
    kernel = np.asarray(kernel, np.float64)
    out = (x.shape[1] - 2, x.shape[2] - 2)
    y = np.zeros((x.shape[0],) + out + (kernel.shape[-1],))
    for i in range(3):
        for j in range(3):
            y += x[:, i:i + out[0], j:j + out[1]] @ kernel[i, j]
    return y


def reference_kernel_grad(x, dy, padding):
    x = np.pad(np.asarray(x, np.float64), ((0, 0),) + tuple(padding) + ((0, 0),))
    out = dy.shape[1:3]
    return np.stack([np.stack([np.einsum("bhwc,bhwf->cf", x[:, i:i + out[0], j:j + out[1]], dy)
                               for j in range(3)]) for i in range(3)])


@pytest.fixture(autouse=True)
def small_images_take_winograd(monkeypatch):
    """These tests' small images must reach the Winograd path, which the
    kernels otherwise keep for images of WINOGRAD_MIN_OUTPUT cells a side."""
    monkeypatch.setattr(convolution, "WINOGRAD_MIN_OUTPUT", 1)


@pytest.fixture
def winograd():
    if not compiled.enabled():
        pytest.skip(compiled.UNAVAILABLE_REASON or "compiled loops off")
    return compiled.module("winograd")


@pytest.fixture
def calls(winograd, monkeypatch):
    """Counts the Winograd forward and kernel-gradient calls."""
    counted = {"conv2d": 0, "conv2d_kernel_grad": 0}
    for name in counted:
        original = getattr(winograd, name)

        def spy(*args, _original=original, _name=name):
            counted[_name] += 1
            return _original(*args)
        monkeypatch.setattr(winograd, name, spy)
    return counted


def _conv(x_shape, kernel_shape, strides=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1),
          groups=1, rng=np.random.default_rng(0)):
    x = rng.normal(size=x_shape)
    kernel = rng.normal(size=kernel_shape)
    y = convolution.conv_forward(x, kernel, None, strides, padding, dilation, groups, "linear")
    convolution.conv_backward(np.ones_like(y), x, kernel, y, strides, padding, dilation, groups,
                              "linear", True)


def test_3x3_stride1_ungrouped_convolutions_take_the_winograd_path(calls):
    _conv((2, 6, 7, 4), (3, 3, 4, 5))
    # forward, and in the backward the input gradient (a convolution too) and the kernel gradient
    assert calls == {"conv2d": 2, "conv2d_kernel_grad": 1}


@pytest.mark.parametrize("kernel_shape, strides, dilation, groups", [
    ((3, 3, 4, 6), (2, 1), (1, 1), 1),
    ((3, 3, 4, 6), (1, 1), (1, 2), 1),
    ((3, 3, 2, 6), (1, 1), (1, 1), 2),
    ((2, 3, 4, 6), (1, 1), (1, 1), 1),
    ((3, 3, 2, 6), (1, 1), (1, 1), 1),      # fewer input channels than the minimum
])
def test_other_convolutions_fall_back(calls, kernel_shape, strides, dilation, groups):
    channels = kernel_shape[2] * groups
    _conv((2, 7, 7, channels), kernel_shape, strides, ((1, 1), (1, 1)), dilation, groups)
    assert calls == {"conv2d": 0, "conv2d_kernel_grad": 0}


@pytest.mark.parametrize("x_shape, kernel_shape", [
    ((1, 13, 13, 32), (3, 3, 32, 64)),      # the seed CNN's second layer: too few tiles
    ((1, 22, 22, 136), (3, 3, 136, 8)),     # more channels than Winograd pays for
])
def test_small_images_and_many_channels_take_im2col(calls, monkeypatch, x_shape, kernel_shape):
    monkeypatch.setattr(convolution, "WINOGRAD_MIN_OUTPUT", 20)
    _conv(x_shape, kernel_shape)
    assert calls == {"conv2d": 0, "conv2d_kernel_grad": 0}


def test_large_images_take_winograd(calls, monkeypatch):
    monkeypatch.setattr(convolution, "WINOGRAD_MIN_OUTPUT", 20)
    _conv((1, 22, 21, 8), (3, 3, 8, 8))
    assert calls == {"conv2d": 2, "conv2d_kernel_grad": 1}


def test_compiled_loops_off_means_no_winograd(calls):
    with compiled.disabled():
        _conv((2, 6, 7, 4), (3, 3, 4, 5))
    assert calls == {"conv2d": 0, "conv2d_kernel_grad": 0}


def pad_or_crop(x, padding):
    """``x`` with ``(before, after)`` cells added per spatial axis (zeros), or
    removed where negative."""
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(padding, x.shape[1:3]))
    x = x[(slice(None),) + crop]
    return np.pad(x, ((0, 0),) + tuple((max(lo, 0), max(hi, 0)) for lo, hi in padding) + ((0, 0),))


@pytest.mark.parametrize("schedule", ["split", "one-thread-wide", "tiny-blocks"])
@pytest.mark.parametrize("shape, padding", [
    ((3, 9, 8), ((1, 1), (1, 1))),
    ((2, 7, 7), ((0, 0), (0, 0))),
    ((2, 6, 5), ((2, 2), (2, 2))),
    ((2, 8, 9), ((-1, 1), (1, -1))),       # negative padding crops
])
def test_every_schedule_matches_float64_reference(winograd, monkeypatch, schedule, shape,
                                                  padding):
    if schedule == "split":
        from brickwork_numpy.compiled import split
        monkeypatch.setattr(split, "MIN_SPLIT_WORK", 0)     # small work split too
    if schedule == "one-thread-wide":
        monkeypatch.setattr(winograd, "MIN_SPLIT_BLOCK_TILES", 10 ** 9)
    elif schedule == "tiny-blocks":
        # Blocks of three tiles: block edges fall inside tile rows and samples.
        monkeypatch.setattr(winograd, "BLOCK_BYTES", 3 * 16 * (6 + 7) * 8)
        monkeypatch.setattr(winograd, "MIN_SPLIT_BLOCK_TILES", 1)
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape + (6,))
    kernel = rng.normal(size=(3, 3, 6, 7))
    framed = pad_or_crop(x, padding)
    want = reference_conv(framed, kernel, ((0, 0), (0, 0)))
    y = winograd.conv2d(x, kernel, padding[0][0], padding[1][0], want.shape[1:3], None, False)
    assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    dy = rng.normal(size=y.shape)
    dw = winograd.conv2d_kernel_grad(x, dy, padding[0][0], padding[1][0])
    assert_allclose(dw, reference_kernel_grad(framed, dy, ((0, 0), (0, 0))), rtol=1e-11,
                    atol=1e-11)


def test_bias_and_relu_are_fused(winograd):
    rng = np.random.default_rng(4)
    x, kernel, bias = rng.normal(size=(2, 5, 6, 4)), rng.normal(size=(3, 3, 4, 5)), rng.normal(size=5)
    y = winograd.conv2d(x, kernel, 1, 1, (5, 6), bias, True)
    assert_allclose(y, np.maximum(reference_conv(x, kernel, ((1, 1), (1, 1))) + bias, 0),
                    rtol=1e-12, atol=1e-12)


def test_float32_error_stays_within_the_conformance_tolerance(winograd):
    """A realistic layer (64 -> 64 channels, unit-variance input, He-scaled
    kernel): the float32 Winograd output is as close to float64 as the
    suite's float32 tolerance asks (rtol 1e-5, atol 1e-6 against outputs of
    order one), and no further from it than the im2col path's."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 20, 21, 64)).astype(np.float32)
    kernel = (rng.normal(size=(3, 3, 64, 64)) * np.sqrt(2 / (9 * 64))).astype(np.float32)
    want = reference_conv(x, kernel, ((1, 1), (1, 1)))
    y = winograd.conv2d(x, kernel, 1, 1, (20, 21), None, False)
    with compiled.disabled():
        y_im2col = convolution.conv_linear(x, kernel, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    error, error_im2col = np.abs(y - want), np.abs(y_im2col - want)
    scale = np.abs(want).max()
    assert error.max() <= 1e-5 * scale, (error.max(), scale)
    assert error.max() <= 4 * error_im2col.max()
    dy = rng.normal(size=want.shape).astype(np.float32)
    dw = winograd.conv2d_kernel_grad(x, dy, 1, 1)
    want_dw = reference_kernel_grad(x, dy, ((1, 1), (1, 1)))
    assert np.abs(dw - want_dw).max() <= 1e-5 * np.abs(want_dw).max()


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("size", [(9, 8), (10, 11)])
def test_conv2d_layer_formats_agree_with_pure_numpy(numpy_loops, padding, size):
    """Conv2D 3x3 with ReLU, channels last and channels first: output and
    gradients equal (to float32 rounding) those of the pure-NumPy path."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3,) + size + (8,)).astype(np.float32)
    weights = [(rng.normal(size=(3, 3, 8, 6)) * 0.3).astype(np.float32),
               np.linspace(-0.5, 0.5, 6).astype(np.float32)]
    want_y, want_grads = _run_layer(x, weights, padding, "channels_last", pure_numpy=True)
    for data_format in ("channels_last", "channels_first"):
        y, grads = _run_layer(x, weights, padding, data_format, pure_numpy=False)
        assert_allclose(y, want_y, rtol=1e-5, atol=1e-5, err_msg=data_format)
        for g, w in zip(grads, want_grads):
            assert_allclose(g, w, rtol=1e-4, atol=1e-4, err_msg=data_format)


def _run_layer(x, weights, padding, data_format, pure_numpy):
    """Output and gradients (input, kernel, bias) of a Conv2D, channels last."""
    import brickwork as bw
    from brickwork.variables import Variable
    first = data_format == "channels_first"
    to_layer = (lambda a: a.transpose(0, 3, 1, 2)) if first else (lambda a: a)
    from_layer = (lambda a: a.transpose(0, 2, 3, 1)) if first else (lambda a: a)
    with backend.use_backend("numpy"), (compiled.disabled() if pure_numpy else _nothing()):
        layer = layers.Conv2D(6, 3, padding=padding, activation="relu", data_format=data_format)
        layer.build(to_layer(x).shape)
        layer.set_weights(weights)
        x_var = Variable(to_layer(x))
        with bw.GradientTape() as tape:
            y = layer(x_var)
            shape = from_layer(np.empty(y.shape)).shape     # channels last
            pattern = np.cos(np.arange(np.prod(shape))).reshape(shape).astype(np.float32)
            loss = ops.sum(y * ops.convert_to_tensor(to_layer(pattern)))
        grads = tape.gradient(loss, [x_var] + layer.trainable_weights)
    grads = [ops.convert_to_numpy(g) for g in grads]
    grads[0] = from_layer(grads[0])
    return from_layer(ops.convert_to_numpy(y)), grads


def _nothing():
    import contextlib
    return contextlib.nullcontext()


@pytest.mark.parametrize("case", ["direct-conv", "max-pool-apart", "max-pool-overlapping"])
def test_split_loops_equal_pure_numpy(winograd, monkeypatch, case):
    """The direct-convolution and max-pooling-gradient loops with their rows
    shared by two threads give the pure-NumPy path's values."""
    from brickwork_numpy.compiled import split
    from brickwork_numpy.kernels import pooling
    monkeypatch.setattr(split, "MIN_SPLIT_WORK", 0)
    rng = np.random.default_rng(7)
    if case == "direct-conv":
        # 27x10: at least the direct loops' MIN_PIXELS.
        x, kernel, bias = rng.normal(size=(3, 27, 10, 2)), rng.normal(size=(3, 3, 2, 5)), rng.normal(size=5)
        geometry = ((1, 2), ((1, 1), (2, 0)), (2, 1))
        run = lambda: convolution.conv_backward(
            np.cos(y_ref), x, kernel, y_ref, geometry[0], geometry[1], geometry[2], 1, "relu",
            False)[1:] + (convolution.conv_forward(x, kernel, bias, geometry[0], geometry[1],
                                                   geometry[2], 1, "relu"),)
        with compiled.disabled():
            y_ref = convolution.conv_forward(x, kernel, bias, geometry[0], geometry[1],
                                             geometry[2], 1, "relu")
    else:
        pool = ((2, 2), (2, 2), ((0, 0), (0, 0))) if case == "max-pool-apart" else \
            ((3, 2), (2, 2), ((1, 1), (0, 0)))
        x = rng.permutation(4 * 12 * 9 * 3).reshape(4, 12, 9, 3).astype(np.float64)
        y = pooling.max_pool_forward(x, *pool)
        run = lambda: (pooling.max_pool_backward(np.sin(y), x, y, *pool),)
    got = run()
    with compiled.disabled():
        want = run()
    for g, w in zip(got, want):
        assert_allclose(g, w, rtol=1e-12, atol=1e-12)
