"""Differentiable convolutions under Keras 3's op names and arguments.

``conv``, ``conv_transpose``, ``depthwise_conv`` and ``separable_conv`` take
Keras' arguments (int-or-tuple geometry, 'valid'/'same' padding, either data
format) plus two fusion extras, ``bias`` and ``activation``, that the kernels
apply in the same pass. The geometry helpers turn Keras' padding names into
the explicit ``(before, after)`` pairs of the kernel specs, with the
TensorFlow/XLA split ('same' puts ``total // 2`` before).
"""
from __future__ import annotations

from brickwork.autodiff import is_tracked
from brickwork.hookspecs import OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.ops.manipulation import transpose
from brickwork.ops.core import data_of, kernels, needs_grad, record, shape
from brickwork.ops.nn import activation_by_name

# ---------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------


def standardize_tuple(value, rank, name):
    """An int or a sequence of ``rank`` ints as a tuple of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * rank
    try:
        values = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"The `{name}` argument must be a tuple of {rank} integers. "
                         f"Received {name}={value!r}") from None
    if len(values) != rank:
        raise ValueError(f"The `{name}` argument must be a tuple of {rank} integers. "
                         f"Received {name}={value!r}")
    return values


def standardize_data_format(data_format):
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'. Received: data_format={data_format!r}")
    return data_format


def effective_size(kernel_size, dilation):
    return dilation * (kernel_size - 1) + 1


def same_padding(size, kernel_size, stride, dilation=1):
    """``(before, after)`` of TF/XLA 'same': output ``ceil(size / stride)``,
    the odd cell of the total goes after."""
    out = (size + stride - 1) // stride
    total = max(0, (out - 1) * stride + effective_size(kernel_size, dilation) - size)
    return total // 2, total - total // 2


def padding_pairs(spatial, kernel_size, strides, dilation_rate, padding):
    """Explicit pairs for 'valid', 'same' or 'causal' (left only, 1-D)."""
    if padding == "valid":
        return tuple((0, 0) for _ in spatial)
    if padding == "same":
        return tuple(same_padding(n, k, s, d) for n, k, s, d
                     in zip(spatial, kernel_size, strides, dilation_rate))
    if padding == "causal":
        return tuple((effective_size(k, d) - 1, 0) for k, d in zip(kernel_size, dilation_rate))
    raise ValueError(f"`padding` must be 'valid', 'same' or 'causal', got {padding!r}")


def conv_output_length(size, kernel_size, stride, dilation, padding):
    """Keras' output length of a convolution or pooling window (None stays None)."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return (size + stride - 1) // stride
    return (size - effective_size(kernel_size, dilation)) // stride + 1


def conv_transpose_output_length(size, kernel_size, stride, dilation, padding, output_padding):
    if size is None:
        return None
    extent = effective_size(kernel_size, dilation)
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return (size - 1) * stride + extent + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + extent % 2 + output_padding


def conv_transpose_padding(kernel_size, stride, dilation, padding, output_padding):
    """``(before, after)`` on the stride-dilated input, as Keras' JAX and NumPy backends."""
    extent = effective_size(kernel_size, dilation)
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return extent - 1, extent - 1 + extra
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, extent - 1)
    return before, total - before


# ---------------------------------------------------------------------------
# Data format
# ---------------------------------------------------------------------------


def to_channels_last(x):
    rank = len(shape(x)) - 2
    return transpose(x, (0, *range(2, rank + 2), 1))


def to_channels_first(x):
    rank = len(shape(x)) - 2
    return transpose(x, (0, rank + 1, *range(1, rank + 1)))


def _in_layout(fn, x, data_format):
    """Run ``fn`` (channels last) on ``x`` given in ``data_format``."""
    if data_format == "channels_first":
        return to_channels_first(fn(to_channels_last(x)))
    return fn(x)


def _fused(activation, run):
    """``run(name)`` with the activation fused when the kernel can do it."""
    activation = activation or "linear"
    if activation in OUTPUT_DIFFERENTIABLE_ACTIVATIONS:
        return run(activation)
    return activation_by_name(run("linear"), activation)


# ---------------------------------------------------------------------------
# Channels-last ops with explicit padding pairs (what layers call)
# ---------------------------------------------------------------------------


def _record_kernel_op(forward, backward, x, kernel, bias, geometry, activation):
    xd, kd, bd = data_of(x), data_of(kernel), data_of(bias)
    y = forward(xd, kd, bd, *geometry, activation)
    if not needs_grad(x, kernel, bias):
        return y
    need_dx = is_tracked(x)

    def vjp(g):
        dx, dkernel, dbias = backward(g, xd, kd, y, *geometry, activation, need_dx)
        return dx, dkernel, dbias if bias is not None else None
    return record(y, (x, kernel, bias), vjp)


def conv_channels_last(x, kernel, bias, strides, padding, dilation_rate, groups,
                       activation="linear"):
    """:func:`hookspecs.conv_forward` as a differentiable op."""
    k = kernels()
    geometry = (tuple(strides), tuple(padding), tuple(dilation_rate), int(groups))
    return _fused(activation, lambda act: _record_kernel_op(
        k.conv_forward, k.conv_backward, x, kernel, bias, geometry, act))


def conv_transpose_channels_last(x, kernel, bias, strides, padding, dilation_rate,
                                 activation="linear"):
    """:func:`hookspecs.conv_transpose_forward` as a differentiable op."""
    k = kernels()
    geometry = (tuple(strides), tuple(padding), tuple(dilation_rate))
    return _fused(activation, lambda act: _record_kernel_op(
        k.conv_transpose_forward, k.conv_transpose_backward, x, kernel, bias, geometry, act))


