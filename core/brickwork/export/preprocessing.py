"""Converters for the numeric preprocessing layers: Rescaling,
Normalization, Resizing, CenterCrop, Discretization, CategoryEncoding and
IntegerLookup.

Resizing is separable: along each resized axis every output pixel is a
fixed weighted sum of input pixels. The exporter computes those weights
with the same functions ``ops.image.resize`` uses (every interpolation,
antialias included) and writes them as an Einsum per axis, so the image's
height and width must be known at export. Nearest neighbour is a Gather.
Lookups and bin boundaries become constants compared with Equal / Greater.
"""
from __future__ import annotations

import numpy as np

from brickwork import layers as L
from brickwork import ops
from brickwork.export.augmentation import as_float
from brickwork.export.graph import converter


def _host(array):
    """A backend array (of any backend) as a NumPy array."""
    return ops.convert_to_numpy(array)


def _tensor_type(g, dtype):
    return g.helper.np_dtype_to_tensor_dtype(np.dtype(str(dtype)))


@converter(L.Rescaling)
def rescaling(call):
    from brickwork.backend import image_data_format
    layer, g, h = call.layer, call.graph, call.hint
    scale = np.asarray(layer.scale, np.float32)
    if scale.ndim > 0 and image_data_format() == "channels_first":
        scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
    x = as_float(call, call.inputs[0])
    y = g.op("Mul", [x, g.constant(scale, f"{h}/scale")], h)
    return [g.op("Add", [y, g.constant(np.asarray(layer.offset, np.float32), f"{h}/offset")], h)]


@converter(L.Normalization)
def normalization(call):
    from brickwork import backend, ops
    layer, g, h = call.layer, call.graph, call.hint
    if layer.mean is None:
        call.refuse("it has no mean and variance yet: call `adapt(data)` or pass them")
    if layer.input_mean is None:
        layer.finalize_state()
    mean = np.asarray(ops.convert_to_numpy(layer.mean), np.float32)
    variance = np.asarray(ops.convert_to_numpy(layer.variance), np.float32)
    # The batch axis of the broadcast shape is dropped (it is 1 or absent).
    rank = len(call.input_shapes[0])
    mean, variance = (v.reshape(v.shape[-(rank - 1):]) if v.ndim >= rank else v
                      for v in (mean, variance))
    scale = np.maximum(np.sqrt(variance), np.float32(backend.epsilon()))
    x = as_float(call, call.inputs[0])
    mean_name, scale_name = g.constant(mean, f"{h}/mean"), g.constant(scale, f"{h}/scale")
    if layer.invert:
        return [g.op("Add", [mean_name, g.op("Mul", [x, scale_name], h)], h)]
    return [g.op("Div", [g.op("Sub", [x, mean_name], h), scale_name], h)]


# -- resizing and cropping ------------------------------------------------------------

def _image_axes(call, data_format):
    shape = call.input_shapes[0]
    if len(shape) != 4:
        call.refuse(f"its input has shape {shape}; export needs a batch of images (rank 4)")
    rows, cols = (2, 3) if data_format == "channels_first" else (1, 2)
    if shape[rows] is None or shape[cols] is None:
        call.refuse(f"its input's height and width are unknown ({shape}); the resampling "
                    f"weights are computed at export, so give the Input a fixed image size")
    return rows, cols, shape[rows], shape[cols]


def _contract(g, x, weights, axis, hint):
    """Contract ``axis`` of the rank-4 ``x`` with ``(in, out)`` weights."""
    letters = "abcd"
    source = letters
    target = letters[:axis] + "z" + letters[axis + 1:]
    equation = f"{source},{letters[axis]}z->{target}"
    return g.op("Einsum", [x, g.constant(weights, f"{hint}/weights")], hint, equation=equation)


