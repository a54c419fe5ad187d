"""Adagrad, Adadelta, Adamax, Nadam, Lion and FTRL: one fused in-place launch
each; step-dependent factors are computed on the host."""
from __future__ import annotations

from brickwork.plugin import hookimpl

from .optimizers import update

BRICKWORK_BACKEND = "cupy"


@hookimpl
def adagrad_update(variable, gradient, accumulator, learning_rate, epsilon):
    update("adagrad_update", variable, gradient, (accumulator,), (learning_rate, epsilon))


@hookimpl
def adadelta_update(variable, gradient, accumulated_grad, accumulated_delta_var,
                    learning_rate, rho, epsilon):
    update("adadelta_update", variable, gradient, (accumulated_grad, accumulated_delta_var),
           (learning_rate, rho, epsilon))


@hookimpl
def adamax_update(variable, gradient, first_moment, norm, learning_rate, beta_1, beta_2,
                  epsilon, step):
    update("adamax_update", variable, gradient, (first_moment, norm),
           (learning_rate, beta_1, beta_2, epsilon, 1 - beta_1**step))


def _nadam_momentum_schedule(beta_1, step):
    return beta_1 * (1.0 - 0.5 * 0.96**step)


@hookimpl
def nadam_update(variable, gradient, first_moment, second_moment, learning_rate, beta_1,
                 beta_2, epsilon, step, u_product):
    u_t = _nadam_momentum_schedule(beta_1, step)
    u_next = _nadam_momentum_schedule(beta_1, step + 1)
    m_scale = u_next / (1 - u_product * u_next)
    g_scale = (1 - u_t) / (1 - u_product)
    v_scale = 1.0 / (1 - beta_2**step)
    update("nadam_update", variable, gradient, (first_moment, second_moment),
           (learning_rate, beta_1, beta_2, epsilon, m_scale, g_scale, v_scale))


@hookimpl
def lion_update(variable, gradient, momentum, learning_rate, beta_1, beta_2):
    update("lion_update", variable, gradient, (momentum,), (learning_rate, beta_1, beta_2))


@hookimpl
def ftrl_update(variable, gradient, accumulator, linear, learning_rate, learning_rate_power,
                l1_regularization_strength, l2_regularization_strength,
                l2_shrinkage_regularization_strength, beta):
    l2 = l2_regularization_strength + beta / (2.0 * learning_rate)
    update("ftrl_update", variable, gradient, (accumulator, linear),
           (learning_rate, -learning_rate_power, l1_regularization_strength, l2,
            l2_shrinkage_regularization_strength))
