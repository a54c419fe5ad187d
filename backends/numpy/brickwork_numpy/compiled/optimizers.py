"""Optimizer updates as single passes over flat parameter vectors.

NumPy needs one pass over memory per operation of an update rule (Adam: about
a dozen, with temporaries); these loops read each element of the variable,
the gradient and the state once and write them back once. Each mirrors the
arithmetic of the pure-NumPy kernel in ``kernels/optimizers*.py``, in the
same order. Every argument array is 1-D, contiguous and of one dtype; scalars
arrive as Python numbers and are rounded to that dtype first, so float32
updates stay in float32 as NumPy's do (converting them here, not in Python,
saves microseconds per call). Optional state arrays may be None: numba compiles a version
without that branch.

Serial on purpose: between the BLAS calls of a training step, a
``parallel=True`` loop over these sizes (the MLP's 0.4M-element kernel
included) measured slower than the serial one on two cores.
"""
from __future__ import annotations

import math

import numpy as np

from .jit import jit


@jit
def sgd(variable, gradient, momentum_buffer, learning_rate, momentum, nesterov):
    cast = variable.dtype.type
    learning_rate, momentum = cast(learning_rate), cast(momentum)
    for i in range(variable.shape[0]):
        step = learning_rate * gradient[i]
        if momentum_buffer is None:
            variable[i] -= step
            continue
        buffered = momentum_buffer[i] * momentum - step
        momentum_buffer[i] = buffered
        if nesterov:
            variable[i] += momentum * buffered - step
        else:
            variable[i] += buffered


@jit(inline=True)
def _update_moments(first_moment, second_moment, i, g, one_minus_beta_1, one_minus_beta_2):
    """Adam's and Nadam's moving averages of the gradient and its square at
    element ``i``, stored and returned as ``(m, v)``."""
    m = first_moment[i] + (g - first_moment[i]) * one_minus_beta_1
    v = second_moment[i] + (g * g - second_moment[i]) * one_minus_beta_2
    first_moment[i] = m
    second_moment[i] = v
    return m, v


@jit
def adam(variable, gradient, first_moment, second_moment, max_second_moment, alpha,
         one_minus_beta_1, one_minus_beta_2, epsilon):
    cast = variable.dtype.type
    alpha, one_minus_beta_1 = cast(alpha), cast(one_minus_beta_1)
    one_minus_beta_2, epsilon = cast(one_minus_beta_2), cast(epsilon)
    for i in range(variable.shape[0]):
        g = gradient[i]
        m, v = _update_moments(first_moment, second_moment, i, g, one_minus_beta_1,
                               one_minus_beta_2)
        if max_second_moment is not None:
            v = np.maximum(max_second_moment[i], v)
            max_second_moment[i] = v
        variable[i] -= alpha * m / (math.sqrt(v) + epsilon)


@jit
def rmsprop(variable, gradient, velocity, momentum_buffer, average_gradient, learning_rate,
            rho, one_minus_rho, momentum, epsilon):
    cast = variable.dtype.type
    learning_rate, rho, one_minus_rho = cast(learning_rate), cast(rho), cast(one_minus_rho)
    momentum, epsilon = cast(momentum), cast(epsilon)
    for i in range(variable.shape[0]):
        g = gradient[i]
        v = velocity[i] * rho + one_minus_rho * (g * g)
        velocity[i] = v
        if average_gradient is not None:
            a = average_gradient[i] * rho + one_minus_rho * g
            average_gradient[i] = a
            denominator = v - a * a + epsilon
        else:
            denominator = v + epsilon
        increment = learning_rate * g / math.sqrt(denominator)
        if momentum_buffer is not None:
            increment += momentum_buffer[i] * momentum
            momentum_buffer[i] = increment
        variable[i] -= increment


@jit
def adagrad(variable, gradient, accumulator, learning_rate, epsilon):
    cast = variable.dtype.type
    learning_rate, epsilon = cast(learning_rate), cast(epsilon)
    for i in range(variable.shape[0]):
        g = gradient[i]
        a = accumulator[i] + g * g
        accumulator[i] = a
        variable[i] -= learning_rate * g / math.sqrt(a + epsilon)


