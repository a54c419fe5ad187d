"""Fused softmax and sigmoid cross-entropies: one launch per direction (the
CUDA text is ``losses.py`` beside this module); they replace the reference's
unless ``BRICKWORK_CUPY_REFERENCE`` says otherwise."""
from __future__ import annotations

import cupy

from brickwork.plugin import hookimpl

from .launch import I32, I64, contiguous, launch, launch_rows

SOURCE = "losses"


def _no_labels():
    return cupy.empty((1,), dtype=cupy.int64)


@hookimpl
def softmax_crossentropy_forward(logits, target, sparse):
    logits = contiguous(logits)
    n = logits.shape[-1]
    rows = logits.size // n if n else 0
    loss = cupy.empty(logits.shape[:-1], dtype=logits.dtype)
    probs = cupy.empty_like(logits)
    if sparse:
        labels, dense_target = contiguous(target, cupy.int64), logits
    else:
        labels, dense_target = _no_labels(), contiguous(cupy.broadcast_to(target, logits.shape),
                                                        logits.dtype)
    launch_rows(SOURCE, "softmax_xent_forward", logits.dtype, rows,
                (logits, dense_target, labels, loss, probs, I64(n), I32(int(bool(sparse)))))
    return loss, probs


@hookimpl
def softmax_crossentropy_backward(dloss, probs, target, sparse):
    probs = contiguous(probs)
    n = probs.shape[-1]
    rows = probs.size // n if n else 0
    dloss = contiguous(cupy.broadcast_to(dloss, probs.shape[:-1]), probs.dtype)
    grad = cupy.empty_like(probs)
    if sparse:
        labels, dense_target = contiguous(target, cupy.int64), probs
    else:
        labels, dense_target = _no_labels(), contiguous(cupy.broadcast_to(target, probs.shape),
                                                        probs.dtype)
    launch_rows(SOURCE, "softmax_xent_backward", probs.dtype, rows,
                (dloss, probs, dense_target, labels, grad, I64(n), I32(int(bool(sparse)))))
    return grad


@hookimpl
def sigmoid_crossentropy_forward(logits, target):
    shape = cupy.broadcast_shapes(logits.shape, target.shape)
    z = contiguous(cupy.broadcast_to(logits, shape))
    t = contiguous(cupy.broadcast_to(target, shape), z.dtype)
    loss = cupy.empty_like(z)
    launch(SOURCE, "sigmoid_xent_forward", z.dtype, z.size, (z, t, loss, I64(z.size)))
    return loss


@hookimpl
def sigmoid_crossentropy_backward(dloss, logits, target):
    shape = cupy.broadcast_shapes(dloss.shape, logits.shape, target.shape)
    z = contiguous(cupy.broadcast_to(logits, shape))
    t = contiguous(cupy.broadcast_to(target, shape), z.dtype)
    d = contiguous(cupy.broadcast_to(dloss, shape), z.dtype)
    grad = cupy.empty_like(z)
    launch(SOURCE, "sigmoid_xent_backward", z.dtype, z.size, (d, z, t, grad, I64(z.size)))
    return grad
