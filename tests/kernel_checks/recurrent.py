"""Conformance checks of the recurrent sequence kernels (SimpleRNN, LSTM, GRU).

The reference runs the Keras 3 cell equations one step at a time in float64
(batch-major, a Python loop over time, masks applied with ``where`` as
``keras.backend.rnn`` does); backward kernels are compared with central
finite differences of that reference through all time steps.
"""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

import reference as ref
from kernel_checks import F64, FD, GRAD32, N, T, assert_dtype, call, conformance

B, STEPS, IN, U = 3, 5, 4, 3
RNN32 = dict(rtol=1e-4, atol=1e-5)   # float32 through several steps vs float64

# Cases: (name, options). Options not given take their defaults below.
CASES = {
    "plain": {},
    "no_bias": {"bias": False},
    "mask": {"mask": True},
    "backwards": {"go_backwards": True},
    "mask_backwards": {"mask": True, "go_backwards": True},
    "shared_input_mask": {"input_masks": 1},
    "gate_masks": {"input_masks": "G", "recurrent_masks": True},
    "gate_masks_mask": {"input_masks": "G", "recurrent_masks": True, "mask": True},
    "other_activations": {"activation": "softsign", "recurrent_activation": "hard_sigmoid"},
}
GRU_CASES = dict(CASES, **{f"reset_before_{k}": dict(v, reset_after=False) for k, v in CASES.items()})


def act(name, x):
    return ref.activation(x, name)


# ---------------------------------------------------------------------------
# Float64 cell-by-cell references
# ---------------------------------------------------------------------------


def gate_input(x, im, g):
    """The step input seen by gate ``g`` (after its input dropout mask)."""
    if im is None:
        return x
    return x * im[0 if im.shape[0] == 1 else g]


def gate_state(h, rm, g):
    return h if rm is None else h * rm[g]


def run(step, x, states, mask, go_backwards):
    """Loop ``step`` over time; returns (h_seq time-major in processing order, states)."""
    order = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs = []
    for t in order:
        new = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        states = new
        outputs.append(states[0])
    return np.stack(outputs), states


def ref_simple_rnn(x, kernel, rkernel, bias, h0, mask, im, rm, activation, go_backwards):
    def step(xt, states):
        z = gate_input(xt, im, 0) @ kernel + gate_state(states[0], rm, 0) @ rkernel
        if bias is not None:
            z = z + bias
        return [act(activation, z)]
    return run(step, ref.f64(x), [ref.f64(h0)], mask, go_backwards)


def ref_lstm(x, kernel, rkernel, bias, h0, c0, mask, im, rm, activation, recurrent_activation,
             go_backwards):
    u = rkernel.shape[0]

    def step(xt, states):
        h, c = states
        z = [gate_input(xt, im, g) @ kernel[:, g * u:(g + 1) * u]
             + gate_state(h, rm, g) @ rkernel[:, g * u:(g + 1) * u] for g in range(4)]
        if bias is not None:
            z = [zg + bias[g * u:(g + 1) * u] for g, zg in enumerate(z)]
        i, f, o = (act(recurrent_activation, z[g]) for g in (0, 1, 3))
        c_new = f * c + i * act(activation, z[2])
        return [o * act(activation, c_new), c_new]
    return run(step, ref.f64(x), [ref.f64(h0), ref.f64(c0)], mask, go_backwards)


