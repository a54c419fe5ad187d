"""Differentiable max and average pooling under Keras 3's op names."""
from __future__ import annotations

from brickwork.ops.convolution import (_in_layout, conv_output_length, padding_pairs,
                                       standardize_data_format, standardize_tuple)
from brickwork.ops.core import data_of, kernels, needs_grad, record, shape


def max_pool_channels_last(x, pool_size, strides, padding):
    """:func:`hookspecs.max_pool_forward` as a differentiable op (explicit pairs)."""
    k = kernels()
    geometry = (tuple(pool_size), tuple(strides), tuple(padding))
    xd = data_of(x)
    y = k.max_pool_forward(xd, *geometry)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.max_pool_backward(g, xd, y, *geometry),))


def avg_pool_channels_last(x, pool_size, strides, padding):
    """:func:`hookspecs.avg_pool_forward` as a differentiable op (explicit pairs)."""
    k = kernels()
    geometry = (tuple(pool_size), tuple(strides), tuple(padding))
    xd = data_of(x)
    y = k.avg_pool_forward(xd, *geometry)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.avg_pool_backward(g, xd, *geometry),))


def _pool(channels_last_op, inputs, pool_size, strides, padding, data_format, name):
    rank = len(shape(inputs)) - 2
    if rank < 1:
        raise ValueError(f"{name}: input must have batch, spatial and channel axes; "
                         f"got shape {shape(inputs)}")
    data_format = standardize_data_format(data_format)
    padding = str(padding).lower()
    pool_size = standardize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides")
    spatial = shape(inputs)[1:-1] if data_format == "channels_last" else shape(inputs)[2:]
    if padding not in ("valid", "same"):
        raise ValueError(f"{name}: `padding` must be 'valid' or 'same', got {padding!r}")
    for n, p, s in zip(spatial, pool_size, strides):
        if conv_output_length(n, p, s, 1, padding) <= 0:
            raise ValueError(f"{name}: computed output size would be zero or negative: input "
                             f"spatial shape {tuple(spatial)}, pool_size {pool_size}, strides "
                             f"{strides}, padding={padding!r}")
    pairs = padding_pairs(spatial, pool_size, strides, (1,) * rank, padding)
    return _in_layout(lambda x: channels_last_op(x, pool_size, strides, pairs), inputs,
                      data_format)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (Keras' ``ops.max_pool``); 'same' pads never win."""
    return _pool(max_pool_channels_last, inputs, pool_size, strides, padding, data_format,
                 "max_pool")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (Keras' ``ops.average_pool``); divides by the real cells only."""
    return _pool(avg_pool_channels_last, inputs, pool_size, strides, padding, data_format,
                 "average_pool")


__all__ = ["max_pool", "average_pool", "max_pool_channels_last", "avg_pool_channels_last"]
