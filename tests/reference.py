"""Float64 NumPy references for the kernels and ops, and finite differences.

Everything here is written from the formulas in ``brickwork/hookspecs.py``
(and Keras 3's definitions), deliberately *not* from any backend's code, and
computes in float64 whatever it is given. The tests compare backends against
these functions, and check backward kernels and tape gradients against
:func:`numerical_vjp`.
"""
from __future__ import annotations

import math

import numpy as np

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805

#: Points where some activation's derivative jumps; finite-difference inputs
#: keep away from them (relu at 0, relu6 at 0 and 6, hard_sigmoid/hard_silu at +-3,
#: hard_tanh at +-1).
ACTIVATION_KINKS = (-3.0, -1.0, 0.0, 1.0, 3.0, 6.0)


def f64(a):
    return np.asarray(a, dtype=np.float64)


# --- activations -----------------------------------------------------------


def sigmoid(x):
    # 0.5 * (1 + tanh(x / 2)) is exact and never overflows.
    return 0.5 * (1.0 + np.tanh(0.5 * f64(x)))


def softplus(x):
    return np.logaddexp(0.0, f64(x))


def elu(x, alpha=1.0):
    x = f64(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def hard_sigmoid(x):
    return np.clip(f64(x) / 6.0 + 0.5, 0.0, 1.0)


def softmax(x, axis=-1):
    x = f64(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def logsumexp(x, axis=-1, keepdims=True):
    x = f64(x)
    m = x.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x, axis=-1):
    return f64(x) - logsumexp(x, axis=axis)


_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    x = f64(x)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def gelu_approximate(x):
    x = f64(x)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


ACTIVATIONS = {
    "linear": lambda x: f64(x).copy(),
    "relu": lambda x: np.maximum(f64(x), 0.0),
    "relu6": lambda x: np.minimum(np.maximum(f64(x), 0.0), 6.0),
    "sigmoid": sigmoid,
    "tanh": lambda x: np.tanh(f64(x)),
    "elu": elu,
    "selu": lambda x: SELU_SCALE * elu(x, SELU_ALPHA),
    "softplus": softplus,
    "softsign": lambda x: f64(x) / (1.0 + np.abs(f64(x))),
    "silu": lambda x: f64(x) * sigmoid(x),
    "exponential": lambda x: np.exp(f64(x)),
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": lambda x: f64(x) * hard_sigmoid(x),
    "softmax": lambda x: softmax(x, -1),
    "log_softmax": lambda x: log_softmax(x, -1),
    "celu": elu,
    "hard_tanh": lambda x: np.clip(f64(x), -1.0, 1.0),
    "log_sigmoid": lambda x: -softplus(-f64(x)),
    "gelu": gelu,
    "gelu_approximate": gelu_approximate,
    "mish": lambda x: f64(x) * np.tanh(softplus(x)),
}


def activation(x, name):
    return ACTIVATIONS[name](x)


# --- layers and losses -------------------------------------------------------


def dense(x, kernel, bias, activation_name):
    z = np.matmul(f64(x), f64(kernel))
    if bias is not None:
        z = z + f64(bias)
    return activation(z, activation_name)


def one_hot(labels, classes):
    return np.eye(classes)[np.asarray(labels, dtype=np.int64)]


def softmax_crossentropy(logits, target, sparse):
    """``(loss, probs)`` as ``softmax_crossentropy_forward`` returns them."""
    logits = f64(logits)
    if sparse:
        target = one_hot(target, logits.shape[-1])
    loss = -(f64(target) * log_softmax(logits, -1)).sum(axis=-1)
    return loss, softmax(logits, -1)


def sigmoid_crossentropy(logits, target):
    # -t log(s) - (1 - t) log(1 - s) with s = sigmoid(z) is log(1 + e^z) - t z.
    z = f64(logits)
    return np.logaddexp(0.0, z) - f64(target) * z


# --- optimizer steps (return new arrays; the spec's kernels work in place) ------


def sgd_step(variable, gradient, momentum_buffer, learning_rate, momentum, nesterov):
    variable, gradient = f64(variable), f64(gradient)
    if momentum == 0:
        return variable - learning_rate * gradient, None
    m = momentum * f64(momentum_buffer) - learning_rate * gradient
    if nesterov:
        return variable + momentum * m - learning_rate * gradient, m
    return variable + m, m


def adam_step(variable, gradient, m, v, v_hat, learning_rate, beta_1, beta_2, epsilon, step):
    """``(variable, m, v, v_hat)`` after one Keras 3 Adam step (v_hat None: no amsgrad)."""
    gradient = f64(gradient)
    alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    m = beta_1 * f64(m) + (1 - beta_1) * gradient
    v = beta_2 * f64(v) + (1 - beta_2) * gradient**2
    used = v
    if v_hat is not None:
        v_hat = np.maximum(f64(v_hat), v)
        used = v_hat
    return f64(variable) - alpha * m / (np.sqrt(used) + epsilon), m, v, v_hat


def rmsprop_step(variable, gradient, velocity, momentum_buffer, average_gradient,
                 learning_rate, rho, momentum, epsilon):
    """``(variable, velocity, momentum_buffer, average_gradient)`` after one step."""
    gradient = f64(gradient)
    velocity = rho * f64(velocity) + (1 - rho) * gradient**2
    if average_gradient is not None:
        average_gradient = rho * f64(average_gradient) + (1 - rho) * gradient
        denominator = velocity - average_gradient**2 + epsilon
    else:
        denominator = velocity + epsilon
    increment = learning_rate * gradient / np.sqrt(denominator)
    if momentum_buffer is not None:
        momentum_buffer = momentum * f64(momentum_buffer) + increment
        return f64(variable) - momentum_buffer, velocity, momentum_buffer, average_gradient
    return f64(variable) - increment, velocity, None, average_gradient


# --- broadcasting ------------------------------------------------------------------


def sum_to_shape(grad, shape):
    """Reduce a gradient of a broadcast result back to an input's ``shape``."""
    grad = f64(grad)
    shape = tuple(shape)
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


# --- finite differences -------------------------------------------------------------


def away_from(x, points=ACTIVATION_KINKS, margin=0.05):
    """``x`` with every value closer than ``margin`` to one of ``points`` moved
    to ``margin`` beyond it, so finite differences never straddle a kink."""
    x = f64(x).copy()
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.where(x[near] >= p, margin, -margin) * 2
    return x


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function ``f`` at ``x`` (float64)."""
    return numerical_vjp(lambda a: np.asarray(f(a), dtype=np.float64), [x], 1.0, eps=eps)[0]


def numerical_vjp(f, inputs, dy, wrt=None, eps=1e-6):
    """Gradients of ``sum(f(*inputs) * dy)`` with respect to ``inputs[i]`` for
    each ``i`` in ``wrt`` (default: every input that is not None), by central
    differences. Returns a list with None for inputs not differentiated.

    The two perturbed outputs are subtracted elementwise before the weighted
    sum, so large outputs elsewhere do not drown the difference in rounding.
    """
    inputs = [None if a is None else f64(a).copy() for a in inputs]
    wrt = range(len(inputs)) if wrt is None else wrt
    dy = f64(dy)
    grads = [None] * len(inputs)
    for i in wrt:
        x = inputs[i]
        if x is None:
            continue
        grad = np.zeros_like(x)
        flat, gflat = x.reshape(-1), grad.reshape(-1)
        for j in range(flat.size):
            saved = flat[j]
            flat[j] = saved + eps
            up = np.array(f(*inputs), dtype=np.float64)  # a copy: f may return a view
            flat[j] = saved - eps
            down = np.array(f(*inputs), dtype=np.float64)
            flat[j] = saved
            gflat[j] = np.sum((up - down) * dy) / (2 * eps)
        grads[i] = grad
    return grads


def kink_free_dense_inputs(rng, batch_shape=(2, 3), units_in=4, units_out=5, margin=0.02):
    """``(x, kernel, bias)`` whose pre-activations stay ``margin`` away from
    every activation kink, so dense gradients can be checked by differences."""
    for _ in range(500):
        x = rng.normal(size=(*batch_shape, units_in))
        kernel = rng.normal(scale=1.5, size=(units_in, units_out))
        bias = rng.normal(size=(units_out,))
        z = x @ kernel + bias
        if np.min(np.abs(z[..., None] - np.array(ACTIVATION_KINKS))) > margin:
            return x, kernel, bias
    raise AssertionError("could not draw kink-free dense inputs")
