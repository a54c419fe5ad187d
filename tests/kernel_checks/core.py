"""Conformance checks of the spine's kernels: random numbers, dense,
activations, softmax, fused cross-entropies, dropout and optimizer updates."""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

import reference as ref
from brickwork import backend
from brickwork.hookspecs import KERNEL_ACTIVATIONS, OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from kernel_checks import F32, F64, FD, GRAD32, N, T, assert_dtype, call, conformance


# ---------------------------------------------------------------------------
# Random numbers
# ---------------------------------------------------------------------------


@conformance("random_generator", cases=["reproducible", "distributions"])
def check_random_generator(k, rng, case):
    xp_array = backend.get_backend().xp.ndarray
    if case == "reproducible":
        a, b, c = k.random_generator(42), k.random_generator(42), k.random_generator(7)
        for draw in (lambda g: g.random((3, 4), np.float32),
                     lambda g: g.standard_normal((5,), np.float64),
                     lambda g: g.integers(0, 10, (6,)),
                     lambda g: g.permutation(9)):
            x, y, z = draw(a), draw(b), draw(c)
            assert isinstance(x, xp_array)
            assert_array_equal(N(x), N(y))
            assert not np.array_equal(N(x), N(z)), "different seeds gave the same numbers"
        # A generator advances: the next draw differs from the first.
        assert not np.array_equal(N(a.random((8,), np.float32)), N(a.random((8,), np.float32)))
        unseeded = k.random_generator(None).random((8,), np.float32)
        assert N(unseeded).shape == (8,)
        return
    g = k.random_generator(0)
    for dtype in (np.float32, np.float64):
        u = N(g.random((20000,), dtype))
        assert u.dtype == dtype and u.shape == (20000,)
        assert u.min() >= 0 and u.max() < 1
        assert abs(u.mean() - 0.5) < 0.01
        z = N(g.standard_normal((20000,), dtype))
        assert z.dtype == dtype
        assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03
    ints = N(g.integers(3, 8, (2000,)))
    assert np.issubdtype(ints.dtype, np.integer)
    assert set(np.unique(ints)) == {3, 4, 5, 6, 7}
    assert_array_equal(np.sort(N(g.permutation(50))), np.arange(50))


# ---------------------------------------------------------------------------
# Dense
# ---------------------------------------------------------------------------


@conformance("dense_forward", cases=OUTPUT_DIFFERENTIABLE_ACTIVATIONS)
def check_dense_forward(k, rng, activation):
    x, kernel, bias = ref.kink_free_dense_inputs(rng)
    for use_bias in (True, False):
        b = bias if use_bias else None
        for dtype, tol in ((np.float32, F32), (np.float64, F64)):
            xc, kc, bc = (None if a is None else a.astype(dtype) for a in (x, kernel, b))
            y = call(k.dense_forward, T(xc), T(kc), T(bc), activation)
            assert_dtype(y, dtype)
            assert N(y).shape == (2, 3, 5)
            assert_allclose(N(y), ref.dense(xc, kc, bc, activation), **tol)
    # A single sample without batch axes.
    y = call(k.dense_forward, T(x[0, 0]), T(kernel), T(bias), activation)
    assert_allclose(N(y), ref.dense(x[0, 0], kernel, bias, activation), **F64)


@conformance("dense_backward", cases=OUTPUT_DIFFERENTIABLE_ACTIVATIONS)
def check_dense_backward(k, rng, activation):
    x, kernel, bias = ref.kink_free_dense_inputs(rng)
    y = ref.dense(x, kernel, bias, activation)
    dy = rng.normal(size=y.shape)
    expected = ref.numerical_vjp(lambda a, w, b: ref.dense(a, w, b, activation),
                                 [x, kernel, bias], dy)
    dx, dkernel, dbias = call(k.dense_backward, T(dy), T(x), T(kernel), T(y), activation, True)
    for name, got, want in zip(("dx", "dkernel", "dbias"), (dx, dkernel, dbias), expected):
        assert N(got).shape == want.shape, name
        assert_allclose(N(got), want, **FD, err_msg=name)

    no_dx = call(k.dense_backward, T(dy), T(x), T(kernel), T(y), activation, False)
    assert no_dx[0] is None, "need_dx=False must give dx=None"
    assert_allclose(N(no_dx[1]), N(dkernel), **F64)
    assert_allclose(N(no_dx[2]), N(dbias), **F64)

    f32 = [a.astype(np.float32) for a in (dy, x, kernel, y)]
    grads32 = call(k.dense_backward, *(T(a) for a in f32), activation, True)
    for got, want in zip(grads32, (dx, dkernel, dbias)):
        assert_dtype(got, np.float32)
        assert_allclose(N(got), N(want), **GRAD32)


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------


