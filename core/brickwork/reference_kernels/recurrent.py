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
becomes one multiply-add per column after the shared ``tanh``.

A backend with a faster step loop overrides ``lstm_forward`` and
``_lstm_reverse`` (or ``gru_forward`` and ``_gru_reverse``) and falls back
to these for what it does not cover; the weight gradients after the loop
stay shared.
"""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from . import activations, reductions


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------


def _time_major(x, go_backwards):
    """``(B, T, F)`` -> contiguous ``(T, B, F)`` in processing order."""
    xt = x.transpose(1, 0, 2)
    return xp.ascontiguousarray(xt[::-1] if go_backwards else xt)


def _batch_major(xt, go_backwards):
    """Inverse of :func:`_time_major` (a contiguous copy)."""
    return xp.ascontiguousarray((xt[::-1] if go_backwards else xt).transpose(1, 0, 2))


def _step_mask(mask, go_backwards, dtype):
    """``(B, T)`` bool -> ``(keep, drop, carry)``, each ``(T, B, 1)``: keep
    and drop as 1/0 of ``dtype``, carry as bool (where states carry over)."""
    if mask is None:
        return None, None, None
    keep = _time_major(xp.asarray(mask, dtype=bool)[:, :, None], go_backwards)
    return keep.astype(dtype), (~keep).astype(dtype), ~keep


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
    pre = xp.array([0.5 if n == "sigmoid" else 1.0 for n in names])
    shift = xp.array([0.5 if n == "sigmoid" else 0.0 for n in names])
    return pre, shift


class _Gates:
    """Activates a ``(B, G*u)`` pre-activation block in place, per gate name."""

    def __init__(self, names, units, dtype):
        self.names, self.units = names, units
        fast = _fast_gates(names)
        self.fast = fast is not None
        if self.fast:
            pre, shift = fast
            self.pre = xp.repeat(pre, units).astype(dtype)    # column scale of the weights
            self.post = self.pre.copy()                         # t -> t*post + shift
            self.shift = xp.repeat(shift, units).astype(dtype)

    def scale(self, w):
        """Weights (or bias) with the fast path's column pre-scaling."""
        return w if not self.fast or w is None else w * self.pre

    def __call__(self, z):
        if self.fast:
            xp.tanh(z, out=z)
            xp.multiply(z, self.post, out=z)
            xp.add(z, self.shift, out=z)
            return
        u = self.units
        for g, name in enumerate(self.names):
            block = z[..., g * u:(g + 1) * u]
            block[...] = activations.apply_activation(block, name)

    def derivative(self, y):
        """Each gate's derivative from its output, for all steps at once."""
        u = self.units
        d = xp.empty_like(y)
        for g, name in enumerate(self.names):
            sl = slice(g * u, (g + 1) * u)
            yg = y[..., sl]
            if name == "sigmoid":
                xp.multiply(yg, 1 - yg, out=d[..., sl])
            elif name == "tanh":
                xp.multiply(yg, yg, out=d[..., sl])
                xp.subtract(1, d[..., sl], out=d[..., sl])
            else:
                d[..., sl] = activations.activation_grad_from_output(xp.ones_like(yg), yg, name)
        return d


def _activate(x, name, out):
    """``out = name(x)`` for an elementwise activation."""
    if name == "tanh":
        xp.tanh(x, out=out)
    else:
        out[...] = activations.apply_activation(x, name)


def _derivative(y, name):
    """Derivative of an elementwise activation from its output."""
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    return activations.activation_grad_from_output(xp.ones_like(y), y, name)


