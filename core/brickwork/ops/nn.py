"""Neural-network operations served by the backend's kernel table."""
from __future__ import annotations

from brickwork.autodiff import is_tracked
from brickwork.hookspecs import KERNEL_ACTIVATIONS, OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.ops.core import data_of, kernels, needs_grad, record


def dense(x, kernel, bias=None, activation="linear"):
    """``activation(x @ kernel + bias)`` in one fused kernel call."""
    if activation not in OUTPUT_DIFFERENTIABLE_ACTIVATIONS:
        return activation_by_name(dense(x, kernel, bias, "linear"), activation)
    k = kernels()
    xd, kd, bd = data_of(x), data_of(kernel), data_of(bias)
    y = k.dense_forward(xd, kd, bd, activation)
    if not needs_grad(x, kernel, bias):
        return y
    need_dx = is_tracked(x)

    def vjp(g):
        dx, dkernel, dbias = k.dense_backward(g, xd, kd, y, activation, need_dx)
        return dx, dkernel, dbias if bias is not None else None
    return record(y, (x, kernel, bias), vjp)


def activation_by_name(x, name):
    """Apply one of ``hookspecs.KERNEL_ACTIVATIONS`` through the kernel table."""
    if name not in KERNEL_ACTIVATIONS:
        raise ValueError(f"unknown kernel activation {name!r}; known: {', '.join(KERNEL_ACTIVATIONS)}")
    if name == "linear":
        return x if needs_grad(x) else data_of(x)
    k = kernels()
    xd = data_of(x)
    y = k.activation_forward(xd, name)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.activation_backward(g, xd, y, name),))


def relu(x): return activation_by_name(x, "relu")
def relu6(x): return activation_by_name(x, "relu6")
def sigmoid(x): return activation_by_name(x, "sigmoid")
def elu(x): return activation_by_name(x, "elu")
def selu(x): return activation_by_name(x, "selu")
def softplus(x): return activation_by_name(x, "softplus")
def softsign(x): return activation_by_name(x, "softsign")
def silu(x): return activation_by_name(x, "silu")
def hard_sigmoid(x): return activation_by_name(x, "hard_sigmoid")
def hard_silu(x): return activation_by_name(x, "hard_silu")


def softmax(x, axis=-1):
    k = kernels()
    y = k.softmax_forward(data_of(x), axis)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.softmax_backward(g, y, axis),))


def log_softmax(x, axis=-1):
    k = kernels()
    y = k.log_softmax_forward(data_of(x), axis)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.log_softmax_backward(g, y, axis),))


def dropout(x, rate, noise_shape, generator):
    """Inverted dropout; ``noise_shape`` must be fully specified."""
    k = kernels()
    y, mask = k.dropout_forward(data_of(x), rate, tuple(noise_shape), generator)
    if not needs_grad(x):
        return y
    return record(y, (x,), lambda g: (k.dropout_backward(g, mask),))


def softmax_crossentropy(logits, target, sparse=False):
    """Per-sample ``-sum(target * log_softmax(logits), -1)``, fused."""
    k = kernels()
    td = data_of(target)
    loss, probs = k.softmax_crossentropy_forward(data_of(logits), td, sparse)
    if not needs_grad(logits):
        return loss
    return record(loss, (logits,),
                  lambda g: (k.softmax_crossentropy_backward(g, probs, td, sparse),))


def sigmoid_crossentropy(logits, target):
    """Elementwise binary cross-entropy of ``sigmoid(logits)``, fused."""
    k = kernels()
    zd, td = data_of(logits), data_of(target)
    loss = k.sigmoid_crossentropy_forward(zd, td)
    if not needs_grad(logits):
        return loss
    return record(loss, (logits,), lambda g: (k.sigmoid_crossentropy_backward(g, zd, td),))


__all__ = ["dense", "activation_by_name", "relu", "relu6", "sigmoid", "elu", "selu",
           "softplus", "softsign", "silu", "hard_sigmoid", "hard_silu", "softmax",
           "log_softmax", "dropout", "softmax_crossentropy", "sigmoid_crossentropy"]
