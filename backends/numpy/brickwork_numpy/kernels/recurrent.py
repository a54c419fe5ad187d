"""Recurrent sequence kernels (SimpleRNN, LSTM, GRU): the reference kernels
on NumPy, each step's GEMM a BLAS call. Where numba is installed, LSTM and
GRU (``reset_after=True``) with Keras' default activations (``tanh``,
``sigmoid``) run each step's elementwise work as one compiled pass instead
(``compiled/recurrent.py``), and LSTM without recurrent dropout the whole
sequence as one compiled call; the weight gradients after the loop are the
reference's either way.
"""
import numpy as np

from brickwork.plugin import hookimpl
from brickwork.reference_kernels import bind, recurrent

from .. import compiled
from . import _reductions, activations

BRICKWORK_BACKEND = "numpy"

reference = bind(recurrent, globals(), xp=np, activations=activations, reductions=_reductions)


def _carry_rows(mask, go_backwards):
    """``(B, T)`` bool mask -> contiguous ``(T, B)`` bool, True where a
    step is masked (its states carry over); None without a mask."""
    if mask is None:
        return None
    return _time_major(~np.asarray(mask, dtype=bool)[:, :, None], go_backwards)[:, :, 0].copy()


def _compiled_steps(activation, recurrent_activation, *arrays):
    """The compiled step functions when they apply (Keras' default
    activations, numba installed, float32/float64 ``arrays``), else None."""
    if activation != "tanh" or recurrent_activation != "sigmoid":
        return None
    return compiled.module("recurrent", *arrays)


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------


@hookimpl
def lstm_forward(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask,
                 input_masks, recurrent_masks, activation, recurrent_activation, go_backwards):
    fused = _compiled_steps(activation, recurrent_activation, inputs, kernel, recurrent_kernel)
    if fused is None:
        return reference.lstm_forward(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c,
                                      mask, input_masks, recurrent_masks, activation,
                                      recurrent_activation, go_backwards)
    return _lstm_forward_compiled(fused, inputs, kernel, recurrent_kernel, bias, initial_h,
                                  initial_c, mask, input_masks, recurrent_masks, go_backwards)


def _lstm_forward_compiled(fused, inputs, kernel, recurrent_kernel, bias, initial_h, initial_c,
                           mask, input_masks, recurrent_masks, go_backwards):
    """LSTM forward (default activations): with NumPy's BLAS reachable from
    compiled code (``compiled/blas.py``) and no recurrent dropout, the whole
    sequence is one compiled call; otherwise a Python loop of one GEMM and
    one compiled pass per step."""
    xt, H, C = _lstm_buffers(inputs, recurrent_kernel, initial_h, initial_c, go_backwards)
    T, B, u = H.shape[0] - 1, H.shape[1], H.shape[2]
    dtype = inputs.dtype
    rec = _Recurrence(recurrent_kernel, recurrent_masks, B)
    # Z holds the input projections, then (in place) the activated gates
    # [i, f, g, o]; backward writes each step's gradient into the slot of
    # the step after, whose gates it has used by then, so Z has one spare
    # slot at the end. The bias is added in each step's pass, not in one
    # more pass over Z.
    Z = np.empty((T + 1, B, 4 * u), dtype)
    _project(xt, kernel, None, input_masks, out=Z[:T])
    carry = _carry_rows(mask, go_backwards)
    scale, shift = fused.gate_scales("ssts", u, dtype)
    gemm = None if recurrent_masks is not None else fused.gemm_function(dtype)
    if gemm is not None:  # the whole sequence in one compiled call
        fused.lstm_forward_steps(gemm, Z, rec.U, bias, scale, shift, C, H, carry)
    else:
        RZ = np.empty((B, 4 * u), dtype)
        for t in range(T):
            rec.into(H[t], RZ)
            fused.lstm_forward_step(Z[t], RZ, bias, scale, shift, C[t], H[t],
                                    None if carry is None else carry[t], C[t + 1], H[t + 1])
    workspace = dict(xt=xt, kernel=kernel, rec=rec, H=H, C=C, Z=Z, carry=carry, fused=fused,
                     gemm=gemm, input_masks=input_masks, go_backwards=go_backwards,
                     arguments=(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask,
                                input_masks, recurrent_masks, go_backwards))
    return H[1:], C[T], workspace


def _lstm_reverse(w, dh_seq, dh_last, dc):
    if w.get("fused") is None:
        return reference._lstm_reverse(w, dh_seq, dh_last, dc)
    # dh_seq is added inside the steps, each step its own slice.
    H = w["H"]
    dh = _seed_gradient(None, dh_last, H.shape[1:], H.dtype)
    w, dZ, dbias = _lstm_backward_compiled(w, dh_seq, dh, dc)
    return w, dh, dZ, dbias