@jit
def adadelta(variable, gradient, accumulated_grad, accumulated_delta_var, learning_rate, rho,
             one_minus_rho, epsilon):
    cast = variable.dtype.type
    learning_rate, rho = cast(learning_rate), cast(rho)
    one_minus_rho, epsilon = cast(one_minus_rho), cast(epsilon)
    for i in range(variable.shape[0]):
        g = gradient[i]
        a = accumulated_grad[i] * rho + one_minus_rho * (g * g)
        accumulated_grad[i] = a
        delta = -(math.sqrt(accumulated_delta_var[i] + epsilon) * g / math.sqrt(a + epsilon))
        accumulated_delta_var[i] = accumulated_delta_var[i] * rho + one_minus_rho * (delta * delta)
        variable[i] += delta * learning_rate


@jit
def adamax(variable, gradient, first_moment, norm, learning_rate, one_minus_beta_1, beta_2,
           epsilon, bias_correction):
    cast = variable.dtype.type
    learning_rate, one_minus_beta_1 = cast(learning_rate), cast(one_minus_beta_1)
    beta_2 = cast(beta_2)
    epsilon, bias_correction = cast(epsilon), cast(bias_correction)
    for i in range(variable.shape[0]):
        g = gradient[i]
        m = first_moment[i] + (g - first_moment[i]) * one_minus_beta_1
        first_moment[i] = m
        u = np.maximum(norm[i] * beta_2, np.abs(g))
        norm[i] = u
        variable[i] -= learning_rate * m / ((u + epsilon) * bias_correction)


@jit
def nadam(variable, gradient, first_moment, second_moment, learning_rate, one_minus_beta_1,
          one_minus_beta_2, epsilon, moment_weight, gradient_weight, velocity_scale):
    cast = variable.dtype.type
    learning_rate, one_minus_beta_1 = cast(learning_rate), cast(one_minus_beta_1)
    one_minus_beta_2, epsilon = cast(one_minus_beta_2), cast(epsilon)
    moment_weight, gradient_weight, velocity_scale = (cast(moment_weight), cast(gradient_weight),
                                                      cast(velocity_scale))
    for i in range(variable.shape[0]):
        g = gradient[i]
        m, v = _update_moments(first_moment, second_moment, i, g, one_minus_beta_1,
                               one_minus_beta_2)
        m_hat = m * moment_weight + g * gradient_weight
        variable[i] -= m_hat * learning_rate / (math.sqrt(v * velocity_scale) + epsilon)


@jit
def lion(variable, gradient, momentum, learning_rate, beta_1, one_minus_beta_1, beta_2,
         one_minus_beta_2):
    cast = variable.dtype.type
    learning_rate, beta_1, one_minus_beta_1 = (cast(learning_rate), cast(beta_1),
                                               cast(one_minus_beta_1))
    beta_2, one_minus_beta_2 = cast(beta_2), cast(one_minus_beta_2)
    for i in range(variable.shape[0]):
        g = gradient[i]
        m = momentum[i]
        variable[i] -= np.sign(m * beta_1 + g * one_minus_beta_1) * learning_rate
        momentum[i] = m * beta_2 + g * one_minus_beta_2


@jit
def ftrl(variable, gradient, accumulator, linear, learning_rate, power, square_root, l1,
         two_l2, two_l2_shrinkage):
    cast = variable.dtype.type
    learning_rate, power, l1 = cast(learning_rate), cast(power), cast(l1)
    two_l2, two_l2_shrinkage = cast(two_l2), cast(two_l2_shrinkage)
    for i in range(variable.shape[0]):
        g, w, n = gradient[i], variable[i], accumulator[i]
        new_n = n + g * g
        if square_root:
            old_power, new_power = math.sqrt(n), math.sqrt(new_n)
        else:
            old_power, new_power = n ** power, new_n ** power
        z = linear[i] + g
        if two_l2_shrinkage != 0:
            z += two_l2_shrinkage * w
        z -= (new_power - old_power) / learning_rate * w
        quadratic = new_power / learning_rate + two_l2
        variable[i] = (np.minimum(np.maximum(z, -l1), l1) - z) / quadratic
        linear[i] = z
        accumulator[i] = new_n
