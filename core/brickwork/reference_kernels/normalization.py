"""Batch and layer normalization: statistics, normalization and the affine
transform fused, each a few whole-array passes.

Batch normalization works on a ``(outer, channels, inner)`` view of ``x``
(a free reshape for contiguous arrays), so any channel axis reduces over
axes (0, 2) without moving data.
"""
import math

import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

#: Keras adds ``backend.epsilon()`` to the weight sum of masked moments.
MASKED_COUNT_EPSILON = 1e-7


def _channel_view(a, axis):
    """``a`` as ``(outer, channels, inner)`` around ``axis``."""
    axis %= a.ndim
    outer = math.prod(a.shape[:axis])
    inner = math.prod(a.shape[axis + 1:])
    return a.reshape(outer, a.shape[axis], inner)


def _per_channel(v):
    return v[:, None]  # (C,) -> (C, 1), broadcasts against (outer, C, inner)


def _channel_sum(a3):
    return a3.sum(axis=(0, 2))


def _channel_dot(a3, b3):
    """Per-channel ``sum(a * b)`` without a full-size temporary."""
    return xp.einsum("ijk,ijk->j", a3, b3)


def _full_weights(weights, x, axis):
    """The 0/1 weights broadcast to ``x`` and viewed like it."""
    return _channel_view(xp.ascontiguousarray(xp.broadcast_to(weights, x.shape), dtype=x.dtype),
                         axis)


@hookimpl
def batch_norm_train_forward(x, gamma, beta, weights, axis, epsilon):
    x3 = _channel_view(x, axis)
    if weights is None:
        count = x3.shape[0] * x3.shape[2]
        mean = _channel_sum(x3) / x.dtype.type(count)
        centered = x3 - _per_channel(mean)
        variance = _channel_dot(centered, centered) / x.dtype.type(count)
    else:
        w3 = _full_weights(weights, x, axis)
        count = _channel_sum(w3) + MASKED_COUNT_EPSILON
        mean = (_channel_dot(w3, x3) / count).astype(x.dtype, copy=False)
        centered = x3 - _per_channel(mean)
        variance = (xp.einsum("ijk,ijk,ijk->j", w3, centered, centered) / count).astype(
            x.dtype, copy=False)
    scale = 1.0 / xp.sqrt(variance + x.dtype.type(epsilon))
    if gamma is not None:
        scale = scale * gamma
    y = centered
    y *= _per_channel(scale)
    if beta is not None:
        y += _per_channel(beta)
    return y.reshape(x.shape), mean, variance


@hookimpl
def batch_norm_train_backward(dy, x, gamma, weights, mean, variance, axis, epsilon):
    x3, dy3 = _channel_view(x, axis), _channel_view(dy, axis)
    inv = 1.0 / xp.sqrt(variance + x.dtype.type(epsilon))
    g = inv if gamma is None else gamma * inv  # dy/dx at fixed statistics
    centered = x3 - _per_channel(mean)
    dbeta = _channel_sum(dy3)
    dy_centered = _channel_dot(dy3, centered)
    dgamma = dy_centered * inv
    # Through the statistics: d/dvariance and d/dmean of the loss.
    dvariance = -0.5 * g * inv * inv * dy_centered
    if weights is None:
        count = x3.shape[0] * x3.shape[2]
        dmean = -g * dbeta  # sum(centered) is 0: the mean moves the variance not at all
        dx = dy3 * _per_channel(g)
        dx += centered * _per_channel(2.0 * dvariance / count)
        dx += _per_channel(dmean / count)
    else:
        w3 = _full_weights(weights, x, axis)
        count = _channel_sum(w3) + MASKED_COUNT_EPSILON
        weighted_centered = _channel_dot(w3, centered)
        dmean = -g * dbeta - 2.0 * dvariance * weighted_centered / count
        dx = dy3 * _per_channel(g)
        dx += w3 * (centered * _per_channel(2.0 * dvariance / count) + _per_channel(dmean / count))
    dtype = x.dtype
    return (dx.reshape(x.shape).astype(dtype, copy=False), dgamma.astype(dtype, copy=False),
            dbeta.astype(dtype, copy=False))


def _inference_scale(variance, gamma, epsilon):
    scale = 1.0 / xp.sqrt(variance + variance.dtype.type(epsilon))
    return scale if gamma is None else scale * gamma


@hookimpl
def batch_norm_inference_forward(x, mean, variance, gamma, beta, axis, epsilon):
    x3 = _channel_view(x, axis)
    scale = _inference_scale(variance, gamma, epsilon).astype(x.dtype, copy=False)
    shift = -mean * scale
    if beta is not None:
        shift = shift + beta
    y = x3 * _per_channel(scale)
    y += _per_channel(shift.astype(x.dtype, copy=False))
    return y.reshape(x.shape)


@hookimpl
def batch_norm_inference_backward(dy, x, mean, variance, gamma, axis, epsilon):
    x3, dy3 = _channel_view(x, axis), _channel_view(dy, axis)
    inv = 1.0 / xp.sqrt(variance + variance.dtype.type(epsilon))
    scale = inv if gamma is None else inv * gamma
    dx = (dy3 * _per_channel(scale.astype(dy.dtype, copy=False))).reshape(x.shape)
    dgamma = (_channel_dot(dy3, x3) - mean * _channel_sum(dy3)) * inv
    dbeta = _channel_sum(dy3)
    return dx, dgamma.astype(dy.dtype, copy=False), dbeta


def _sum_to(a, shape):
    """Sum ``a`` over the axes where ``shape`` has 1 and ``a`` does not."""
    axes = tuple(i for i, (n, m) in enumerate(zip(shape, a.shape)) if n == 1 and m != 1)
    return a.sum(axis=axes, keepdims=True) if axes else a


@hookimpl
def layer_norm_forward(x, gamma, beta, axes, epsilon, rms_scaling):
    axes = tuple(axes)
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    variance = xp.square(centered).mean(axis=axes, keepdims=True)
    inv = 1.0 / xp.sqrt(variance + x.dtype.type(epsilon))
    if rms_scaling:
        y = x * inv
        if gamma is not None:
            y *= gamma
        return y, mean, inv
    y = centered
    y *= inv
    if gamma is not None:
        y *= gamma
    if beta is not None:
        y += beta
    return y, mean, inv


@hookimpl
def layer_norm_backward(dy, x, gamma, mean, inv, axes, param_shape, rms_scaling):
    axes = tuple(axes)
    count = math.prod(x.shape[a] for a in axes)
    centered = x - mean
    g = dy if gamma is None else dy * gamma
    if rms_scaling:
        # y = x * inv * gamma; inv depends on x through the variance.
        dvariance = -0.5 * inv ** 3 * (g * x).sum(axis=axes, keepdims=True)
        dx = g * inv + centered * (2.0 * dvariance / count)
        dgamma = None if param_shape is None else _sum_to(dy * x * inv, param_shape)
        return dx, dgamma, None
    normalized = centered
    normalized *= inv
    dx = g - g.mean(axis=axes, keepdims=True)
    dx -= normalized * (g * normalized).mean(axis=axes, keepdims=True)
    dx *= inv
    if param_shape is None:
        return dx, None, None
    return dx, _sum_to(dy * normalized, param_shape), _sum_to(dy, param_shape)