def activation_input(rng, shape=(3, 4, 5)):
    return ref.away_from(rng.uniform(-5, 7, size=shape))


@conformance("activation_forward", cases=KERNEL_ACTIVATIONS)
def check_activation_forward(k, rng, activation):
    x = activation_input(rng)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        xc = x.astype(dtype)
        y = call(k.activation_forward, T(xc), activation)
        assert_dtype(y, dtype)
        assert_allclose(N(y), ref.activation(xc, activation), **tol)
    if activation != "exponential":  # large inputs must not overflow
        big = np.array([[-80.0, -30.0, 0.5, 30.0, 80.0]])
        for dtype in (np.float32, np.float64):
            y = N(call(k.activation_forward, T(big.astype(dtype)), activation))
            assert np.all(np.isfinite(y)), f"{activation} overflowed: {y}"
            assert_allclose(y, ref.activation(big, activation), **F32)


@conformance("activation_backward", cases=KERNEL_ACTIVATIONS)
def check_activation_backward(k, rng, activation):
    x = activation_input(rng)
    y = ref.activation(x, activation)
    dy = rng.normal(size=x.shape)
    (want,) = ref.numerical_vjp(lambda a: ref.activation(a, activation), [x], dy)
    dx = call(k.activation_backward, T(dy), T(x), T(y), activation)
    assert_allclose(N(dx), want, **FD)
    dx32 = call(k.activation_backward, *(T(a.astype(np.float32)) for a in (dy, x, y)), activation)
    assert_dtype(dx32, np.float32)
    assert_allclose(N(dx32), want, **GRAD32)


SOFTMAX_AXES = (0, 1, -1, -2)


def check_softmax_like_forward(kernel, reference, rng, axis):
    x = rng.normal(scale=3, size=(3, 4, 5))
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        xc = x.astype(dtype)
        y = call(kernel, T(xc), axis)
        assert_dtype(y, dtype)
        assert_allclose(N(y), reference(xc, axis), **tol)
    # Huge logits are handled stably.
    big = np.array([[1000.0, 0.0, -1000.0], [-500.0, -500.0, 20.0]])
    y = N(call(kernel, T(big.astype(np.float32)), -1))
    assert np.all(np.isfinite(y))
    assert_allclose(y, reference(big, -1), **F32)


def check_softmax_like_backward(kernel, reference, rng, axis):
    x = rng.normal(scale=2, size=(3, 4, 5))
    y = reference(x, axis)
    dy = rng.normal(size=x.shape)
    (want,) = ref.numerical_vjp(lambda a: reference(a, axis), [x], dy)
    assert_allclose(N(call(kernel, T(dy), T(y), axis)), want, **FD)
    dx32 = call(kernel, T(dy.astype(np.float32)), T(y.astype(np.float32)), axis)
    assert_dtype(dx32, np.float32)
    assert_allclose(N(dx32), want, **GRAD32)


@conformance("softmax_forward", cases=SOFTMAX_AXES)
def check_softmax_forward(k, rng, axis):
    check_softmax_like_forward(k.softmax_forward, ref.softmax, rng, axis)
    y = N(k.softmax_forward(T(rng.normal(size=(3, 4, 5))), axis))
    assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-12)


@conformance("softmax_backward", cases=SOFTMAX_AXES)
def check_softmax_backward(k, rng, axis):
    check_softmax_like_backward(k.softmax_backward, ref.softmax, rng, axis)


@conformance("log_softmax_forward", cases=SOFTMAX_AXES)
def check_log_softmax_forward(k, rng, axis):
    check_softmax_like_forward(k.log_softmax_forward, ref.log_softmax, rng, axis)


