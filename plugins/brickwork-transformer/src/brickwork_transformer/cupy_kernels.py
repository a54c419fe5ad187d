"""CuPy implementations of brickwork-transformer's kernel specs (GPU).

The same algorithms as ``numpy_kernels``: matrix products go to cuBLAS
through ``cupy.matmul``, the rest are in-place elementwise passes. Imported
only when the cupy backend is selected.
"""
import cupy as cp

from brickwork.plugin import hookimpl

from brickwork_transformer.hookspecs import MASKED_SCORE

BRICKWORK_BACKEND = "cupy"


def _last_axis_dot(a, b):
    """``sum(a * b, axis=-1, keepdims=True)``."""
    return cp.einsum("...i,...i->...", a, b)[..., None]


@hookimpl
def transformer_attention_forward(query, key, value, mask, scale):
    weights = cp.matmul(query, cp.swapaxes(key, -1, -2))
    weights *= scale
    if mask is not None:
        cp.copyto(weights, weights.dtype.type(MASKED_SCORE), where=cp.logical_not(mask))
    weights -= weights.max(axis=-1, keepdims=True)
    cp.exp(weights, out=weights)
    weights /= weights.sum(axis=-1, keepdims=True)
    return cp.matmul(weights, value), weights


@hookimpl
def transformer_attention_backward(doutput, query, key, value, mask, weights, scale):
    dvalue = cp.matmul(cp.swapaxes(weights, -1, -2), doutput)
    dscores = cp.matmul(doutput, cp.swapaxes(value, -1, -2))
    dscores -= _last_axis_dot(dscores, weights)
    dscores *= weights
    if mask is not None:  # masked scores are constants
        cp.copyto(dscores, dscores.dtype.type(0), where=cp.logical_not(mask))
    dscores *= scale
    dquery = cp.matmul(dscores, key)
    dkey = cp.matmul(cp.swapaxes(dscores, -1, -2), query)
    return dquery, dkey, dvalue


@hookimpl
def transformer_layer_norm_forward(x, gamma, beta, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    y = x - mean
    variance = _last_axis_dot(y, y)
    variance /= x.shape[-1]
    inv_std = 1.0 / cp.sqrt(variance + epsilon)
    y *= inv_std
    y *= gamma
    y += beta
    return y, mean, inv_std


@hookimpl
def transformer_layer_norm_backward(dy, x, gamma, mean, inv_std):
    features = x.shape[-1]
    x_hat = (x - mean) * inv_std
    dy_2d, x_hat_2d = dy.reshape(-1, features), x_hat.reshape(-1, features)
    dgamma = cp.einsum("ni,ni->i", dy_2d, x_hat_2d)
    dbeta = dy_2d.sum(axis=0)
    g = dy * gamma
    projection = _last_axis_dot(g, x_hat) / features
    dx = g - g.mean(axis=-1, keepdims=True)
    dx -= x_hat * projection
    dx *= inv_std
    return dx, dgamma, dbeta
