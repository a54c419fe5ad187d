import numpy as np

from brickwork.plugin import hookimpl

BRICKWORK_BACKEND = "numpy"


@hookimpl
def dropout_forward(x, rate, noise_shape, generator):
    keep = generator.random(noise_shape, dtype=np.float32) >= rate
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - rate))
    return x * mask, mask


@hookimpl
def dropout_backward(dy, mask):
    return dy * mask
