"""The reference kernels of brickwork-transformer, written once against an
array namespace ``xp`` (NumPy's API; CuPy follows it), as brickwork's own
are (``brickwork.reference_kernels``): ``numpy_kernels`` and
``cupy_kernels`` bind them to their backend's arrays with
``brickwork.reference_kernels.bind``.

Attention is two batched matrix products per direction with the softmax done
in place on the score array; layer normalization makes one pass for the
statistics and one in-place pass for the output.
"""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from brickwork_transformer.hookspecs import MASKED_SCORE


def _last_axis_dot(a, b):
    """``sum(a * b, axis=-1, keepdims=True)`` without the product temporary."""
    return xp.einsum("...i,...i->...", a, b)[..., None]


@hookimpl
def transformer_attention_forward(query, key, value, mask, scale):
    weights = xp.matmul(query, xp.swapaxes(key, -1, -2))
    weights *= scale
    if mask is not None:
        xp.copyto(weights, weights.dtype.type(MASKED_SCORE), where=xp.logical_not(mask))
    weights -= weights.max(axis=-1, keepdims=True)
    xp.exp(weights, out=weights)
    weights /= weights.sum(axis=-1, keepdims=True)
    return xp.matmul(weights, value), weights


@hookimpl
def transformer_attention_backward(doutput, query, key, value, mask, weights, scale):
    dvalue = xp.matmul(xp.swapaxes(weights, -1, -2), doutput)
    dscores = xp.matmul(doutput, xp.swapaxes(value, -1, -2))
    # softmax backward, in place: w * (dw - sum(dw * w))
    dscores -= _last_axis_dot(dscores, weights)
    dscores *= weights
    if mask is not None:  # masked scores are constants
        xp.copyto(dscores, dscores.dtype.type(0), where=xp.logical_not(mask))
    dscores *= scale
    dquery = xp.matmul(dscores, key)
    dkey = xp.matmul(xp.swapaxes(dscores, -1, -2), query)
    return dquery, dkey, dvalue


@hookimpl
def transformer_layer_norm_forward(x, gamma, beta, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    y = x - mean
    variance = _last_axis_dot(y, y)
    variance /= x.shape[-1]
    inv_std = 1.0 / xp.sqrt(variance + epsilon)
    y *= inv_std
    y *= gamma
    y += beta
    return y, mean, inv_std


@hookimpl
def transformer_layer_norm_backward(dy, x, gamma, mean, inv_std):
    features = x.shape[-1]
    x_hat = x - mean
    x_hat *= inv_std
    dy_2d, x_hat_2d = dy.reshape(-1, features), x_hat.reshape(-1, features)
    dgamma = xp.einsum("ni,ni->i", dy_2d, x_hat_2d)
    dbeta = dy_2d.sum(axis=0)
    g = dy * gamma
    projection = _last_axis_dot(g, x_hat)
    projection /= features
    dx = g - g.mean(axis=-1, keepdims=True)
    x_hat *= projection
    dx -= x_hat
    dx *= inv_std
    return dx, dgamma, dbeta
