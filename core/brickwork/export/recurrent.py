"""Converters for SimpleRNN, LSTM, GRU (and ``RNN`` around their cells)
through ONNX's RNN, LSTM and GRU operators, and for Bidirectional.

Keras' gate order is LSTM ``i, f, c, o`` and GRU ``z, r, h``; ONNX's is
LSTM ``i, o, f, c`` and GRU ``z, r, h``. Kernels ``(in, gates * units)``
become ONNX's ``W (1, gates * units, in)``. A reset_after GRU is ONNX's
``linear_before_reset=1`` with the recurrent bias as ``Rb``. ONNX Runtime
runs these operators time-major, so the sequence is transposed to
``(steps, batch, features)`` around them. ``go_backwards`` reverses the
input first and runs forward, so sequence outputs come in processing order
as Keras returns them.
"""
from __future__ import annotations

import numpy as np

from brickwork import activations as A
from brickwork import layers as L
from brickwork.export.graph import converter
from brickwork.layers.rnn import GRUCell, LSTMCell, SimpleRNNCell

_INT64_MIN = np.iinfo(np.int64).min

# Activation name (and alpha, beta) as ONNX's recurrent operators take them.
_RECURRENT_ACTIVATIONS = {
    A.tanh: ("Tanh", None, None),
    A.sigmoid: ("Sigmoid", None, None),
    A.relu: ("Relu", None, None),
    A.hard_sigmoid: ("HardSigmoid", 1.0 / 6.0, 0.5),
    A.softsign: ("Softsign", None, None),
    A.softplus: ("Softplus", None, None),
    A.elu: ("Elu", 1.0, None),
    A.linear: ("Affine", 1.0, 0.0),
}

_LSTM_ORDER = (0, 3, 1, 2)  # Keras i, f, c, o -> ONNX i, o, f, c


def _activation_attributes(call, functions):
    names, alphas, betas, any_alpha = [], [], [], False
    for function in functions:
        found = _RECURRENT_ACTIVATIONS.get(function)
        if found is None:
            call.refuse(f"its activation {getattr(function, '__name__', function)!r} has no "
                        f"counterpart among ONNX's recurrent activations")
        name, alpha, beta = found
        names.append(name)
        if alpha is not None:
            any_alpha = True
        alphas.append(1.0 if alpha is None else alpha)
        betas.append(0.0 if beta is None else beta)
    attributes = {"activations": names}
    if any_alpha:
        attributes["activation_alpha"] = alphas
        attributes["activation_beta"] = betas
    return attributes


def _gates(matrix, gates, order=None):
    """``(rows, gates * units)`` -> ONNX ``(1, gates * units, rows)``,
    reordering the gate blocks."""
    rows = matrix.shape[0]
    blocks = matrix.reshape(rows, gates, -1)
    if order is not None:
        blocks = blocks[:, list(order)]
    return blocks.reshape(rows, -1).T[None]


def _bias(input_bias, recurrent_bias, width, order=None, gates=1):
    parts = []
    for bias in (input_bias, recurrent_bias):
        if bias is None:
            parts.append(np.zeros(width, np.float32))
        else:
            parts.append(_gates(bias.reshape(1, -1), gates, order).reshape(-1))
    return np.concatenate(parts)[None]


def _reverse_time(g, x, axis, hint):
    return g.op("Slice", [x, g.ints([-1], f"{hint}/start"), g.ints([_INT64_MIN], f"{hint}/end"),
                          g.ints([axis], f"{hint}/axis"), g.ints([-1], f"{hint}/step")], hint)