class _Recurrence:
    """The recurrent product ``(h * rm_g) @ U_g`` for every gate, and its
    transposes; one GEMM per step without masks, one batched GEMM with."""

    def __init__(self, recurrent_kernel, masks, batch):
        # Contiguous copies in both orientations (a weight may arrive in
        # Fortran order, e.g. from the orthogonal initializer): the per-step
        # GEMMs are then plain row-major products.
        self.U = xp.ascontiguousarray(recurrent_kernel)
        self.UT = xp.ascontiguousarray(recurrent_kernel.T)
        u, width = recurrent_kernel.shape
        self.masks = masks
        if masks is not None:
            self.G = width // u
            self.Ug = xp.ascontiguousarray(recurrent_kernel.reshape(u, self.G, u).transpose(1, 0, 2))
            self.hm = xp.empty((self.G, batch, u), recurrent_kernel.dtype)
            self.rg = xp.empty((self.G, batch, u), recurrent_kernel.dtype)
        self.tmp = xp.empty((batch, width), recurrent_kernel.dtype)

    def add_to(self, h, z):
        """``z += (h * rm) @ U``."""
        if self.masks is None:
            xp.matmul(h, self.U, out=self.tmp)
            xp.add(z, self.tmp, out=z)
            return
        xp.multiply(self.masks, h, out=self.hm)
        xp.matmul(self.hm, self.Ug, out=self.rg)
        zg = _gate_blocks(z, self.G)
        xp.add(zg, self.rg.transpose(1, 0, 2), out=zg)

    def into(self, h, out):
        """``out = (h * rm) @ U``."""
        if self.masks is None:
            xp.matmul(h, self.U, out=out)
            return
        xp.multiply(self.masks, h, out=self.hm)
        xp.matmul(self.hm, self.Ug, out=self.rg)
        xp.copyto(_gate_blocks(out, self.G), self.rg.transpose(1, 0, 2))

    def back(self, dz, out):
        """``out = sum_g (dz_g @ U_g^T) * rm_g``."""
        if self.masks is None:
            xp.matmul(dz, self.UT, out=out)
            return
        xp.matmul(_gate_blocks(dz, self.G).transpose(1, 0, 2), self.Ug.transpose(0, 2, 1),
                  out=self.hm)
        xp.multiply(self.hm, self.masks, out=self.hm)
        xp.sum(self.hm, axis=0, out=out)

    def weight_grad(self, h_prev, dz):
        """``dU`` from all steps: ``h_prev`` ``(T, B, u)``, ``dz`` ``(T, B, G*u)``."""
        u = h_prev.shape[-1]
        h2 = h_prev.reshape(-1, u)
        dz2 = dz.reshape(-1, dz.shape[-1])
        if self.masks is None:
            return h2.T @ dz2
        dU = xp.empty_like(self.U)
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
        out = xp.empty((T, B, width), xp.result_type(xt, kernel))
    if input_masks is None or input_masks.shape[0] == 1:
        x = xt if input_masks is None else xt * input_masks[0]
        xp.matmul(x.reshape(T * B, n), kernel, out=out.reshape(T * B, width))
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
    dkernel = xp.empty_like(kernel)
    dx = xp.zeros((T, B, n), dz.dtype) if need_dinputs else None
    for g in range(G):
        cols = slice(g * u, (g + 1) * u)
        dkernel[:, cols] = (xt * input_masks[g]).reshape(T * B, n).T @ dz2[:, cols]
        if need_dinputs:
            dx += (dz[:, :, cols] @ kernel[:, cols].T) * input_masks[g]
    return dkernel, dx


def _seed_gradient(dh_seq, dh_last, shape, dtype):
    """The running gradient w.r.t. the last hidden state."""
    dh = xp.zeros(shape, dtype)
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
    H = xp.empty((T + 1, B, u), inputs.dtype)
    H[0] = initial_h
    Z = _project(xt, kernel, bias, input_masks)
    rec = _Recurrence(recurrent_kernel, recurrent_masks, B)
    for t in range(T):
        rec.add_to(H[t], Z[t])
        _activate(Z[t], activation, H[t + 1])
        if keep is not None:
            xp.copyto(H[t + 1], H[t], where=carry[t])
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
    dZ = xp.empty_like(D)
    dh = _seed_gradient(dh_seq, dh_last, (B, u), H.dtype)
    carried = xp.empty((B, u), H.dtype)
    for t in range(T - 1, -1, -1):
        xp.multiply(dh, D[t], out=dZ[t])
        if keep is not None:
            xp.multiply(dh, drop[t], out=carried)
        rec.back(dZ[t], dh)
        if keep is not None:
            dh += carried
        if dh_seq is not None and t > 0:
            dh += dh_seq[t - 1]
    drecurrent = rec.weight_grad(H[:-1], dZ)
    dkernel, dxt = _project_backward(w["xt"], w["kernel"], w["input_masks"], dZ, need_dinputs)
    dbias = reductions.column_sums(dZ)
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
    H = xp.empty((T + 1, B, u), inputs.dtype)
    C = xp.empty((T + 1, B, u), inputs.dtype)
    H[0], C[0] = initial_h, initial_c
    return xt, H, C


