"""Inverted dropout: the mask from one uniform draw, applied by broadcasting."""
from __future__ import annotations

import cupy
import numpy as np

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "cupy"


@hookimpl
def dropout_forward(x, rate, noise_shape, generator):
    keep = generator.random(tuple(noise_shape), dtype=np.float32) >= rate
    mask = keep.astype(x.dtype)
    mask *= x.dtype.type(1.0 / (1.0 - rate))
    return cupy.multiply(x, mask), mask


@hookimpl
def dropout_backward(dy, mask):
    return cupy.multiply(dy, mask)