def depthwise_conv_channels_last(x, kernel, bias, strides, padding, dilation_rate,
                                 activation="linear"):
    """:func:`hookspecs.depthwise_conv_forward` as a differentiable op."""
    k = kernels()
    geometry = (tuple(strides), tuple(padding), tuple(dilation_rate))
    return _fused(activation, lambda act: _record_kernel_op(
        k.depthwise_conv_forward, k.depthwise_conv_backward, x, kernel, bias, geometry, act))


# ---------------------------------------------------------------------------
# Keras-style ops
# ---------------------------------------------------------------------------


def _geometry(x, strides, dilation_rate, data_format):
    rank = len(shape(x)) - 2
    if rank < 1:
        raise ValueError(f"convolution input must have a batch, spatial and channel axes; "
                         f"got shape {shape(x)}")
    data_format = standardize_data_format(data_format)
    spatial = shape(x)[1:-1] if data_format == "channels_last" else shape(x)[2:]
    return (rank, data_format, spatial, standardize_tuple(strides, rank, "strides"),
            standardize_tuple(dilation_rate, rank, "dilation_rate"))


def _check_output(spatial, kernel_size, strides, dilation_rate, padding, what):
    for n, k, s, d in zip(spatial, kernel_size, strides, dilation_rate):
        if padding == "valid" and conv_output_length(n, k, s, d, padding) <= 0:
            raise ValueError(
                f"{what}: computed output size would be zero or negative: input spatial shape "
                f"{tuple(spatial)}, kernel size {tuple(kernel_size)}, strides {tuple(strides)}, "
                f"dilation_rate {tuple(dilation_rate)}, padding='valid'")


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *,
         bias=None, activation="linear"):
    """N-d convolution (Keras' ``ops.conv``); kernel ``(*k, in // groups, filters)``,
    ``groups`` follows from the kernel's input-channel size."""
    padding = str(padding).lower()
    rank, data_format, spatial, strides, dilation_rate = _geometry(
        inputs, strides, dilation_rate, data_format)
    kernel_size = shape(kernel)[:-2]
    channels = shape(inputs)[-1] if data_format == "channels_last" else shape(inputs)[1]
    groups = channels // shape(kernel)[-2] if shape(kernel)[-2] else 0
    if (len(kernel_size) != rank or not groups or channels % shape(kernel)[-2]
            or shape(kernel)[-1] % groups):
        raise ValueError(f"conv: kernel of shape {shape(kernel)} does not fit input of shape "
                         f"{shape(inputs)} ({data_format}): the kernel must be (*kernel_size, "
                         f"in_channels // groups, filters) with groups dividing both")
    _check_output(spatial, kernel_size, strides, dilation_rate, padding, "conv")
    pairs = padding_pairs(spatial, kernel_size, strides, dilation_rate, padding)
    return _in_layout(lambda x: conv_channels_last(x, kernel, bias, strides, pairs, dilation_rate,
                                                   groups, activation), inputs, data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, *, bias=None, activation="linear"):
    """N-d transposed convolution (Keras' ``ops.conv_transpose``); kernel
    ``(*k, filters, in)``."""
    padding = str(padding).lower()
    rank, data_format, spatial, strides, dilation_rate = _geometry(
        inputs, strides, dilation_rate, data_format)
    kernel_size = shape(kernel)[:-2]
    if output_padding is None:
        output_padding = (None,) * rank
    else:
        output_padding = standardize_tuple(output_padding, rank, "output_padding")
    pairs = tuple(conv_transpose_padding(k, s, d, padding, op) for k, s, d, op
                  in zip(kernel_size, strides, dilation_rate, output_padding))
    return _in_layout(lambda x: conv_transpose_channels_last(
        x, kernel, bias, strides, pairs, dilation_rate, activation), inputs, data_format)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1,
                   *, bias=None, activation="linear"):
    """N-d depthwise convolution (Keras' ``ops.depthwise_conv``); kernel
    ``(*k, in, depth_multiplier)``."""
    padding = str(padding).lower()
    rank, data_format, spatial, strides, dilation_rate = _geometry(
        inputs, strides, dilation_rate, data_format)
    kernel_size = shape(kernel)[:-2]
    _check_output(spatial, kernel_size, strides, dilation_rate, padding, "depthwise_conv")
    pairs = padding_pairs(spatial, kernel_size, strides, dilation_rate, padding)
    return _in_layout(lambda x: depthwise_conv_channels_last(
        x, kernel, bias, strides, pairs, dilation_rate, activation), inputs, data_format)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, *, bias=None, activation="linear"):
    """Depthwise convolution, then a 1x1 convolution (Keras' ``ops.separable_conv``);
    strides and dilation apply to the depthwise step."""
    padding = str(padding).lower()
    rank, data_format, spatial, strides, dilation_rate = _geometry(
        inputs, strides, dilation_rate, data_format)
    kernel_size = shape(depthwise_kernel)[:-2]
    _check_output(spatial, kernel_size, strides, dilation_rate, padding, "separable_conv")
    pairs = padding_pairs(spatial, kernel_size, strides, dilation_rate, padding)
    ones, zeros = (1,) * rank, ((0, 0),) * rank

    def run(x):
        depthwise = depthwise_conv_channels_last(x, depthwise_kernel, None, strides, pairs,
                                                 dilation_rate)
        return conv_channels_last(depthwise, pointwise_kernel, bias, ones, zeros, ones, 1,
                                  activation)
    return _in_layout(run, inputs, data_format)


__all__ = ["conv", "conv_transpose", "depthwise_conv", "separable_conv", "conv_channels_last",
           "conv_transpose_channels_last", "depthwise_conv_channels_last", "same_padding",
           "padding_pairs", "conv_output_length", "conv_transpose_output_length",
           "conv_transpose_padding", "to_channels_last", "to_channels_first"]
