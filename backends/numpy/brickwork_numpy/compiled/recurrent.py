"""One fused pass per time step for LSTM and GRU with the Keras default
activations (``sigmoid`` gates, ``tanh`` candidate and output).

The GEMMs stay in BLAS (``kernels/recurrent.py`` calls them); each function
here replaces the dozen NumPy calls that follow a step's recurrent GEMM with
one loop over the gate block that stays in cache. Arrays are ``(B, ...)``
slices of one time step; ``carry`` is None or a bool ``(B,)`` vector of the
rows whose states carry over unchanged (masked time steps).

Gate values are kept activated in the gate block for the backward pass:
LSTM ``[i, f, g, o]``, GRU ``[z, r, hh]``.
"""
from __future__ import annotations

import numpy as np

from .blas import gemm, gemm_function  # noqa: F401  (kernels ask for gemm_function)
from .jit import jit, prange
from .mathfn import tanh
from .prefetch import LINE_FLOATS, prefetch
from .split import one_numba_thread  # noqa: F401  (the kernels use it)


def gate_scales(kinds: str, units: int, dtype):
    """Per-column ``(scale, shift)`` that turn one ``tanh`` into each gate:
    ``s*tanh(s*x) + shift`` is ``sigmoid`` for ``s, shift = 1/2, 1/2`` ("s")
    and ``tanh`` for ``1, 0`` ("t"). One uniform loop over the whole gate
    block then vectorizes, where per-gate loops would not."""
    scale = np.repeat([0.5 if k == "s" else 1.0 for k in kinds], units).astype(dtype)
    shift = np.repeat([0.5 if k == "s" else 0.0 for k in kinds], units).astype(dtype)
    return scale, shift


@jit
def _activate_row(z, rz, bias, scale, shift):
    """``z = scale*tanh(scale*(z + rz + bias)) + shift`` over one row (``rz``
    None when the recurrent product is already in ``z``)."""
    for j in range(z.shape[0]):
        s = scale[j]
        v = z[j]
        if rz is not None:
            v += rz[j]
        if bias is not None:
            v += bias[j]
        z[j] = s * tanh(s * v) + shift[j]


@jit
def lstm_forward_step(z, rz, bias, scale, shift, c_prev, h_prev, carry, c, h):
    """Gates, cell and hidden state of one LSTM step.

    z: ``(B, 4u)`` input projection; overwritten with the activated gates.
    rz: ``(B, 4u)`` recurrent projection, or None when ``z`` includes it.
    bias: ``(4u,)`` or None (added here rather than in a separate pass over
    all steps' projections). Writes
    ``c`` and ``h = o * tanh(c)``; rows in ``carry`` keep ``c_prev``/``h_prev``.
    ``tanh(c)`` is not stored: backward recomputes it from ``c``, which is
    cheaper than writing it here and reading it back there.
    """
    B, u = c.shape
    for b in range(B):
        zb = z[b]
        _activate_row(zb, None if rz is None else rz[b], bias, scale, shift)
        if carry is not None and carry[b]:
            for j in range(u):
                c[b, j] = c_prev[b, j]
                h[b, j] = h_prev[b, j]
            continue
        for j in range(u):
            c[b, j] = zb[u + j] * c_prev[b, j] + zb[j] * zb[2 * u + j]
        for j in range(u):
            h[b, j] = zb[3 * u + j] * tanh(c[b, j])


def lstm_backward_step(t, dh, dc, recurrent, dh_seq, gates, c_prev, c, carry, dz, bias_rows):
    """Gradients of step ``t``'s gate pre-activations.

    dh: on entry, the part of the gradient w.r.t. this step's ``h`` not yet
    added up; the step adds ``recurrent`` (what the recurrent GEMM of the
    step after passed back) and ``dh_seq[t]`` (``dh_seq``: ``(T, B, u)`` or
    None). On exit it holds what passes to ``h_prev`` outside the recurrent
    GEMM: all of it at a carried row, nothing otherwise. dc: the gradient
    w.r.t. ``c``; becomes that w.r.t. ``c_prev``. gates: the activated
    ``[i, f, g, o]``; c_prev, c: the cell states before and after the step;
    carry: ``(T, B)`` or None. Writes ``dz`` ``(B, 4u)``, zero at carried
    rows, and adds it to ``bias_rows`` ``(B, 4u)`` (the bias gradient,
    summed over rows at the end). Call it inside ``one_numba_thread()``
    (once around the whole reverse loop).
    """
    _lstm_backward_rows(0, dh.shape[0], t, dh, dc, recurrent, dh_seq, gates, c_prev, c, carry, dz,
                        bias_rows)


