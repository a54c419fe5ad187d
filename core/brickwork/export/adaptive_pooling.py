"""Converters for AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D.

Along each spatial axis the ``output_size`` windows are fixed by the input
size (PyTorch's ``floor(i * n / out)`` to ``ceil((i + 1) * n / out)``), so
each becomes a Slice and a keepdims reduction, concatenated back; the
spatial sizes must be known at export.
"""
from __future__ import annotations

from brickwork import layers as L
from brickwork.export.graph import converter
from brickwork.ops.nn import _pool_windows

_AVERAGE = (L.AdaptiveAveragePooling1D, L.AdaptiveAveragePooling2D, L.AdaptiveAveragePooling3D)
_MAX = (L.AdaptiveMaxPooling1D, L.AdaptiveMaxPooling2D, L.AdaptiveMaxPooling3D)


@converter(*_AVERAGE, *_MAX)
def adaptive_pooling(call):
    layer, g, h = call.layer, call.graph, call.hint
    shape = call.input_shapes[0]
    rank = len(shape) - 2
    axes = list(range(1, 1 + rank)) if layer.data_format == "channels_last" \
        else list(range(2, 2 + rank))
    if any(shape[a] is None for a in axes):
        call.refuse(f"its input's spatial sizes are unknown ({shape}); the pooling windows are "
                    f"fixed at export, so give the Input a fixed size")
    reduce = "ReduceMean" if isinstance(layer, _AVERAGE) else "ReduceMax"
    y = call.inputs[0]
    for axis, out in zip(axes, layer.output_size):
        axis_name = g.ints([axis], f"{h}/axis")
        pieces = []
        for low, high in _pool_windows(shape[axis], out):
            window = g.op("Slice", [y, g.ints([low], f"{h}/start"), g.ints([high], f"{h}/end"),
                                    axis_name], h)
            pieces.append(g.op(reduce, [window, axis_name], h, keepdims=1))
        y = g.op("Concat", pieces, h, axis=axis) if len(pieces) > 1 else pieces[0]
    return [y]
