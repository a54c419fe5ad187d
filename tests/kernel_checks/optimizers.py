"""Conformance checks of the Adagrad, Adadelta, Adamax, Nadam, Lion and FTRL
update kernels: in place, step by step against float64 transcriptions of
Keras 3's update rules (written here from the formulas, not from a backend),
state arrays included, in float32 and float64."""
from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from kernel_checks import F32, F64, N, T, assert_dtype, conformance

SHAPE = (3, 4)


def f64(a):
    return np.asarray(a, dtype=np.float64)


# --- float64 references: each returns the new (variable, *state) -------------------


def adagrad_step(variable, gradient, accumulator, learning_rate, epsilon):
    accumulator = f64(accumulator) + f64(gradient) ** 2
    return f64(variable) - learning_rate * gradient / np.sqrt(accumulator + epsilon), accumulator


def adadelta_step(variable, gradient, accumulated_grad, accumulated_delta_var, learning_rate,
                  rho, epsilon):
    g = f64(gradient)
    accumulated_grad = rho * f64(accumulated_grad) + (1 - rho) * g * g
    delta = -np.sqrt(f64(accumulated_delta_var) + epsilon) * g / np.sqrt(accumulated_grad + epsilon)
    accumulated_delta_var = rho * f64(accumulated_delta_var) + (1 - rho) * delta * delta
    return f64(variable) + learning_rate * delta, accumulated_grad, accumulated_delta_var


def adamax_step(variable, gradient, m, u, learning_rate, beta_1, beta_2, epsilon, step):
    g = f64(gradient)
    m = beta_1 * f64(m) + (1 - beta_1) * g
    u = np.maximum(beta_2 * f64(u), np.abs(g))
    return f64(variable) - learning_rate * m / ((1 - beta_1**step) * (u + epsilon)), m, u


def nadam_momentum(beta_1, step):
    return beta_1 * (1 - 0.5 * 0.96**step)


def nadam_step(variable, gradient, m, v, learning_rate, beta_1, beta_2, epsilon, step, u_product):
    g = f64(gradient)
    u_t, u_next = nadam_momentum(beta_1, step), nadam_momentum(beta_1, step + 1)
    m = beta_1 * f64(m) + (1 - beta_1) * g
    v = beta_2 * f64(v) + (1 - beta_2) * g * g
    m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
    v_hat = v / (1 - beta_2**step)
    return f64(variable) - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def lion_step(variable, gradient, m, learning_rate, beta_1, beta_2):
    g = f64(gradient)
    variable = f64(variable) - learning_rate * np.sign(beta_1 * f64(m) + (1 - beta_1) * g)
    return variable, beta_2 * f64(m) + (1 - beta_2) * g


def ftrl_step(variable, gradient, accumulator, linear, learning_rate, learning_rate_power, l1,
              l2, l2_shrinkage, beta):
    w, g, n, z = f64(variable), f64(gradient), f64(accumulator), f64(linear)
    p = -learning_rate_power
    l2 = l2 + beta / (2 * learning_rate)
    n_new = n + g * g
    z = z + g + 2 * l2_shrinkage * w - (n_new**p - n**p) / learning_rate * w
    quadratic = n_new**p / learning_rate + 2 * l2
    w = (np.clip(z, -l1, l1) - z) / quadratic
    return w, n_new, z


# --- the shared driver ---------------------------------------------------------------


def run_steps(kernel, reference, state_names, initial_state, hyper, rng, steps=4,
              per_step=None, scales=(3.0, 1.0, 0.1, 0.01)):
    """Run ``kernel`` in place for ``steps`` steps in float32 and float64 and
    compare the variable and every state array with ``reference``.

    ``per_step(step)`` gives extra trailing hyperparameters for that step.
    Shrinking gradients (``scales``) exercise running maxima and accumulators.
    """
    for dtype in (np.float32, np.float64):
        tol = F64 if dtype == np.float64 else F32
        start = rng.normal(size=SHAPE).astype(dtype)
        arrays = [T(start.copy())] + [T(np.full(SHAPE, value, dtype)) for value in initial_state]
        want = [start.astype(np.float64)] + [np.full(SHAPE, float(np.asarray(value, dtype)))
                                             for value in initial_state]
        for step in range(1, steps + 1):
            g = (scales[(step - 1) % len(scales)] * rng.normal(size=SHAPE)).astype(dtype)
            extra = per_step(step) if per_step else ()
            result = kernel(arrays[0], T(g), *arrays[1:], *hyper, *extra)
            assert result is None, f"{kernel.__name__} must update in place and return None"
            want = list(reference(want[0], g, *want[1:], *hyper, *extra))
            for name, got, expected in zip(("variable", *state_names), arrays, want):
                assert_dtype(got, dtype)
                assert_allclose(N(got), expected, **tol, err_msg=f"{name} at step {step}")


@conformance("adagrad_update", cases=["default", "small_epsilon"])
def check_adagrad_update(k, rng, case):
    epsilon = 1e-7 if case == "default" else 1e-12
    run_steps(k.adagrad_update, adagrad_step, ("accumulator",), (0.1,), (0.05, epsilon), rng)


@conformance("adadelta_update", cases=["default", "low_rho"])
def check_adadelta_update(k, rng, case):
    rho = 0.95 if case == "default" else 0.5
    run_steps(k.adadelta_update, adadelta_step, ("accumulated_grad", "accumulated_delta_var"),
              (0.0, 0.0), (1.0, rho, 1e-7), rng)


@conformance("adamax_update")
def check_adamax_update(k, rng, case):
    run_steps(k.adamax_update, adamax_step, ("momentum", "norm"), (0.0, 0.0),
              (0.01, 0.9, 0.999, 1e-7), rng, per_step=lambda step: (step,))


@conformance("nadam_update")
def check_nadam_update(k, rng, case):
    beta_1 = 0.9
    products = np.cumprod([nadam_momentum(beta_1, i) for i in range(1, 6)])
    run_steps(k.nadam_update, nadam_step, ("momentum", "velocity"), (0.0, 0.0),
              (0.01, beta_1, 0.999, 1e-7), rng,
              per_step=lambda step: (step, float(products[step - 1])))


@conformance("lion_update", cases=["default", "beta_1_one"])
def check_lion_update(k, rng, case):
    beta_1 = 0.9 if case == "default" else 1.0
    run_steps(k.lion_update, lion_step, ("momentum",), (0.0,), (0.01, beta_1, 0.99), rng)


@conformance("ftrl_update", cases=["default", "regularized", "power"])
def check_ftrl_update(k, rng, case):
    power, l1, l2, shrinkage, beta = -0.5, 0.0, 0.0, 0.0, 0.0
    if case == "regularized":
        l1, l2, shrinkage, beta = 0.05, 0.02, 0.03, 0.5
    if case == "power":
        power, l1 = -0.7, 0.01
    run_steps(k.ftrl_update, ftrl_step, ("accumulator", "linear"), (0.1, 0.0),
              (0.1, power, l1, l2, shrinkage, beta), rng)