@hookimpl
def lstm_forward(inputs, kernel, recurrent_kernel, bias, initial_h, initial_c, mask,
                 input_masks, recurrent_masks, activation, recurrent_activation, go_backwards):
    xt, H, C = _lstm_buffers(inputs, recurrent_kernel, initial_h, initial_c, go_backwards)
    T, B, u = H.shape[0] - 1, H.shape[1], H.shape[2]
    dtype = inputs.dtype
    TC = xp.empty((T, B, u), dtype)  # activation(c_t), kept for backward
    gates = _Gates((recurrent_activation, recurrent_activation, activation, recurrent_activation),
                   u, dtype)
    keep, drop, carry = _step_mask(mask, go_backwards, dtype)
    Z = _project(xt, gates.scale(kernel), gates.scale(bias), input_masks)
    scaled = _Recurrence(gates.scale(recurrent_kernel), recurrent_masks, B)
    ig = xp.empty((B, u), dtype)
    for t in range(T):
        z = Z[t]
        scaled.add_to(H[t], z)
        gates(z)
        c = C[t + 1]
        xp.multiply(z[:, u:2 * u], C[t], out=c)
        xp.multiply(z[:, :u], z[:, 2 * u:3 * u], out=ig)
        xp.add(c, ig, out=c)
        _activate(c, activation, TC[t])
        xp.multiply(z[:, 3 * u:], TC[t], out=H[t + 1])
        if keep is not None:
            xp.copyto(H[t + 1], H[t], where=carry[t])
            xp.copyto(C[t + 1], C[t], where=carry[t])
    workspace = dict(xt=xt, kernel=kernel, rec=_Recurrence(recurrent_kernel, recurrent_masks, B),
                     H=H, C=C, TC=TC, Z=Z, keep=keep, drop=drop, gates=gates,
                     input_masks=input_masks, activation=activation, go_backwards=go_backwards)
    return H[1:], C[T], workspace


@hookimpl
def lstm_backward(dh_seq, dh_last, dc_last, workspace, need_dinputs):
    H = workspace["H"]
    B, u = H.shape[1:]
    dc = xp.zeros((B, u), H.dtype)
    if dc_last is not None:
        dc += dc_last
    w, dh, dZ, dbias = _lstm_reverse(workspace, dh_seq, dh_last, dc)
    drecurrent = w["rec"].weight_grad(w["H"][:-1], dZ)
    dkernel, dxt = _project_backward(w["xt"], w["kernel"], w["input_masks"], dZ, need_dinputs)
    dinputs = None if dxt is None else _batch_major(dxt, w["go_backwards"])
    return dinputs, dkernel, drecurrent, dbias, dh, dc


def _lstm_reverse(w, dh_seq, dh_last, dc):
    """The reverse loop over the steps of :func:`lstm_forward`'s workspace
    ``w``: updates ``dc`` in place and returns ``(w, dh, dZ, dbias)``: the
    workspace the weight gradients read, the gradient w.r.t. the initial
    hidden state, the pre-activation gradients ``(T, B, 4u)`` and the bias
    gradient."""
    H = w["H"]
    dh = _seed_gradient(dh_seq, dh_last, H.shape[1:], H.dtype)
    dZ = _lstm_reverse_steps(w, dh_seq, dh, dc)
    return w, dh, dZ, reductions.column_sums(dZ)