@conformance("log_softmax_backward", cases=SOFTMAX_AXES)
def check_log_softmax_backward(k, rng, axis):
    check_softmax_like_backward(k.log_softmax_backward, ref.log_softmax, rng, axis)


# ---------------------------------------------------------------------------
# Fused losses
# ---------------------------------------------------------------------------


def crossentropy_inputs(rng, case, classes=4):
    logits = rng.normal(scale=2, size=(2, 3, classes))
    if case == "sparse":
        return logits, rng.integers(0, classes, size=(2, 3))
    # Not normalized on purpose: the gradient must carry sum(target, -1).
    return logits, rng.uniform(0, 1, size=logits.shape)


@conformance("softmax_crossentropy_forward", cases=["dense", "sparse"])
def check_softmax_crossentropy_forward(k, rng, case):
    sparse = case == "sparse"
    logits, target = crossentropy_inputs(rng, case)
    targets = [target.astype(np.int32), target.astype(np.int64)] if sparse else [target]
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        for t in targets:
            tc = t if sparse else t.astype(dtype)
            loss, probs = call(k.softmax_crossentropy_forward, T(logits.astype(dtype)), T(tc), sparse)
            want_loss, want_probs = ref.softmax_crossentropy(logits.astype(dtype), tc, sparse)
            assert_dtype(loss, dtype)
            assert N(loss).shape == (2, 3)
            assert_allclose(N(loss), want_loss, **tol)
            assert_allclose(N(probs), want_probs, **tol)
    big = np.array([[1000.0, -1000.0, 0.0]])
    t = np.array([1]) if sparse else np.array([[0.0, 1.0, 0.0]])
    loss, _ = k.softmax_crossentropy_forward(T(big.astype(np.float32)), T(t), sparse)
    assert_allclose(N(loss), [2000.0], rtol=1e-6)


@conformance("softmax_crossentropy_backward", cases=["dense", "sparse"])
def check_softmax_crossentropy_backward(k, rng, case):
    sparse = case == "sparse"
    logits, target = crossentropy_inputs(rng, case)
    dloss = rng.normal(size=logits.shape[:-1])
    (want,) = ref.numerical_vjp(lambda z: ref.softmax_crossentropy(z, target, sparse)[0],
                                [logits], dloss)
    probs = ref.softmax(logits)
    got = call(k.softmax_crossentropy_backward, T(dloss), T(probs), T(target), sparse)
    assert_allclose(N(got), want, **FD)
    t32 = target if sparse else target.astype(np.float32)
    got32 = call(k.softmax_crossentropy_backward, T(dloss.astype(np.float32)),
                 T(probs.astype(np.float32)), T(t32), sparse)
    assert_dtype(got32, np.float32)
    assert_allclose(N(got32), want, **GRAD32)


@conformance("sigmoid_crossentropy_forward")
def check_sigmoid_crossentropy_forward(k, rng, case):
    logits = rng.normal(scale=3, size=(4, 5))
    target = rng.uniform(size=(4, 5))
    # The textbook formula, for moderate logits, agrees with the stable reference.
    s = 1 / (1 + np.exp(-logits))
    assert_allclose(ref.sigmoid_crossentropy(logits, target),
                    -(target * np.log(s) + (1 - target) * np.log(1 - s)), rtol=1e-10)
    for dtype, tol in ((np.float32, F32), (np.float64, F64)):
        loss = call(k.sigmoid_crossentropy_forward, T(logits.astype(dtype)), T(target.astype(dtype)))
        assert_dtype(loss, dtype)
        assert_allclose(N(loss), ref.sigmoid_crossentropy(logits.astype(dtype), target.astype(dtype)), **tol)
    big = np.array([-200.0, -60.0, 60.0, 200.0], dtype=np.float32)
    t = np.array([1.0, 0.0, 1.0, 0.0], dtype=np.float32)
    loss = N(k.sigmoid_crossentropy_forward(T(big), T(t)))
    assert np.all(np.isfinite(loss))
    assert_allclose(loss, ref.sigmoid_crossentropy(big, t), **F32)


