"""Normalization operations served by the fused normalization kernels."""
from __future__ import annotations

from brickwork.ops.core import backend_xp, data_of, kernels, needs_grad, record


def _param(value, shape):
    """A parameter's data reshaped to its broadcast shape (None stays None)."""
    data = data_of(value)
    return None if data is None else data.reshape(shape)


def _shaped_like(grad, value):
    return None if value is None or grad is None else grad.reshape(data_of(value).shape)


def batch_normalization_training(x, axis, offset=None, scale=None, epsilon=1e-3, weights=None):
    """Normalize with this batch's statistics over every axis but ``axis``.

    ``weights`` (0/1, broadcastable to ``x``) restricts the statistics to the
    unmasked elements, as Keras' masked moments do. Returns ``(y, mean,
    variance)``; the statistics are plain arrays for the moving averages.
    """
    k = kernels()
    xd, gd, bd = data_of(x), data_of(scale), data_of(offset)
    wd = data_of(weights)
    y, mean, variance = k.batch_norm_train_forward(xd, gd, bd, wd, axis, float(epsilon))
    if not needs_grad(x, scale, offset):
        return y, mean, variance

    def vjp(g):
        dx, dgamma, dbeta = k.batch_norm_train_backward(g, xd, gd, wd, mean, variance, axis,
                                                       float(epsilon))
        return dx, dbeta if offset is not None else None, dgamma if scale is not None else None
    return record(y, (x, offset, scale), vjp), mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with given
    statistics of shape ``(x.shape[axis],)``, as ``keras.ops.batch_normalization``."""
    k = kernels()
    xd, md, vd = data_of(x), data_of(mean), data_of(variance)
    gd, bd = data_of(scale), data_of(offset)
    y = k.batch_norm_inference_forward(xd, md, vd, gd, bd, axis, float(epsilon))
    if not needs_grad(x, scale, offset):
        return y

    def vjp(g):
        dx, dgamma, dbeta = k.batch_norm_inference_backward(g, xd, md, vd, gd, axis,
                                                           float(epsilon))
        return dx, dbeta if offset is not None else None, dgamma if scale is not None else None
    return record(y, (x, offset, scale), vjp)


def normalize_over_axes(x, axes, gamma=None, beta=None, param_shape=None, epsilon=1e-3,
                        rms_scaling=False):
    """Normalize each slice of ``x`` over ``axes`` and apply ``gamma``/``beta``,
    which broadcast to ``x`` once reshaped to ``param_shape``.

    The kernel behind LayerNormalization and (on grouped views)
    GroupNormalization.
    """
    k = kernels()
    xd = data_of(x)
    axes = tuple(sorted(a % xd.ndim for a in axes))
    if gamma is None and beta is None:
        param_shape = None
    gd, bd = _param(gamma, param_shape), _param(beta, param_shape)
    if rms_scaling:
        bd = None
    y, mean, inv = k.layer_norm_forward(xd, gd, bd, axes, float(epsilon), bool(rms_scaling))
    if not needs_grad(x, gamma, beta):
        return y
    shape = None if param_shape is None else tuple(param_shape)

    def vjp(g):
        dx, dgamma, dbeta = k.layer_norm_backward(g, xd, gd, mean, inv, axes, shape,
                                                  bool(rms_scaling))
        return dx, _shaped_like(dgamma, gamma), None if rms_scaling else _shaped_like(dbeta, beta)
    return record(y, (x, gamma, beta), vjp)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """As ``keras.ops.layer_normalization``: ``gamma``/``beta`` have the shape
    of ``x`` on the normalized axes; ``rms_scaling=True`` (a keyword) scales
    by the root mean square without centering."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}")
    epsilon = 1e-3 if epsilon is None else epsilon
    xd = data_of(x)
    axes = sorted(a % xd.ndim for a in ((axis,) if isinstance(axis, int) else axis))
    param_shape = tuple(xd.shape[i] if i in axes else 1 for i in range(xd.ndim))
    return normalize_over_axes(x, axes, gamma, beta, param_shape, epsilon, rms_scaling)


def l2_normalize(x, axis=-1, epsilon=1e-12):
    """``x * rsqrt(max(sum(x**2), epsilon**2))`` over ``axis`` (an int or a
    list of ints), which is Keras' ``x * min(rsqrt(sum(x**2)), 1 / epsilon)``
    (``keras.ops.normalize(x, axis, order=2)``) with a finite gradient at 0."""
    from brickwork.ops import math as m
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    squares = m.sum(m.square(x), axis=axis, keepdims=True)
    floor = backend_xp().asarray(epsilon * epsilon, dtype=data_of(x).dtype)
    return m.divide(x, m.sqrt(m.maximum(squares, floor)))


__all__ = ["batch_normalization_training", "batch_normalization", "normalize_over_axes",
           "layer_normalization", "l2_normalize"]
