"""Activations, softmax and log-softmax, written to make few passes over memory.

``apply_activation`` and ``activation_grad_from_output`` serve the other
families too (dense and convolution epilogues, recurrent gates): a backend
that overrides them speeds those up as well.
"""
import math

import numpy as xp  # replaced by bind()

from brickwork.plugin import hookimpl

from . import special

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def sigmoid(x):
    # exp of a non-positive number never overflows: use e^-|x| on both sides.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def _softplus(x):
    return (xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype, copy=False)


def _elu(x):
    return xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0))).astype(x.dtype, copy=False)


def _gelu_tanh_inner(x):
    """``tanh(sqrt(2/pi) * (x + 0.044715 x^3))``, the tanh form's gate."""
    u = x * x
    u *= GELU_CUBIC
    u += 1
    u *= x
    u *= GELU_TANH_SCALE
    return xp.tanh(u, out=u)


def _normal_cdf(x):
    return (0.5 * (1.0 + special.erf(x * INV_SQRT_2))).astype(x.dtype, copy=False)


def softmax(x, axis):
    y = x - x.max(axis=axis, keepdims=True)
    xp.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


def log_softmax(x, axis):
    y = x - x.max(axis=axis, keepdims=True)
    y -= xp.log(xp.exp(y).sum(axis=axis, keepdims=True))
    return y


def apply_activation(x, name, inplace=False):
    """Activation ``name`` of ``x``; may overwrite ``x`` when ``inplace``."""
    if name == "linear":
        return x if inplace else x.copy()
    if name == "relu":
        return xp.maximum(x, 0, out=x if inplace else None)
    if name == "relu6":
        return xp.clip(x, 0, 6, out=x if inplace else None)
    if name == "hard_tanh":
        return xp.clip(x, -1, 1, out=x if inplace else None)
    if name == "tanh":
        return xp.tanh(x, out=x if inplace else None)
    if name == "sigmoid":
        return sigmoid(x)
    if name in ("elu", "celu"):  # celu with its default alpha=1 is elu
        return _elu(x)
    if name == "selu":
        neg = SELU_ALPHA * xp.expm1(xp.minimum(x, 0))
        return (SELU_SCALE * xp.where(x > 0, x, neg)).astype(x.dtype, copy=False)
    if name == "softplus":
        return _softplus(x)
    if name == "log_sigmoid":
        return xp.negative(_softplus(-x))
    if name == "softsign":
        return x / (1 + xp.abs(x))
    if name == "silu":
        return x * sigmoid(x)
    if name == "gelu":
        return x * _normal_cdf(x)
    if name == "gelu_approximate":
        gate = _gelu_tanh_inner(x)
        gate += 1
        gate *= 0.5
        gate *= x
        return gate
    if name == "mish":
        return x * xp.tanh(_softplus(x))
    if name == "exponential":
        return xp.exp(x, out=x if inplace else None)
    if name == "hard_sigmoid":
        return xp.clip(x * (1.0 / 6.0) + 0.5, 0, 1).astype(x.dtype, copy=False)
    if name == "hard_silu":
        return x * xp.clip(x * (1.0 / 6.0) + 0.5, 0, 1).astype(x.dtype, copy=False)
    if name == "softmax":
        return softmax(x, -1)
    if name == "log_softmax":
        return log_softmax(x, -1)
    raise ValueError(f"unknown activation {name!r}")


def activation_grad_from_output(dy, y, name):
    """``dx`` for activations whose derivative is a function of the output."""
    if name == "linear":
        return dy
    if name == "relu":
        return dy * (y > 0)
    if name == "relu6":
        return dy * ((y > 0) & (y < 6))
    if name == "hard_tanh":
        return dy * ((y > -1) & (y < 1))
    if name == "tanh":
        return dy * (1 - y * y)
    if name == "sigmoid":
        return dy * y * (1 - y)
    if name in ("elu", "celu"):
        return dy * xp.where(y > 0, 1, y + 1).astype(y.dtype, copy=False)
    if name == "selu":
        return dy * xp.where(y > 0, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA).astype(y.dtype, copy=False)
    if name == "softplus":
        return dy * -xp.expm1(-y)
    if name == "log_sigmoid":  # d/dx = sigmoid(-x) = 1 - e^y
        return dy * -xp.expm1(y)
    if name == "softsign":
        a = 1 - xp.abs(y)
        return dy * a * a
    if name == "exponential":
        return dy * y
    if name == "hard_sigmoid":
        return dy * (((y > 0) & (y < 1)) * (1.0 / 6.0)).astype(y.dtype, copy=False)
    if name == "softmax":
        return softmax_backward(dy, y, -1)
    if name == "log_softmax":
        return log_softmax_backward(dy, y, -1)
    raise ValueError(f"activation {name!r} is not differentiable from its output")


def _grad_from_input(dy, x, name):
    """``dx`` for the activations whose derivative needs the input."""
    if name == "silu":
        s = sigmoid(x)
        return dy * s * (1 + x * (1 - s))
    if name == "hard_silu":
        inside = (x > -3) & (x < 3)
        slope = xp.where(inside, x * (1.0 / 3.0) + 0.5, (x >= 3).astype(x.dtype))
        return dy * slope.astype(x.dtype, copy=False)
    if name == "gelu":  # Phi(x) + x * phi(x)
        density = xp.exp(-0.5 * x * x)
        density *= x
        density *= INV_SQRT_2PI
        density += _normal_cdf(x)
        density *= dy
        return density
    if name == "gelu_approximate":
        t = _gelu_tanh_inner(x)
        inner_slope = (GELU_TANH_SCALE * (1 + 3 * GELU_CUBIC * x * x)).astype(x.dtype, copy=False)
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_slope
        return dy * slope
    if name == "mish":
        t = xp.tanh(_softplus(x))
        return dy * (t + x * (1 - t * t) * sigmoid(x))
    return None


@hookimpl
def activation_forward(x, activation):
    return apply_activation(x, activation)


@hookimpl
def activation_backward(dy, x, y, activation):
    dx = _grad_from_input(dy, x, activation)
    if dx is not None:
        return dx
    return activation_grad_from_output(dy, y, activation)


@hookimpl
def softmax_forward(x, axis):
    return softmax(x, axis)


@hookimpl
def softmax_backward(dy, y, axis):
    dx = dy * y
    dx -= y * dx.sum(axis=axis, keepdims=True)
    return dx


@hookimpl
def log_softmax_forward(x, axis):
    return log_softmax(x, axis)


@hookimpl
def log_softmax_backward(dy, y, axis):
    return dy - xp.exp(y) * dy.sum(axis=axis, keepdims=True)
