"""Optimizer steps, in place, following Keras 3's update rules exactly: SGD,
Adam and RMSprop, then Adagrad, Adadelta, Adamax, Nadam, Lion and FTRL.
Python-float hyperparameters keep the arithmetic in the variables' own
dtype; ``out=`` keeps temporaries to one or two arrays."""
import math

import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl


def adam_step_size(learning_rate, beta_1, beta_2, step):
    """Adam's step size with both moments' bias corrections folded in."""
    return learning_rate * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)


@hookimpl
def sgd_update(variable, gradient, momentum_buffer, learning_rate, momentum, nesterov):
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
    alpha = adam_step_size(learning_rate, beta_1, beta_2, step)
    first_moment += (gradient - first_moment) * (1 - beta_1)
    second_moment += (xp.square(gradient) - second_moment) * (1 - beta_2)
    denominator = second_moment
    if max_second_moment is not None:
        xp.maximum(max_second_moment, second_moment, out=max_second_moment)
        denominator = max_second_moment
    denominator = xp.sqrt(denominator)
    denominator += epsilon
    variable -= alpha * first_moment / denominator


@hookimpl
def rmsprop_update(variable, gradient, velocity, momentum_buffer, average_gradient,
                   learning_rate, rho, momentum, epsilon):
    velocity *= rho
    velocity += (1 - rho) * xp.square(gradient)
    if average_gradient is not None:
        average_gradient *= rho
        average_gradient += (1 - rho) * gradient
        denominator = velocity - xp.square(average_gradient) + epsilon
    else:
        denominator = velocity + epsilon
    increment = learning_rate * gradient / xp.sqrt(denominator)
    if momentum_buffer is not None:
        momentum_buffer *= momentum
        momentum_buffer += increment
        variable -= momentum_buffer
    else:
        variable -= increment


@hookimpl
def adagrad_update(variable, gradient, accumulator, learning_rate, epsilon):
    accumulator += xp.square(gradient)
    denominator = accumulator + epsilon
    xp.sqrt(denominator, out=denominator)
    step = learning_rate * gradient
    step /= denominator
    variable -= step


@hookimpl
def adadelta_update(variable, gradient, accumulated_grad, accumulated_delta_var,
                    learning_rate, rho, epsilon):
    accumulated_grad *= rho
    accumulated_grad += (1 - rho) * xp.square(gradient)
    delta = accumulated_delta_var + epsilon
    xp.sqrt(delta, out=delta)
    delta *= gradient
    delta /= xp.sqrt(accumulated_grad + epsilon)
    xp.negative(delta, out=delta)
    accumulated_delta_var *= rho
    accumulated_delta_var += (1 - rho) * xp.square(delta)
    delta *= learning_rate
    variable += delta


@hookimpl
def adamax_update(variable, gradient, first_moment, norm, learning_rate, beta_1, beta_2,
                  epsilon, step):
    first_moment += (gradient - first_moment) * (1 - beta_1)
    norm *= beta_2
    xp.maximum(norm, xp.abs(gradient), out=norm)
    denominator = norm + epsilon
    denominator *= 1 - beta_1**step
    update = learning_rate * first_moment
    update /= denominator
    variable -= update


def _nadam_momentum_schedule(beta_1, step):
    return beta_1 * (1.0 - 0.5 * 0.96**step)


def nadam_factors(beta_1, beta_2, step, u_product):
    """Nadam's ``(moment_weight, gradient_weight, velocity_scale)`` at
    ``step``, given the product of the momentum schedule up to it."""
    u_t = _nadam_momentum_schedule(beta_1, step)
    u_next = _nadam_momentum_schedule(beta_1, step + 1)
    return (u_next / (1 - u_product * u_next), (1 - u_t) / (1 - u_product),
            1.0 / (1 - beta_2**step))


@hookimpl
def nadam_update(variable, gradient, first_moment, second_moment, learning_rate, beta_1,
                 beta_2, epsilon, step, u_product):
    moment_weight, gradient_weight, velocity_scale = nadam_factors(beta_1, beta_2, step,
                                                                   u_product)
    first_moment += (gradient - first_moment) * (1 - beta_1)
    second_moment += (xp.square(gradient) - second_moment) * (1 - beta_2)
    m_hat = first_moment * moment_weight
    m_hat += gradient * gradient_weight
    denominator = second_moment * velocity_scale
    xp.sqrt(denominator, out=denominator)
    denominator += epsilon
    m_hat *= learning_rate
    m_hat /= denominator
    variable -= m_hat


@hookimpl
def lion_update(variable, gradient, momentum, learning_rate, beta_1, beta_2):
    direction = momentum * beta_1
    direction += gradient * (1 - beta_1)
    xp.sign(direction, out=direction)
    direction *= learning_rate
    variable -= direction
    momentum *= beta_2
    momentum += gradient * (1 - beta_2)


def _power(array, exponent):
    return xp.sqrt(array) if exponent == 0.5 else xp.power(array, exponent)


@hookimpl
def ftrl_update(variable, gradient, accumulator, linear, learning_rate, learning_rate_power,
                l1_regularization_strength, l2_regularization_strength,
                l2_shrinkage_regularization_strength, beta):
    p = -learning_rate_power
    l2 = l2_regularization_strength + beta / (2.0 * learning_rate)
    new_accumulator = accumulator + xp.square(gradient)
    new_power = _power(new_accumulator, p)
    linear += gradient
    if l2_shrinkage_regularization_strength:
        linear += (2 * l2_shrinkage_regularization_strength) * variable
    sigma = new_power - _power(accumulator, p)
    sigma /= learning_rate
    sigma *= variable
    linear -= sigma
    quadratic = new_power
    quadratic /= learning_rate
    quadratic += 2 * l2
    l1 = l1_regularization_strength
    xp.clip(linear, -l1, l1, out=variable)
    variable -= linear
    variable /= quadratic
    accumulator[...] = new_accumulator
