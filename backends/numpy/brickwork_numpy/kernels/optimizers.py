"""Optimizer steps, in place, following Keras 3's update rules exactly.

Each kernel runs the compiled one-pass loop of ``compiled/optimizers.py``
when it can update the arrays through flat views, else the NumPy
expressions below, which compute the same values.
"""
import math

import numpy as np

from brickwork.plugin import hookimpl

from .. import compiled

BRICKWORK_BACKEND = "numpy"



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
    if loops is not None:
        loops.sgd(flat(variable), flat_gradient(gradient, variable.dtype), flat(momentum_buffer),
                  learning_rate, momentum, bool(nesterov))
        return
    if momentum_buffer is None:
        variable -= learning_rate * gradient
        return
    momentum_buffer *= momentum
    momentum_buffer -= learning_rate * gradient
    if nesterov:
        variable += momentum * momentum_buffer - learning_rate * gradient
    else:
        variable += momentum_buffer


@hookimpl
def adam_update(variable, gradient, first_moment, second_moment, max_second_moment,
                learning_rate, beta_1, beta_2, epsilon, step):
    alpha = learning_rate * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    loops = compiled_updates(variable, gradient, first_moment, second_moment, max_second_moment)
    if loops is not None:
        loops.adam(flat(variable), flat_gradient(gradient, variable.dtype), flat(first_moment),
                   flat(second_moment), flat(max_second_moment), alpha,
                   1 - beta_1, 1 - beta_2, epsilon)
        return
    first_moment += (gradient - first_moment) * (1 - beta_1)
    second_moment += (np.square(gradient) - second_moment) * (1 - beta_2)
    denominator = second_moment
    if max_second_moment is not None:
        np.maximum(max_second_moment, second_moment, out=max_second_moment)
        denominator = max_second_moment
    denominator = np.sqrt(denominator)
    denominator += epsilon
    variable -= alpha * first_moment / denominator


@hookimpl
def rmsprop_update(variable, gradient, velocity, momentum_buffer, average_gradient,
                   learning_rate, rho, momentum, epsilon):
    loops = compiled_updates(variable, gradient, velocity, momentum_buffer, average_gradient)
    if loops is not None:
        loops.rmsprop(flat(variable), flat_gradient(gradient, variable.dtype), flat(velocity),
                      flat(momentum_buffer), flat(average_gradient), learning_rate,
                      rho, 1 - rho, momentum, epsilon)
        return
    velocity *= rho
    velocity += (1 - rho) * np.square(gradient)
    if average_gradient is not None:
        average_gradient *= rho
        average_gradient += (1 - rho) * gradient
        denominator = velocity - np.square(average_gradient) + epsilon
    else:
        denominator = velocity + epsilon
    increment = learning_rate * gradient / np.sqrt(denominator)
    if momentum_buffer is not None:
        momentum_buffer *= momentum
        momentum_buffer += increment
        variable -= momentum_buffer
    else:
        variable -= increment
