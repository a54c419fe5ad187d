"""Converters for BatchNormalization (inference), LayerNormalization,
GroupNormalization and UnitNormalization."""
from __future__ import annotations

import numpy as np

from brickwork import layers as L
from brickwork.export.graph import converter


def _array(variable):
    return None if variable is None else np.asarray(variable.numpy(), dtype=np.float64)


# Inference only: BatchNormalization is exported with its moving statistics
# (what predict uses), folded into one scale and one shift per channel.
@converter(L.BatchNormalization, ignores_mask=True)
def batch_normalization(call):
    layer, g, h = call.layer, call.graph, call.hint
    rank = len(call.input_shapes[0])
    axis = layer.axis % rank
    mean, variance = _array(layer.moving_mean), _array(layer.moving_variance)
    scale = 1.0 / np.sqrt(variance + layer.epsilon)
    if layer.gamma is not None:
        scale = scale * _array(layer.gamma)
    shift = -mean * scale
    if layer.beta is not None:
        shift = shift + _array(layer.beta)
    shape = [1] * rank
    shape[axis] = -1
    y = g.op("Mul", [call.inputs[0], g.constant(scale.reshape(shape[1:]), f"{h}/scale")], h)
    return [g.op("Add", [y, g.constant(shift.reshape(shape[1:]), f"{h}/shift")], h)]


def _normalize(g, x, axes, epsilon, hint):
    """``(x - mean) / sqrt(var + epsilon)`` over ``axes``."""
    axes_name = g.ints(axes, f"{hint}/axes")
    mean = g.op("ReduceMean", [x, axes_name], hint, keepdims=1)
    centered = g.op("Sub", [x, mean], hint)
    variance = g.op("ReduceMean", [g.op("Mul", [centered, centered], hint), axes_name], hint,
                    keepdims=1)
    deviation = g.op("Sqrt", [g.op("Add", [variance, g.constant(epsilon, f"{hint}/epsilon")],
                                   hint)], hint)
    return g.op("Div", [centered, deviation], hint)


@converter(L.LayerNormalization)
def layer_normalization(call):
    layer, g, h = call.layer, call.graph, call.hint
    if layer.rms_scaling:
        call.refuse("rms_scaling=True (deprecated in Keras) has no ONNX converter")
    shape = call.input_shapes[0]
    rank = len(shape)
    axes = sorted(a % rank for a in (layer.axis if isinstance(layer.axis, list)
                                     else [layer.axis]))
    if axes == list(range(axes[0], rank)):
        # ONNX LayerNormalization (opset 17) normalizes the trailing axes.
        normalized = tuple(shape[a] for a in axes)
        gamma = (call.weight(layer.gamma, "gamma") if layer.gamma is not None
                 else g.constant(np.ones(normalized), f"{h}/gamma"))
        inputs = [call.inputs[0], gamma]
        if layer.beta is not None:
            inputs.append(call.weight(layer.beta, "beta"))
        return [g.op("LayerNormalization", inputs, h, axis=axes[0],
                     epsilon=float(layer.epsilon))]
    y = _normalize(g, call.inputs[0], axes, float(layer.epsilon), h)
    param_shape = [shape[i] if i in axes else 1 for i in range(1, rank)]
    return [_scale_and_shift(call, y, param_shape)]


def _scale_and_shift(call, y, param_shape):
    """``y * gamma + beta`` with the layer's weights (either may be absent)
    reshaped to broadcast over the normalized input."""
    layer, g, h = call.layer, call.graph, call.hint
    if layer.gamma is not None:
        y = g.op("Mul", [y, call.weight(layer.gamma, "gamma",
                                        lambda a: a.reshape(param_shape))], h)
    if layer.beta is not None:
        y = g.op("Add", [y, call.weight(layer.beta, "beta", lambda a: a.reshape(param_shape))],
                 h)
    return y


@converter(L.GroupNormalization)
def group_normalization(call):
    layer, g, h = call.layer, call.graph, call.hint
    shape = call.input_shapes[0]
    rank = len(shape)
    axis = layer.axis % rank
    channels = shape[axis]
    # Split the channel axis into (groups, channels per group); 0 copies the
    # batch (and earlier) dims, one unknown later dim is inferred.
    grouped = ([0] * axis + [layer.groups, channels // layer.groups]
               + [-1 if d is None else d for d in shape[axis + 1:]])
    if grouped.count(-1) > 1:
        call.refuse(f"its input shape {shape} has more than one unknown dimension after the "
                    f"channels")
    x = call.inputs[0]
    y = g.reshape(x, grouped, h)
    reduction = [i for i in range(1, rank + 1) if i != axis]
    y = _normalize(g, y, reduction, float(layer.epsilon), h)
    y = g.op("Reshape", [y, g.op("Shape", [x], h)], h)
    param_shape = [channels if i == axis else 1 for i in range(1, rank)]
    return [_scale_and_shift(call, y, param_shape)]


@converter(L.UnitNormalization)
def unit_normalization(call):
    g, h = call.graph, call.hint
    rank = len(call.input_shapes[0])
    axis = call.layer.axis
    axes = sorted(a % rank for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
    x = call.inputs[0]
    squares = g.op("ReduceSum", [g.op("Mul", [x, x], h), g.ints(axes, f"{h}/axes")], h,
                   keepdims=1)
    floor = g.constant(1e-12 * 1e-12, f"{h}/floor")
    return [g.op("Div", [x, g.op("Sqrt", [g.op("Max", [squares, floor], h)], h)], h)]
