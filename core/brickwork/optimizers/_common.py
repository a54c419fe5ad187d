"""Pieces shared by the optimizers written directly against the backend's
array namespace (no fused kernel): Keras' float32 scalar arithmetic."""
from __future__ import annotations

import numpy as np


def scalar(value, dtype):
    """``value`` as a NumPy scalar of the variable's dtype (Keras casts its
    hyperparameters to it before combining them)."""
    return np.dtype(dtype).type(value)


def power(base, exponent, dtype):
    """``base ** exponent`` computed in ``dtype``, as ``ops.power`` on two
    tensors of that dtype."""
    t = np.dtype(dtype).type
    return t(np.power(t(base), t(exponent)))


def rms(xp, x):
    """``sqrt(mean(square(x)))``."""
    return xp.sqrt(xp.mean(xp.square(x)))