def emit_resize(call, x, data_format, out_h, out_w, interpolation="bilinear", antialias=False,
                crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, fill_value=0.0,
                integer_dtype=None):
    """``ops.image.resize`` of the call's first input (already as ``x``)."""
    # The weights ops.image.resize itself applies.
    from brickwork.ops.image import _area_weights, _resampling_kernel, _resampling_weights
    g, hint = call.graph, call.hint
    rows, cols, h, w = _image_axes(call, data_format)
    if crop_to_aspect_ratio:
        crop_h = max(min(h, int(float(w * out_h) / out_w)), 1)
        crop_w = max(min(w, int(float(h * out_w) / out_h)), 1)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        x = g.op("Slice", [x, g.ints([top, left], f"{hint}/starts"),
                           g.ints([top + crop_h, left + crop_w], f"{hint}/ends"),
                           g.ints([rows, cols], f"{hint}/axes")], hint)
        h, w = crop_h, crop_w
    elif pad_to_aspect_ratio:
        pad_h = max(h, int(float(w * out_h) / out_w))
        pad_w = max(w, int(float(h * out_w) / out_h))
        top, left = (pad_h - h) // 2, (pad_w - w) // 2
        pads = [0] * 8
        pads[rows], pads[cols], pads[4 + rows], pads[4 + cols] = top, left, top, left
        x = g.op("Pad", [x, g.ints(pads, f"{hint}/pads"),
                         g.constant(fill_value, f"{hint}/fill",
                                    dtype=integer_dtype or np.float32)], hint, mode="constant")
        h, w = h + 2 * top, w + 2 * left
    if interpolation == "nearest":
        for axis, size, out in ((rows, h, out_h), (cols, w, out_w)):
            index = np.clip(np.floor((np.arange(out, dtype="float32") + 0.5) * size / out),
                            0, size - 1).astype(np.int64)
            x = g.op("Gather", [x, g.ints(index, f"{hint}/index")], hint, axis=axis)
        return x
    source = x
    if integer_dtype is not None:
        x = g.op("Cast", [x], hint, to=g.onnx.TensorProto.FLOAT)
    for axis, size, out in ((rows, h, out_h), (cols, w, out_w)):
        if size == out and interpolation != "area":
            continue  # only the dimensions whose size changes are resampled
        if interpolation == "area":
            weights = _area_weights(size, out)
        else:
            weights = _resampling_weights(size, out, out / size if size else 1.0, 0.0,
                                          _resampling_kernel(interpolation), antialias)
        x = _contract(g, x, _host(weights).astype(np.float32), axis, hint)
    if integer_dtype is not None:
        # Rounded and clipped to the input's own range, then to the dtype's.
        as_float_source = g.op("Cast", [source], hint, to=g.onnx.TensorProto.FLOAT)
        low = g.op("ReduceMin", [as_float_source], hint, keepdims=0)
        high = g.op("ReduceMax", [as_float_source], hint, keepdims=0)
        x = g.op("Min", [g.op("Max", [g.op("Round", [x], hint), low], hint), high], hint)
        x = g.op("Cast", [x], hint, to=_tensor_type(g, integer_dtype))
    return x


@converter(L.Resizing)
def resizing(call):
    layer = call.layer
    if len(call.inputs) != 1:
        call.refuse("it is called on the dict form; ONNX export takes the layer on images alone")
    dtype = np.dtype(str(call.input_dtypes[0])) if call.input_dtypes else np.dtype("float32")
    if dtype.kind not in "iubf" or (dtype.kind == "f" and dtype != np.float32):
        call.refuse(f"its input dtype {dtype} is not exported (float32 or integer images are)")
    integer = dtype if dtype.kind in "iub" else None
    return [emit_resize(call, call.inputs[0], layer.data_format, layer.height, layer.width,
                        layer.interpolation, layer.antialias, layer.crop_to_aspect_ratio,
                        layer.pad_to_aspect_ratio, layer.fill_value, integer_dtype=integer)]