def emit_recurrent(call, layer, sequences, initial_state, hint):
    """``layer`` (an RNN around a built-in cell) on ``sequences``; returns its
    outputs as Keras lists them: ``[output, *states]`` with ``return_state``,
    else ``[output]``."""
    g, cell = call.graph, layer.cell
    if layer.stateful:
        call.refuse("stateful recurrent layers keep states between calls, which an ONNX "
                    "graph does not")
    if isinstance(cell, LSTMCell):
        op_type, gates, order = "LSTM", 4, _LSTM_ORDER
        functions = [cell.recurrent_activation, cell.activation, cell.activation]
    elif isinstance(cell, GRUCell):
        op_type, gates, order = "GRU", 3, None
        functions = [cell.recurrent_activation, cell.activation]
    elif isinstance(cell, SimpleRNNCell):
        op_type, gates, order = "RNN", 1, None
        functions = [cell.activation]
    else:
        call.refuse(f"its cell {type(cell).__name__} has no ONNX converter (SimpleRNNCell, "
                    f"LSTMCell and GRUCell do)")
    units = cell.units
    attributes = _activation_attributes(call, functions)
    kernel = np.asarray(cell.kernel.numpy(), np.float32)
    recurrent = np.asarray(cell.recurrent_kernel.numpy(), np.float32)
    bias = None if cell.bias is None else np.asarray(cell.bias.numpy(), np.float32)
    input_bias, recurrent_bias = bias, None
    if op_type == "GRU":
        attributes["linear_before_reset"] = int(bool(cell.reset_after))
        if bias is not None and cell.reset_after:
            input_bias, recurrent_bias = bias[0], bias[1]
    inputs = [
        None,
        g.constant(_gates(kernel, gates, order), f"{hint}/W"),
        g.constant(_gates(recurrent, gates, order), f"{hint}/R"),
        g.constant(_bias(input_bias, recurrent_bias, gates * units, order, gates), f"{hint}/B"),
        "",  # sequence_lens: every sequence is full length
    ]
    x = g.op("Transpose", [sequences], hint, perm=[1, 0, 2])  # time-major
    if layer.go_backwards:
        x = _reverse_time(g, x, 0, hint)
    inputs[0] = x
    for state in initial_state or []:
        inputs.append(g.op("Unsqueeze", [state, g.ints([0], f"{hint}/axis")], hint))
    outputs = 3 if op_type == "LSTM" else 2
    results = g.op(op_type, inputs, hint, outputs=outputs, hidden_size=int(units),
                   direction="forward", **attributes)
    y, states = results[0], results[1:]
    states = [g.op("Squeeze", [s, g.ints([0], f"{hint}/axis")], hint) for s in states]
    if layer.return_sequences:
        # (steps, 1, batch, units) -> (batch, steps, units)
        y = g.op("Squeeze", [y, g.ints([1], f"{hint}/axis")], hint)
        output = g.op("Transpose", [y], hint, perm=[1, 0, 2])
    else:
        output = g.op("Identity", [states[0]], hint)
    return [output, *states] if layer.return_state else [output]


def _initial_state(call):
    args, kwargs = call.arguments
    state = kwargs.get("initial_state")
    if state is None and len(args) > 1:
        state = args[1]
    if state is None:
        return None
    return list(state) if isinstance(state, (list, tuple)) else [state]


@converter(L.SimpleRNN, L.LSTM, L.GRU, L.RNN)
def recurrent(call):
    return emit_recurrent(call, call.layer, call.inputs[0], _initial_state(call), call.hint)


@converter(L.Bidirectional)
def bidirectional(call):
    layer, g, h = call.layer, call.graph, call.hint
    state = _initial_state(call)
    forward_state = backward_state = None
    if state:
        half = len(state) // 2
        forward_state, backward_state = state[:half], state[half:]
    forward = emit_recurrent(call, layer.forward_layer, call.inputs[0], forward_state,
                             f"{h}/forward")
    backward = emit_recurrent(call, layer.backward_layer, call.inputs[0], backward_state,
                              f"{h}/backward")
    y, y_rev = forward[0], backward[0]
    if layer.return_sequences:
        y_rev = _reverse_time(g, y_rev, 1, h)
    mode = layer.merge_mode
    if mode == "concat":
        outputs = [g.op("Concat", [y, y_rev], h, axis=-1)]
    elif mode == "sum":
        outputs = [g.op("Add", [y, y_rev], h)]
    elif mode == "ave":
        outputs = [g.op("Mul", [g.op("Add", [y, y_rev], h), g.constant(0.5, f"{h}/half")], h)]
    elif mode == "mul":
        outputs = [g.op("Mul", [y, y_rev], h)]
    elif mode is None:
        outputs = [y, y_rev]
    else:
        call.refuse(f"merge_mode={mode!r} has no ONNX converter")
    return outputs + forward[1:] + backward[1:]
