"""Converters for the convolution and pooling layers.

ONNX's Conv, ConvTranspose and pooling operators are channels-first. A
channels_last layer is written as Transpose(NHWC->NCHW), the operator, then
Transpose back; the exporter's clean-up removes the back-and-forth pairs
between consecutive layers. Kernels are transposed to ONNX's layout once,
at export. 'same' padding becomes explicit (possibly asymmetric) pads with
Keras' rule: the odd cell goes after.
"""
from __future__ import annotations

import numpy as np

from brickwork import activations
from brickwork import layers as L
from brickwork.export.activations import emit_activation
from brickwork.export.graph import converter
from brickwork.layers.pooling import _GlobalMaxPooling
from brickwork.ops.convolution import conv_transpose_padding, effective_size, padding_pairs

_CHANNEL_AXIS_ACTIVATIONS = (activations.softmax, activations.log_softmax)


def _to_channels_first(call, x, rank, data_format):
    if data_format == "channels_first":
        return x
    return call.graph.transpose(x, (0, rank + 1, *range(1, rank + 1)), call.hint)


def _from_channels_first(call, x, rank, data_format):
    if data_format == "channels_first":
        return x
    return call.graph.transpose(x, (0, *range(2, rank + 2), 1), call.hint)


def _spatial(shape, data_format):
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def _pads(call, spatial, kernel_size, strides, dilation_rate, padding):
    """``{"pads": [...]}`` for ONNX, or ``{"auto_pad": "SAME_UPPER"}`` when a
    strided 'same' window meets a spatial size unknown at export (ONNX's
    SAME_UPPER is Keras' rule: the odd cell after)."""
    if padding == "same" and any(n is None for n in spatial):
        if all(s == 1 for s in strides):
            pairs = [((effective_size(k, d) - 1) // 2,
                      effective_size(k, d) - 1 - (effective_size(k, d) - 1) // 2)
                     for k, d in zip(kernel_size, dilation_rate)]
        else:
            return {"auto_pad": "SAME_UPPER"}
    else:
        pairs = padding_pairs(spatial, kernel_size, strides, dilation_rate, padding)
    return {"pads": [int(b) for b, _ in pairs] + [int(a) for _, a in pairs]}


def _finish(call, y, rank, data_format, activation):
    """The activation (elementwise ones before the layout goes back, so the
    Transposes between two convolutions cancel), then channels_last again."""
    if activation in _CHANNEL_AXIS_ACTIVATIONS:
        y = _from_channels_first(call, y, rank, data_format)
        return emit_activation(call, activation, y)
    y = emit_activation(call, activation, y)
    return _from_channels_first(call, y, rank, data_format)


def _conv_weight(kernel, rank):
    """Keras ``(*k, in, out)`` -> ONNX ``(out, in, *k)``."""
    return np.transpose(kernel, (rank + 1, rank, *range(rank)))


def _depthwise_weight(kernel, rank):
    """Keras ``(*k, in, multiplier)`` -> ONNX grouped ``(in * multiplier, 1, *k)``."""
    k = kernel.reshape(kernel.shape[:rank] + (-1,))
    return np.transpose(k, (rank, *range(rank)))[:, None]


@converter(L.Conv1D, L.Conv2D, L.Conv3D)
def conv(call):
    layer, g, rank = call.layer, call.graph, call.layer.rank
    x = _to_channels_first(call, call.inputs[0], rank, layer.data_format)
    inputs = [x, call.weight(layer.kernel, "kernel", lambda k: _conv_weight(k, rank))]
    if layer.bias is not None:
        inputs.append(call.weight(layer.bias, "bias"))
    spatial = _spatial(call.input_shapes[0], layer.data_format)
    y = g.op("Conv", inputs, call.hint, kernel_shape=list(layer.kernel_size),
             strides=list(layer.strides), dilations=list(layer.dilation_rate),
             group=int(layer.groups),
             **_pads(call, spatial, layer.kernel_size, layer.strides, layer.dilation_rate,
                     layer.padding))
    return [_finish(call, y, rank, layer.data_format, layer.activation)]


def _depthwise(call, x, kernel, rank, channels):
    layer = call.layer
    spatial = _spatial(call.input_shapes[0], layer.data_format)
    inputs = [x, call.weight(kernel, "depthwise_kernel", lambda k: _depthwise_weight(k, rank))]
    return inputs, dict(kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
                        dilations=list(layer.dilation_rate), group=int(channels),
                        **_pads(call, spatial, layer.kernel_size, layer.strides,
                                layer.dilation_rate, layer.padding))


@converter(L.DepthwiseConv1D, L.DepthwiseConv2D)
def depthwise_conv(call):
    layer, g, rank = call.layer, call.graph, call.layer.rank
    channels = layer.kernel.shape[rank]
    x = _to_channels_first(call, call.inputs[0], rank, layer.data_format)
    inputs, attributes = _depthwise(call, x, layer.kernel, rank, channels)
    if layer.bias is not None:
        inputs.append(call.weight(layer.bias, "bias"))
    y = g.op("Conv", inputs, call.hint, **attributes)
    return [_finish(call, y, rank, layer.data_format, layer.activation)]


@converter(L.SeparableConv1D, L.SeparableConv2D)
def separable_conv(call):
    layer, g, rank = call.layer, call.graph, call.layer.rank
    channels = layer.depthwise_kernel.shape[rank]
    x = _to_channels_first(call, call.inputs[0], rank, layer.data_format)
    inputs, attributes = _depthwise(call, x, layer.depthwise_kernel, rank, channels)
    depthwise = g.op("Conv", inputs, f"{call.hint}/depthwise", **attributes)
    inputs = [depthwise, call.weight(layer.pointwise_kernel, "pointwise_kernel",
                                     lambda k: _conv_weight(k, rank))]
    if layer.bias is not None:
        inputs.append(call.weight(layer.bias, "bias"))
    y = g.op("Conv", inputs, f"{call.hint}/pointwise", kernel_shape=[1] * rank)
    return [_finish(call, y, rank, layer.data_format, layer.activation)]


@converter(L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)
def conv_transpose(call):
    layer, g, rank = call.layer, call.graph, call.layer.rank
    x = _to_channels_first(call, call.inputs[0], rank, layer.data_format)
    # Keras (*k, filters, in) -> ONNX ConvTranspose (in, filters, *k).
    inputs = [x, call.weight(layer.kernel, "kernel", lambda k: _conv_weight(k, rank))]
    if layer.bias is not None:
        inputs.append(call.weight(layer.bias, "bias"))
    extras = layer.output_padding or (None,) * rank
    begins, ends, output_padding = [], [], []
    for k, s, d, extra in zip(layer.kernel_size, layer.strides, layer.dilation_rate, extras):
        # Keras pads the stride-dilated input by (before, after) and
        # correlates with the flipped kernel; ONNX crops its full output.
        before, after = conv_transpose_padding(k, s, d, layer.padding, extra)
        extent = effective_size(k, d)
        begin, end = extent - 1 - before, extent - 1 - after
        if begin < 0:
            call.refuse(f"its padding needs {-begin} extra cells before the output, which "
                        f"ONNX ConvTranspose cannot express")
        begins.append(begin)
        ends.append(max(end, 0))
        output_padding.append(max(-end, 0))
    y = g.op("ConvTranspose", inputs, call.hint, kernel_shape=list(layer.kernel_size),
             strides=list(layer.strides), dilations=list(layer.dilation_rate),
             pads=begins + ends,
             output_padding=output_padding if any(output_padding) else None)
    return [_finish(call, y, rank, layer.data_format, layer.activation)]


POOLINGS = (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D, L.AveragePooling1D,
            L.AveragePooling2D, L.AveragePooling3D)


@converter(*POOLINGS)
def pooling(call):
    layer, g = call.layer, call.graph
    rank = layer.pool_dimensions
    x = _to_channels_first(call, call.inputs[0], rank, layer.data_format)
    spatial = _spatial(call.input_shapes[0], layer.data_format)
    attributes = dict(kernel_shape=list(layer.pool_size), strides=list(layer.strides),
                      **_pads(call, spatial, layer.pool_size, layer.strides, (1,) * rank,
                              layer.padding.lower()))
    if layer.pool_mode == "max":
        y = g.op("MaxPool", [x], call.hint, **attributes)
    else:
        # Keras averages a 'same' window over its real cells only.
        y = g.op("AveragePool", [x], call.hint, count_include_pad=0, **attributes)
    return [_from_channels_first(call, y, rank, layer.data_format)]


@converter(L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling3D,
           L.GlobalAveragePooling1D, L.GlobalAveragePooling2D, L.GlobalAveragePooling3D)
def global_pooling(call):
    layer, g = call.layer, call.graph
    op_type = "ReduceMax" if isinstance(layer, _GlobalMaxPooling) else "ReduceMean"
    axes = g.ints(layer._spatial_axes(), f"{call.hint}/axes")
    return [g.op(op_type, [call.inputs[0], axes], call.hint, keepdims=int(bool(layer.keepdims)))]
