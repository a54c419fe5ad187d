"""Losses under Keras 3's names, arguments, defaults and formulas.

Every loss comes in two forms, as in Keras:

* a function, ``mean_squared_error(y_true, y_pred)``, returning one value per
  sample (the last axis reduced), never reduced over the batch;
* a class, ``MeanSquaredError(reduction=..., name=..., dtype=...)``, whose
  ``__call__(y_true, y_pred, sample_weight=None)`` weights and reduces those
  values to a scalar.

All arithmetic goes through ``brickwork.ops``, so a loss is differentiable
with respect to ``y_pred`` (and ``y_true`` when it is tracked) while a
``GradientTape`` records. Probability inputs follow Keras' formulas exactly
(normalise by the sum, clip to ``[1e-7, 1 - 1e-7]``, take the log); logits go
through the fused kernels ``ops.softmax_crossentropy`` and
``ops.sigmoid_crossentropy``.
"""
from __future__ import annotations

import inspect
import math
import warnings

import numpy as np

from brickwork import dtype_policies, ops
from brickwork.autodiff import Tensor, needs_grad, record
from brickwork.dtypes import floatx
from brickwork.naming import auto_name, to_snake_case
from brickwork.saving import object_registration as _registration
from brickwork.saving.serialization import (deserialize_keras_object, register_builtin,
                                            serialize_keras_object)
from brickwork.variables import Variable
from brickwork.backend import epsilon

#: Keras' ``backend.epsilon()``.

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# -------------------------------------------------------------------------
# Shared helpers
# -------------------------------------------------------------------------


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def _dtype(x):
    """``x``'s dtype, cheaply (a NumPy dtype, or a name for Variables)."""
    return x.dtype


def _convert(x, dtype):
    """``x`` as a backend value of ``dtype``; values already of that dtype
    (Tensors and Variables included, which keep their place on the tape)
    come back unchanged."""
    current = getattr(x, "dtype", None)
    if current is not None and current == dtype and (
            isinstance(x, (Tensor, Variable)) or isinstance(x, ops.backend_xp().ndarray)):
        return x
    return ops.convert_to_tensor(x, dtype=dtype)


def as_float(x, dtype=None):
    """``x`` as a floating backend value; Tensors and Variables keep their
    place on the tape. Python numbers and lists become ``floatx()``, as
    Keras' ``convert_to_tensor`` makes them; float arrays keep their dtype."""
    if dtype is not None:
        return _convert(x, dtype)
    if isinstance(x, (Tensor, Variable)):
        return x if _is_float(x.dtype) else ops.cast(x, floatx())
    dtype = getattr(x, "dtype", None)
    if dtype is None or not _is_float(dtype):
        return ops.convert_to_tensor(x, dtype=floatx())
    return x if isinstance(x, ops.backend_xp().ndarray) else ops.convert_to_tensor(x)


def _like(y_true, y_pred):
    """``y_true`` cast to ``y_pred``'s dtype (differentiable when tracked)."""
    return _convert(y_true, _dtype(y_pred))


def _shape(x):
    shape = getattr(x, "shape", None)  # np.shape only for host data (lists, scalars)
    return tuple(shape) if shape is not None else np.shape(x)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeeze or expand the last axis of one input when ranks differ by one
    and that axis has size 1 (Keras' rule)."""
    r1, r2 = len(_shape(x1)), len(_shape(x2))
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and _shape(x1)[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if r2 == r1 + 1 and _shape(x2)[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def check_broadcastable(y_true, y_pred, what="loss"):
    """Raise a ValueError naming both shapes when they cannot broadcast."""
    try:
        np.broadcast_shapes(_shape(y_true), _shape(y_pred))
    except ValueError:
        raise ValueError(f"{what}: `y_true` and `y_pred` have incompatible shapes: "
                         f"y_true.shape={_shape(y_true)}, y_pred.shape={_shape(y_pred)}") from None


def _prepare(y_true, y_pred, what):
    """The common preamble of the elementwise losses."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    check_broadcastable(y_true, y_pred, what)
    return y_true, y_pred


def _plain_scalar(value, dtype):
    return ops.backend_xp().asarray(value, dtype=dtype)


def _l2_normalize(x, axis=-1):
    """``x * min(rsqrt(sum(x**2)), 1/eps)``, as ``keras.ops.normalize``."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    floor = _plain_scalar(epsilon() * epsilon(), _dtype(x))
    return ops.divide(x, ops.sqrt(ops.maximum(square_sum, floor)))


def _move_axis_last(x, axis):
    ndim = len(_shape(x))
    axis = axis % ndim
    if axis == ndim - 1:
        return x
    perm = [i for i in range(ndim) if i != axis] + [axis]
    return ops.transpose(x, perm)


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type "
                         f"{type(axis)}")


# -------------------------------------------------------------------------
# Loss functions (per-sample values)
# -------------------------------------------------------------------------


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_error")
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_error")
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_absolute_percentage_error")
    eps = _plain_scalar(epsilon(), _dtype(y_pred))
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), ops.maximum(ops.abs(y_true), eps)))
    return ops.multiply(ops.mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), -1)``."""
    y_true, y_pred = _prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = _plain_scalar(epsilon(), _dtype(y_pred))
    first = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``."""
    y_true, y_pred = _prepare(y_true, y_pred, "cosine_similarity")
    return ops.negative(ops.sum(ops.multiply(_l2_normalize(y_true, axis),
                                             _l2_normalize(y_pred, axis)), axis=axis))


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for ``|error| <= delta``, linear beyond; mean over the last axis."""
    y_true, y_pred = _prepare(y_true, y_pred, "huber")
    dtype = _dtype(y_pred)
    delta = _plain_scalar(delta, dtype)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(x + softplus(-2x) - log(2), axis=-1)`` with ``x = y_pred - y_true``."""
    y_true, y_pred = _prepare(y_true, y_pred, "log_cosh")
    x = ops.subtract(y_pred, y_true)
    value = ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))),
                         _plain_scalar(math.log(2.0), _dtype(y_pred)))
    return ops.mean(value, axis=-1)