@conformance("sigmoid_crossentropy_backward")
def check_sigmoid_crossentropy_backward(k, rng, case):
    logits = rng.normal(scale=3, size=(4, 5))
    target = rng.uniform(size=(4, 5))
    dloss = rng.normal(size=(4, 5))
    (want,) = ref.numerical_vjp(lambda z: ref.sigmoid_crossentropy(z, target), [logits], dloss)
    assert_allclose(N(call(k.sigmoid_crossentropy_backward, T(dloss), T(logits), T(target))), want, **FD)
    got32 = call(k.sigmoid_crossentropy_backward,
                 *(T(a.astype(np.float32)) for a in (dloss, logits, target)))
    assert_dtype(got32, np.float32)
    assert_allclose(N(got32), want, **GRAD32)


# ---------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------


@conformance("dropout_forward", cases=["mask_values", "kept_fraction", "noise_shape", "generator"])
def check_dropout_forward(k, rng, case):
    if case == "mask_values":
        rate = 0.3
        for dtype in (np.float32, np.float64):
            x = rng.normal(size=(64, 32)).astype(dtype)
            y, mask = call(k.dropout_forward, T(x), rate, (64, 32), k.random_generator(1))
            mask = N(mask)
            assert mask.shape == (64, 32) and mask.dtype == dtype
            scale = dtype(1 / (1 - rate))
            assert np.all((mask == 0) | (mask == scale)), np.unique(mask)
            assert 0 < np.count_nonzero(mask) < mask.size
            assert_dtype(y, dtype)
            assert_allclose(N(y), x * mask, rtol=1e-6)
    elif case == "kept_fraction":
        x = np.ones(200_000, dtype=np.float32)
        for rate in (0.1, 0.5, 0.8):
            y, mask = k.dropout_forward(T(x), rate, x.shape, k.random_generator(3))
            kept = np.count_nonzero(N(mask)) / x.size
            assert abs(kept - (1 - rate)) < 0.01, (rate, kept)
            assert abs(N(y).mean() - 1.0) < 0.03  # inverted dropout keeps the mean
        y, mask = k.dropout_forward(T(x[:100]), 0.0, (100,), k.random_generator(3))
        assert_array_equal(N(y), x[:100])
    elif case == "noise_shape":
        x = rng.uniform(1, 2, size=(50, 6, 8)).astype(np.float32)
        for noise_shape, shared_axes in (((50, 1, 8), (1,)), ((1, 6, 1), (0, 2)), ((50, 6, 1), (2,))):
            y, mask = call(k.dropout_forward, T(x), 0.5, noise_shape, k.random_generator(5))
            assert N(mask).shape == noise_shape
            kept = N(y) != 0
            for axis in shared_axes:  # one draw along a size-1 axis of noise_shape
                first = np.take(kept, [0], axis=axis)
                assert np.all(kept == first), f"noise_shape {noise_shape}: axis {axis} not shared"
            assert_allclose(N(y), x * N(mask), rtol=1e-6)
    else:  # generator: same seed, same mask; a used generator moves on
        x = np.ones((40, 40), dtype=np.float32)
        g1, g2 = k.random_generator(11), k.random_generator(11)
        _, m1 = k.dropout_forward(T(x), 0.5, x.shape, g1)
        _, m2 = k.dropout_forward(T(x), 0.5, x.shape, g2)
        assert_array_equal(N(m1), N(m2))
        _, m3 = k.dropout_forward(T(x), 0.5, x.shape, g1)
        assert not np.array_equal(N(m1), N(m3))


@conformance("dropout_backward", cases=["full_mask", "broadcast_mask"])
def check_dropout_backward(k, rng, case):
    rate = 0.4
    shape = (5, 6)
    mask_shape = shape if case == "full_mask" else (5, 1)
    mask = (rng.uniform(size=mask_shape) >= rate) / (1 - rate)
    x = rng.normal(size=shape)
    dy = rng.normal(size=shape)
    (want,) = ref.numerical_vjp(lambda a: a * mask, [x], dy)
    got = call(k.dropout_backward, T(dy), T(mask))
    assert N(got).shape == shape
    assert_allclose(N(got), want, **FD)
    got32 = call(k.dropout_backward, T(dy.astype(np.float32)), T(mask.astype(np.float32)))
    assert_dtype(got32, np.float32)


# ---------------------------------------------------------------------------
# Optimizer updates: in place, step by step against the spec's formula
# ---------------------------------------------------------------------------


