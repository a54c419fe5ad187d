"""Optimizer steps (SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion,
FTRL): the reference kernels on NumPy, each step one compiled pass
(``compiled/optimizers.py``) when the arrays can be updated in place through
flat views; the reference computes the same values."""
import numpy as np

from brickwork.plugin import hookimpl
from brickwork.reference_kernels import bind, optimizers

from .. import compiled

BRICKWORK_BACKEND = "numpy"

reference = bind(optimizers, globals(), xp=np)


def compiled_updates(variable, gradient, *state):
    """The compiled update loops, or None when compiled loops are off or the
    arrays cannot be updated in place through flat views: a dtype other than
    float32/float64, state of another dtype, a non-contiguous array, or a
    gradient of another shape."""
    loops = compiled.module("optimizers")
    if loops is None or variable.dtype not in compiled.COMPILED_DTYPES or gradient.shape != variable.shape:
        return None
    for array in (variable, *state):
        if array is not None and (array.dtype != variable.dtype or not array.flags.c_contiguous):
            return None
    return loops


def flat(array):
    """A contiguous array as a 1-D view (None stays None)."""
    return None if array is None else array.reshape(-1)


def flat_gradient(gradient, dtype):
    return np.ascontiguousarray(gradient, dtype=dtype).reshape(-1)


@hookimpl
def sgd_update(variable, gradient, momentum_buffer, learning_rate, momentum, nesterov):
    loops = compiled_updates(variable, gradient, momentum_buffer)
    if loops is None:
        return reference.sgd_update(variable, gradient, momentum_buffer, learning_rate, momentum,
                                    nesterov)
    loops.sgd(flat(variable), flat_gradient(gradient, variable.dtype), flat(momentum_buffer),
              learning_rate, momentum, bool(nesterov))


@hookimpl
def adam_update(variable, gradient, first_moment, second_moment, max_second_moment,
                learning_rate, beta_1, beta_2, epsilon, step):
    alpha = adam_step_size(learning_rate, beta_1, beta_2, step)
    loops = compiled_updates(variable, gradient, first_moment, second_moment, max_second_moment)
    if loops is None:
        return reference.adam_update(variable, gradient, first_moment, second_moment,
                                     max_second_moment, learning_rate, beta_1, beta_2, epsilon,
                                     step)
    loops.adam(flat(variable), flat_gradient(gradient, variable.dtype), flat(first_moment),
               flat(second_moment), flat(max_second_moment), alpha,
               1 - beta_1, 1 - beta_2, epsilon)


@hookimpl
def rmsprop_update(variable, gradient, velocity, momentum_buffer, average_gradient,
                   learning_rate, rho, momentum, epsilon):
    loops = compiled_updates(variable, gradient, velocity, momentum_buffer, average_gradient)
    if loops is None:
        return reference.rmsprop_update(variable, gradient, velocity, momentum_buffer,
                                        average_gradient, learning_rate, rho, momentum, epsilon)
    loops.rmsprop(flat(variable), flat_gradient(gradient, variable.dtype), flat(velocity),
                  flat(momentum_buffer), flat(average_gradient), learning_rate,
                  rho, 1 - rho, momentum, epsilon)


@hookimpl
def adagrad_update(variable, gradient, accumulator, learning_rate, epsilon):
    loops = compiled_updates(variable, gradient, accumulator)
    if loops is None:
        return reference.adagrad_update(variable, gradient, accumulator, learning_rate, epsilon)
    loops.adagrad(flat(variable), flat_gradient(gradient, variable.dtype), flat(accumulator),
                  learning_rate, epsilon)


@hookimpl
def adadelta_update(variable, gradient, accumulated_grad, accumulated_delta_var,
                    learning_rate, rho, epsilon):
    loops = compiled_updates(variable, gradient, accumulated_grad, accumulated_delta_var)
    if loops is None:
        return reference.adadelta_update(variable, gradient, accumulated_grad,
                                         accumulated_delta_var, learning_rate, rho, epsilon)
    loops.adadelta(flat(variable), flat_gradient(gradient, variable.dtype),
                   flat(accumulated_grad), flat(accumulated_delta_var),
                   learning_rate, rho, 1 - rho, epsilon)


@hookimpl
def adamax_update(variable, gradient, first_moment, norm, learning_rate, beta_1, beta_2,
                  epsilon, step):
    loops = compiled_updates(variable, gradient, first_moment, norm)
    if loops is None:
        return reference.adamax_update(variable, gradient, first_moment, norm, learning_rate,
                                       beta_1, beta_2, epsilon, step)
    loops.adamax(flat(variable), flat_gradient(gradient, variable.dtype), flat(first_moment),
                 flat(norm), learning_rate, 1 - beta_1, beta_2,
                 epsilon, 1 - beta_1**step)


@hookimpl
def nadam_update(variable, gradient, first_moment, second_moment, learning_rate, beta_1,
                 beta_2, epsilon, step, u_product):
    moment_weight, gradient_weight, velocity_scale = nadam_factors(beta_1, beta_2, step,
                                                                   u_product)
    loops = compiled_updates(variable, gradient, first_moment, second_moment)
    if loops is None:
        return reference.nadam_update(variable, gradient, first_moment, second_moment,
                                      learning_rate, beta_1, beta_2, epsilon, step, u_product)
    loops.nadam(flat(variable), flat_gradient(gradient, variable.dtype), flat(first_moment),
                flat(second_moment), learning_rate, 1 - beta_1,
                1 - beta_2, epsilon, moment_weight,
                gradient_weight, velocity_scale)


@hookimpl
def lion_update(variable, gradient, momentum, learning_rate, beta_1, beta_2):
    loops = compiled_updates(variable, gradient, momentum)
    if loops is None:
        return reference.lion_update(variable, gradient, momentum, learning_rate, beta_1, beta_2)
    loops.lion(flat(variable), flat_gradient(gradient, variable.dtype), flat(momentum),
               learning_rate, beta_1, 1 - beta_1, beta_2,
               1 - beta_2)


@hookimpl
def ftrl_update(variable, gradient, accumulator, linear, learning_rate, learning_rate_power,
                l1_regularization_strength, l2_regularization_strength,
                l2_shrinkage_regularization_strength, beta):
    p = -learning_rate_power
    l2 = l2_regularization_strength + beta / (2.0 * learning_rate)
    loops = compiled_updates(variable, gradient, accumulator, linear)
    if loops is None:
        return reference.ftrl_update(variable, gradient, accumulator, linear, learning_rate,
                                     learning_rate_power, l1_regularization_strength,
                                     l2_regularization_strength,
                                     l2_shrinkage_regularization_strength, beta)
    loops.ftrl(flat(variable), flat_gradient(gradient, variable.dtype), flat(accumulator),
               flat(linear), learning_rate, p, p == 0.5,
               l1_regularization_strength, 2 * l2,
               2 * l2_shrinkage_regularization_strength)
