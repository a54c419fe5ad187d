"""Conformance checks of the normalization kernels (batch and layer norm),
against float64 references written from Keras 3's formulas."""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

import reference as ref
from kernel_checks import F32, F64, FD, GRAD32, N, T, assert_dtype, call, conformance

# --- float64 references --------------------------------------------------------


def _reduction_axes(ndim, axis):
    return tuple(i for i in range(ndim) if i != axis % ndim)


def _channel_shape(ndim, axis, size):
    shape = [1] * ndim
    shape[axis % ndim] = size
    return shape


def batch_norm_train(x, gamma, beta, weights, axis, epsilon):
    """Keras' BatchNormalization in training: (masked) moments, then normalize."""
    x = ref.f64(x)
    red = _reduction_axes(x.ndim, axis)
    shape = _channel_shape(x.ndim, axis, x.shape[axis])
    if weights is None:
        mean = x.mean(axis=red)
        variance = np.square(x - mean.reshape(shape)).mean(axis=red)
    else:
        w = np.broadcast_to(ref.f64(weights), x.shape)
        count = w.sum(axis=red) + 1e-7
        mean = (w * x).sum(axis=red) / count
        variance = (w * np.square(x - mean.reshape(shape))).sum(axis=red) / count
    y = batch_norm_inference(x, mean, variance, gamma, beta, axis, epsilon)
    return y, mean, variance


def batch_norm_inference(x, mean, variance, gamma, beta, axis, epsilon):
    x = ref.f64(x)
    shape = _channel_shape(x.ndim, axis, x.shape[axis])
    y = (x - ref.f64(mean).reshape(shape)) / np.sqrt(ref.f64(variance).reshape(shape) + epsilon)
    if gamma is not None:
        y = y * ref.f64(gamma).reshape(shape)
    if beta is not None:
        y = y + ref.f64(beta).reshape(shape)
    return y


def layer_norm(x, gamma, beta, axes, epsilon, rms_scaling):
    x = ref.f64(x)
    mean = x.mean(axis=axes, keepdims=True)
    variance = x.var(axis=axes, keepdims=True)
    if rms_scaling:
        y = x / np.sqrt(variance + epsilon)
        return y if gamma is None else y * ref.f64(gamma)
    y = (x - mean) / np.sqrt(variance + epsilon)
    if gamma is not None:
        y = y * ref.f64(gamma)
    if beta is not None:
        y = y + ref.f64(beta)
    return y


# --- cases ------------------------------------------------------------------------

# (x shape, channel axis, affine, masked)
BATCH_NORM_CASES = {
    "channels_last": ((4, 3, 5), -1, True, False),
    "channels_first": ((3, 4, 2, 3), 1, True, False),
    "2d_no_affine": ((6, 4), -1, False, False),
    "masked": ((3, 4, 5), -1, True, True),
}


def _batch_norm_inputs(rng, case):
    shape, axis, affine, masked = BATCH_NORM_CASES[case]
    x = rng.normal(loc=0.5, scale=2.0, size=shape)
    channels = shape[axis]
    gamma = rng.uniform(0.5, 1.5, size=channels) if affine else None
    beta = rng.normal(size=channels) if affine else None
    weights = None
    if masked:
        mask = rng.uniform(size=shape[:-1]) > 0.3
        mask[0, 0] = True
        weights = mask[..., None].astype(np.float64)
    return x, gamma, beta, weights, axis


def _cast(arrays, dtype):
    return [None if a is None else a.astype(dtype) for a in arrays]


@conformance("batch_norm_train_forward", cases=list(BATCH_NORM_CASES))
def check_batch_norm_train_forward(k, rng, case):
    x, gamma, beta, weights, axis = _batch_norm_inputs(rng, case)
    want = batch_norm_train(x, gamma, beta, weights, axis, 1e-3)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        xc, gc, bc, wc = _cast([x, gamma, beta, weights], dtype)
        got = call(k.batch_norm_train_forward, T(xc), T(gc), T(bc), T(wc), axis, 1e-3)
        for name, g, w in zip(("y", "mean", "variance"), got, want):
            assert_dtype(g, dtype)
            assert N(g).shape == w.shape, name
            assert_allclose(N(g), w, **tol, err_msg=name)


@conformance("batch_norm_train_backward", cases=list(BATCH_NORM_CASES))
def check_batch_norm_train_backward(k, rng, case):
    x, gamma, beta, weights, axis = _batch_norm_inputs(rng, case)
    y, mean, variance = batch_norm_train(x, gamma, beta, weights, axis, 1e-3)
    dy = rng.normal(size=y.shape)
    expected = ref.numerical_vjp(
        lambda a, g, b: batch_norm_train(a, g, b, weights, axis, 1e-3)[0], [x, gamma, beta], dy)
    got = call(k.batch_norm_train_backward, T(dy), T(x), T(gamma), T(weights), T(mean),
               T(variance), axis, 1e-3)
    for name, g, w in zip(("dx", "dgamma", "dbeta"), got, expected):
        if w is None:
            w = _affine_grads_without_params(dy, x, mean, variance, axis)[name]
        assert N(g).shape == w.shape, name
        assert_allclose(N(g), w, **FD, err_msg=name)
    got32 = call(k.batch_norm_train_backward, *(T(a) for a in _cast(
        [dy, x, gamma, weights, mean, variance], np.float32)), axis, 1e-3)
    for g32, g64 in zip(got32, got):
        assert_dtype(g32, np.float32)
        assert_allclose(N(g32), N(g64), **GRAD32)