def assert_state(array, expected, dtype, name):
    tol = F64 if dtype == np.float64 else F32
    assert_dtype(array, dtype)
    assert_allclose(N(array), expected, **tol, err_msg=name)


@conformance("sgd_update", cases=["plain", "momentum", "nesterov"])
def check_sgd_update(k, rng, case):
    momentum = 0.0 if case == "plain" else 0.9
    nesterov = case == "nesterov"
    lr = 0.05
    for dtype in (np.float32, np.float64):
        start = rng.normal(size=(3, 4)).astype(dtype)
        variable = T(start.copy())
        buffer = None if momentum == 0 else T(np.zeros((3, 4), dtype))
        want_var, want_m = start.astype(np.float64), np.zeros((3, 4))
        for _ in range(3):
            g = rng.normal(size=(3, 4)).astype(dtype)
            assert k.sgd_update(variable, T(g), buffer, lr, momentum, nesterov) is None
            want_var, want_m = ref.sgd_step(want_var, g, want_m, lr, momentum, nesterov)
            assert_state(variable, want_var, dtype, "variable")
            if buffer is not None:
                assert_state(buffer, want_m, dtype, "momentum_buffer")


@conformance("adam_update", cases=["adam", "amsgrad", "transposed_gradient"])
def check_adam_update(k, rng, case):
    """``transposed_gradient``: the gradient arrives as a non-contiguous view
    (a backend may not read it as a flat vector)."""
    amsgrad = case == "amsgrad"
    lr, beta_1, beta_2, eps = 0.01, 0.9, 0.999, 1e-7
    for dtype in (np.float32, np.float64):
        start = rng.normal(size=(3, 4)).astype(dtype)
        variable, m, v = T(start.copy()), T(np.zeros((3, 4), dtype)), T(np.zeros((3, 4), dtype))
        v_hat = T(np.zeros((3, 4), dtype)) if amsgrad else None
        want = [start.astype(np.float64), np.zeros((3, 4)), np.zeros((3, 4)),
                np.zeros((3, 4)) if amsgrad else None]
        # Shrinking gradients make v fall below its running maximum (amsgrad matters).
        for step, scale in enumerate((3.0, 1.0, 0.1, 0.01), start=1):
            g = (scale * rng.normal(size=(3, 4))).astype(dtype)
            gradient = T(g.T.copy()).T if case == "transposed_gradient" else T(g)
            assert k.adam_update(variable, gradient, m, v, v_hat, lr, beta_1, beta_2, eps, step) is None
            want = list(ref.adam_step(*want[:1], g, *want[1:], lr, beta_1, beta_2, eps, step))
            for name, got, expected in zip(("variable", "m", "v", "v_hat"), (variable, m, v, v_hat), want):
                if expected is not None:
                    assert_state(got, expected, dtype, name)
        if amsgrad:
            assert not np.allclose(want[2], want[3]), "test inputs do not exercise amsgrad"


@conformance("rmsprop_update", cases=["plain", "momentum", "centered", "centered_momentum"])
def check_rmsprop_update(k, rng, case):
    momentum = 0.9 if "momentum" in case else 0.0
    centered = case.startswith("centered")
    lr, rho, eps = 0.01, 0.9, 1e-7
    for dtype in (np.float32, np.float64):
        start = rng.normal(size=(3, 4)).astype(dtype)
        zeros = np.zeros((3, 4), dtype)
        variable, velocity = T(start.copy()), T(zeros.copy())
        buffer = T(zeros.copy()) if momentum else None
        average = T(zeros.copy()) if centered else None
        want = [start.astype(np.float64), np.zeros((3, 4)),
                np.zeros((3, 4)) if momentum else None, np.zeros((3, 4)) if centered else None]
        for _ in range(3):
            g = rng.normal(size=(3, 4)).astype(dtype)
            result = k.rmsprop_update(variable, T(g), velocity, buffer, average, lr, rho, momentum, eps)
            assert result is None
            want = list(ref.rmsprop_step(want[0], g, want[1], want[2], want[3], lr, rho, momentum, eps))
            for name, got, expected in zip(("variable", "velocity", "momentum_buffer", "average_gradient"),
                                           (variable, velocity, buffer, average), want):
                if expected is not None:
                    assert_state(got, expected, dtype, name)


