"""Kernel specs of brickwork-transformer: fused attention and layer normalization.

The conventions of brickwork's own hook specification apply: backend arrays,
float32 by default (float64 accepted), inputs never modified, backward
kernels take the upstream gradient first and return gradients in the order
of the forward inputs they differentiate. Names carry the ``transformer_``
prefix so that they can never collide with a core spec.
"""
from brickwork.plugin import hookspec

#: What masked attention scores are replaced with before the softmax (as
#: Keras's Softmax layer does), so a fully masked row attends uniformly.
MASKED_SCORE = -1e9


@hookspec
def transformer_attention_forward(query, key, value, mask, scale):
    """Scaled dot-product attention, ``softmax(scale * q @ k^T) @ v``, fused.

    :param query: ``(batch, heads, q_len, depth)``.
    :param key: ``(batch, heads, kv_len, depth)``.
    :param value: ``(batch, heads, kv_len, value_depth)``.
    :param mask: None, or a bool array broadcastable to
        ``(batch, heads, q_len, kv_len)``; True where a query may attend to a
        key. Masked scores are replaced by ``MASKED_SCORE`` (-1e9).
    :param scale: a Python float multiplying the scores (``1/sqrt(depth)``).
    :returns: ``(output, weights)``: output ``(batch, heads, q_len,
        value_depth)`` and the attention weights ``(batch, heads, q_len,
        kv_len)`` (each row sums to 1), which the backward kernel takes.
    """


@hookspec
def transformer_attention_backward(doutput, query, key, value, mask, weights, scale):
    """Gradients of :func:`transformer_attention_forward`.

    :param doutput: ``(batch, heads, q_len, value_depth)``.
    :param query, key, value, mask, scale: the forward arguments.
    :param weights: the forward attention weights.
    :returns: ``(dquery, dkey, dvalue)`` with the shapes of the forward
        inputs. Masked scores are constants, so no gradient flows through them.
    """


@hookspec
def transformer_layer_norm_forward(x, gamma, beta, epsilon):
    """Layer normalization over the last axis, with scale and offset fused.

    ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta`` with the mean and
    the biased variance taken over the last axis (Keras's LayerNormalization
    with ``axis=-1``).

    :param x: ``(..., features)``.
    :param gamma: ``(features,)``.
    :param beta: ``(features,)``.
    :param epsilon: a Python float.
    :returns: ``(y, mean, inv_std)``: ``y`` with the shape of ``x``; ``mean``
        and ``inv_std = 1/sqrt(var + epsilon)`` of shape ``(..., 1)``.
    """


@hookspec
def transformer_layer_norm_backward(dy, x, gamma, mean, inv_std):
    """Gradients of :func:`transformer_layer_norm_forward`.

    :param dy: gradient with respect to ``y``, shape of ``x``.
    :param x, gamma: the forward inputs.
    :param mean, inv_std: the statistics the forward kernel returned.
    :returns: ``(dx, dgamma, dbeta)``; ``dgamma`` and ``dbeta`` are
        ``(features,)``, summed over every other axis.
    """
