"""Fused softmax and sigmoid cross-entropies."""
import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from . import activations


def _class_index(labels):
    return labels[..., None].astype(xp.int64)


@hookimpl
def softmax_crossentropy_forward(logits, target, sparse):
    logp = activations.log_softmax(logits, -1)
    if sparse:
        loss = -xp.take_along_axis(logp, _class_index(target), axis=-1)[..., 0]
    else:
        loss = -(target * logp).sum(axis=-1)
    return loss, xp.exp(logp)


@hookimpl
def softmax_crossentropy_backward(dloss, probs, target, sparse):
    if sparse:
        grad = probs.copy()
        labels = _class_index(target)
        xp.put_along_axis(grad, labels, xp.take_along_axis(grad, labels, -1) - 1, axis=-1)
    else:
        grad = probs * target.sum(axis=-1, keepdims=True) - target
    grad *= dloss[..., None]
    return grad


@hookimpl
def sigmoid_crossentropy_forward(logits, target):
    return xp.maximum(logits, 0) - logits * target + xp.log1p(xp.exp(-xp.abs(logits)))


@hookimpl
def sigmoid_crossentropy_backward(dloss, logits, target):
    return dloss * (activations.sigmoid(logits) - target)