def _affine_grads_without_params(dy, x, mean, variance, axis):
    """dgamma/dbeta a layer without gamma/beta would get (gamma=1, beta=0)."""
    red = _reduction_axes(x.ndim, axis)
    shape = _channel_shape(x.ndim, axis, x.shape[axis])
    normalized = (x - mean.reshape(shape)) / np.sqrt(variance.reshape(shape) + 1e-3)
    return {"dgamma": (dy * normalized).sum(axis=red), "dbeta": dy.sum(axis=red)}


@conformance("batch_norm_inference_forward", cases=[c for c in BATCH_NORM_CASES if c != "masked"])
def check_batch_norm_inference_forward(k, rng, case):
    x, gamma, beta, _, axis = _batch_norm_inputs(rng, case)
    channels = x.shape[axis]
    mean, variance = rng.normal(size=channels), rng.uniform(0.2, 3.0, size=channels)
    want = batch_norm_inference(x, mean, variance, gamma, beta, axis, 1e-3)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        args = _cast([x, mean, variance, gamma, beta], dtype)
        y = call(k.batch_norm_inference_forward, *(T(a) for a in args), axis, 1e-3)
        assert_dtype(y, dtype)
        assert_allclose(N(y), want, **tol)


@conformance("batch_norm_inference_backward",
             cases=[c for c in BATCH_NORM_CASES if c != "masked"])
def check_batch_norm_inference_backward(k, rng, case):
    x, gamma, beta, _, axis = _batch_norm_inputs(rng, case)
    channels = x.shape[axis]
    mean, variance = rng.normal(size=channels), rng.uniform(0.2, 3.0, size=channels)
    dy = rng.normal(size=x.shape)
    g_in = gamma if gamma is not None else np.ones(channels)
    b_in = beta if beta is not None else np.zeros(channels)
    expected = ref.numerical_vjp(
        lambda a, g, b: batch_norm_inference(a, mean, variance, g, b, axis, 1e-3),
        [x, g_in, b_in], dy)
    got = call(k.batch_norm_inference_backward, T(dy), T(x), T(mean), T(variance), T(gamma),
               axis, 1e-3)
    for name, g, w in zip(("dx", "dgamma", "dbeta"), got, expected):
        assert N(g).shape == w.shape, name
        assert_allclose(N(g), w, **FD, err_msg=name)


# (x shape, axes, parameter broadcast shape or None, rms_scaling)
LAYER_NORM_CASES = {
    "last_axis": ((3, 4, 6), (2,), (1, 1, 6), False),
    "two_axes": ((3, 4, 5), (1, 2), (1, 4, 5), False),
    "groups": ((2, 3, 4, 2, 3), (1, 2, 4), (1, 1, 1, 2, 3), False),
    "no_params": ((5, 7), (1,), None, False),
    "rms_scaling": ((3, 4, 6), (2,), (1, 1, 6), True),
}


def _layer_norm_inputs(rng, case):
    shape, axes, param_shape, rms = LAYER_NORM_CASES[case]
    x = rng.normal(loc=0.3, scale=1.5, size=shape)
    gamma = beta = None
    if param_shape is not None:
        gamma = rng.uniform(0.5, 1.5, size=param_shape)
        beta = None if rms else rng.normal(size=param_shape)
    return x, gamma, beta, axes, param_shape, rms


@conformance("layer_norm_forward", cases=list(LAYER_NORM_CASES))
def check_layer_norm_forward(k, rng, case):
    x, gamma, beta, axes, _, rms = _layer_norm_inputs(rng, case)
    want = layer_norm(x, gamma, beta, axes, 1e-3, rms)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        xc, gc, bc = _cast([x, gamma, beta], dtype)
        y, mean, inv = call(k.layer_norm_forward, T(xc), T(gc), T(bc), axes, 1e-3, rms)
        assert_dtype(y, dtype)
        assert_allclose(N(y), want, **tol)
        stats_shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        assert N(mean).shape == stats_shape and N(inv).shape == stats_shape


@conformance("layer_norm_backward", cases=list(LAYER_NORM_CASES))
def check_layer_norm_backward(k, rng, case):
    x, gamma, beta, axes, param_shape, rms = _layer_norm_inputs(rng, case)
    dy = rng.normal(size=x.shape)
    if param_shape is None:
        expected = ref.numerical_vjp(lambda a: layer_norm(a, None, None, axes, 1e-3, rms),
                                     [x], dy) + [None, None]
    else:
        b_in = np.zeros(param_shape) if beta is None else beta
        expected = ref.numerical_vjp(
            lambda a, g, b: layer_norm(a, g, None if rms else b, axes, 1e-3, rms),
            [x, gamma, b_in], dy)
        if rms:
            expected[2] = None
    _, mean, inv = k.layer_norm_forward(T(x), T(gamma), T(beta), axes, 1e-3, rms)
    got = call(k.layer_norm_backward, T(dy), T(x), T(gamma), mean, inv, axes, param_shape, rms)
    for name, g, w in zip(("dx", "dgamma", "dbeta"), got, expected):
        if w is None:
            assert g is None, f"{name} should be None"
            continue
        assert N(g).shape == w.shape, name
        assert_allclose(N(g), w, **FD, err_msg=name)
    args32 = _cast([dy, x, gamma], np.float32)
    _, mean32, inv32 = k.layer_norm_forward(T(args32[1]), T(args32[2]), None, axes, 1e-3, rms)
    got32 = k.layer_norm_backward(*(T(a) for a in args32), mean32, inv32, axes, param_shape, rms)
    for g32, g64 in zip(got32, got):
        if g64 is not None:
            assert_dtype(g32, np.float32)
            assert_allclose(N(g32), N(g64), **GRAD32)
