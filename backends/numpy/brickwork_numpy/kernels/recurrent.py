"""Recurrent sequence kernels: SimpleRNN, LSTM and GRU over whole sequences.

Layout: everything runs time-major, in processing order, so that each step
reads and writes contiguous ``(B, ...)`` slices of preallocated buffers.
The input projection of all steps is one GEMM before the loop; each step
does one recurrent GEMM and a handful of in-place ufunc calls (``out=``)
on the gate block. Backward walks the steps once in reverse with one GEMM
per step; derivative factors that do not depend on the running gradient
(gate derivatives, masks) are computed beforehand for all steps at once,
and the weight gradients are large GEMMs over all steps at the end.

With ``sigmoid`` gates and ``tanh`` candidates (the Keras defaults), the
gate block is activated by a single ``tanh`` call: the sigmoid columns of
the weights are pre-scaled by 1/2 so that ``sigmoid(z) = tanh(z/2)/2 + 1/2``
becomes one multiply-add per column after the shared ``tanh``. Where numba
is installed, LSTM and GRU (``reset_after=True``) with those activations run
each step's elementwise work as one compiled pass instead
(``compiled/recurrent.py``); the GEMMs are the same BLAS calls either way.
"""
import numpy as np

from brickwork.plugin import hookimpl

from .. import compiled
from ._reductions import column_sums
from .activations import activation_grad_from_output, apply_activation

BRICKWORK_BACKEND = "numpy"


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------


def _time_major(x, go_backwards):
    """``(B, T, F)`` -> contiguous ``(T, B, F)`` in processing order."""
    xt = x.transpose(1, 0, 2)
    return np.ascontiguousarray(xt[::-1] if go_backwards else xt)


def _batch_major(xt, go_backwards):
    """Inverse of :func:`_time_major` (a contiguous copy)."""
    return np.ascontiguousarray((xt[::-1] if go_backwards else xt).transpose(1, 0, 2))


def _step_mask(mask, go_backwards, dtype):
    """``(B, T)`` bool -> ``(keep, drop, carry)``, each ``(T, B, 1)``: keep
    and drop as 1/0 of ``dtype``, carry as bool (where states carry over)."""
    if mask is None:
        return None, None, None
    keep = _time_major(np.asarray(mask, dtype=bool)[:, :, None], go_backwards)
    return keep.astype(dtype), (~keep).astype(dtype), ~keep


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