def _hinge_labels(y_true):
    """Binary 0/1 labels become -1/1; other labels are left as they are."""
    data = ops.data_of(y_true)
    xp = ops.backend_xp()
    if bool(xp.all((data == 0) | (data == 1))):
        return ops.subtract(ops.multiply(y_true, 2.0), 1.0)
    return y_true


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels map to -1/1."""
    y_pred = as_float(y_pred)
    y_true = _hinge_labels(_like(y_true, y_pred))
    check_broadcastable(y_true, y_pred, "hinge")
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_pred = as_float(y_pred)
    y_true = _hinge_labels(_like(y_true, y_pred))
    check_broadcastable(y_true, y_pred, "squared_hinge")
    margin = ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)
    return ops.mean(ops.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "categorical_hinge")
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


def kl_divergence(y_true, y_pred):
    """``sum(t * log(t / p), -1)`` with both clipped to ``[eps, 1]``."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "kl_divergence")
    y_true = ops.clip(y_true, epsilon(), 1.0)
    y_pred = ops.clip(y_pred, epsilon(), 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "poisson")
    eps = _plain_scalar(epsilon(), _dtype(y_pred))
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, eps)))),
                    axis=-1)


def _same_shape(target, output):
    if _shape(target) != _shape(output):
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={_shape(target)}, output.shape={_shape(output)}")


def _refuse_class_indices(y_true, y_pred):
    """Integer class indices given to a one-hot loss: name the loss that fits."""
    true_shape, pred_shape = _shape(y_true), _shape(y_pred)
    if not pred_shape or true_shape == pred_shape or pred_shape[-1] < 2:
        return
    if true_shape in (pred_shape[:-1], pred_shape[:-1] + (1,)):
        raise ValueError(
            f"categorical_crossentropy expects one-hot labels of the predictions' shape "
            f"{pred_shape}, but received labels of shape {true_shape}, which look like class "
            f"indices: use SparseCategoricalCrossentropy (loss='sparse_categorical_crossentropy') "
            f"for class indices, or one-hot them with "
            f"keras.utils.to_categorical(y, num_classes={pred_shape[-1]}).")


def _smooth_categorical(y_true, label_smoothing, dtype):
    if not label_smoothing:
        return y_true
    num_classes = _shape(y_true)[-1]
    return ops.add(ops.multiply(y_true, 1.0 - label_smoothing),
                   _plain_scalar(label_smoothing / num_classes, dtype))


def _warn_single_class(fn_name, y_pred):
    if _shape(y_pred) and _shape(y_pred)[-1] == 1:
        warnings.warn(f"In loss {fn_name}, expected y_pred.shape to be (batch_size, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={_shape(y_pred)}. Consider "
                      "using 'binary_crossentropy' if you only have 2 classes.",
                      SyntaxWarning, stacklevel=3)