@converter(L.CenterCrop)
def center_crop(call):
    layer, g, h = call.layer, call.graph, call.hint
    if len(call.inputs) != 1:
        call.refuse("it is called on the dict form; ONNX export takes the layer on images alone")
    x = as_float(call, call.inputs[0])
    rows, cols, height, width = _image_axes(call, layer.data_format)
    h_diff, w_diff = height - layer.height, width - layer.width
    if h_diff >= 0 and w_diff >= 0:
        top, left = h_diff // 2, w_diff // 2
        return [g.op("Slice", [x, g.ints([top, left], f"{h}/starts"),
                               g.ints([top + layer.height, left + layer.width], f"{h}/ends"),
                               g.ints([rows, cols], f"{h}/axes")], h)]
    return [emit_resize(call, x, layer.data_format, layer.height, layer.width,
                        crop_to_aspect_ratio=True)]


# -- categorical encodings ------------------------------------------------------------

def emit_encoding(call, indices, rank, last_dim, output_mode, depth, dtype, count_weights=None,
                  idf_weights=None):
    """``preprocessing.encoding.encode`` of int64 ``indices`` (rank ``rank``)."""
    g, h = call.graph, call.hint
    to = _tensor_type(g, dtype)
    if output_mode == "int":
        return g.op("Cast", [indices], h, to=to)
    if output_mode != "one_hot" and rank < 2:
        call.refuse(f"output_mode={output_mode!r} on a rank-1 input encodes the whole batch "
                    f"as one sample; give the input a last axis (shape (batch, n))")
    if output_mode == "one_hot" and rank > 1 and last_dim == 1:
        indices = g.op("Squeeze", [indices, g.ints([-1], f"{h}/axis")], h)
    expanded = g.op("Unsqueeze", [indices, g.ints([-1], f"{h}/axis")], h)
    hot = g.op("Equal", [expanded, g.ints(np.arange(depth), f"{h}/classes")], h)
    if output_mode == "one_hot":
        return g.op("Cast", [hot], h, to=to)
    hot = g.op("Cast", [hot], h, to=g.onnx.TensorProto.FLOAT)
    axis = g.ints([-2], f"{h}/axis")
    if output_mode == "multi_hot":
        return g.op("Cast", [g.op("ReduceMax", [hot, axis], h, keepdims=0)], h, to=to)
    if count_weights is not None:
        weights = g.op("Unsqueeze", [count_weights, g.ints([-1], f"{h}/axis")], h)
        hot = g.op("Mul", [hot, weights], h)
    counts = g.op("ReduceSum", [hot, axis], h, keepdims=0)
    if output_mode == "tf_idf":
        return g.op("Mul", [counts, g.constant(idf_weights, f"{h}/idf_weights")], h)
    return g.op("Cast", [counts], h, to=to)


def _as_int64(call, x, index=0):
    g = call.graph
    dtype = str(call.input_dtypes[index]) if call.input_dtypes else "int64"
    if dtype == "int64":
        return x
    return g.op("Cast", [x], call.hint, to=g.onnx.TensorProto.INT64)


@converter(L.Discretization)
def discretization(call):
    layer, g, h = call.layer, call.graph, call.hint
    if layer.bin_boundaries is None:
        call.refuse("it has no bin boundaries yet: pass `bin_boundaries` or call `adapt(data)`")
    boundaries = np.asarray(layer.bin_boundaries, dtype=np.float64)
    # digitize(x, bins) counts the boundaries at or below x (compared in float64).
    x = g.op("Cast", [call.inputs[0]], h, to=g.onnx.TensorProto.DOUBLE)
    x = g.op("Unsqueeze", [x, g.ints([-1], f"{h}/axis")], h)
    below = g.op("GreaterOrEqual", [x, g.constant(boundaries, f"{h}/boundaries",
                                                  dtype=np.float64)], h)
    indices = g.op("ReduceSum", [g.op("Cast", [below], h, to=g.onnx.TensorProto.INT64),
                                 g.ints([-1], f"{h}/axis")], h, keepdims=0)
    shape = call.input_shapes[0]
    return [emit_encoding(call, indices, len(shape), shape[-1] if shape else None,
                          layer.output_mode, len(boundaries) + 1, layer.output_dtype)]