def _gate_blocks(z, gates):
    """A ``(..., G*u)`` array as ``(..., G, u)`` (a view)."""
    return z.reshape(*z.shape[:-1], gates, z.shape[-1] // gates)


def _fast_gates(names):
    """Column scale and shift that turn one ``tanh`` into the gates, or None.

    A sigmoid block is pre-scaled by 1/2 and post-mapped ``t*0.5 + 0.5``; a
    tanh block is left alone (scale 1, shift 0).
    """
    if not all(n in ("sigmoid", "tanh") for n in names):
        return None
    pre = np.array([0.5 if n == "sigmoid" else 1.0 for n in names])
    shift = np.array([0.5 if n == "sigmoid" else 0.0 for n in names])
    return pre, shift


class _Gates:
    """Activates a ``(B, G*u)`` pre-activation block in place, per gate name."""

    def __init__(self, names, units, dtype):
        self.names, self.units = names, units
        fast = _fast_gates(names)
        self.fast = fast is not None
        if self.fast:
            pre, shift = fast
            self.pre = np.repeat(pre, units).astype(dtype)    # column scale of the weights
            self.post = self.pre.copy()                         # t -> t*post + shift
            self.shift = np.repeat(shift, units).astype(dtype)

    def scale(self, w):
        """Weights (or bias) with the fast path's column pre-scaling."""
        return w if not self.fast or w is None else w * self.pre

    def __call__(self, z):
        if self.fast:
            np.tanh(z, out=z)
            np.multiply(z, self.post, out=z)
            np.add(z, self.shift, out=z)
            return
        u = self.units
        for g, name in enumerate(self.names):
            block = z[..., g * u:(g + 1) * u]
            block[...] = apply_activation(block, name)

    def derivative(self, y):
        """Each gate's derivative from its output, for all steps at once."""
        u = self.units
        d = np.empty_like(y)
        for g, name in enumerate(self.names):
            sl = slice(g * u, (g + 1) * u)
            yg = y[..., sl]
            if name == "sigmoid":
                np.multiply(yg, 1 - yg, out=d[..., sl])
            elif name == "tanh":
                np.multiply(yg, yg, out=d[..., sl])
                np.subtract(1, d[..., sl], out=d[..., sl])
            else:
                d[..., sl] = activation_grad_from_output(np.ones_like(yg), yg, name)
        return d


def _activate(x, name, out):
    """``out = name(x)`` for an elementwise activation."""
    if name == "tanh":
        np.tanh(x, out=out)
    else:
        out[...] = apply_activation(x, name)


def _derivative(y, name):
    """Derivative of an elementwise activation from its output."""
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    return activation_grad_from_output(np.ones_like(y), y, name)


class _Recurrence:
    """The recurrent product ``(h * rm_g) @ U_g`` for every gate, and its
    transposes; one GEMM per step without masks, one batched GEMM with."""

    def __init__(self, recurrent_kernel, masks, batch):
        # Contiguous copies in both orientations (a weight may arrive in
        # Fortran order, e.g. from the orthogonal initializer): the per-step
        # GEMMs are then plain row-major products.
        self.U = np.ascontiguousarray(recurrent_kernel)
        self.UT = np.ascontiguousarray(recurrent_kernel.T)
        u, width = recurrent_kernel.shape
        self.masks = masks
        if masks is not None:
            self.G = width // u
            self.Ug = np.ascontiguousarray(recurrent_kernel.reshape(u, self.G, u).transpose(1, 0, 2))
            self.hm = np.empty((self.G, batch, u), recurrent_kernel.dtype)
            self.rg = np.empty((self.G, batch, u), recurrent_kernel.dtype)
        self.tmp = np.empty((batch, width), recurrent_kernel.dtype)

    def add_to(self, h, z):
        """``z += (h * rm) @ U``."""
        if self.masks is None:
            np.matmul(h, self.U, out=self.tmp)
            np.add(z, self.tmp, out=z)
            return
        np.multiply(self.masks, h, out=self.hm)
        np.matmul(self.hm, self.Ug, out=self.rg)
        zg = _gate_blocks(z, self.G)
        np.add(zg, self.rg.transpose(1, 0, 2), out=zg)

    def into(self, h, out):
        """``out = (h * rm) @ U``."""
        if self.masks is None:
            np.matmul(h, self.U, out=out)
            return
        np.multiply(self.masks, h, out=self.hm)
        np.matmul(self.hm, self.Ug, out=self.rg)
        np.copyto(_gate_blocks(out, self.G), self.rg.transpose(1, 0, 2))

    def back(self, dz, out):
        """``out = sum_g (dz_g @ U_g^T) * rm_g``."""
        if self.masks is None:
            np.matmul(dz, self.UT, out=out)
            return
        np.matmul(_gate_blocks(dz, self.G).transpose(1, 0, 2), self.Ug.transpose(0, 2, 1),
                  out=self.hm)
        np.multiply(self.hm, self.masks, out=self.hm)
        np.sum(self.hm, axis=0, out=out)

    def weight_grad(self, h_prev, dz):
        """``dU`` from all steps: ``h_prev`` ``(T, B, u)``, ``dz`` ``(T, B, G*u)``."""
        u = h_prev.shape[-1]
        h2 = h_prev.reshape(-1, u)
        dz2 = dz.reshape(-1, dz.shape[-1])
        if self.masks is None:
            return h2.T @ dz2
        dU = np.empty_like(self.U)
        for g in range(self.G):
            hm = (h_prev * self.masks[g]).reshape(-1, u)
            dU[:, g * u:(g + 1) * u] = hm.T @ dz2[:, g * u:(g + 1) * u]
        return dU


def _project(xt, kernel, bias, input_masks, out=None):
    """Input projection of all steps: ``(T, B, in)`` -> ``(T, B, G*u)``,
    into ``out`` (a contiguous ``(T, B, G*u)`` array) when given."""
    T, B, n = xt.shape
    width = kernel.shape[1]
    if out is None:
        out = np.empty((T, B, width), np.result_type(xt, kernel))
    if input_masks is None or input_masks.shape[0] == 1:
        x = xt if input_masks is None else xt * input_masks[0]
        np.matmul(x.reshape(T * B, n), kernel, out=out.reshape(T * B, width))
    else:
        G = input_masks.shape[0]
        u = width // G
        for g in range(G):
            x = (xt * input_masks[g]).reshape(T * B, n)
            out[:, :, g * u:(g + 1) * u] = (x @ kernel[:, g * u:(g + 1) * u]).reshape(T, B, u)
    if bias is not None:
        out += bias
    return out


def _project_backward(xt, kernel, input_masks, dz, need_dinputs):
    """``(dkernel, dxt)`` of :func:`_project` given ``dz`` ``(T, B, G*u)``."""
    T, B, n = xt.shape
    width = kernel.shape[1]
    dz2 = dz.reshape(T * B, width)
    if input_masks is None or input_masks.shape[0] == 1:
        x = xt if input_masks is None else xt * input_masks[0]
        dkernel = x.reshape(T * B, n).T @ dz2
        if not need_dinputs:
            return dkernel, None
        dx = (dz2 @ kernel.T).reshape(T, B, n)
        if input_masks is not None:
            dx *= input_masks[0]
        return dkernel, dx
    G = input_masks.shape[0]
    u = width // G
    dkernel = np.empty_like(kernel)
    dx = np.zeros((T, B, n), dz.dtype) if need_dinputs else None
    for g in range(G):
        cols = slice(g * u, (g + 1) * u)
        dkernel[:, cols] = (xt * input_masks[g]).reshape(T * B, n).T @ dz2[:, cols]
        if need_dinputs:
            dx += (dz[:, :, cols] @ kernel[:, cols].T) * input_masks[g]
    return dkernel, dx


def _seed_gradient(dh_seq, dh_last, shape, dtype):
    """The running gradient w.r.t. the last hidden state."""
    dh = np.zeros(shape, dtype)
    if dh_last is not None:
        dh += dh_last
    if dh_seq is not None:
        dh += dh_seq[-1]
    return dh


# ---------------------------------------------------------------------------
# SimpleRNN
# ---------------------------------------------------------------------------


@hookimpl
def simple_rnn_forward(inputs, kernel, recurrent_kernel, bias, initial_h, mask, input_masks,
                       recurrent_masks, activation, go_backwards):
    xt = _time_major(inputs, go_backwards)
    T, B, _ = xt.shape
    u = recurrent_kernel.shape[0]
    keep, drop, carry = _step_mask(mask, go_backwards, inputs.dtype)
    H = np.empty((T + 1, B, u), inputs.dtype)
    H[0] = initial_h
    Z = _project(xt, kernel, bias, input_masks)
    rec = _Recurrence(recurrent_kernel, recurrent_masks, B)
    for t in range(T):
        rec.add_to(H[t], Z[t])
        _activate(Z[t], activation, H[t + 1])
        if keep is not None:
            np.copyto(H[t + 1], H[t], where=carry[t])
    workspace = dict(xt=xt, kernel=kernel, rec=rec, H=H, keep=keep, drop=drop,
                     input_masks=input_masks, activation=activation, go_backwards=go_backwards)
    return H[1:], workspace


@hookimpl
def simple_rnn_backward(dh_seq, dh_last, workspace, need_dinputs):
    w = workspace
    H, rec, keep, drop = w["H"], w["rec"], w["keep"], w["drop"]
    T, B, u = H.shape[0] - 1, H.shape[1], H.shape[2]
    D = _derivative(H[1:], w["activation"])  # d h_t / d pre-activation
    if keep is not None:
        D *= keep
    dZ = np.empty_like(D)
    dh = _seed_gradient(dh_seq, dh_last, (B, u), H.dtype)
    carried = np.empty((B, u), H.dtype)
    for t in range(T - 1, -1, -1):
        np.multiply(dh, D[t], out=dZ[t])
        if keep is not None:
            np.multiply(dh, drop[t], out=carried)
        rec.back(dZ[t], dh)
        if keep is not None:
            dh += carried
        if dh_seq is not None and t > 0:
            dh += dh_seq[t - 1]
    drecurrent = rec.weight_grad(H[:-1], dZ)
    dkernel, dxt = _project_backward(w["xt"], w["kernel"], w["input_masks"], dZ, need_dinputs)
    dbias = column_sums(dZ)
    dinputs = None if dxt is None else _batch_major(dxt, w["go_backwards"])
    return dinputs, dkernel, drecurrent, dbias, dh


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------


def _lstm_buffers(inputs, recurrent_kernel, initial_h, initial_c, go_backwards):
    """The time-major inputs and the hidden and cell states ``(T+1, B, u)``,
    the initial states in ``[0]``."""
    xt = _time_major(inputs, go_backwards)
    T, B, _ = xt.shape
    u = recurrent_kernel.shape[0]
    H = np.empty((T + 1, B, u), inputs.dtype)
    C = np.empty((T + 1, B, u), inputs.dtype)
    H[0], C[0] = initial_h, initial_c
    return xt, H, C


@hookimpl
def lstm_forward(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask,
                 input_masks, recurrent_masks, activation, recurrent_activation, go_backwards):
    fused = _compiled_steps(activation, recurrent_activation, inputs, kernel, recurrent_kernel)
    if fused is not None:
        return _lstm_forward_compiled(fused, inputs, kernel, recurrent_kernel, bias, initial_h,
                                      initial_c, mask, input_masks, recurrent_masks, go_backwards)
    xt, H, C = _lstm_buffers(inputs, recurrent_kernel, initial_h, initial_c, go_backwards)
    T, B, u = H.shape[0] - 1, H.shape[1], H.shape[2]
    dtype = inputs.dtype
    TC = np.empty((T, B, u), dtype)  # activation(c_t), kept for backward
    gates = _Gates((recurrent_activation, recurrent_activation, activation, recurrent_activation),
                   u, dtype)
    keep, drop, carry = _step_mask(mask, go_backwards, dtype)
    Z = _project(xt, gates.scale(kernel), gates.scale(bias), input_masks)
    scaled = _Recurrence(gates.scale(recurrent_kernel), recurrent_masks, B)
    ig = np.empty((B, u), dtype)
    for t in range(T):
        z = Z[t]
        scaled.add_to(H[t], z)
        gates(z)
        c = C[t + 1]
        np.multiply(z[:, u:2 * u], C[t], out=c)
        np.multiply(z[:, :u], z[:, 2 * u:3 * u], out=ig)
        np.add(c, ig, out=c)
        _activate(c, activation, TC[t])
        np.multiply(z[:, 3 * u:], TC[t], out=H[t + 1])
        if keep is not None:
            np.copyto(H[t + 1], H[t], where=carry[t])
            np.copyto(C[t + 1], C[t], where=carry[t])
    workspace = dict(xt=xt, kernel=kernel, rec=_Recurrence(recurrent_kernel, recurrent_masks, B),
                     H=H, C=C, TC=TC, Z=Z, keep=keep, drop=drop, gates=gates, fused=None,
                     input_masks=input_masks, activation=activation, go_backwards=go_backwards)
    return H[1:], C[T], workspace


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


@hookimpl
def lstm_backward(dh_seq, dh_last, dc_last, workspace, need_dinputs):
    w = workspace
    H = w["H"]
    B, u = H.shape[1:]
    dc = np.zeros((B, u), H.dtype)
    if dc_last is not None:
        dc += dc_last
    if w["fused"] is not None:
        # dh_seq is added inside the steps, each step its own slice.
        dh = _seed_gradient(None, dh_last, (B, u), H.dtype)
        w, dZ, dbias = _lstm_backward_compiled(w, dh_seq, dh, dc)
    else:
        dh = _seed_gradient(dh_seq, dh_last, (B, u), H.dtype)
        dZ = _lstm_backward_numpy(w, dh_seq, dh, dc)
        dbias = column_sums(dZ)
    drecurrent = w["rec"].weight_grad(w["H"][:-1], dZ)
    dkernel, dxt = _project_backward(w["xt"], w["kernel"], w["input_masks"], dZ, need_dinputs)
    dinputs = None if dxt is None else _batch_major(dxt, w["go_backwards"])
    return dinputs, dkernel, drecurrent, dbias, dh, dc


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
    return w, Z[1:], column_sums(bias_rows)


def _lstm_backward_numpy(w, dh_seq, dh, dc):
    """The reverse loop in NumPy ufunc calls; updates ``dh`` and ``dc`` in
    place and returns the pre-activation gradients ``dZ``."""
    Z, C, TC, keep, drop, rec = w["Z"], w["C"], w["TC"], w["keep"], w["drop"], w["rec"]
    T, B, u = TC.shape
    i, f, g, o = (Z[:, :, k * u:(k + 1) * u] for k in range(4))
    # K: what multiplies the running gradients to give each gate's pre-activation
    # gradient: [dc*g*i', dc*c_prev*f', dc*i*g', dh*act(c)*o']; OT: d c / d h path.
    D = w["gates"].derivative(Z)
    K = np.empty_like(Z)
    np.multiply(g, D[:, :, :u], out=K[:, :, :u])
    np.multiply(C[:-1], D[:, :, u:2 * u], out=K[:, :, u:2 * u])
    np.multiply(i, D[:, :, 2 * u:3 * u], out=K[:, :, 2 * u:3 * u])
    np.multiply(TC, D[:, :, 3 * u:], out=K[:, :, 3 * u:])
    OT = o * _derivative(TC, w["activation"])
    F = f
    if keep is not None:
        K *= keep
        OT *= keep
        F = f * keep + drop  # a masked step passes dc through unchanged
    K3 = _gate_blocks(K[:, :, :3 * u], 3)
    dZ = np.empty_like(Z)
    dZ3 = _gate_blocks(dZ[:, :, :3 * u], 3)
    tmp = np.empty((B, u), dh.dtype)
    carried = np.empty((B, u), dh.dtype)
    for t in range(T - 1, -1, -1):
        np.multiply(dh, OT[t], out=tmp)
        np.add(dc, tmp, out=dc)
        np.multiply(K3[t], dc[:, None, :], out=dZ3[t])
        np.multiply(K[t, :, 3 * u:], dh, out=dZ[t, :, 3 * u:])
        np.multiply(dc, F[t], out=dc)
        if keep is not None:
            np.multiply(dh, drop[t], out=carried)
        rec.back(dZ[t], dh)
        if keep is not None:
            dh += carried
        if dh_seq is not None and t > 0:
            dh += dh_seq[t - 1]
    return dZ


# ---------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------


def _gru_biases(bias, reset_after):
    if bias is None:
        return None, None
    if reset_after:
        return bias[0], bias[1]
    return bias, None


@hookimpl
def gru_forward(inputs, kernel, recurrent_kernel, bias, initial_h, mask, input_masks,
                recurrent_masks, activation, recurrent_activation, reset_after, go_backwards):
    xt = _time_major(inputs, go_backwards)
    T, B, _ = xt.shape
    u = recurrent_kernel.shape[0]
    dtype = inputs.dtype
    input_bias, recurrent_bias = _gru_biases(bias, reset_after)
    fused = (_compiled_steps(activation, recurrent_activation, inputs, kernel, recurrent_kernel)
             if reset_after else None)
    if fused is not None:
        return _gru_forward_compiled(fused, xt, kernel, recurrent_kernel, input_bias, recurrent_bias,
                                     initial_h, mask, input_masks, recurrent_masks, go_backwards,
                                     has_bias=bias is not None)
    keep, drop, carry = _step_mask(mask, go_backwards, dtype)
    zr = _Gates((recurrent_activation, recurrent_activation), u, dtype)
    pre = np.concatenate([zr.pre, np.ones(u, dtype)]) if zr.fast else None

    def scaled(a):
        return a if pre is None or a is None else a * pre
    # Z: input projections, then (in place) the activated [z, r, hh].
    Z = _project(xt, scaled(kernel), scaled(input_bias), input_masks)
    H = np.empty((T + 1, B, u), dtype)
    H[0] = initial_h
    # Q: what multiplies U_h: r * (h rm_h @ U_h + b_h) when reset_after
    # (kept as the projection before r), else r * h rm_h.
    Q = np.empty((T, B, u), dtype)
    if reset_after:
        rec = _Recurrence(scaled(recurrent_kernel), recurrent_masks, B)
        R = np.empty((B, 3 * u), dtype)
        rb = scaled(recurrent_bias)
    else:
        rec = _Recurrence(zr.scale(recurrent_kernel[:, :2 * u]),
                          None if recurrent_masks is None else recurrent_masks[:2], B)
        Uh = recurrent_kernel[:, 2 * u:]
        mh = None if recurrent_masks is None else recurrent_masks[2]
        rh = np.empty((B, u), dtype)
    tmp = np.empty((B, u), dtype)
    for t in range(T):
        z3 = Z[t]
        zr_block, hh = z3[:, :2 * u], z3[:, 2 * u:]
        h = H[t]
        if reset_after:
            rec.into(h, R)
            if rb is not None:
                np.add(R, rb, out=R)
            np.add(zr_block, R[:, :2 * u], out=zr_block)
            zr(zr_block)
            np.copyto(Q[t], R[:, 2 * u:])
            np.multiply(z3[:, u:2 * u], Q[t], out=tmp)
        else:
            rec.add_to(h, zr_block)
            zr(zr_block)
            if mh is None:
                np.multiply(z3[:, u:2 * u], h, out=Q[t])
            else:
                np.multiply(h, mh, out=rh)
                np.multiply(z3[:, u:2 * u], rh, out=Q[t])
            np.matmul(Q[t], Uh, out=tmp)
        np.add(hh, tmp, out=hh)
        _activate(hh, activation, hh)
        # h_t = hh + z * (h_prev - hh)
        hn = H[t + 1]
        np.subtract(h, hh, out=hn)
        np.multiply(hn, z3[:, :u], out=hn)
        np.add(hn, hh, out=hn)
        if keep is not None:
            np.copyto(hn, h, where=carry[t])
    full = _Recurrence(recurrent_kernel if reset_after else recurrent_kernel[:, :2 * u],
                       None if recurrent_masks is None else
                       (recurrent_masks if reset_after else recurrent_masks[:2]), B)
    workspace = dict(xt=xt, kernel=kernel, recurrent_kernel=recurrent_kernel, rec=full, Z=Z, H=H,
                     Q=Q, keep=keep, drop=drop, zr=zr, input_masks=input_masks,
                     recurrent_masks=recurrent_masks, activation=activation,
                     reset_after=reset_after, has_bias=bias is not None, go_backwards=go_backwards,
                     fused=None)
    return H[1:], workspace


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


@hookimpl
def gru_backward(dh_seq, dh_last, workspace, need_dinputs):
    w = workspace
    H, Q = w["H"], w["Q"]
    dh = _seed_gradient(dh_seq, dh_last, Q.shape[1:], H.dtype)
    if w["fused"] is not None:
        dZ, dR = _gru_backward_compiled(w, dh_seq, dh)
        drecurrent = w["rec"].weight_grad(H[:-1], dR)
        dbias = np.stack([column_sums(dZ), column_sums(dR)]) if w["has_bias"] else None
    else:
        dZ, drecurrent, dbias = _gru_backward_numpy(w, dh_seq, dh)
    dkernel, dxt = _project_backward(w["xt"], w["kernel"], w["input_masks"], dZ, need_dinputs)
    dinputs = None if dxt is None else _batch_major(dxt, w["go_backwards"])
    return dinputs, dkernel, drecurrent, dbias, dh


def _gru_backward_numpy(w, dh_seq, dh):
    """The reverse loop in NumPy ufunc calls (any activations, both
    ``reset_after``): updates ``dh`` in place, returns
    ``(dZ, drecurrent, dbias)``."""
    Z, H, Q, rec = w["Z"], w["H"], w["Q"], w["rec"]
    T, B, u = Q.shape
    dtype = H.dtype
    keep, drop = w["keep"], w["drop"]
    reset_after = w["reset_after"]
    U = w["recurrent_kernel"]
    z, r, hh = Z[:, :, :u], Z[:, :, u:2 * u], Z[:, :, 2 * u:]
    Hp = H[:-1]
    dzr = w["zr"].derivative(Z[:, :, :2 * u])
    # Factors of the running gradient dh (w.r.t. h_t), for all steps:
    #   da  = dh * E           (pre-activation of hh)
    #   dz' = dh * Dz          (pre-activation of z)
    #   dr' = d(r) * r'        with d(r) = da * Q (reset_after) or dq * h rm_h
    #   dh_prev gets dh * Zc   (Zc = z, or 1 at a masked step)
    E = (1 - z) * _derivative(hh, w["activation"])
    Dz = (Hp - hh) * dzr[:, :, :u]
    Dr = dzr[:, :, u:]
    Zc = z
    if keep is not None:
        E *= keep
        Dz *= keep
        Zc = z * keep + drop
    dZ = np.empty_like(Z)           # gradient of the input projections [z, r, h]
    back = np.empty((B, u), dtype)
    if reset_after:
        RD = Q * Dr                 # dr' = da * (Q * r')
        dR = np.empty_like(Z)       # gradient of the recurrent projections
        for t in range(T - 1, -1, -1):
            da = dZ[t, :, 2 * u:]
            np.multiply(dh, E[t], out=da)
            np.multiply(dh, Dz[t], out=dZ[t, :, :u])
            np.multiply(da, RD[t], out=dZ[t, :, u:2 * u])
            np.copyto(dR[t, :, :2 * u], dZ[t, :, :2 * u])
            np.multiply(da, r[t], out=dR[t, :, 2 * u:])
            rec.back(dR[t], back)
            np.multiply(dh, Zc[t], out=dh)
            dh += back
            if dh_seq is not None and t > 0:
                dh += dh_seq[t - 1]
        drecurrent = rec.weight_grad(Hp, dR)
        dbias = np.stack([column_sums(dZ), column_sums(dR)]) if w["has_bias"] else None
    else:
        Uh = U[:, 2 * u:]
        masks = w["recurrent_masks"]
        mh = None if masks is None else masks[2]
        Hh = Hp if mh is None else Hp * mh    # h rm_h for all steps
        RD = Hh * Dr                           # dr' = dq * (h rm_h * r')
        Rc = r if mh is None else r * mh       # dh_prev gets dq * r * rm_h
        dq = np.empty((B, u), dtype)
        for t in range(T - 1, -1, -1):
            da = dZ[t, :, 2 * u:]
            np.multiply(dh, E[t], out=da)
            np.multiply(dh, Dz[t], out=dZ[t, :, :u])
            np.matmul(da, Uh.T, out=dq)
            np.multiply(dq, RD[t], out=dZ[t, :, u:2 * u])
            rec.back(dZ[t, :, :2 * u], back)
            np.multiply(dh, Zc[t], out=dh)
            dh += back
            np.multiply(dq, Rc[t], out=back)  # zero at masked steps: da is
            dh += back
            if dh_seq is not None and t > 0:
                dh += dh_seq[t - 1]
        drecurrent = np.empty_like(U)
        drecurrent[:, :2 * u] = rec.weight_grad(Hp, dZ[:, :, :2 * u])
        drecurrent[:, 2 * u:] = Q.reshape(-1, u).T @ dZ[:, :, 2 * u:].reshape(-1, u)
        dbias = column_sums(dZ) if w["has_bias"] else None
    return dZ, drecurrent, dbias
