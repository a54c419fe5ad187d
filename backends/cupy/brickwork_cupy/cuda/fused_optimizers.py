"""Optimizer steps: one fused in-place launch per variable and step (the CUDA
text is ``optimizers.py`` beside this module); step-dependent factors are
computed on the host. They replace the reference's unless
``BRICKWORK_CUPY_REFERENCE`` says otherwise."""
from __future__ import annotations

import cupy

from brickwork.plugin import hookimpl
from brickwork.reference_kernels.optimizers import adam_step_size
from brickwork.reference_kernels.optimizers import nadam_factors

from .launch import I32, I64, InPlace, launch, scalar

SOURCE = "optimizers"


def gradient_like(gradient, variable):
    """``gradient`` as a contiguous array of ``variable``'s shape and dtype."""
    if gradient.shape != variable.shape:
        gradient = cupy.broadcast_to(gradient, variable.shape)
    return cupy.ascontiguousarray(gradient, dtype=variable.dtype)


def update(name, variable, gradient, states, hyper, flags=()):
    """Run the fused update ``name`` in place.

    ``states`` are the state arrays in the kernel's order (None for an absent
    optional one: the variable stands in and is never read); ``hyper`` are
    Python numbers passed as ``T``; ``flags`` are ints passed as ``int``.
    """
    dtype = variable.dtype
    places = InPlace(variable, *states)
    work = places.work
    args = [work[0], gradient_like(gradient, variable)]
    args += [w if w is not None else work[0] for w in work[1:]]
    args += [scalar(dtype, h) for h in hyper]
    args += [I32(int(bool(f))) for f in flags]
    args.append(I64(variable.size))
    launch(SOURCE, name, dtype, variable.size, tuple(args))
    places.write_back()


@hookimpl
def sgd_update(variable, gradient, momentum_buffer, learning_rate, momentum, nesterov):
    update("sgd_update", variable, gradient, (momentum_buffer,), (learning_rate, momentum),
           (momentum_buffer is not None, nesterov))


@hookimpl
def adam_update(variable, gradient, first_moment, second_moment, max_second_moment,
                learning_rate, beta_1, beta_2, epsilon, step):
    alpha = adam_step_size(learning_rate, beta_1, beta_2, step)
    update("adam_update", variable, gradient, (first_moment, second_moment, max_second_moment),
           (alpha, beta_1, beta_2, epsilon), (max_second_moment is not None,))


@hookimpl
def rmsprop_update(variable, gradient, velocity, momentum_buffer, average_gradient,
                   learning_rate, rho, momentum, epsilon):
    update("rmsprop_update", variable, gradient, (velocity, momentum_buffer, average_gradient),
           (learning_rate, rho, momentum, epsilon),
           (momentum_buffer is not None, average_gradient is not None))


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


@hookimpl
def nadam_update(variable, gradient, first_moment, second_moment, learning_rate, beta_1,
                 beta_2, epsilon, step, u_product):
    m_scale, g_scale, v_scale = nadam_factors(beta_1, beta_2, step, u_product)
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