def ref_gru(x, kernel, rkernel, bias, h0, mask, im, rm, activation, recurrent_activation,
            reset_after, go_backwards):
    u = rkernel.shape[0]
    if bias is None:
        bx, bh = np.zeros(3 * u), np.zeros(3 * u)
    elif reset_after:
        bx, bh = bias[0], bias[1]
    else:
        bx, bh = bias, np.zeros(3 * u)

    def cols(g):
        return slice(g * u, (g + 1) * u)

    def step(xt, states):
        h = states[0]
        xz, xr, xh = (gate_input(xt, im, g) @ kernel[:, cols(g)] + bx[cols(g)] for g in range(3))
        hz, hr = (gate_state(h, rm, g) @ rkernel[:, cols(g)] + bh[cols(g)] for g in range(2))
        z = act(recurrent_activation, xz + hz)
        r = act(recurrent_activation, xr + hr)
        if reset_after:
            hh = act(activation, xh + r * (gate_state(h, rm, 2) @ rkernel[:, cols(2)] + bh[cols(2)]))
        else:
            hh = act(activation, xh + (r * gate_state(h, rm, 2)) @ rkernel[:, cols(2)])
        return [z * h + (1 - z) * hh]
    return run(step, ref.f64(x), [ref.f64(h0)], mask, go_backwards)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def make_inputs(rng, kind, case):
    """Float64 arguments of the ``kind`` kernel for a case, plus options."""
    opts = dict(bias=True, mask=False, go_backwards=False, input_masks=None,
                recurrent_masks=False, activation="tanh", recurrent_activation="sigmoid",
                reset_after=True)
    opts.update(case)
    G = {"simple_rnn": 1, "lstm": 4, "gru": 3}[kind]
    args = dict(
        inputs=rng.normal(size=(B, STEPS, IN)),
        kernel=rng.normal(scale=0.5, size=(IN, G * U)),
        recurrent_kernel=rng.normal(scale=0.5, size=(U, G * U)),
        initial_h=rng.normal(scale=0.5, size=(B, U)),
    )
    if opts["bias"]:
        shape = (2, G * U) if kind == "gru" and opts["reset_after"] else (G * U,)
        args["bias"] = rng.normal(scale=0.5, size=shape)
    else:
        args["bias"] = None
    if kind == "lstm":
        args["initial_c"] = rng.normal(scale=0.5, size=(B, U))
    args["mask"] = None
    if opts["mask"]:
        # Leading, inner and trailing masked steps, and one fully masked row.
        args["mask"] = np.array([[1, 0, 1, 1, 0], [0, 0, 1, 0, 1], [0, 0, 0, 0, 0]], bool)
    keep = 1 / 0.75  # kept units of a rate-0.25 dropout
    im = opts["input_masks"]
    args["input_masks"] = None if im is None else (
        rng.choice([0.0, keep], size=(1 if im == 1 else G, B, IN), p=[0.25, 0.75]))
    args["recurrent_masks"] = (rng.choice([0.0, keep], size=(G, B, U), p=[0.25, 0.75])
                               if opts["recurrent_masks"] else None)
    return args, opts


def forward_call(k, kind, a, opts, cast):
    c = {n: None if v is None or v.dtype == bool else T(v.astype(cast)) for n, v in a.items()}
    mask = None if a["mask"] is None else T(a["mask"])
    if kind == "simple_rnn":
        return call(k.simple_rnn_forward, c["inputs"], c["kernel"], c["recurrent_kernel"],
                    c["bias"], c["initial_h"], mask, c["input_masks"], c["recurrent_masks"],
                    opts["activation"], opts["go_backwards"])
    if kind == "lstm":
        return call(k.lstm_forward, c["inputs"], c["kernel"], c["recurrent_kernel"], c["bias"],
                    c["initial_h"], c["initial_c"], mask, c["input_masks"],
                    c["recurrent_masks"], opts["activation"], opts["recurrent_activation"],
                    opts["go_backwards"])
    return call(k.gru_forward, c["inputs"], c["kernel"], c["recurrent_kernel"], c["bias"],
                c["initial_h"], mask, c["input_masks"], c["recurrent_masks"],
                opts["activation"], opts["recurrent_activation"], opts["reset_after"],
                opts["go_backwards"])


def reference_call(kind, a, opts):
    common = (a["mask"], a["input_masks"], a["recurrent_masks"])
    if kind == "simple_rnn":
        return ref_simple_rnn(a["inputs"], a["kernel"], a["recurrent_kernel"], a["bias"],
                              a["initial_h"], *common, opts["activation"], opts["go_backwards"])
    if kind == "lstm":
        return ref_lstm(a["inputs"], a["kernel"], a["recurrent_kernel"], a["bias"],
                        a["initial_h"], a["initial_c"], *common, opts["activation"],
                        opts["recurrent_activation"], opts["go_backwards"])
    return ref_gru(a["inputs"], a["kernel"], a["recurrent_kernel"], a["bias"], a["initial_h"],
                   *common, opts["activation"], opts["recurrent_activation"],
                   opts["reset_after"], opts["go_backwards"])


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def check_forward(k, rng, kind, case):
    a, opts = make_inputs(rng, kind, case)
    h_ref, states_ref = reference_call(kind, a, opts)
    for dtype, tol in ((np.float32, RNN32), (np.float64, F64)):
        out = forward_call(k, kind, a, opts, dtype)
        h_seq = out[0]
        assert_dtype(h_seq, dtype)
        assert N(h_seq).shape == (STEPS, B, U)
        assert_allclose(N(h_seq), h_ref, **tol)
        if kind == "lstm":
            assert N(out[1]).shape == (B, U)
            assert_allclose(N(out[1]), states_ref[1], **tol)


