"""Converters for ConvLSTM1D/2D/3D, unrolled over the time steps.

ONNX has no convolutional recurrent operator, so each step is written out:
one Conv of the input and one of the previous ``h`` (both for the four
gates at once, channels-first), the gate activations and the state update.
The number of steps must therefore be known at export. The first step of a
zero initial state skips the recurrent terms, which are zero.
"""
from __future__ import annotations

import numpy as np

from brickwork import layers as L
from brickwork.export.activations import emit_activation
from brickwork.export.convolution import _conv_weight, _pads
from brickwork.export.graph import converter


def _initial_state(call):
    args, kwargs = call.arguments
    state = kwargs.get("initial_state")
    if state is None and len(args) > 1:
        state = args[1]
    if state is None:
        return None
    return list(state) if isinstance(state, (list, tuple)) else [state]


@converter(L.ConvLSTM1D, L.ConvLSTM2D, L.ConvLSTM3D)
def conv_lstm(call):
    layer, g, h = call.layer, call.graph, call.hint
    cell = layer.cell
    rank = cell.rank
    if layer.stateful:
        call.refuse("stateful recurrent layers keep states between calls, which an ONNX graph "
                    "does not")
    if any(call.input_masked):
        call.refuse("its input carries a Keras mask, and masked ConvLSTM steps are not exported")
    shape = call.input_shapes[0]
    steps = shape[1]
    if steps is None:
        call.refuse(f"its number of time steps is unknown (input shape {shape}); the steps are "
                    f"unrolled at export, so give the Input a fixed length")
    channels_last = cell.data_format == "channels_last"
    frame_shape = tuple(shape[2:])
    spatial = frame_shape[:-1] if channels_last else frame_shape[1:]
    # (batch, time, *spatial, C) -> (batch, time, C, *spatial): ONNX Conv is channels-first
    x = call.inputs[0]
    if channels_last:
        x = g.op("Transpose", [x], h, perm=[0, 1, rank + 2, *range(2, rank + 2)])
    kernel = g.constant(_conv_weight(np.asarray(cell.kernel.numpy(), np.float32), rank),
                        f"{h}/kernel")
    recurrent = g.constant(_conv_weight(np.asarray(cell.recurrent_kernel.numpy(), np.float32),
                                        rank), f"{h}/recurrent_kernel")
    input_attributes = dict(kernel_shape=list(cell.kernel_size), strides=list(cell.strides),
                            dilations=list(cell.dilation_rate),
                            **_pads(call, spatial, cell.kernel_size, cell.strides,
                                    cell.dilation_rate, cell.padding))
    out_spatial = layer.cell.state_shape(None)[1:-1] if channels_last else \
        layer.cell.state_shape(None)[2:]
    recurrent_attributes = dict(kernel_shape=list(cell.kernel_size),
                                **_pads(call, out_spatial, cell.kernel_size, (1,) * rank,
                                        (1,) * rank, "same"))
    bias = None
    if cell.bias is not None:
        bias = g.constant(np.asarray(cell.bias.numpy(), np.float32), f"{h}/bias")

    to_first = [0, rank + 1, *range(1, rank + 1)]
    to_last = [0, *range(2, rank + 2), 1]
    state = _initial_state(call)
    if state is not None:
        state = [g.transpose(s, to_first, h) if channels_last else s for s in state]
    h_prev, c_prev = (state if state is not None else (None, None))
    frames = g.op("Split", [x], h, outputs=steps, axis=1, num_outputs=steps) if steps > 1 \
        else [x]
    order = range(steps - 1, -1, -1) if layer.go_backwards else range(steps)
    outputs = []
    for t in order:
        step_hint = f"{h}/step{t}"
        frame = g.op("Squeeze", [frames[t], g.ints([1], f"{step_hint}/axis")], step_hint)
        inputs = [frame, kernel] + ([bias] if bias is not None else [])
        z = g.op("Conv", inputs, step_hint, **input_attributes)
        if h_prev is not None:
            z = g.op("Add", [z, g.op("Conv", [h_prev, recurrent], step_hint,
                                     **recurrent_attributes)], step_hint)
        gates = g.op("Split", [z], step_hint, outputs=4, axis=1, num_outputs=4)
        i = emit_activation(call, cell.recurrent_activation, gates[0], f"{step_hint}/i")
        f = emit_activation(call, cell.recurrent_activation, gates[1], f"{step_hint}/f")
        candidate = emit_activation(call, cell.activation, gates[2], f"{step_hint}/g")
        o = emit_activation(call, cell.recurrent_activation, gates[3], f"{step_hint}/o")
        c = g.op("Mul", [i, candidate], step_hint)
        if c_prev is not None:
            c = g.op("Add", [g.op("Mul", [f, c_prev], step_hint), c], step_hint)
        h_new = g.op("Mul", [o, emit_activation(call, cell.activation, c, f"{step_hint}/c")],
                     step_hint)
        h_prev, c_prev = h_new, c
        outputs.append(h_new)
    if layer.return_sequences:
        axis = g.ints([1], f"{h}/axis")
        stacked = [g.op("Unsqueeze", [o, axis], h) for o in outputs]
        output = g.op("Concat", stacked, h, axis=1) if len(stacked) > 1 else stacked[0]
        if channels_last:
            output = g.op("Transpose", [output], h,
                          perm=[0, 1, *range(3, rank + 3), 2])
    else:
        output = g.transpose(outputs[-1], to_last, h) if channels_last else outputs[-1]
    if not layer.return_state:
        return [output]
    states = [g.transpose(s, to_last, h) if channels_last else s for s in (h_prev, c_prev)]
    if not channels_last:
        states = [g.op("Identity", [s], h) for s in states]
    return [output, *states]
