"""Converters for the core, activation, regularization, reshaping,
padding, upsampling, merging and embedding layers."""
from __future__ import annotations


import numpy as np

from brickwork import layers as L
from brickwork.export.activations import emit_activation, relu_general
from brickwork.export.graph import converter
from brickwork.layers.padding import spatial_axes


# -- core -----------------------------------------------------------------------

@converter(L.Dense)
def dense(call):
    g, layer = call.graph, call.layer
    y = g.op("MatMul", [call.inputs[0], call.weight(layer.kernel, "kernel")], call.hint)
    if layer.bias is not None:
        y = g.op("Add", [y, call.weight(layer.bias, "bias")], call.hint)
    return [emit_activation(call, layer.activation, y)]


@converter(L.Activation)
def activation(call):
    return [emit_activation(call, call.layer.activation, call.inputs[0])]


def emit_einsum_dense(call, layer, x, hint):
    """``layer`` (an EinsumDense, maybe a sub-layer of ``call.layer``) on ``x``."""
    g = call.graph
    kernel = g.constant(layer.kernel.numpy(), f"{hint}/kernel")
    y = g.op("Einsum", [x, kernel], hint, equation=layer.equation)
    if layer.bias is not None:
        y = g.op("Add", [y, g.constant(layer.bias.numpy(), f"{hint}/bias")], hint)
    return emit_activation(call, layer.activation, y, f"{hint}/activation")


@converter(L.EinsumDense)
def einsum_dense(call):
    return [emit_einsum_dense(call, call.layer, call.inputs[0], call.hint)]


# -- identity at inference --------------------------------------------------------

@converter(L.Dropout, L.SpatialDropout1D, L.SpatialDropout2D, L.SpatialDropout3D,
           L.GaussianNoise, L.GaussianDropout, L.AlphaDropout, L.ActivityRegularization,
           ignores_mask=True)
def identity(call):
    return [call.graph.op("Identity", [call.inputs[0]], call.hint)]


# -- activation layers -----------------------------------------------------------

@converter(L.ReLU)
def relu_layer(call):
    layer = call.layer
    return [relu_general(call.graph, call.inputs[0], call.hint,
                         negative_slope=float(layer.negative_slope),
                         max_value=None if layer.max_value is None else float(layer.max_value),
                         threshold=float(layer.threshold))]


@converter(L.LeakyReLU)
def leaky_relu_layer(call):
    return [call.graph.op("LeakyRelu", [call.inputs[0]], call.hint,
                          alpha=float(call.layer.negative_slope))]


@converter(L.ELU)
def elu_layer(call):
    return [call.graph.op("Elu", [call.inputs[0]], call.hint, alpha=float(call.layer.alpha))]


@converter(L.PReLU)
def prelu_layer(call):
    return [call.graph.op("PRelu", [call.inputs[0], call.weight(call.layer.alpha, "alpha")],
                          call.hint)]


def softmax_over(g, x, axes, rank, hint):
    axes = sorted(a % rank for a in axes)
    if len(axes) == 1:
        return g.op("Softmax", [x], hint, axis=axes[0])
    axes_name = g.ints(axes, f"{hint}/axes")
    peak = g.op("ReduceMax", [x, axes_name], hint, keepdims=1)
    exp = g.op("Exp", [g.op("Sub", [x, peak], hint)], hint)
    total = g.op("ReduceSum", [exp, axes_name], hint, keepdims=1)
    return g.op("Div", [exp, total], hint)


@converter(L.Softmax)
def softmax_layer(call):
    axis = call.layer.axis
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    return [softmax_over(call.graph, call.inputs[0], axes, len(call.input_shapes[0]), call.hint)]


# -- reshaping -------------------------------------------------------------------

@converter(L.Flatten)
def flatten(call):
    g, x, shape = call.graph, call.inputs[0], call.input_shapes[0]
    if call.layer.data_format == "channels_first" and len(shape) > 2:
        x = g.transpose(x, (0, *range(2, len(shape)), 1), call.hint)
    return [g.op("Flatten", [x], call.hint, axis=1)]