DIFFERENTIABLE = ("inputs", "kernel", "recurrent_kernel", "bias", "initial_h", "initial_c")


def check_backward(k, rng, kind, case):
    a, opts = make_inputs(rng, kind, case)
    names = [n for n in DIFFERENTIABLE if n in a]
    is_lstm = kind == "lstm"

    def flat_outputs(*values):
        b = dict(a, **dict(zip(names, values)))
        h_seq, states = reference_call(kind, b, opts)
        parts = [h_seq.ravel(), states[0].ravel()] + ([states[1].ravel()] if is_lstm else [])
        return np.concatenate(parts)

    dh_seq = rng.normal(size=(STEPS, B, U))
    dh_last = rng.normal(size=(B, U))
    dc_last = rng.normal(size=(B, U))
    dy = np.concatenate([dh_seq.ravel(), dh_last.ravel()] + ([dc_last.ravel()] if is_lstm else []))
    expected = ref.numerical_vjp(flat_outputs, [a[n] for n in names], dy)

    out = forward_call(k, kind, a, opts, np.float64)
    backward = getattr(k, f"{kind}_backward")
    extra = (T(dc_last),) if is_lstm else ()
    grads = call(backward, T(dh_seq), T(dh_last), *extra, out[-1], True)
    order = ["inputs", "kernel", "recurrent_kernel", "bias", "initial_h"] + (["initial_c"] if is_lstm else [])
    got = dict(zip(order, grads))
    for name, want in zip(names, expected):
        if want is None:
            continue
        assert N(got[name]).shape == want.shape, name
        assert_allclose(N(got[name]), want, **FD, err_msg=f"{kind} {name}")

    # A workspace can be differentiated again (a persistent tape) with the
    # same results, with other upstream gradients in between.
    call(backward, T(2 * dh_seq), None, *extra, out[-1], True)
    again = call(backward, T(dh_seq), T(dh_last), *extra, out[-1], True)
    for name, first, second in zip(order, grads, again):
        if first is not None:
            assert_allclose(N(second), N(first), **F64, err_msg=f"{kind} {name}, second backward")

    # need_dinputs=False skips dinputs; None upstream gradients count as zero.
    out = forward_call(k, kind, a, opts, np.float64)
    grads2 = call(backward, None, T(dh_last), *extra, out[-1], False)
    assert grads2[0] is None
    out = forward_call(k, kind, a, opts, np.float64)
    zero_seq = np.zeros_like(dh_seq)
    grads3 = call(backward, T(zero_seq), T(dh_last), *extra, out[-1], False)
    for g2, g3 in zip(grads2[1:], grads3[1:]):
        if g2 is not None:
            assert_allclose(N(g2), N(g3), **F64)

    # float32 backward agrees with float64.
    out32 = forward_call(k, kind, a, opts, np.float32)
    extra32 = (T(dc_last.astype(np.float32)),) if is_lstm else ()
    grads32 = call(backward, T(dh_seq.astype(np.float32)), T(dh_last.astype(np.float32)),
                   *extra32, out32[-1], True)
    for name, g32 in zip(order, grads32):
        if g32 is None or got[name] is None:
            continue
        assert_dtype(g32, np.float32)
        assert_allclose(N(g32), N(got[name]), **GRAD32, err_msg=f"{kind} float32 {name}")


SIMPLE_CASES = {k: v for k, v in CASES.items() if k != "other_activations"}
SIMPLE_CASES["relu"] = {"activation": "relu"}


@conformance("simple_rnn_forward", cases=list(SIMPLE_CASES))
def check_simple_rnn_forward(k, rng, case):
    check_forward(k, rng, "simple_rnn", SIMPLE_CASES[case])


@conformance("simple_rnn_backward", cases=list(SIMPLE_CASES))
def check_simple_rnn_backward(k, rng, case):
    check_backward(k, rng, "simple_rnn", SIMPLE_CASES[case])


@conformance("lstm_forward", cases=list(CASES))
def check_lstm_forward(k, rng, case):
    check_forward(k, rng, "lstm", CASES[case])


@conformance("lstm_backward", cases=list(CASES))
def check_lstm_backward(k, rng, case):
    check_backward(k, rng, "lstm", CASES[case])


@conformance("gru_forward", cases=list(GRU_CASES))
def check_gru_forward(k, rng, case):
    check_forward(k, rng, "gru", GRU_CASES[case])


@conformance("gru_backward", cases=list(GRU_CASES))
def check_gru_backward(k, rng, case):
    check_backward(k, rng, "gru", GRU_CASES[case])