@jit(parallel=True)
def _lstm_backward_rows(start, stop, t, dh, dc, recurrent, dh_seq, gates, c_prev, c, carry, dz,
                        bias_rows):
    # A prange loop (run on one thread, see one_numba_thread): numba then
    # proves that the arrays do not alias, and the loops over units
    # vectorize (1.6x faster). The bias sum is a loop of its own: folded
    # into the main loop it stops that loop from vectorizing (3.7x slower).
    # The gates and c_prev were written a whole forward pass ago and come
    # from memory: prefetching the next row's lines while this row computes
    # takes the pass from 56 to 42 us per step (64x128, cold caches).
    # dh_seq and carry come whole, indexed by t here: each is None or an
    # array for the whole compile (an optional value inside a prange loop
    # gave wrong results).
    u = dh.shape[1]
    for b in prange(start, stop):
        if b + 1 < stop:
            for k in range(0, 4 * u, LINE_FLOATS):
                prefetch(gates[b + 1], k)
            for k in range(0, u, LINE_FLOATS):
                prefetch(c_prev[b + 1], k)
        if carry is not None and carry[t, b]:
            for j in range(u):
                d_h = dh[b, j] + recurrent[b, j]
                if dh_seq is not None:
                    d_h += dh_seq[t, b, j]
                dh[b, j] = d_h
            for j in range(4 * u):
                dz[b, j] = 0
            continue
        for j in range(u):
            i = gates[b, j]
            f = gates[b, u + j]
            g = gates[b, 2 * u + j]
            o = gates[b, 3 * u + j]
            tc = tanh(c[b, j])
            d_h = dh[b, j] + recurrent[b, j]
            if dh_seq is not None:
                d_h += dh_seq[t, b, j]
            d_c = dc[b, j] + d_h * o * (1 - tc * tc)
            dz[b, j] = d_c * g * i * (1 - i)
            dz[b, u + j] = d_c * c_prev[b, j] * f * (1 - f)
            dz[b, 2 * u + j] = d_c * i * (1 - g * g)
            dz[b, 3 * u + j] = d_h * tc * o * (1 - o)
            dc[b, j] = d_c * f
            dh[b, j] = 0
        for j in range(4 * u):
            bias_rows[b, j] += dz[b, j]


@jit
def lstm_forward_steps(gemm_function, z, recurrent_kernel, bias, scale, shift, c, h, carry):
    """Every step of a sequence in one call: ``z[t] += h[t] @ recurrent_kernel``
    (NumPy's BLAS, or a compiled loop for batches of one or two rows: see
    ``blas.py``), then :func:`lstm_forward_step`.

    z: ``(T(+1), B, 4u)`` input projections; c, h: ``(T+1, B, u)`` with the
    initial states in ``[0]``; carry: ``(T, B)`` or None.
    """
    for t in range(c.shape[0] - 1):
        gemm(gemm_function, h[t], recurrent_kernel, z[t], 1.0)
        # Two calls rather than one with an optional carry[t]: numba settles
        # `carry is None` when it compiles, so each call sees one type.
        if carry is None:
            lstm_forward_step(z[t], None, bias, scale, shift, c[t], h[t], None, c[t + 1], h[t + 1])
        else:
            lstm_forward_step(z[t], None, bias, scale, shift, c[t], h[t], carry[t], c[t + 1],
                              h[t + 1])