@converter(L.Reshape)
def reshape(call):
    target = [-1 if d is None else d for d in call.output_shapes[0][1:]]
    if target.count(-1) > 1:
        call.refuse(f"its output shape {call.output_shapes[0]} has more than one unknown "
                    f"dimension besides the batch")
    # The batch: 0 copies the input's (when another dimension is inferred).
    batch = 0 if -1 in target else -1
    return [call.graph.reshape(call.inputs[0], [batch] + target, call.hint)]


@converter(L.Permute)
def permute(call):
    return [call.graph.op("Transpose", [call.inputs[0]], call.hint,
                          perm=[0] + [int(d) for d in call.layer.dims])]


@converter(L.RepeatVector)
def repeat_vector(call):
    g = call.graph
    x = g.op("Unsqueeze", [call.inputs[0], g.ints([1], f"{call.hint}/axis")], call.hint)
    return [g.op("Tile", [x, g.ints([1, call.layer.n, 1], f"{call.hint}/repeats")], call.hint)]


# -- padding, cropping, upsampling -----------------------------------------------

@converter(L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D)
def zero_padding(call):
    layer, rank = call.layer, len(call.input_shapes[0])
    before, after = [0] * rank, [0] * rank
    for axis, (b, a) in zip(spatial_axes(layer.data_format, layer.rank), layer._pairs()):
        before[axis], after[axis] = b, a
    g = call.graph
    return [g.op("Pad", [call.inputs[0], g.ints(before + after, f"{call.hint}/pads")],
                 call.hint, mode="constant")]


@converter(L.Cropping1D, L.Cropping2D, L.Cropping3D)
def cropping(call):
    layer, shape = call.layer, call.input_shapes[0]
    axes, starts, ends = [], [], []
    for axis, (b, a) in zip(spatial_axes(layer.data_format, layer.rank), layer._pairs()):
        axes.append(axis)
        starts.append(b)
        # A negative end counts from the axis's end, so unknown sizes work.
        ends.append(-a if a else np.iinfo(np.int64).max)
    g, h = call.graph, call.hint
    return [g.op("Slice", [call.inputs[0], g.ints(starts, f"{h}/starts"),
                           g.ints(ends, f"{h}/ends"), g.ints(axes, f"{h}/axes")], h)]


@converter(L.UpSampling1D, L.UpSampling2D, L.UpSampling3D)
def upsampling(call):
    layer, rank = call.layer, len(call.input_shapes[0])
    factors = layer._factors()
    factors = (factors,) if isinstance(factors, int) else tuple(factors)
    scales = [1.0] * rank
    for axis, factor in zip(layer._axes(), factors):
        scales[axis] = float(factor)
    g, h = call.graph, call.hint
    interpolation = getattr(layer, "interpolation", "nearest")
    if interpolation == "nearest":
        attributes = dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                          nearest_mode="floor")
    elif interpolation == "bilinear":
        attributes = dict(mode="linear", coordinate_transformation_mode="half_pixel")
    else:
        call.refuse(f"interpolation={interpolation!r} has no ONNX converter yet (nearest and "
                    f"bilinear do)")
    return [g.op("Resize", [call.inputs[0], "", g.constant(scales, f"{h}/scales")], h,
                 **attributes)]


# -- merging ---------------------------------------------------------------------

def _fold(call, op_type):
    result = call.inputs[0]
    for other in call.inputs[1:]:
        result = call.graph.op(op_type, [result, other], call.hint)
    return result


@converter(L.Add)
def add(call):
    return [_fold(call, "Add")]


@converter(L.Subtract)
def subtract(call):
    return [call.graph.op("Sub", call.inputs[:2], call.hint)]


@converter(L.Multiply)
def multiply(call):
    return [_fold(call, "Mul")]


@converter(L.Average)
def average(call):
    g = call.graph
    total = _fold(call, "Add")
    return [g.op("Mul", [total, g.constant(1.0 / len(call.inputs), f"{call.hint}/inv_n")],
                 call.hint)]


@converter(L.Maximum)
def maximum(call):
    return [call.graph.op("Max", call.inputs, call.hint)]


@converter(L.Minimum)
def minimum(call):
    return [call.graph.op("Min", call.inputs, call.hint)]


@converter(L.Concatenate)
def concatenate(call):
    return [call.graph.op("Concat", call.inputs, call.hint,
                          axis=int(call.layer.axis) % len(call.input_shapes[0]))]


