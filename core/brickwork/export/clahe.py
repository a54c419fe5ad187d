"""Converter for ContrastLimitedAdaptiveHistogramEqualization (CLAHE), which
acts at inference, written op by op as the layer computes it.

The image is cut into the ``tile_grid_size`` tiles (padded symmetrically
first), each tile's histogram is a ReduceSum of an Equal against the 256
levels, clipped and cumulated into a mapping; every pixel then blends the
mappings of its four nearest tiles (GatherElements picks its level). The
tile geometry is fixed at export, so the image size must be known.
"""
from __future__ import annotations

import numpy as np

from brickwork import layers as L
from brickwork.export.augmentation import _to_range, as_float, images_only
from brickwork.export.graph import converter


def _grid(size, tile, count):
    """The layer's tile neighbours and weights along one axis (float32)."""
    position = (np.arange(size, dtype=np.float32) - np.float32(tile / 2.0)) / np.float32(tile)
    position = position + np.float32(1.0)
    low = np.floor(position)
    weight = (position - low).astype(np.float32)
    return (np.clip(low, 0, count + 1).astype(np.int64),
            np.clip(low + 1.0, 0, count + 1).astype(np.int64), weight)


@converter(L.ContrastLimitedAdaptiveHistogramEqualization)
def clahe(call):
    layer, g, h = call.layer, call.graph, call.hint
    x = as_float(call, images_only(call))
    channels_first = layer.data_format == "channels_first"
    shape = call.input_shapes[0]
    height, width, channels = (shape[2], shape[3], shape[1]) if channels_first else shape[1:]
    if None in (height, width, channels):
        call.refuse(f"its input's size is unknown ({shape}); the tiles are fixed at export, so "
                    f"give the Input a fixed image size")
    if channels_first:
        x = g.op("Transpose", [x], h, perm=[0, 2, 3, 1])
    x = _to_range(g, x, layer.value_range, (0, 255), h)
    grid_h, grid_w = layer.tile_grid_size
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    full_h, full_w = tile_h * grid_h, tile_w * grid_w
    padded = x
    for axis, size, full in ((1, height, full_h), (2, width, full_w)):
        if full != size:  # symmetric padding after the image, as np.pad(mode="symmetric")
            index = np.pad(np.arange(size), (0, full - size), mode="symmetric")
            padded = g.op("Gather", [padded, g.ints(index, f"{h}/pad_index")], h, axis=axis)
    tiles = g.reshape(padded, [-1, grid_h, tile_h, grid_w, tile_w, channels], h)
    tiles = g.op("Transpose", [tiles], h, perm=[0, 1, 3, 5, 2, 4])
    tiles = g.reshape(tiles, [-1, grid_h, grid_w, channels, tile_h * tile_w], h)
    int32 = g.onnx.TensorProto.INT32
    levels = g.op("Clip", [g.op("Cast", [tiles], h, to=int32), g.constant(0, f"{h}/low", np.int32),
                           g.constant(255, f"{h}/high", np.int32)], h)
    hot = g.op("Equal", [g.op("Unsqueeze", [levels, g.ints([-1], f"{h}/axis")], h),
                         g.constant(np.arange(256), f"{h}/levels", np.int32)], h)
    hists = g.op("ReduceSum", [g.op("Cast", [hot], h, to=g.onnx.TensorProto.FLOAT),
                               g.ints([-2], f"{h}/axis")], h, keepdims=0)  # (B, gh, gw, C, 256)
    area = float(tile_h * tile_w)
    last = g.ints([-1], f"{h}/last")
    if layer.clip_limit > 0:
        limit = layer.clip_limit * area / 256.0
        clipped = g.op("Clip", [hists, g.constant(0.0, f"{h}/zero"),
                                g.constant(limit, f"{h}/limit")], h)
        excess = g.op("ReduceSum", [g.op("Sub", [hists, clipped], h), last], h, keepdims=1)
        hists = g.op("Add", [clipped, g.op("Div", [excess, g.constant(256.0, f"{h}/bins")], h)],
                     h)
    cdf = g.op("CumSum", [hists, g.constant(np.array(-1), f"{h}/cum_axis", np.int64)], h)
    cdf_min = g.op("ReduceMin", [cdf, last], h, keepdims=1)
    denominator = g.op("Sub", [g.constant(area, f"{h}/area"), cdf_min], h)
    denominator = g.op("Where", [g.op("Equal", [denominator, g.constant(0.0, f"{h}/zero")], h),
                                 g.constant(1.0, f"{h}/one"), denominator], h)
    cdf = g.op("Div", [g.op("Mul", [g.op("Sub", [cdf, cdf_min], h),
                                    g.constant(255.0, f"{h}/top")], h), denominator], h)
    cdf = g.op("Clip", [cdf, g.constant(0.0, f"{h}/min"), g.constant(255.0, f"{h}/max")], h)
    # Edge tiles repeated once on every side, so every pixel has 4 neighbours.
    cdf = g.op("Gather", [cdf, g.ints([0, *range(grid_h), grid_h - 1], f"{h}/rows")], h, axis=1)
    cdf = g.op("Gather", [cdf, g.ints([0, *range(grid_w), grid_w - 1], f"{h}/cols")], h, axis=2)
    y0, y1, wy = _grid(full_h, tile_h, grid_h)
    x0, x1, wx = _grid(full_w, tile_w, grid_w)
    pixels = g.op("Clip", [padded, g.constant(0.0, f"{h}/min"), g.constant(255.0, f"{h}/max")],
                  h)
    pixels = g.op("Cast", [g.op("Cast", [pixels], h, to=int32)], h,
                  to=g.onnx.TensorProto.INT64)
    pixels = g.op("Unsqueeze", [pixels, last], h)  # (B, H, W, C, 1)
    by_row = {i: g.op("Gather", [cdf, g.ints(rows, f"{h}/row{i}")], h, axis=1)
              for i, rows in ((0, y0), (1, y1))}

    def value(i, j):
        tables = g.op("Gather", [by_row[i], g.ints(x0 if j == 0 else x1, f"{h}/col{j}")], h,
                      axis=2)  # (B, H, W, C, 256)
        picked = g.op("GatherElements", [tables, pixels], h, axis=4)
        return g.op("Squeeze", [picked, last], h)

    wy = g.constant(wy.reshape(1, -1, 1, 1), f"{h}/wy")
    wx = g.constant(wx.reshape(1, 1, -1, 1), f"{h}/wx")
    one = g.constant(1.0, f"{h}/one")
    not_wx, not_wy = g.op("Sub", [one, wx], h), g.op("Sub", [one, wy], h)
    top = g.op("Add", [g.op("Mul", [value(0, 0), not_wx], h), g.op("Mul", [value(0, 1), wx], h)],
               h)
    bottom = g.op("Add", [g.op("Mul", [value(1, 0), not_wx], h),
                          g.op("Mul", [value(1, 1), wx], h)], h)
    result = g.op("Add", [g.op("Mul", [top, not_wy], h), g.op("Mul", [bottom, wy], h)], h)
    if (full_h, full_w) != (height, width):
        result = g.op("Slice", [result, g.ints([0, 0], f"{h}/starts"),
                                g.ints([height, width], f"{h}/ends"),
                                g.ints([1, 2], f"{h}/axes")], h)
    result = _to_range(g, result, (0, 255), layer.value_range, h)
    if channels_first:
        result = g.op("Transpose", [result], h, perm=[0, 3, 1, 2])
    return [result]