@jit
def lstm_backward_steps(gemm_function, z, recurrent_kernel_t, c, carry, dh, dc, dh_seq, back,
                        bias_rows):
    """The reverse loop in one call: :func:`lstm_backward_step` for ``t =
    T-1 .. 0``, each writing its ``dz`` into ``z[t + 1]`` (``z`` has a spare
    last slot), then ``back = dz @ recurrent_kernel_t``. ``back`` starts as
    zeros and ends as what passes to ``h_{-1}``; call inside
    ``one_numba_thread()``."""
    B = dh.shape[0]
    for t in range(c.shape[0] - 2, -1, -1):
        _lstm_backward_rows(0, B, t, dh, dc, back, dh_seq, z[t], c[t], c[t + 1], carry, z[t + 1],
                            bias_rows)
        gemm(gemm_function, z[t + 1], recurrent_kernel_t, back, 0.0)


@jit
def gru_forward_step(x, r_proj, recurrent_bias, scale, shift, h_prev, carry, q, h):
    """One GRU step with ``reset_after=True`` (Keras' default).

    x: ``(B, 3u)`` input projection (input bias included); overwritten with
    the activated ``[z, r, hh]``. r_proj: ``(B, 3u)`` recurrent projection
    ``h_prev @ U`` (without bias). Writes ``q`` (the candidate's recurrent
    part ``r_proj_h + b_h``, which backward needs) and
    ``h = z*h_prev + (1-z)*hh``; rows in ``carry`` keep ``h_prev``.
    """
    B, u = h.shape
    for b in range(B):
        xb, rb = x[b], r_proj[b]
        # z and r: one vectorized pass over their 2u columns.
        if recurrent_bias is None:
            _activate_row(xb[:2 * u], rb[:2 * u], None, scale, shift)
        else:
            _activate_row(xb[:2 * u], rb[:2 * u], recurrent_bias[:2 * u], scale, shift)
        for j in range(u):
            v = rb[2 * u + j]
            if recurrent_bias is not None:
                v += recurrent_bias[2 * u + j]
            q[b, j] = v
        for j in range(u):
            xb[2 * u + j] = tanh(xb[2 * u + j] + xb[u + j] * q[b, j])
        if carry is not None and carry[b]:
            for j in range(u):
                h[b, j] = h_prev[b, j]
            continue
        for j in range(u):
            z = xb[j]
            h[b, j] = z * h_prev[b, j] + (1 - z) * xb[2 * u + j]


@jit
def gru_backward_step(dh, gates, h_prev, q, carry, dx, dr):
    """Gradients of one GRU step (``reset_after=True``).

    dh: running gradient w.r.t. this step's ``h``; becomes what passes to
    ``h_prev`` without the recurrent GEMM (``dh*z``, or all of it at a
    carried row). gates: activated ``[z, r, hh]``. Writes ``dx`` ``(B, 3u)``,
    the gradient of the input projection, and ``dr`` ``(B, 3u)``, that of the
    recurrent projection; both zero at carried rows.
    """
    B, u = dh.shape
    for b in range(B):
        if carry is not None and carry[b]:
            for j in range(3 * u):
                dx[b, j] = 0
                dr[b, j] = 0
            continue
        gb, xb, rb = gates[b], dx[b], dr[b]
        for j in range(u):
            z, r, hh = gb[j], gb[u + j], gb[2 * u + j]
            d_h = dh[b, j]
            da = d_h * (1 - z) * (1 - hh * hh)
            dz = d_h * (h_prev[b, j] - hh) * z * (1 - z)
            drr = da * q[b, j] * r * (1 - r)
            xb[j] = dz
            xb[u + j] = drr
            xb[2 * u + j] = da
            rb[j] = dz
            rb[u + j] = drr
            rb[2 * u + j] = da * r
            dh[b, j] = d_h * z


@jit
def add_into(dh, recurrent, extra):
    """``dh += recurrent (+ extra)``: the running gradient of the previous
    hidden state."""
    B, u = dh.shape
    for b in range(B):
        for j in range(u):
            v = dh[b, j] + recurrent[b, j]
            if extra is not None:
                v += extra[b, j]
            dh[b, j] = v