def _l2_normalize(g, x, axis, hint):
    """``x / max(||x||, 1e-7)`` along ``axis`` (as the Dot layer)."""
    squares = g.op("ReduceSum", [g.op("Mul", [x, x], hint), g.ints([axis], f"{hint}/axis")],
                   hint, keepdims=1)
    norm = g.op("Sqrt", [g.op("Max", [squares, g.constant(1e-30, f"{hint}/floor")], hint)], hint)
    inverse = g.op("Min", [g.op("Reciprocal", [norm], hint), g.constant(1e7, f"{hint}/cap")],
                   hint)
    return g.op("Mul", [x, inverse], hint)


@converter(L.Dot)
def dot(call):
    g, h, layer = call.graph, call.hint, call.layer
    shape1, shape2 = call.input_shapes[:2]
    _, _, (a0, a1) = layer._check_shapes([shape1, shape2])
    x1, x2 = call.inputs[:2]
    if layer.normalize:
        x1, x2 = _l2_normalize(g, x1, a0, h), _l2_normalize(g, x2, a1, h)
    letters1 = "".join("z" if i == 0 else "k" if i == a0 else chr(ord("a") + i)
                       for i in range(len(shape1)))
    letters2 = "".join("z" if i == 0 else "k" if i == a1 else chr(ord("m") + i)
                       for i in range(len(shape2)))
    rest = letters1.replace("z", "").replace("k", "") + letters2.replace("z", "").replace("k", "")
    out = g.op("Einsum", [x1, x2], h, equation=f"{letters1},{letters2}->z{rest}")
    if not rest:
        out = g.op("Unsqueeze", [out, g.ints([-1], f"{h}/axis")], h)
    return [out]


# -- embedding -------------------------------------------------------------------

@converter(L.Embedding)
def embedding(call):
    g, h, layer = call.graph, call.hint, call.layer
    indices = call.inputs[0]
    if call.input_dtypes and call.input_dtypes[0] not in ("int32", "int64"):
        indices = g.op("Cast", [indices], h, to=call.graph.onnx.TensorProto.INT64)
    table = call.weight(layer.embeddings, "embeddings")
    return [g.op("Gather", [table, indices], h, axis=0)]


# Masking zeroes the steps whose features all equal mask_value; its mask only
# matters to layers that consume masks, and those refuse a masked input
# (see export.walk).
@converter(L.Masking, ignores_mask=True)
def masking(call):
    g, h, x = call.graph, call.hint, call.inputs[0]
    differs = g.op("Not", [g.op("Equal", [x, g.constant(call.layer.mask_value, f"{h}/value")],
                                h)], h)
    as_float = g.op("Cast", [differs], h, to=g.onnx.TensorProto.FLOAT)
    kept = g.op("ReduceMax", [as_float, g.ints([-1], f"{h}/axis")], h, keepdims=1)
    return [g.op("Mul", [x, kept], h)]


# -- wrappers --------------------------------------------------------------------

@converter(L.TimeDistributed)
def time_distributed(call):
    """The inner layer on ``(batch * steps, ...)``, reshaped back."""
    from brickwork.export.graph import LayerCall, find_converter, refuse
    layer, g, h = call.layer, call.graph, call.hint
    inner = layer.layer
    found = find_converter(inner)
    if found is None:
        refuse(inner, f"this layer class has no ONNX converter yet (inside TimeDistributed "
                      f"{layer.name!r})")
    in_shape, out_shape = call.input_shapes[0], call.output_shapes[0]
    if any(d is None for d in in_shape[2:]) or any(d is None for d in out_shape[2:]):
        call.refuse(f"the per-step shapes {in_shape[2:]} -> {out_shape[2:]} must be known")
    x = g.reshape(call.inputs[0], [-1, *in_shape[2:]], h)
    inner_call = LayerCall(g, inner, [x], [(None, *in_shape[2:])], [(None, *out_shape[2:])],
                           ((x,), {}), input_dtypes=call.input_dtypes)
    y = found[0](inner_call)[0]
    batch_and_steps = g.op("Slice", [g.op("Shape", [call.inputs[0]], h), g.ints([0], f"{h}/s"),
                                     g.ints([2], f"{h}/e")], h)
    shape = g.op("Concat", [batch_and_steps, g.ints(out_shape[2:], f"{h}/rest")], h, axis=0)
    return [g.op("Reshape", [y, shape], h)]