def _clipped_log_probs(y_pred, axis):
    """``log(clip(p / sum(p, axis), eps, 1 - eps))``: Keras' probability path."""
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.log(ops.clip(output, epsilon(), 1.0 - epsilon()))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predictions.

    With ``from_logits`` the fused ``softmax_crossentropy`` kernel computes
    ``-sum(y_true * log_softmax(y_pred), axis)``; otherwise the predictions
    are normalised along ``axis``, clipped to ``[1e-7, 1 - 1e-7]`` and logged.
    """
    _check_axis(axis)
    y_pred = as_float(y_pred)
    dtype = _dtype(y_pred)
    y_true = _convert(y_true, dtype)
    _warn_single_class("categorical_crossentropy", y_pred)
    _refuse_class_indices(y_true, y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing, dtype)
    _same_shape(y_true, y_pred)
    if len(_shape(y_pred)) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={_shape(y_true)}, output.shape={_shape(y_pred)}")
    if from_logits:
        return ops.softmax_crossentropy(_move_axis_last(y_pred, axis),
                                        _move_axis_last(y_true, axis), sparse=False)
    log_prob = _clipped_log_probs(y_pred, axis)
    return ops.negative(ops.sum(ops.multiply(y_true, log_prob), axis=axis))


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """``sum(alpha * (1 - p)**gamma * -y_true * log(p), axis)`` on clipped,
    normalised probabilities (softmax first when ``from_logits``)."""
    _check_axis(axis)
    y_pred = as_float(y_pred)
    dtype = _dtype(y_pred)
    y_true = _convert(y_true, dtype)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    _refuse_class_indices(y_true, y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing, dtype)
    _same_shape(y_true, y_pred)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    output = ops.clip(output, epsilon(), 1.0 - epsilon())
    cce = ops.negative(ops.multiply(y_true, ops.log(output)))
    modulating = ops.power(ops.subtract(1.0, output), _plain_scalar(gamma, dtype))
    focal = ops.multiply(ops.multiply(modulating, alpha), cce)
    return ops.sum(focal, axis=axis)


def _sparse_crossentropy_and_mask(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Per-element sparse cross-entropy and the valid-entries mask (or None)."""
    _check_axis(axis)
    y_pred = as_float(y_pred)
    xp = ops.backend_xp()
    labels = ops.convert_to_tensor(ops.stop_gradient(y_true))
    pred_shape = _shape(y_pred)
    if len(pred_shape) < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: "
                         f"output.shape={pred_shape}")
    class_axis = axis % len(pred_shape)
    if labels.ndim == len(pred_shape) and labels.shape[class_axis] == 1:
        labels = xp.squeeze(labels, axis=class_axis)
    expected = tuple(d for i, d in enumerate(pred_shape) if i != class_axis)
    if tuple(labels.shape) != expected:
        hint = ("; these labels have the predictions' shape, as one-hot labels do: use "
                "CategoricalCrossentropy (loss='categorical_crossentropy') for one-hot labels, "
                "or pass class indices (y.argmax(axis=-1)) to sparse_categorical_crossentropy"
                if tuple(labels.shape) == pred_shape else "")
        raise ValueError("Arguments `target` and `output` must have the same shape up until the "
                         f"last dimension: target.shape={tuple(labels.shape)}, "
                         f"output.shape={pred_shape}{hint}")
    valid = None
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = xp.where(valid, labels, 0)
    labels = labels.astype("int64")
    num_classes = pred_shape[class_axis]
    if labels.size and bool(xp.any((labels < 0) | (labels >= num_classes))):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be integers in "
                         f"[0, {num_classes}) (the size of y_pred's class axis, y_pred.shape="
                         f"{pred_shape}); received values from {int(labels.min())} to "
                         f"{int(labels.max())}")
    y_pred = _move_axis_last(y_pred, axis)
    if from_logits:
        result = ops.softmax_crossentropy(y_pred, labels, sparse=True)
    else:
        result = _sparse_crossentropy_from_probabilities(y_pred, labels)
    if valid is not None:
        result = ops.where(valid, result, xp.zeros((), dtype=_dtype(y_pred)))
    return result, valid


