"""Differentiable operations over brickwork-transformer's fused kernels.

They work like ``brickwork.ops``: they compute on backend arrays through the
kernel table and, when a gradient tape records, note how to differentiate.
"""
import math

from brickwork import ops
from brickwork.autodiff import needs_grad, record


def attention(query, key, value, mask=None, scale=None):
    """``softmax(scale * query @ key^T, masked) @ value`` over ``(batch, heads, len, depth)``.

    ``scale`` defaults to ``1/sqrt(depth)``; ``mask`` is True where a query may
    attend to a key (see the kernel spec).
    """
    k = ops.kernels()
    q, kk, v = ops.data_of(query), ops.data_of(key), ops.data_of(value)
    m = None if mask is None else ops.data_of(mask)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    out, weights = k.transformer_attention_forward(q, kk, v, m, scale)
    if not needs_grad(query, key, value):
        return out
    return record(out, (query, key, value),
                  lambda g: k.transformer_attention_backward(g, q, kk, v, m, weights, scale))


def layer_norm(x, gamma, beta, epsilon):
    """Layer normalization over the last axis: ``(x - mean) / sqrt(var + eps) * gamma + beta``."""
    k = ops.kernels()
    xd, gd, bd = ops.data_of(x), ops.data_of(gamma), ops.data_of(beta)
    y, mean, inv_std = k.transformer_layer_norm_forward(xd, gd, bd, float(epsilon))
    if not needs_grad(x, gamma, beta):
        return y
    return record(y, (x, gamma, beta),
                  lambda g: k.transformer_layer_norm_backward(g, xd, gd, mean, inv_std))