@converter(L.CategoryEncoding)
def category_encoding(call):
    layer = call.layer
    indices = _as_int64(call, call.inputs[0])
    weights = call.inputs[1] if len(call.inputs) > 1 else None
    if weights is not None:
        weights = as_float(call, weights, 1)
    shape = call.input_shapes[0]
    return [emit_encoding(call, indices, len(shape), shape[-1] if shape else None,
                          layer.output_mode, layer.num_tokens, layer.variable_dtype,
                          count_weights=weights)]


@converter(L.IntegerLookup)
def integer_lookup(call):
    layer, g, h = call.layer, call.graph, call.hint
    tokens = np.asarray(list(layer._tokens), dtype=np.int64)
    start, oov_start = layer._token_start_index(), layer._oov_start_index()
    x = _as_int64(call, call.inputs[0])
    if layer.invert:
        # index -> token, the OOV token for indices outside the table.
        table = np.full(start + len(tokens), int(layer.oov_token), np.int64)
        table[start:] = tokens
        if layer.mask_token is not None:
            table[0] = int(layer.mask_token)
        inside = g.op("And", [g.op("GreaterOrEqual", [x, g.ints([0], f"{h}/zero")], h),
                              g.op("Less", [x, g.ints([len(table)], f"{h}/size")], h)], h)
        safe = g.op("Where", [inside, x, g.ints([0], f"{h}/zero")], h)
        found = g.op("Gather", [g.ints(table, f"{h}/table"), safe], h, axis=0)
        return [g.op("Where", [inside, found, g.ints([int(layer.oov_token)], f"{h}/oov")], h)]
    if layer.num_oov_indices > 1 and layer.oov_method == "farmhash":
        call.refuse("oov_method='farmhash' hashes out-of-vocabulary values with FarmHash, which "
                    "has no ONNX operator; use oov_method='floormod' or num_oov_indices=1")
    if len(tokens):
        expanded = g.op("Unsqueeze", [x, g.ints([-1], f"{h}/axis")], h)
        matches = g.op("Equal", [expanded, g.ints(tokens, f"{h}/vocabulary")], h)
        as_int = g.op("Cast", [matches], h, to=g.onnx.TensorProto.INT32)
        known = g.op("Cast", [g.op("ReduceMax", [as_int, g.ints([-1], f"{h}/axis")], h,
                                   keepdims=0)], h, to=g.onnx.TensorProto.BOOL)
        position = g.op("ArgMax", [as_int], h, axis=-1, keepdims=0)
        found = g.op("Add", [position, g.ints([start], f"{h}/start")], h)
    else:
        known = None
    if layer.num_oov_indices > 1:
        oov = g.op("Add", [g.op("Mod", [x, g.ints([layer.num_oov_indices], f"{h}/n_oov")], h),
                           g.ints([oov_start], f"{h}/oov_start")], h)
    elif layer.num_oov_indices == 1:
        oov = g.op("Mul", [x, g.ints([0], f"{h}/zero")], h)
        oov = g.op("Add", [oov, g.ints([oov_start], f"{h}/oov_start")], h)
    else:
        # Out-of-vocabulary values are an error in predict; -1 encodes as nothing.
        oov = g.op("Mul", [x, g.ints([0], f"{h}/zero")], h)
        oov = g.op("Sub", [oov, g.ints([1], f"{h}/one")], h)
    indices = oov if known is None else g.op("Where", [known, found, oov], h)
    if layer.mask_token is not None:
        mask_index = 0 if layer.output_mode == "int" else -1
        masked = g.op("Equal", [x, g.ints([int(layer.mask_token)], f"{h}/mask_token")], h)
        indices = g.op("Where", [masked, g.ints([mask_index], f"{h}/mask_index"), indices], h)
    shape = call.input_shapes[0]
    mode = layer.output_mode
    idf = None
    if mode == "tf_idf":
        idf = np.asarray(layer.idf_weights, np.float32)
    dtype = "float32" if mode == "tf_idf" else "int64"
    return [emit_encoding(call, indices, len(shape), shape[-1] if shape else None, mode,
                          layer._depth(), dtype, idf_weights=idf)]
