"""Inverted dropout: the mask from one uniform draw, applied by broadcasting."""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl


@hookimpl
def dropout_forward(x, rate, noise_shape, generator):
    keep = generator.random(tuple(noise_shape), dtype=xp.float32) >= rate
    mask = keep.astype(x.dtype)
    mask *= x.dtype.type(1.0 / (1.0 - rate))
    return xp.multiply(x, mask), mask


@hookimpl
def dropout_backward(dy, mask):
    return xp.multiply(dy, mask)