def _lstm_backward_compiled(w, dh_seq, dh, dc):
    """The reverse loop (one compiled call, or one compiled pass per step
    where :func:`_lstm_forward_compiled` kept a Python loop); updates ``dh``
    and ``dc`` in place and returns ``(workspace, dZ, dbias)``: the
    workspace used, the pre-activation gradients and the bias gradient.

    ``dZ`` overwrites the gates (step ``t``'s gradient goes into the slot of
    step ``t + 1``), so a second backward over the same forward (a
    persistent tape) first runs the forward again to get them back.
    """
    if w.get("used"):
        w = _lstm_forward_compiled(w["fused"], *w["arguments"])[2]
    w["used"] = True
    fused, Z, C, carry, rec = w["fused"], w["Z"], w["C"], w["carry"], w["rec"]
    T = Z.shape[0] - 1
    bias_rows = np.zeros(Z.shape[1:], Z.dtype)
    back = np.zeros_like(dh)
    with fused.one_numba_thread():
        if w["gemm"] is not None:
            fused.lstm_backward_steps(w["gemm"], Z, rec.UT, C, carry, dh, dc, dh_seq, back,
                                      bias_rows)
        else:
            for t in range(T - 1, -1, -1):
                fused.lstm_backward_step(t, dh, dc, back, dh_seq, Z[t], C[t], C[t + 1], carry,
                                         Z[t + 1], bias_rows)
                rec.back(Z[t + 1], back)
    dh += back
    return w, Z[1:], _reductions.column_sums(bias_rows)


# ---------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------


@hookimpl
def gru_forward(inputs, kernel, recurrent_kernel, bias, initial_h, mask, input_masks,
                recurrent_masks, activation, recurrent_activation, reset_after, go_backwards):
    fused = (_compiled_steps(activation, recurrent_activation, inputs, kernel, recurrent_kernel)
             if reset_after else None)
    if fused is None:
        return reference.gru_forward(inputs, kernel, recurrent_kernel, bias, initial_h, mask,
                                     input_masks, recurrent_masks, activation,
                                     recurrent_activation, reset_after, go_backwards)
    input_bias, recurrent_bias = _gru_biases(bias, reset_after)
    return _gru_forward_compiled(fused, _time_major(inputs, go_backwards), kernel,
                                 recurrent_kernel, input_bias, recurrent_bias, initial_h, mask,
                                 input_masks, recurrent_masks, go_backwards,
                                 has_bias=bias is not None)


def _gru_forward_compiled(fused, xt, kernel, recurrent_kernel, input_bias, recurrent_bias,
                          initial_h, mask, input_masks, recurrent_masks, go_backwards, has_bias):
    """GRU forward (``reset_after=True``, default activations) with one
    compiled pass per step after the recurrent GEMM."""
    T, B, _ = xt.shape
    u = recurrent_kernel.shape[0]
    dtype = xt.dtype
    # Z: input projections, then (in place) the activated [z, r, hh].
    Z = _project(xt, kernel, input_bias, input_masks)
    H = np.empty((T + 1, B, u), dtype)
    H[0] = initial_h
    Q = np.empty((T, B, u), dtype)  # the candidate's recurrent part, before r
    rec = _Recurrence(recurrent_kernel, recurrent_masks, B)
    carry = _carry_rows(mask, go_backwards)
    scale, shift = fused.gate_scales("ss", u, dtype)
    R = np.empty((B, 3 * u), dtype)
    for t in range(T):
        rec.into(H[t], R)
        fused.gru_forward_step(Z[t], R, recurrent_bias, scale, shift, H[t],
                               None if carry is None else carry[t], Q[t], H[t + 1])
    workspace = dict(xt=xt, kernel=kernel, recurrent_kernel=recurrent_kernel, rec=rec, Z=Z, H=H,
                     Q=Q, carry=carry, input_masks=input_masks, reset_after=True,
                     has_bias=has_bias, go_backwards=go_backwards, fused=fused)
    return H[1:], workspace


def _gru_backward_compiled(w, dh_seq, dh):
    """The reverse loop of :func:`_gru_forward_compiled`: returns the
    gradients of the input and recurrent projections ``(dZ, dR)``."""
    fused, Z, H, Q, carry, rec = w["fused"], w["Z"], w["H"], w["Q"], w["carry"], w["rec"]
    dZ = np.empty_like(Z)
    dR = np.empty_like(Z)
    back = np.empty_like(dh)
    for t in range(Q.shape[0] - 1, -1, -1):
        fused.gru_backward_step(dh, Z[t], H[t], Q[t], None if carry is None else carry[t], dZ[t], dR[t])
        rec.back(dR[t], back)
        fused.add_into(dh, back, dh_seq[t - 1] if dh_seq is not None and t > 0 else None)
    return dZ, dR


def _gru_reverse(w, dh_seq, dh):
    if w.get("fused") is None:
        return reference._gru_reverse(w, dh_seq, dh)
    dZ, dR = _gru_backward_compiled(w, dh_seq, dh)
    drecurrent = w["rec"].weight_grad(w["H"][:-1], dR)
    dbias = (np.stack([_reductions.column_sums(dZ), _reductions.column_sums(dR)])
             if w["has_bias"] else None)
    return dZ, drecurrent, dbias