def _lstm_reverse_steps(w, dh_seq, dh, dc):
    """The reverse loop in elementwise calls; updates ``dh`` and ``dc`` in
    place and returns the pre-activation gradients ``dZ``."""
    Z, C, TC, keep, drop, rec = w["Z"], w["C"], w["TC"], w["keep"], w["drop"], w["rec"]
    T, B, u = TC.shape
    i, f, g, o = (Z[:, :, k * u:(k + 1) * u] for k in range(4))
    # K: what multiplies the running gradients to give each gate's pre-activation
    # gradient: [dc*g*i', dc*c_prev*f', dc*i*g', dh*act(c)*o']; OT: d c / d h path.
    D = w["gates"].derivative(Z)
    K = xp.empty_like(Z)
    xp.multiply(g, D[:, :, :u], out=K[:, :, :u])
    xp.multiply(C[:-1], D[:, :, u:2 * u], out=K[:, :, u:2 * u])
    xp.multiply(i, D[:, :, 2 * u:3 * u], out=K[:, :, 2 * u:3 * u])
    xp.multiply(TC, D[:, :, 3 * u:], out=K[:, :, 3 * u:])
    OT = o * _derivative(TC, w["activation"])
    F = f
    if keep is not None:
        K *= keep
        OT *= keep
        F = f * keep + drop  # a masked step passes dc through unchanged
    K3 = _gate_blocks(K[:, :, :3 * u], 3)
    dZ = xp.empty_like(Z)
    dZ3 = _gate_blocks(dZ[:, :, :3 * u], 3)
    tmp = xp.empty((B, u), dh.dtype)
    carried = xp.empty((B, u), dh.dtype)
    for t in range(T - 1, -1, -1):
        xp.multiply(dh, OT[t], out=tmp)
        xp.add(dc, tmp, out=dc)
        xp.multiply(K3[t], dc[:, None, :], out=dZ3[t])
        xp.multiply(K[t, :, 3 * u:], dh, out=dZ[t, :, 3 * u:])
        xp.multiply(dc, F[t], out=dc)
        if keep is not None:
            xp.multiply(dh, drop[t], out=carried)
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
    keep, drop, carry = _step_mask(mask, go_backwards, dtype)
    zr = _Gates((recurrent_activation, recurrent_activation), u, dtype)
    pre = xp.concatenate([zr.pre, xp.ones(u, dtype)]) if zr.fast else None

    def scaled(a):
        return a if pre is None or a is None else a * pre
    # Z: input projections, then (in place) the activated [z, r, hh].
    Z = _project(xt, scaled(kernel), scaled(input_bias), input_masks)
    H = xp.empty((T + 1, B, u), dtype)
    H[0] = initial_h
    # Q: what multiplies U_h: r * (h rm_h @ U_h + b_h) when reset_after
    # (kept as the projection before r), else r * h rm_h.
    Q = xp.empty((T, B, u), dtype)
    if reset_after:
        rec = _Recurrence(scaled(recurrent_kernel), recurrent_masks, B)
        R = xp.empty((B, 3 * u), dtype)
        rb = scaled(recurrent_bias)
    else:
        rec = _Recurrence(zr.scale(recurrent_kernel[:, :2 * u]),
                          None if recurrent_masks is None else recurrent_masks[:2], B)
        Uh = recurrent_kernel[:, 2 * u:]
        mh = None if recurrent_masks is None else recurrent_masks[2]
        rh = xp.empty((B, u), dtype)
    tmp = xp.empty((B, u), dtype)
    for t in range(T):
        z3 = Z[t]
        zr_block, hh = z3[:, :2 * u], z3[:, 2 * u:]
        h = H[t]
        if reset_after:
            rec.into(h, R)
            if rb is not None:
                xp.add(R, rb, out=R)
            xp.add(zr_block, R[:, :2 * u], out=zr_block)
            zr(zr_block)
            xp.copyto(Q[t], R[:, 2 * u:])
            xp.multiply(z3[:, u:2 * u], Q[t], out=tmp)
        else:
            rec.add_to(h, zr_block)
            zr(zr_block)
            if mh is None:
                xp.multiply(z3[:, u:2 * u], h, out=Q[t])
            else:
                xp.multiply(h, mh, out=rh)
                xp.multiply(z3[:, u:2 * u], rh, out=Q[t])
            xp.matmul(Q[t], Uh, out=tmp)
        xp.add(hh, tmp, out=hh)
        _activate(hh, activation, hh)
        # h_t = hh + z * (h_prev - hh)
        hn = H[t + 1]
        xp.subtract(h, hh, out=hn)
        xp.multiply(hn, z3[:, :u], out=hn)
        xp.add(hn, hh, out=hn)
        if keep is not None:
            xp.copyto(hn, h, where=carry[t])
    full = _Recurrence(recurrent_kernel if reset_after else recurrent_kernel[:, :2 * u],
                       None if recurrent_masks is None else
                       (recurrent_masks if reset_after else recurrent_masks[:2]), B)
    workspace = dict(xt=xt, kernel=kernel, recurrent_kernel=recurrent_kernel, rec=full, Z=Z, H=H,
                     Q=Q, keep=keep, drop=drop, zr=zr, input_masks=input_masks,
                     recurrent_masks=recurrent_masks, activation=activation,
                     reset_after=reset_after, has_bias=bias is not None, go_backwards=go_backwards)
    return H[1:], workspace


