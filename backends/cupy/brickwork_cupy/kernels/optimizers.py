"""SGD, Adam and RMSprop: one fused in-place launch per variable and step."""
from __future__ import annotations

import math

import cupy

from brickwork.plugin import hookimpl

from ._launch import I32, I64, InPlace, launch, scalar

BRICKWORK_BACKEND = "cupy"

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
    alpha = learning_rate * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    update("adam_update", variable, gradient, (first_moment, second_moment, max_second_moment),
           (alpha, beta_1, beta_2, epsilon), (max_second_moment is not None,))


@hookimpl
def rmsprop_update(variable, gradient, velocity, momentum_buffer, average_gradient,
                   learning_rate, rho, momentum, epsilon):
    update("rmsprop_update", variable, gradient, (velocity, momentum_buffer, average_gradient),
           (learning_rate, rho, momentum, epsilon),
           (momentum_buffer is not None, average_gradient is not None))
