"""Conformance checks of the convolution kernels: plain/grouped, transposed
and depthwise, in 1, 2 and 3 spatial dimensions.

The float64 references below follow the spec formulas directly: a loop over
kernel taps, each adding one shifted (strided) slice of the explicitly
padded input times that tap's weights; the transposed reference builds the
stride-dilated, padded input and correlates it with the flipped kernel.
"""
from __future__ import annotations

import contextlib

import numpy as np
from numpy.testing import assert_allclose

import reference as ref
from kernel_checks import F32, F64, FD, GRAD32, N, T, assert_dtype, call, conformance

# (name, spatial shape, kernel size, strides, padding pairs, dilation, groups)
CONV_CASES = {
    "1d": ((7,), (3,), (1,), ((1, 1),), (1,), 1),
    "1d-stride2": ((8,), (3,), (2,), ((0, 1),), (1,), 1),
    "1d-causal-dilated": ((6,), (2,), (1,), ((2, 0),), (2,), 1),
    "1d-wide-padding": ((4,), (2,), (1,), ((2, 3),), (1,), 1),
    "2d": ((5, 6), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    "2d-stride-groups": ((6, 5), (3, 2), (2, 1), ((1, 1), (0, 1)), (1, 1), 2),
    "2d-dilated": ((7, 5), (2, 3), (1, 1), ((0, 0), (2, 2)), (2, 1), 1),
    "3d": ((4, 5, 3), (2, 3, 2), (1, 2, 1), ((0, 1), (1, 1), (1, 0)), (1, 1, 1), 1),
    # 3x3, stride 1, undilated, ungrouped: the compiled Winograd path (even
    # and odd sizes, 'valid', 'same' and uneven padding; tiles cut by the border).
    "2d-3x3-valid-odd": ((7, 9), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    "2d-3x3-same-even": ((6, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    "2d-3x3-uneven-padding": ((5, 4), (3, 3), (1, 1), ((2, 0), (0, 1)), (1, 1), 1),
    "2d-3x3-one-channel": ((6, 7), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    # 3x3 with 1-3 input channels: the compiled direct loops (any geometry).
    # (At least MIN_PIXELS = 256 input pixels: below it im2col serves.)
    "2d-few-channels-strided-dilated": ((30, 9), (3, 3), (2, 1), ((1, 2), (0, 1)), (1, 2), 1),
    # ... and their one-channel loop: pixels in pairs, an odd one out, border pixels.
    "2d-one-channel-strided-dilated": ((23, 12), (3, 3), (1, 2), ((1, 0), (2, 1)), (2, 1), 1),
    # 3x3 kernels that fall back to im2col: strided, dilated.
    "2d-3x3-stride2": ((7, 6), (3, 3), (2, 2), ((1, 1), (0, 1)), (1, 1), 1),
    "2d-3x3-dilated": ((7, 7), (3, 3), (1, 1), ((2, 2), (2, 2)), (2, 2), 1),
}
BATCH, IN_CHANNELS, FILTERS = 2, 4, 6
#: (in channels, filters) of cases that do not use IN_CHANNELS and FILTERS.
CASE_CHANNELS = {"2d-3x3-one-channel": (1, 5), "2d-3x3-same-even": (8, 5),
                 "2d-few-channels-strided-dilated": (3, 4),
                 "2d-one-channel-strided-dilated": (1, 11)}


def ref_correlate(xp, kernel, strides, dilation, groups):
    """``y[b, o, f] = sum_t,c xp[b, o*s + t*d, g*cin + c] * kernel[t, c, f]`` (float64)."""
    xp, kernel = ref.f64(xp), ref.f64(kernel)
    *ks, cin, filters = kernel.shape
    fg = filters // groups
    out = tuple((n - (d * (k - 1) + 1)) // s + 1 for n, k, s, d
                in zip(xp.shape[1:-1], ks, strides, dilation))
    y = np.zeros((xp.shape[0],) + out + (filters,))
    for tap in np.ndindex(*ks):
        window = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                       for t, d, s, o in zip(tap, dilation, strides, out))
        part = xp[(slice(None),) + window]
        for g in range(groups):
            y[..., g * fg:(g + 1) * fg] += (part[..., g * cin:(g + 1) * cin]
                                            @ kernel[tap][:, g * fg:(g + 1) * fg])
    return y


def ref_pad(x, padding):
    return np.pad(ref.f64(x), ((0, 0),) + tuple(padding) + ((0, 0),))


def ref_conv(x, kernel, bias, strides, padding, dilation, groups, activation):
    y = ref_correlate(ref_pad(x, padding), kernel, strides, dilation, groups)
    if bias is not None:
        y = y + ref.f64(bias)
    return ref.activation(y, activation)


def ref_conv_transpose(x, kernel, bias, strides, padding, dilation, activation):
    x = ref.f64(x)
    dilated_shape = tuple((n - 1) * s + 1 for n, s in zip(x.shape[1:-1], strides))
    dilated = np.zeros((x.shape[0],) + dilated_shape + (x.shape[-1],))
    dilated[(slice(None),) + tuple(slice(None, None, s) for s in strides)] = x
    rank = len(strides)
    flipped = ref.f64(kernel)[(slice(None, None, -1),) * rank]
    swapped = np.swapaxes(flipped, -1, -2)  # (*k, in, filters)
    y = ref_correlate(ref_pad(dilated, padding), swapped, (1,) * rank, dilation, 1)
    if bias is not None:
        y = y + ref.f64(bias)
    return ref.activation(y, activation)


def ref_depthwise(x, kernel, bias, strides, padding, dilation, activation):
    xp = ref_pad(x, padding)
    *ks, channels, multiplier = kernel.shape
    out = tuple((n - (d * (k - 1) + 1)) // s + 1 for n, k, s, d
                in zip(xp.shape[1:-1], ks, strides, dilation))
    y = np.zeros((x.shape[0],) + out + (channels, multiplier))
    for tap in np.ndindex(*ks):
        window = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                       for t, d, s, o in zip(tap, dilation, strides, out))
        y += xp[(slice(None),) + window][..., None] * ref.f64(kernel)[tap]
    y = y.reshape(y.shape[:-2] + (channels * multiplier,))
    if bias is not None:
        y = y + ref.f64(bias)
    return ref.activation(y, activation)


def conv_inputs(rng, case, groups_override=None):
    spatial, ks, strides, padding, dilation, groups = CONV_CASES[case]
    groups = groups if groups_override is None else groups_override
    channels, filters = CASE_CHANNELS.get(case, (IN_CHANNELS, FILTERS))
    if groups_override is not None:
        channels, filters = IN_CHANNELS, FILTERS
    x = rng.normal(size=(BATCH,) + spatial + (channels,))
    kernel = rng.normal(scale=0.5, size=ks + (channels // groups, filters))
    bias = rng.normal(size=(filters,))
    return x, kernel, bias, strides, padding, dilation, groups


def _forward_dtypes(kernel_fn, reference, arrays, rest, expected_shape=None):
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        cast = [None if a is None else a.astype(dtype) for a in arrays]
        y = call(kernel_fn, *(T(a) for a in cast), *rest)
        assert_dtype(y, dtype)
        want = reference(*cast, *rest)
        assert N(y).shape == want.shape, (N(y).shape, want.shape)
        if expected_shape is not None:
            assert want.shape == expected_shape
        assert_allclose(N(y), want, **tol)


def _backward(kernel_fn, reference, arrays, rest, y, extra_tail=()):
    """Check ``(dx, dkernel, dbias)`` against finite differences of ``reference``."""
    rng = np.random.default_rng(1)
    dy = rng.normal(size=y.shape)
    x, kernel, bias = arrays
    want = ref.numerical_vjp(lambda a, w, b: reference(a, w, b, *rest), [x, kernel, bias], dy)
    got = call(kernel_fn, T(dy), T(x), T(kernel), T(y), *rest, True)
    for name, g, w in zip(("dx", "dkernel", "dbias"), got, want):
        assert N(g).shape == w.shape, (name, N(g).shape, w.shape)
        assert_allclose(N(g), w, **FD, err_msg=name)
    no_dx = call(kernel_fn, T(dy), T(x), T(kernel), T(y), *rest, False)
    assert no_dx[0] is None, "need_dx=False must give dx=None"
    assert_allclose(N(no_dx[1]), N(got[1]), **F64)
    f32 = [a.astype(np.float32) for a in (dy, x, kernel, y)]
    got32 = call(kernel_fn, *(T(a) for a in f32), *rest, True)
    for g32, g in zip(got32, got):
        assert_dtype(g32, np.float32)
        assert_allclose(N(g32), N(g), **GRAD32)


# ---------------------------------------------------------------------------
# Plain and grouped convolution
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def small_images_take_winograd():
    """The NumPy backend takes its Winograd path only for images of at least
    WINOGRAD_MIN_OUTPUT cells a side; these checks' small shapes must reach
    it too (harmless on other backends)."""
    try:
        from brickwork_numpy.kernels import convolution as numpy_convolution
    except ImportError:
        yield
        return
    saved = numpy_convolution.WINOGRAD_MIN_OUTPUT
    numpy_convolution.WINOGRAD_MIN_OUTPUT = 1
    try:
        yield
    finally:
        numpy_convolution.WINOGRAD_MIN_OUTPUT = saved


@conformance("conv_forward", cases=list(CONV_CASES))
def check_conv_forward(k, rng, case):
    with small_images_take_winograd():
        _check_conv_forward(k, rng, case)


def _check_conv_forward(k, rng, case):
    x, kernel, bias, strides, padding, dilation, groups = conv_inputs(rng, case)
    for activation, b in (("linear", None), ("relu", bias), ("tanh", bias)):
        _forward_dtypes(k.conv_forward, ref_conv, (x, kernel, b),
                        (strides, padding, dilation, groups, activation))
    # Groups on a case that has none, and 'groups == channels'.
    if groups == 1:
        for g in (2, 4):
            x, kernel, bias, *_ = conv_inputs(rng, case, groups_override=g)
            kernel = kernel[..., :4] if g == 4 else kernel
            _forward_dtypes(k.conv_forward, ref_conv, (x, kernel, bias[:kernel.shape[-1]]),
                            (strides, padding, dilation, g, "linear"))


@conformance("conv_backward", cases=list(CONV_CASES))
def check_conv_backward(k, rng, case):
    with small_images_take_winograd():
        _check_conv_backward(k, rng, case)


def _check_conv_backward(k, rng, case):
    x, kernel, bias, strides, padding, dilation, groups = conv_inputs(rng, case)
    for activation in ("tanh", "linear"):
        rest = (strides, padding, dilation, groups, activation)
        y = ref_conv(x, kernel, bias, *rest)
        _backward(k.conv_backward, ref_conv, (x, kernel, bias), rest, y)
    # ReLU (fused into some kernels' loops): the linear gradients of dy masked
    # where the output is not positive.
    y = ref_conv(x, kernel, bias, strides, padding, dilation, groups, "relu")
    dy = np.random.default_rng(2).normal(size=y.shape)
    got = call(k.conv_backward, T(dy), T(x), T(kernel), T(y), strides, padding, dilation, groups,
               "relu", True)
    want = call(k.conv_backward, T(dy * (y > 0)), T(x), T(kernel), T(y), strides, padding,
                dilation, groups, "linear", True)
    for name, g, w in zip(("dx", "dkernel", "dbias"), got, want):
        assert_allclose(N(g), N(w), **F64, err_msg=f"relu {name}")


# ---------------------------------------------------------------------------
# Transposed convolution
# ---------------------------------------------------------------------------

# (spatial, kernel size, strides, padding pairs on the dilated input, dilation)
TRANSPOSE_CASES = {
    "1d-valid": ((5,), (3,), (1,), ((2, 2),), (1,)),
    "1d-stride2-same": ((4,), (3,), (2,), ((1, 2),), (1,)),
    "1d-stride3-extra": ((3,), (2,), (3,), ((1, 3),), (1,)),
    "1d-dilated": ((5,), (3,), (1,), ((3, 4),), (2,)),
    "2d-stride2": ((3, 4), (3, 2), (2, 2), ((2, 3), (1, 1)), (1, 1)),
    "2d-stride1-crop": ((4, 4), (3, 3), (1, 1), ((1, 1), (0, 2)), (1, 1)),
    "3d": ((2, 3, 2), (2, 2, 3), (2, 1, 1), ((1, 1), (1, 1), (2, 2)), (1, 1, 1)),
}


def transpose_inputs(rng, case):
    spatial, ks, strides, padding, dilation = TRANSPOSE_CASES[case]
    x = rng.normal(size=(BATCH,) + spatial + (IN_CHANNELS,))
    kernel = rng.normal(scale=0.5, size=ks + (FILTERS, IN_CHANNELS))
    bias = rng.normal(size=(FILTERS,))
    return x, kernel, bias, strides, padding, dilation


@conformance("conv_transpose_forward", cases=list(TRANSPOSE_CASES))
def check_conv_transpose_forward(k, rng, case):
    x, kernel, bias, strides, padding, dilation = transpose_inputs(rng, case)
    spatial, ks = TRANSPOSE_CASES[case][:2]
    out = tuple((n - 1) * s + 1 + lo + hi - (d * (kk - 1) + 1) + 1 for n, s, (lo, hi), d, kk
                in zip(spatial, strides, padding, dilation, ks))
    for activation, b in (("linear", None), ("sigmoid", bias)):
        _forward_dtypes(k.conv_transpose_forward, ref_conv_transpose, (x, kernel, b),
                        (strides, padding, dilation, activation), (BATCH,) + out + (FILTERS,))


@conformance("conv_transpose_backward", cases=list(TRANSPOSE_CASES))
def check_conv_transpose_backward(k, rng, case):
    x, kernel, bias, strides, padding, dilation = transpose_inputs(rng, case)
    for activation in ("tanh", "linear"):
        rest = (strides, padding, dilation, activation)
        y = ref_conv_transpose(x, kernel, bias, *rest)
        _backward(k.conv_transpose_backward, ref_conv_transpose, (x, kernel, bias), rest, y)


# ---------------------------------------------------------------------------
# Depthwise convolution
# ---------------------------------------------------------------------------

DEPTHWISE_CASES = {
    "1d-multiplier2": ((7,), (3,), (1,), ((1, 1),), (1,), 2),
    "1d-stride2": ((8,), (2,), (2,), ((0, 0),), (1,), 1),
    "2d": ((5, 6), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    "2d-stride-dilated": ((7, 6), (2, 3), (2, 1), ((0, 1), (2, 2)), (1, 2), 3),
}


def depthwise_inputs(rng, case):
    spatial, ks, strides, padding, dilation, multiplier = DEPTHWISE_CASES[case]
    x = rng.normal(size=(BATCH,) + spatial + (IN_CHANNELS,))
    kernel = rng.normal(scale=0.5, size=ks + (IN_CHANNELS, multiplier))
    bias = rng.normal(size=(IN_CHANNELS * multiplier,))
    return x, kernel, bias, strides, padding, dilation


@conformance("depthwise_conv_forward", cases=list(DEPTHWISE_CASES))
def check_depthwise_conv_forward(k, rng, case):
    x, kernel, bias, strides, padding, dilation = depthwise_inputs(rng, case)
    for activation, b in (("linear", None), ("relu6", bias)):
        _forward_dtypes(k.depthwise_conv_forward, ref_depthwise, (x, kernel, b),
                        (strides, padding, dilation, activation))


@conformance("depthwise_conv_backward", cases=list(DEPTHWISE_CASES))
def check_depthwise_conv_backward(k, rng, case):
    x, kernel, bias, strides, padding, dilation = depthwise_inputs(rng, case)
    for activation in ("tanh", "linear"):
        rest = (strides, padding, dilation, activation)
        y = ref_depthwise(x, kernel, bias, *rest)
        _backward(k.depthwise_conv_backward, ref_depthwise, (x, kernel, bias), rest, y)