@hookimpl
def gru_backward(dh_seq, dh_last, workspace, need_dinputs):
    w = workspace
    H = w["H"]
    dh = _seed_gradient(dh_seq, dh_last, H.shape[1:], H.dtype)
    dZ, drecurrent, dbias = _gru_reverse(w, dh_seq, dh)
    dkernel, dxt = _project_backward(w["xt"], w["kernel"], w["input_masks"], dZ, need_dinputs)
    dinputs = None if dxt is None else _batch_major(dxt, w["go_backwards"])
    return dinputs, dkernel, drecurrent, dbias, dh


def _gru_reverse(w, dh_seq, dh):
    """The reverse loop over the steps of :func:`gru_forward`'s workspace
    ``w`` (any activations, both ``reset_after``): updates ``dh`` in place,
    returns ``(dZ, drecurrent, dbias)``."""
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
    dZ = xp.empty_like(Z)           # gradient of the input projections [z, r, h]
    back = xp.empty((B, u), dtype)
    if reset_after:
        RD = Q * Dr                 # dr' = da * (Q * r')
        dR = xp.empty_like(Z)       # gradient of the recurrent projections
        for t in range(T - 1, -1, -1):
            da = dZ[t, :, 2 * u:]
            xp.multiply(dh, E[t], out=da)
            xp.multiply(dh, Dz[t], out=dZ[t, :, :u])
            xp.multiply(da, RD[t], out=dZ[t, :, u:2 * u])
            xp.copyto(dR[t, :, :2 * u], dZ[t, :, :2 * u])
            xp.multiply(da, r[t], out=dR[t, :, 2 * u:])
            rec.back(dR[t], back)
            xp.multiply(dh, Zc[t], out=dh)
            dh += back
            if dh_seq is not None and t > 0:
                dh += dh_seq[t - 1]
        drecurrent = rec.weight_grad(Hp, dR)
        dbias = None
        if w["has_bias"]:
            dbias = xp.stack([reductions.column_sums(dZ), reductions.column_sums(dR)])
    else:
        Uh = U[:, 2 * u:]
        masks = w["recurrent_masks"]
        mh = None if masks is None else masks[2]
        Hh = Hp if mh is None else Hp * mh    # h rm_h for all steps
        RD = Hh * Dr                           # dr' = dq * (h rm_h * r')
        Rc = r if mh is None else r * mh       # dh_prev gets dq * r * rm_h
        dq = xp.empty((B, u), dtype)
        for t in range(T - 1, -1, -1):
            da = dZ[t, :, 2 * u:]
            xp.multiply(dh, E[t], out=da)
            xp.multiply(dh, Dz[t], out=dZ[t, :, :u])
            xp.matmul(da, Uh.T, out=dq)
            xp.multiply(dq, RD[t], out=dZ[t, :, u:2 * u])
            rec.back(dZ[t, :, :2 * u], back)
            xp.multiply(dh, Zc[t], out=dh)
            dh += back
            xp.multiply(dq, Rc[t], out=back)  # zero at masked steps: da is
            dh += back
            if dh_seq is not None and t > 0:
                dh += dh_seq[t - 1]
        drecurrent = xp.empty_like(U)
        drecurrent[:, :2 * u] = rec.weight_grad(Hp, dZ[:, :, :2 * u])
        drecurrent[:, 2 * u:] = Q.reshape(-1, u).T @ dZ[:, :, 2 * u:].reshape(-1, u)
        dbias = reductions.column_sums(dZ) if w["has_bias"] else None
    return dZ, drecurrent, dbias
