"""Recurrent sequence operations served by the fused kernels.

Each op runs a whole sequence in one kernel call and returns several
outputs (the per-step hidden states, the last hidden state, the last cell
state); on the tape they share one backward kernel call, which receives the
gradients of all outputs at once.
"""
from __future__ import annotations

from brickwork.autodiff import is_tracked
from brickwork.ops.core import backend_xp, data_of, kernels, needs_grad, record


def _record_outputs(outputs, inputs, backward):
    """Record an op with several outputs whose backward runs once.

    A hidden joint node depends on ``inputs``; each output depends on the
    joint node and only stashes its gradient (returning a zero scalar so the
    joint node is reached). The joint node, processed after every output
    node, calls ``backward(stashed_gradients)`` once.
    """
    stash = [None] * len(outputs)
    zero = backend_xp().zeros((), dtype=outputs[0].dtype)

    def joint_vjp(_):
        grads = list(stash)
        stash[:] = [None] * len(outputs)
        return backward(grads)
    joint = record(zero, inputs, joint_vjp)

    def output_vjp(index):
        def vjp(g):
            stash[index] = g if stash[index] is None else stash[index] + g
            return (zero,)
        return vjp
    return tuple(record(data, (joint,), output_vjp(i)) for i, data in enumerate(outputs))


def _data(values):
    return [None if v is None else data_of(v) for v in values]


def simple_rnn(inputs, kernel, recurrent_kernel, bias, initial_h, mask=None, input_masks=None,
               recurrent_masks=None, activation="tanh", go_backwards=False):
    """A SimpleRNN over a sequence; returns ``(h_seq, h_last)`` with ``h_seq``
    time-major ``(T, B, u)`` in processing order (see ``hookspecs``)."""
    k = kernels()
    params = (inputs, kernel, recurrent_kernel, bias, initial_h)
    x, w, uw, b, h0 = _data(params)
    h_seq, workspace = k.simple_rnn_forward(x, w, uw, b, h0, data_of(mask), data_of(input_masks),
                                            data_of(recurrent_masks), activation, go_backwards)
    h_last = h_seq[-1]
    if not needs_grad(*params):
        return h_seq, h_last
    need_dx = is_tracked(inputs)

    def backward(grads):
        dh_seq, dh_last = grads
        return _drop_bias(k.simple_rnn_backward(dh_seq, dh_last, workspace, need_dx), bias)
    return _record_outputs((h_seq, h_last), params, backward)


def lstm(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask=None,
         input_masks=None, recurrent_masks=None, activation="tanh",
         recurrent_activation="sigmoid", go_backwards=False):
    """An LSTM over a sequence; returns ``(h_seq, h_last, c_last)``."""
    k = kernels()
    params = (inputs, kernel, recurrent_kernel, bias, initial_h, initial_c)
    x, w, uw, b, h0, c0 = _data(params)
    h_seq, c_last, workspace = k.lstm_forward(
        x, w, uw, b, h0, c0, data_of(mask), data_of(input_masks), data_of(recurrent_masks),
        activation, recurrent_activation, go_backwards)
    h_last = h_seq[-1]
    if not needs_grad(*params):
        return h_seq, h_last, c_last
    need_dx = is_tracked(inputs)

    def backward(grads):
        dh_seq, dh_last, dc_last = grads
        return _drop_bias(k.lstm_backward(dh_seq, dh_last, dc_last, workspace, need_dx), bias)
    return _record_outputs((h_seq, h_last, c_last), params, backward)


def gru(inputs, kernel, recurrent_kernel, bias, initial_h, mask=None, input_masks=None,
        recurrent_masks=None, activation="tanh", recurrent_activation="sigmoid",
        reset_after=True, go_backwards=False):
    """A GRU over a sequence; returns ``(h_seq, h_last)``."""
    k = kernels()
    params = (inputs, kernel, recurrent_kernel, bias, initial_h)
    x, w, uw, b, h0 = _data(params)
    h_seq, workspace = k.gru_forward(x, w, uw, b, h0, data_of(mask), data_of(input_masks),
                                     data_of(recurrent_masks), activation, recurrent_activation,
                                     reset_after, go_backwards)
    h_last = h_seq[-1]
    if not needs_grad(*params):
        return h_seq, h_last
    need_dx = is_tracked(inputs)

    def backward(grads):
        dh_seq, dh_last = grads
        return _drop_bias(k.gru_backward(dh_seq, dh_last, workspace, need_dx), bias)
    return _record_outputs((h_seq, h_last), params, backward)


def unstack_steps(sequences):
    """``(B, T, ...)`` -> a list of the ``T`` slices ``(B, ...)``; on the tape
    they share one backward that stacks their gradients (zeros for unused)."""
    x = data_of(sequences)
    steps = [x[:, t] for t in range(x.shape[1])]
    if not needs_grad(sequences):
        return steps
    xp = backend_xp()

    def backward(grads):
        dx = xp.zeros(x.shape, dtype=x.dtype)
        for t, g in enumerate(grads):
            if g is not None:
                dx[:, t] = g
        return (dx,)
    return list(_record_outputs(steps, (sequences,), backward))


def _drop_bias(grads, bias):
    grads = list(grads)
    if bias is None:
        grads[3] = None
    return tuple(grads)


__all__ = ["simple_rnn", "lstm", "gru", "unstack_steps"]