def _sparse_crossentropy_from_probabilities(y_pred, labels):
    """``-log(clip(p[label] / sum(p), eps, 1 - eps))`` for each entry of
    ``labels`` (class axis last), as one taped operation.

    The values and the gradient are those of the op chain normalise -> clip ->
    log -> pick -> negate (Keras' probability path), computed in the same
    order, but with one tape node instead of eight and without the
    class-sized temporaries: only the picked entry of each row is logged.
    """
    xp = ops.backend_xp()
    probs = ops.data_of(y_pred)
    flat = probs.reshape(-1, probs.shape[-1])
    rows, picked = xp.arange(flat.shape[0]), labels.reshape(-1)
    total = flat.sum(axis=-1)
    ratio = flat[rows, picked] / total
    clipped = xp.clip(ratio, epsilon(), 1.0 - epsilon())
    loss = (-xp.log(clipped)).reshape(labels.shape)
    if not needs_grad(y_pred):
        return loss

    def vjp(g):
        inside = ((ratio >= epsilon()) & (ratio <= 1.0 - epsilon())).astype(ratio.dtype)
        at_ratio = -g.reshape(-1) * (1 / clipped) * inside
        # d ratio / d p: 1 / total at the picked entry, -ratio / total (through
        # the sum) at every entry of the row.
        grad = xp.empty_like(flat)
        grad[...] = (-at_ratio * ratio / total)[:, None]
        grad[rows, picked] += at_ratio / total
        return (grad.reshape(probs.shape),)
    return record(loss, (y_pred,), vjp)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy between integer labels and predictions over ``axis``.

    ``y_true`` holds class indices of ``y_pred``'s shape without the class
    axis (a trailing axis of size 1 is squeezed). Entries labelled
    ``ignore_class`` get a loss of 0.
    """
    return _sparse_crossentropy_and_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


def _binary_elementwise(y_true, y_pred, from_logits):
    _same_shape(y_true, y_pred)
    if from_logits:
        return ops.sigmoid_crossentropy(y_pred, y_true)
    p = ops.clip(y_pred, epsilon(), 1.0 - epsilon())
    positive = ops.multiply(y_true, ops.log(p))
    negative = ops.multiply(ops.subtract(1.0, y_true), ops.log(ops.subtract(1.0, p)))
    return ops.negative(ops.add(positive, negative))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``mean(-(t log p + (1-t) log(1-p)), axis)`` with ``p`` clipped to
    ``[1e-7, 1 - 1e-7]``, or computed stably from logits."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(_binary_elementwise(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t)**gamma`` (and by
    ``alpha``/``1 - alpha`` with class balancing), mean over ``axis``."""
    y_pred = as_float(y_pred)
    dtype = _dtype(y_pred)
    y_true = _like(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _binary_elementwise(y_true, y_pred, from_logits=False)
    p_t = ops.add(ops.multiply(y_true, y_pred),
                  ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), _plain_scalar(gamma, dtype)), bce)
    if apply_class_balancing:
        weight = ops.add(ops.multiply(y_true, alpha), ops.multiply(ops.subtract(1.0, y_true),
                                                                   1.0 - alpha))
        focal = ops.multiply(weight, focal)
    return ops.mean(focal, axis=axis)


