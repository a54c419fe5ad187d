"""SGD, Adam and RMSprop steps, in place, following Keras 3's update rules
exactly. Python-float hyperparameters keep the arithmetic in the variables'
own dtype."""
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
