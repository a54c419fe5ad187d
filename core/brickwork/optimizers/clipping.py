"""Gradient clipping as Keras 3's optimizers do it.

Each function returns new arrays and leaves the caller's gradients untouched.
Scalars are made 0-d arrays of the gradient's dtype so that the arithmetic
stays in that dtype (float32) on every NumPy version, as Keras computes it.
"""
from __future__ import annotations

from brickwork.ops import backend_xp


def _scalar(value, dtype):
    return backend_xp().asarray(value, dtype=dtype)


def clip_by_norm(gradient, clipnorm):
    """Scale ``gradient`` so that its L2 norm is at most ``clipnorm``:
    ``gradient * clipnorm / maximum(norm, clipnorm)``."""
    xp = backend_xp()
    limit = _scalar(clipnorm, gradient.dtype)
    norm = xp.sqrt(xp.sum(xp.square(gradient)))
    return gradient * limit / xp.maximum(norm, limit)


def global_norm(gradients):
    """The L2 norm of all gradients taken together."""
    xp = backend_xp()
    squared = [xp.sum(xp.square(g)) for g in gradients if g is not None]
    return xp.sqrt(sum(squared[1:], squared[0]))


def clip_by_global_norm(gradients, clipnorm):
    """Scale every gradient by ``clipnorm / max(global_norm, clipnorm)``.

    Keras writes the factor as ``clipnorm * min(1 / norm, 1 / clipnorm)`` and
    adds ``norm - norm`` so that an infinite or NaN norm makes every gradient
    NaN instead of silently zero; the same is done here.
    """
    norm = global_norm(gradients)
    dtype = norm.dtype
    inverse = _scalar(1.0, dtype) / norm
    limit_inverse = _scalar(1.0 / clipnorm, dtype)
    factor = _scalar(clipnorm, dtype) * backend_xp().minimum(inverse, limit_inverse)
    factor = factor + (norm - norm)
    return [None if g is None else g * factor.astype(g.dtype) for g in gradients]


def clip_by_value(gradient, clipvalue):
    """Clip each element of ``gradient`` to ``[-clipvalue, clipvalue]``."""
    return backend_xp().clip(gradient, -clipvalue, clipvalue)