def dice(y_true, y_pred, axis=None):
    """``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (all axes by default)."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "dice")
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    denominator = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)), epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(intersection, 2.0), denominator))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - TP / (TP + alpha FP + beta FN + eps)`` over ``axis``."""
    y_pred = as_float(y_pred)
    y_true = _like(y_true, y_pred)
    check_broadcastable(y_true, y_pred, "tversky")
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    fn = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denominator = ops.add(ops.add(ops.add(intersection, ops.multiply(fp, alpha)),
                                  ops.multiply(fn, beta)), epsilon())
    return ops.subtract(1.0, ops.divide(intersection, denominator))


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p_true**q) / q`` for integer labels ``y_true``."""
    y_pred = as_float(y_pred)
    labels = ops.convert_to_tensor(ops.stop_gradient(y_true)).astype("int64")
    one_hot = ops.one_hot(labels, _shape(y_pred)[-1], dtype=_dtype(y_pred))
    _same_shape(one_hot, y_pred)
    p = ops.sum(ops.multiply(y_pred, one_hot), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, _plain_scalar(q, _dtype(y_pred)))), q)


# A finite stand-in for log(0) in the CTC recursion: impossible paths stay
# impossible without producing NaN gradients.
_CTC_LOG_ZERO = -1e30


def _logsumexp_pair(a, b):
    """``log(exp(a) + exp(b))`` elementwise, for finite inputs."""
    m = ops.stop_gradient(ops.maximum(a, b))
    return ops.add(m, ops.log(ops.add(ops.exp(ops.subtract(a, m)), ops.exp(ops.subtract(b, m)))))


def _logsumexp_three(a, b, c):
    m = ops.stop_gradient(ops.maximum(ops.maximum(a, b), c))
    total = ops.add(ops.add(ops.exp(ops.subtract(a, m)), ops.exp(ops.subtract(b, m))),
                    ops.exp(ops.subtract(c, m)))
    return ops.add(m, ops.log(total))


def ctc_log_likelihood(labels, logits, blank=0):
    """The CTC log-likelihood of each row of ``labels`` under ``logits``.

    ``labels`` ``(batch, max_label_length)`` integers, the label sequence of a
    row being its entries before the padding (its length is the number of
    entries that are not ``blank``, as Keras' ``ctc`` counts it);
    ``logits`` ``(batch, time, classes)``, normalised here with a log-softmax.
    Returns ``(batch,)``, differentiable with respect to ``logits``: the
    forward (alpha) recursion over the blank-interleaved labels, in log space.
    """
    xp = ops.backend_xp()
    labels = xp.asarray(ops.data_of(ops.convert_to_tensor(ops.stop_gradient(labels))))
    labels = labels.astype("int64")
    batch, steps, classes = _shape(logits)
    max_length = labels.shape[1]
    lengths = (labels != blank).sum(axis=-1)
    states = 2 * max_length + 1
    extended = xp.full((batch, states), blank, dtype="int64")
    extended[:, 1::2] = labels
    dtype = _dtype(logits)
    log_zero = xp.asarray(_CTC_LOG_ZERO, dtype=dtype)
    zero = xp.zeros((), dtype=dtype)
    previous = xp.concatenate([xp.full((batch, 2), blank - 1, dtype="int64"),
                               extended[:, :-2]], axis=1)
    can_skip = (extended != blank) & (extended != previous)
    # log p(extended[s] at t) for every state: (batch, time, states)
    log_probs = ops.log_softmax(logits, axis=-1)
    selector = ops.one_hot(extended, classes, dtype=dtype).transpose(0, 2, 1)
    state_log_probs = ops.einsum("btc,bcs->bts", log_probs, selector)
    positions = xp.arange(states)
    start = (positions[None, :] == 0) | ((positions[None, :] == 1) & (lengths[:, None] > 0))
    per_step = ops.unstack_steps(state_log_probs)
    alpha = ops.add(per_step[0], xp.where(start, zero, log_zero))
    pad_one = xp.full((batch, 1), _CTC_LOG_ZERO, dtype=dtype)
    pad_two = xp.full((batch, 2), _CTC_LOG_ZERO, dtype=dtype)
    for step_log_probs in per_step[1:]:
        from_previous = ops.concatenate([pad_one, ops.getitem(alpha, (slice(None),
                                                                      slice(None, -1)))], axis=1)
        skipped = ops.concatenate([pad_two, ops.getitem(alpha, (slice(None), slice(None, -2)))],
                                  axis=1)
        skipped = ops.where(can_skip, skipped, log_zero)
        alpha = ops.add(_logsumexp_three(alpha, from_previous, skipped), step_log_probs)
    last = (positions[None, :] == 2 * lengths[:, None]).astype(dtype)
    before_last = (positions[None, :] == 2 * lengths[:, None] - 1).astype(dtype)
    end_blank = ops.sum(ops.multiply(alpha, last), axis=-1)
    end_label = ops.add(ops.sum(ops.multiply(alpha, before_last), axis=-1),
                        xp.where(lengths > 0, zero, log_zero))
    log_likelihood = _logsumexp_pair(end_blank, end_label)
    # Labels no alignment reaches (too long for the time steps): -inf, as
    # torch and TensorFlow report them (their gradient is 0 here).
    impossible = ops.data_of(log_likelihood) < 0.5 * _CTC_LOG_ZERO
    return ops.where(impossible, xp.asarray(-np.inf, dtype=dtype), log_likelihood)


def ctc(y_true, y_pred):
    """Connectionist temporal classification loss, per sample.

    ``y_true`` ``(batch, max_length)`` integer labels padded with 0, which is
    also the blank class; ``y_pred`` ``(batch, time, classes)`` logits (a
    log-softmax is applied). Returns ``-log p(labels | y_pred)``, ``(batch,)``.
    """
    if len(_shape(y_true)) != 2:
        raise ValueError("Targets `y_true` are expected to be a tensor of shape "
                         "`(batch_size, max_length)` in integer format. "
                         f"Received: y_true.shape={_shape(y_true)}")
    if len(_shape(y_pred)) != 3:
        raise ValueError("Logits `y_pred` are expected to be a tensor of shape "
                         "`(batch_size, max_length, num_classes)`. "
                         f"Received: y_pred.shape={_shape(y_pred)}")
    y_pred = as_float(y_pred)
    if np.dtype(_dtype(y_pred)).itemsize < 4:
        y_pred = ops.cast(y_pred, "float32")
    return ops.negative(ctc_log_likelihood(y_true, y_pred, blank=0))


def _masked_logsumexp(x, mask, axis):
    """``logsumexp`` of ``x`` where ``mask``, over ``axis``; ``-inf`` for an
    empty selection (without NaN gradients)."""
    xp = ops.backend_xp()
    dtype = _dtype(x)
    lowest = xp.asarray(np.finfo(dtype).min, dtype=dtype)
    masked = ops.where(mask, x, lowest)
    m = ops.stop_gradient(ops.max(masked, axis=axis, keepdims=True))
    total = ops.sum(ops.where(mask, ops.exp(ops.subtract(masked, m)), xp.zeros((), dtype)),
                    axis=axis)
    has_any = mask.any(axis=axis)
    safe_total = ops.where(has_any, total, xp.ones((), dtype))
    value = ops.add(ops.squeeze(m, axis=axis), ops.log(safe_total))
    return ops.where(has_any, value, xp.asarray(-np.inf, dtype=dtype))


def _circle_values(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
                   gamma=80, margin=0.4):
    """Circle loss per sample, and the mask of the samples it counts (> 0)."""
    xp = ops.backend_xp()
    y_pred = as_float(y_pred)
    dtype = _dtype(y_pred)
    labels = xp.asarray(ops.data_of(ops.convert_to_tensor(ops.stop_gradient(y_true))))
    labels = labels.astype("int32")
    ref_embeddings = y_pred if ref_embeddings is None else as_float(ref_embeddings)
    if ref_labels is None:
        ref_labels = labels
    else:
        ref_labels = xp.asarray(ops.data_of(ops.convert_to_tensor(
            ops.stop_gradient(ref_labels)))).astype("int32")
    query, keys = labels.reshape(-1, 1), ref_labels.reshape(-1, 1)
    positive = query == keys.T
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~xp.eye(query.shape[0], keys.shape[0], dtype=bool)
    distances = ops.subtract(1.0, ops.einsum("id,jd->ij", y_pred, ref_embeddings))
    distances = ops.maximum(distances, _plain_scalar(0.0, dtype))
    pos_weights = ops.maximum(ops.multiply(ops.add(distances, margin), positive.astype(dtype)),
                              _plain_scalar(0.0, dtype))
    neg_weights = ops.maximum(ops.multiply(ops.subtract(1.0 + margin, distances),
                                           negative.astype(dtype)),
                              _plain_scalar(0.0, dtype))
    pos_logits = ops.multiply(ops.multiply(pos_weights, ops.subtract(margin, distances)),
                              -float(gamma))
    neg_logits = ops.multiply(ops.multiply(neg_weights, ops.subtract(1.0 - margin, distances)),
                              float(gamma))
    p_loss = _masked_logsumexp(pos_logits, positive, axis=1)
    n_loss = _masked_logsumexp(neg_logits, negative, axis=1)
    values = ops.softplus(ops.add(p_loss, n_loss))
    return values, ops.data_of(values) > 0


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80,
           margin=0.4):
    """Circle loss (Sun et al., 2020) per sample, for L2-normalised embeddings.

    ``y_true`` ``(batch,)`` integer labels, ``y_pred`` ``(batch, dim)``
    embeddings; each is compared (cosine distance ``1 - a.b``) with
    ``ref_embeddings`` (default ``y_pred``) labelled ``ref_labels`` (default
    ``y_true``): ``softplus(logsumexp(-gamma a_p (margin - d_p)) +
    logsumexp(gamma a_n (1 - margin - d_n)))`` with ``a_p = max(d_p + margin,
    0)`` over the positives (same label; the sample itself removed with
    ``remove_diagonal``) and ``a_n = max(1 + margin - d_n, 0)`` over the
    negatives. Samples without a positive or a negative give 0, and the class
    form leaves them out of its mean (they are masked, as in Keras).
    """
    return _circle_values(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma,
                          margin)[0]


# -------------------------------------------------------------------------
# Reduction
# -------------------------------------------------------------------------


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of "
                         f"{list(REDUCTIONS)}. Received: reduction={reduction!r}")
    return reduction


def _divide_no_nan_scalar(total, divisor):
    """``total / divisor``, or 0 where ``divisor`` is 0 (no warning)."""
    xp = ops.backend_xp()
    divisor = xp.asarray(divisor, dtype=_dtype(total))
    is_zero = divisor == 0
    safe = xp.where(is_zero, xp.ones((), dtype=divisor.dtype), divisor)
    return ops.where(is_zero, xp.zeros((), dtype=divisor.dtype), ops.divide(total, safe))


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merge a boolean mask into the sample weights, as Keras does: with
    mean-like reductions valid entries weigh ``total / valid``."""
    if mask is None:
        return sample_weight
    xp = ops.backend_xp()
    mask = ops.convert_to_tensor(ops.stop_gradient(mask))
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(mask.size)
        valid = mask.astype(dtype).sum()
        scale = xp.where(valid == 0, xp.zeros((), dtype=dtype),
                         total / xp.where(valid == 0, xp.ones((), dtype=dtype), valid))
        float_mask = xp.where(mask.astype(bool), scale, xp.zeros((), dtype=dtype)).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = ops.convert_to_tensor(ops.stop_gradient(sample_weight), dtype=dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return ops.data_of(sample_weight) * ops.data_of(float_mask)


def _align_sample_weight(values, sample_weight):
    """Match the sample weights' rank to the values' (Keras' squeeze/expand
    rule, then trailing axes for per-sample weights of per-timestep losses)."""
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    sw_shape, v_shape = _shape(sample_weight), _shape(values)
    if len(sw_shape) < len(v_shape) and sw_shape and v_shape[:len(sw_shape)] == sw_shape:
        sample_weight = ops.reshape(sample_weight, sw_shape + (1,) * (len(v_shape) - len(sw_shape)))
    try:
        np.broadcast_shapes(_shape(values), _shape(sample_weight))
    except ValueError:
        raise ValueError(f"`sample_weight` of shape {sw_shape} cannot be broadcast to the "
                         f"per-sample losses of shape {v_shape}") from None
    return values, sample_weight


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce (already weighted) per-sample values to a scalar."""
    shape = _shape(values)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    total = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = ops.data_of(sample_weight).sum()
            return _divide_no_nan_scalar(total, divisor)
        count = math.prod(shape)
        return ops.divide(total, _plain_scalar(count, _dtype(total))) if count else \
            ops.multiply(total, 0.0)
    return total


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weight per-sample ``values`` by ``sample_weight`` (and ``mask``) and
    reduce them as ``reduction`` says."""
    reduction = standardize_reduction(reduction)
    values = _convert(values, dtype) if dtype else values
    dtype = _dtype(values)
    if sample_weight is not None:
        sample_weight = _convert(ops.stop_gradient(sample_weight), dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction=reduction)
    if sample_weight is not None:
        values, sample_weight = _align_sample_weight(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


# -------------------------------------------------------------------------
# Loss classes
# -------------------------------------------------------------------------


class Loss:
    """Base class of losses: subclasses implement ``call(y_true, y_pred)``
    returning per-sample values; ``__call__`` weights and reduces them.

    :param reduction: ``"sum_over_batch_size"`` (default), ``"sum"``,
        ``"mean"``, ``"mean_with_sample_weight"``, ``"none"`` or None.
    :param name: defaults to the snake-case class name.
    :param dtype: the computation dtype (``floatx()`` by default).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype_policy = dtype_policies.get(dtype or floatx())
        self._dtype = self._dtype_policy.compute_dtype

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = _convert(y_pred, self.dtype)
        y_true = _convert(y_true, self.dtype)
        values, out_mask = self._call_with_mask(y_true, y_pred)
        if in_mask is not None and out_mask is not None:
            mask = ops.data_of(in_mask).astype(bool) & ops.data_of(out_mask).astype(bool)
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def _call_with_mask(self, y_true, y_pred):
        """``(values, mask)``; the mask (or None) marks entries that count."""
        return self.call(y_true, y_pred), None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A Loss around a per-sample loss function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss class: its config is the Loss config plus the
    attributes named in ``_config_keys``."""

    _config_keys: tuple = ()

    def __init__(self, fn, reduction, name, dtype, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanSquaredError(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


class MeanAbsoluteError(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


class MeanSquaredLogarithmicError(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


class CosineSimilarity(_BuiltinLoss):
    _config_keys = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


class Huber(_BuiltinLoss):
    _config_keys = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


class Hinge(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


class SquaredHinge(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


class CategoricalHinge(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


class KLDivergence(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


class Poisson(_BuiltinLoss):
    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


class BinaryCrossentropy(_BuiltinLoss):
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_BuiltinLoss):
    _config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha",
                    "gamma")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction, name, dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_BuiltinLoss):
    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_BuiltinLoss):
    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction, name, dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(_BuiltinLoss):
    _config_keys = ("from_logits", "ignore_class")

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def _call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return _sparse_crossentropy_and_mask(y_true, y_pred, **self._fn_kwargs)


class Dice(_BuiltinLoss):
    _config_keys = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction, name, dtype, axis=axis)


class Tversky(_BuiltinLoss):
    _config_keys = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    _config_keys = ("q",)

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError("q must be in the interval (0, 1)")
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)


class CTC(_BuiltinLoss):
    """Connectionist temporal classification loss, as ``keras.losses.CTC``
    (see :func:`ctc`)."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)


class Circle(_BuiltinLoss):
    """Circle loss, as ``keras.losses.Circle`` (see :func:`circle`); samples
    whose loss is 0 (no positive or no negative pair) are masked out of the
    reduction."""

    _config_keys = ("gamma", "margin", "remove_diagonal")

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction, name, dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)

    def _call_with_mask(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return _circle_values(y_true, y_pred, **self._fn_kwargs)


# -------------------------------------------------------------------------
# Lookup and serialization
# -------------------------------------------------------------------------

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber,
            LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
            BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
            CategoricalFocalCrossentropy, SparseCategoricalCrossentropy, Dice, Tversky,
            CategoricalGeneralizedCrossEntropy, CTC, Circle)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
              squared_hinge, categorical_hinge, kl_divergence, poisson, binary_crossentropy,
              binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
              sparse_categorical_crossentropy, dice, tversky, ctc, circle)

#: Every name ``get`` and ``deserialize`` understand, as Keras' ALL_OBJECTS_DICT.
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
})
register_builtin("keras.losses", *_CLASSES,
                 aliases={k: v for k, v in ALL_OBJECTS_DICT.items() if not isinstance(v, type)})


def _custom_objects(custom_objects=None):
    return {**_registration.GLOBAL_CUSTOM_OBJECTS, **_registration.scoped_custom_objects(),
            **(custom_objects or {})}


def serialize(loss):
    """The Keras config of a Loss instance or a loss function."""
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        return serialize_keras_object(loss)
    if callable(loss) and not isinstance(loss, type):
        registered = _registration.GLOBAL_CUSTOM_NAMES.get(loss)
        name = registered or getattr(loss, "__name__", None)
        if name is None:
            raise ValueError(f"Cannot serialize loss {loss!r}: it has no name")
        return {"module": "builtins", "class_name": "function", "config": name,
                "registered_name": "function"}
    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """A Loss instance or loss function from its config (or name)."""
    config = name
    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        found = _custom_objects(custom_objects).get(name, ALL_OBJECTS_DICT.get(name))
        if found is None:
            raise ValueError(f"Could not interpret loss function {name!r}. Known losses: "
                             f"{', '.join(sorted(ALL_OBJECTS_DICT))}")
        return found
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="loss")


def get(identifier):
    """A loss from a name, a config dict, a Loss instance or class, or a function.

    As in Keras, function names (``"mse"``, ``"categorical_crossentropy"``)
    give the function; class names (``"MeanSquaredError"``) give an instance.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _custom_objects().get(identifier, ALL_OBJECTS_DICT.get(identifier))
        if obj is None:
            raise ValueError(f"Could not interpret loss identifier: {identifier!r}. Known losses: "
                             f"{', '.join(sorted(ALL_OBJECTS_DICT))}")
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def _shape_of(value):
    return tuple(value) if isinstance(value, (tuple, list)) else _shape(value)


def is_binary_or_sparse_categorical(y_true, y_pred):
    """``(is_binary, is_sparse_categorical)`` from the shapes of the targets
    and the predictions (arrays or shape tuples), as Keras' compile decides."""
    t, p = _shape_of(y_true), _shape_of(y_pred)
    is_binary = bool(p) and p[-1] == 1
    is_sparse = len(t) < len(p) or (bool(t) and t[-1] == 1 and bool(p) and p[-1] > 1)
    return is_binary, is_sparse


def get_compile_loss(identifier, y_true=None, y_pred=None):
    """The Loss instance ``model.compile(loss=identifier)`` uses.

    ``"crossentropy"``/``"ce"`` pick binary, sparse or categorical
    cross-entropy from the shapes of ``y_true`` and ``y_pred`` (arrays or
    shape tuples); functions are wrapped in a ``LossFunctionWrapper`` named
    after the string given (or the function).
    """
    if identifier is None:
        return None
    if str(identifier).lower() in ("crossentropy", "ce"):
        if y_true is None or y_pred is None:
            raise ValueError(f"loss={identifier!r} needs the shapes of y_true and y_pred")
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        loss = (binary_crossentropy if is_binary else
                sparse_categorical_crossentropy if is_sparse else categorical_crossentropy)
    else:
        loss = get(identifier)
    if not isinstance(loss, Loss):
        name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", None)
        loss = LossFunctionWrapper(loss, name=name)
    return loss


__all__ = [obj.__name__ for obj in _CLASSES + _FUNCTIONS] + [
    "categorical_generalized_cross_entropy", "serialize", "deserialize", "get",
    "get_compile_loss", "reduce_weighted_values", "reduce_values",
    "squeeze_or_expand_to_same_rank", "is_binary_or_sparse_categorical", "standardize_reduction",
    "REDUCTIONS", "ALL_OBJECTS_DICT"]
